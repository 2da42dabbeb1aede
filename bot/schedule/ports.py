"""What the scheduler needs from a platform: post, edit and direct-message, with typed outcomes.

Each adapter implements `Poster`. Failures the scheduler must act on (a deleted channel, a missing
permission, an archived channel, a rate limit) come back as outcomes, not exceptions, so the scheduler
can pause a channel or wait out a Retry-After without guessing from an error string.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from bot.replies import Reply


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
