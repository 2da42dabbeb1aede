"""What the scheduler needs from a platform: post, edit and direct-message, with typed outcomes.

Each adapter implements `Poster`. Failures the scheduler must act on (a deleted channel, a missing
permission, an archived channel, a rate limit) come back as outcomes, not exceptions, so the scheduler
can pause a channel or wait out a Retry-After without guessing from an error string.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.replies import Reply
from bot.store.schedules import Schedule


class PostOutcome(enum.StrEnum):
    OK = "ok"
    MISSING_ACCESS = "missing_access"  # Discord 50001/50013, Slack not_in_channel
    UNKNOWN_CHANNEL = "unknown_channel"  # Discord 10003, Slack channel_not_found
    ARCHIVED = "archived"  # Slack is_archived
    RATE_LIMITED = "rate_limited"  # 429 / ratelimited, with retry_after
    FAILED = "failed"  # anything else; detail says what


@dataclass(frozen=True, slots=True)
class PostResult:
    outcome: PostOutcome
    message_id: str | None = None
    retry_after: float | None = None
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is PostOutcome.OK

    @property
    def permanent(self) -> bool:
        """Failures that retrying will not fix; enough of them in a row pause a schedule."""
        return self.outcome in (PostOutcome.MISSING_ACCESS, PostOutcome.UNKNOWN_CHANNEL, PostOutcome.ARCHIVED)


class Poster(Protocol):
    """Posting on one platform; `workspace` and `channel` are that platform's ids."""

    platform: str

    async def post(self, workspace: str, channel: str, reply: Reply, *, nonce: str | None = None) -> PostResult:
        """Post `reply` as a new channel message; `nonce` lets the platform drop a duplicate."""
        ...

    async def edit(self, workspace: str, channel: str, message_id: str, reply: Reply) -> PostResult:
        """Replace the content of a message this bot posted earlier."""
        ...

    async def direct_message(self, workspace: str, user_id: str, reply: Reply) -> PostResult:
        """Send `reply` to one member privately."""
        ...


@runtime_checkable
class KnowsItsIds(Protocol):
    """A poster that can name a post's message id before sending it (the console: the id comes from the
    nonce). The deliverer then records the post first and sends after, so a crash in between can lose
    that one post but never doubles it; platforms with their own idempotency (Discord's nonce) do not
    need this."""

    def planned_id(self, nonce: str) -> str: ...


@runtime_checkable
class FindsEarlierPosts(Protocol):
    """A poster that can find out whether an earlier attempt at a delivery went out (Slack: the post's
    message metadata names the delivery, and the channel's recent history is searched for it).

    Slack has no nonce, so a process that dies after Slack took a post but before the post was
    recorded would otherwise post it again when its claim is retried. The deliverer asks this before
    re-posting a retried claim: an OK result carries the earlier post's message id (record it, do not
    post); None means no earlier post was found (post); any other outcome says why it could not tell.
    """

    async def find_post(self, workspace: str, channel: str, nonce: str, since: dt.datetime) -> PostResult | None: ...


@runtime_checkable
class LeavesRoles(Protocol):
    """A poster that can take a member out of a role (Discord, with Manage Roles): `/notify role_ping:off`
    uses it on the role prompts mention, since a role ping cannot leave one member out. An outcome other
    than OK (no permission, the role is above the bot's) leaves the member's mute as the only effect."""

    async def leave_role(self, workspace: str, user_id: str, role_id: str) -> PostResult: ...


class Posters:
    """The posters of the platforms this process is connected to, by platform name.

    Built empty by the runtime and filled as each platform connects, so the deliverer, moderator
    commands and reminders all see the same connections without a string-keyed bag.
    """

    def __init__(self) -> None:
        self._by_platform: dict[str, Poster] = {}

    def add(self, poster: Poster) -> None:
        self._by_platform[poster.platform] = poster

    def remove(self, platform: str) -> None:
        self._by_platform.pop(platform, None)

    def get(self, platform: str) -> Poster | None:
        return self._by_platform.get(platform)

    def __contains__(self, platform: object) -> bool:
        return platform in self._by_platform

    def names(self) -> list[str]:
        return list(self._by_platform)


class ScheduleControl(Protocol):
    """What commands may ask of the scheduler: it re-reads schedules after a change, posts a preview,
    and refreshes a prompt's answer count after a press."""

    async def changed(self) -> None: ...

    async def preview(self, schedule: Schedule, now: dt.datetime, *, post: bool = True) -> tuple[int, PostResult]: ...

    def touch(self, delivery_id: int) -> None: ...
