"""Who a Slack member is: display name and whether the workspace made them an admin or owner.

Workspace admins and owners are studybot moderators on Slack (the core adds configured moderators on
top). `users.info` is Tier 4, but a busy channel would still call it on every command, so answers
are cached per member for a few minutes: a demoted admin loses moderator rights within that time.
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
        member = Member(
            display_name=str(name) if name else None,
            is_moderator=bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")),
        )
        self._cache[key] = (now + self._ttl, member)
        if len(self._cache) > 10_000:  # forget expired entries now and then; the cache stays small
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
        return member
