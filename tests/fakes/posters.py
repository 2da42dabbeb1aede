"""A poster for the core's scheduled posts and reminders that remembers everything it was asked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.replies import Reply
from bot.schedule.ports import PostOutcome, PostResult


@dataclass
class FakePoster:
    """Every post, edit and DM, in order. `fail` decides a post's outcome per channel when set;
    `dm_outcome` is what direct messages answer (they are recorded whatever it is)."""

    platform: str = "console"
    posts: list[tuple[str, str, Reply, str | None]] = field(default_factory=list)  # channel, id, reply, nonce
    edits: list[tuple[str, Reply]] = field(default_factory=list)
    dms: list[tuple[str, str, Reply]] = field(default_factory=list)  # workspace, user, reply
    fail: Callable[[str], PostResult | None] | None = None
    dm_outcome: PostOutcome = PostOutcome.OK

    async def post(self, workspace: str, channel: str, reply: Reply, *, nonce: str | None = None) -> PostResult:
        if self.fail is not None and (failure := self.fail(channel)) is not None:
            return failure
        message_id = f"m{len(self.posts) + 1}"
        self.posts.append((channel, message_id, reply, nonce))
        return PostResult(PostOutcome.OK, message_id=message_id)

    async def edit(self, workspace: str, channel: str, message_id: str, reply: Reply) -> PostResult:
        self.edits.append((message_id, reply))
        return PostResult(PostOutcome.OK, message_id=message_id)

    async def direct_message(self, workspace: str, user_id: str, reply: Reply) -> PostResult:
        self.dms.append((workspace, user_id, reply))
        return PostResult(self.dm_outcome)

    def titles(self) -> list[str | None]:
        return [reply.title for _c, _m, reply, _n in self.posts]
