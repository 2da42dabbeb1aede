"""Who a Slack member is: display name, whether the workspace made them an admin or owner, and the
user groups they belong to.

Workspace admins and owners are studybot moderators on Slack; the core adds configured moderators on
top, which may be members or user groups (`/studyadmin moderator add @study-leads`). The groups travel
as the identity's roles, so a configured group counts for each of its members. `users.info` and
`usergroups.list` are cached for a few minutes (per member, and per workspace): a demoted admin or a
member taken out of a group loses moderator rights within that time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

CACHE_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class Member:
    display_name: str | None
    is_moderator: bool
    groups: tuple[str, ...] = ()  # the user groups (S…) the member is in


UNKNOWN = Member(display_name=None, is_moderator=False)


class MemberDirectory:
    """`users.info` with a short per-member cache; a failed lookup means "not a moderator" and is not cached."""

    def __init__(
        self, client: AsyncWebClient, *, ttl: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, Member]] = {}
        self._groups: dict[str, tuple[float, dict[str, tuple[str, ...]]]] = {}

    async def lookup(self, workspace: str, user_id: str, *, client: AsyncWebClient | None = None) -> Member:
        """`client` is the one with the workspace's own token (an app installed in many workspaces)."""
        key = (workspace, user_id)
        now = self._clock()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            response = await (client or self._client).users_info(user=user_id)
        except SlackApiError as exc:
            log.warning(
                "users.info failed: %s", exc.response.get("error"), extra={"workspace": workspace, "user": user_id}
            )
            return UNKNOWN
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
        groups = await self._groups_of(workspace, client or self._client, now)
        member = Member(
            display_name=str(name) if name else None,
            is_moderator=bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")),
            groups=groups.get(user_id, ()),
        )
        self._cache[key] = (now + self._ttl, member)
        if len(self._cache) > 10_000:  # forget expired entries now and then; the cache stays small
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
        return member

    async def _groups_of(self, workspace: str, client: AsyncWebClient, now: float) -> dict[str, tuple[str, ...]]:
        """Member → the workspace's user groups they are in, from one `usergroups.list` per workspace
        and cache period. Without the `usergroups:read` scope (an app installed before it was asked
        for) nobody is in a group, and the miss is remembered for the same period, not retried per
        command."""
        hit = self._groups.get(workspace)
        if hit is not None and hit[0] > now:
            return hit[1]
        members: dict[str, list[str]] = {}
        try:
            response = await client.usergroups_list(include_users=True)
        except SlackApiError as exc:
            log.warning("usergroups.list failed: %s", exc.response.get("error"), extra={"workspace": workspace})
        else:
            for group in response.get("usergroups") or ():
                for user in group.get("users") or ():
                    members.setdefault(str(user), []).append(str(group.get("id")))
        found = {user: tuple(groups) for user, groups in members.items()}
        self._groups[workspace] = (now + self._ttl, found)
        return found
