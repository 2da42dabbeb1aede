"""The delivery outbox of scheduled prompts and their reveals, and members' answers to group prompts.

Every read and write of `schedule_deliveries` and `prompt_answers` lives here, so the deliverer, the
group-prompt presses and the console's posted-message lookup agree on one shape (`Delivery`).
A delivery's unique `key` is its claim: the caller whose insert went in does the work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import prompt_answers, schedule_deliveries

T = schedule_deliveries.c


@dataclass(frozen=True, slots=True)
class Delivery:
    """One row of the outbox: a prompt or reveal, claimed, posted, failed or skipped."""

    id: int
    key: str
    kind: str
    schedule_id: int | None
    prompt_id: int | None
    platform: str
    workspace: str
    channel: str
    exam: str
    question_id: str
    due_at: dt.datetime
    state: str
    nonce: str
    message_id: str | None
    claimed_at: dt.datetime
    posted_at: dt.datetime | None
    reveal_at: dt.datetime | None
    detail: str | None
    focus_note: str | None = None  # a prompt's domain and why its schedule's focus drew it (issue 18)

    @classmethod
    def of(cls, row: Mapping[Any, Any]) -> Delivery:
        return cls(**{f.name: row[f.name] for f in fields(cls)})


@dataclass(frozen=True, slots=True)
class GroupAnswer:
    """A member's current answer to a group prompt (original option indexes, "02")."""

    user_id: str
    user_name: str
    chosen: str


AnswerChange = Literal["new", "changed", "same"]


def _dialect(conn: AsyncConnection) -> Any:
    return postgresql if conn.dialect.name == "postgresql" else sqlite


async def insert_claim(conn: AsyncConnection, values: Mapping[str, Any]) -> int | None:
    """Insert a delivery row unless its key exists; the new id when this call won, else None."""
    stmt = (
        _dialect(conn)
        .insert(schedule_deliveries)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(T.id)
    )
    return (await conn.execute(stmt)).scalar_one_or_none()


async def get(conn: AsyncConnection, delivery_id: int) -> Delivery | None:
    row = (await conn.execute(select(schedule_deliveries).where(T.id == delivery_id))).mappings().first()
    return Delivery.of(row) if row is not None else None


async def by_message(conn: AsyncConnection, platform: str, message_id: str) -> Delivery | None:
    row = (
        (await conn.execute(select(schedule_deliveries).where((T.message_id == message_id) & (T.platform == platform))))
        .mappings()
        .first()
    )
    return Delivery.of(row) if row is not None else None


async def by_keys(conn: AsyncConnection, keys: Sequence[str]) -> dict[str, Delivery]:
    """The deliveries claimed under any of `keys` (claimed, posted, failed or skipped), by key: a
    key taken is a run that will not be claimed again."""
    if not keys:
        return {}
    rows = await conn.execute(select(schedule_deliveries).where(T.key.in_(list(keys))))
    return {row["key"]: Delivery.of(row) for row in rows.mappings()}


async def last_prompt_dues(
    conn: AsyncConnection, schedule_ids: Sequence[int], until: dt.datetime
) -> dict[int, dt.datetime]:
    """When each schedule's latest cron run (a prompt, or a digest) up to `until` was due (previews
    excluded): where catching up starts. Rows after `until` (written by a pass run with a clock ahead,
    before it was set back) do not count, or they would hide every run until then. One query for a
    chunk of schedules, by the (schedule_id, due_at) index; a schedule that never posted is absent."""
    if not schedule_ids:
        return {}
    rows = await conn.execute(
        select(T.schedule_id, func.max(T.due_at))
        .where(
            T.schedule_id.in_(schedule_ids)
            & T.kind.in_(("prompt", "digest"))
            & ~T.key.like("preview:%")
            & (T.due_at <= until)
        )
        .group_by(T.schedule_id)
    )
    return {int(schedule_id): due for schedule_id, due in rows.all() if due is not None}


async def last_digest_due(
    conn: AsyncConnection, platform: str, workspace: str, channel: str, before: dt.datetime
) -> dt.datetime | None:
    """When the channel's latest posted digest before `before` was due (previews excluded): where the
    next digest's window begins. By the (platform, workspace, channel, due_at) index."""
    found = await conn.execute(
        select(func.max(T.due_at)).where(
            (T.platform == platform)
            & (T.workspace == workspace)
            & (T.channel == channel)
            & (T.due_at < before)
            & (T.kind == "digest")
            & (T.state == "posted")
            & ~T.key.like("preview:%")
        )
    )
    return found.scalar_one_or_none()


async def recent_questions(conn: AsyncConnection, platform: str, workspace: str, channel: str, limit: int) -> list[str]:
    """Question ids of the channel's latest prompts, newest first."""
    rows = await conn.execute(
        select(T.question_id)
        .where(
            (T.kind == "prompt")
            & (T.platform == platform)
            & (T.workspace == workspace)
            & (T.channel == channel)
            & (T.state != "skipped")
        )
        .order_by(T.due_at.desc())
        .limit(limit)
    )
    return list(rows.scalars().all())


async def channels_answered(conn: AsyncConnection, platform: str, workspace: str, user_id: str) -> set[str]:
    """The channels where a member answered a group prompt."""
    rows = await conn.execute(
        select(T.channel)
        .distinct()
        .select_from(schedule_deliveries.join(prompt_answers, prompt_answers.c.delivery_id == T.id))
        .where((T.platform == platform) & (T.workspace == workspace) & (prompt_answers.c.user_id == user_id))
    )
    return set(rows.scalars().all())


async def questions_posted_in(conn: AsyncConnection, platform: str, workspace: str, channels: set[str]) -> set[str]:
    """Every question a group prompt ever put (and so revealed) in these channels."""
    if not channels:
        return set()
    rows = await conn.execute(
        select(T.question_id)
        .distinct()
        .where(
            (T.kind == "prompt")
            & (T.platform == platform)
            & (T.workspace == workspace)
            & T.channel.in_(sorted(channels))
            & (T.state != "skipped")
        )
    )
    return set(rows.scalars().all())


async def channels_asked(conn: AsyncConnection, platform: str, workspace: str, question_id: str) -> list[str]:
    """The channels of a workspace that were posted a prompt of this question (errata notices go there)."""
    rows = await conn.execute(
        select(T.channel)
        .where(
            (T.kind == "prompt")
            & (T.platform == platform)
            & (T.workspace == workspace)
            & (T.question_id == question_id)
            & (T.state == "posted")
        )
        .distinct()
        .order_by(T.channel)
    )
    return list(rows.scalars().all())


def _unrevealed() -> Any:
    reveal = schedule_deliveries.alias("reveal")
    return reveal, (T.kind == "prompt") & (T.state == "posted") & reveal.c.id.is_(None)


async def due_reveals(conn: AsyncConnection, now: dt.datetime) -> list[Delivery]:
    """Posted prompts whose reveal time has come and that have no reveal row yet."""
    reveal, pending = _unrevealed()
    rows = await conn.execute(
        select(schedule_deliveries)
        .outerjoin(reveal, reveal.c.prompt_id == T.id)
        .where(pending & (T.reveal_at <= now))
        .order_by(T.reveal_at)
    )
    return [Delivery.of(r) for r in rows.mappings()]


async def next_reveal_at(conn: AsyncConnection) -> dt.datetime | None:
    reveal, pending = _unrevealed()
    return (
        await conn.execute(select(func.min(T.reveal_at)).outerjoin(reveal, reveal.c.prompt_id == T.id).where(pending))
    ).scalar_one_or_none()


async def counts_by_state(conn: AsyncConnection) -> dict[tuple[str, str], int]:
    """How many rows the outbox holds by (kind, state): the metrics' view of it, the same from any replica."""
    rows = (await conn.execute(select(T.kind, T.state, func.count()).group_by(T.kind, T.state))).all()
    return {(str(kind), str(state)): int(count) for kind, state, count in rows}


async def oldest_open_claim(conn: AsyncConnection) -> dt.datetime | None:
    """When the oldest claim still open was taken: a process may have died holding it."""
    return (await conn.execute(select(func.min(T.claimed_at)).where(T.state == "claimed"))).scalar_one_or_none()


async def is_revealed(conn: AsyncConnection, prompt_id: int) -> bool:
    return (await conn.execute(select(T.id).where(T.prompt_id == prompt_id))).first() is not None


async def stale_claims(conn: AsyncConnection, older_than: dt.datetime) -> list[Delivery]:
    rows = await conn.execute(select(schedule_deliveries).where((T.state == "claimed") & (T.claimed_at < older_than)))
    return [Delivery.of(r) for r in rows.mappings()]


async def take_over(conn: AsyncConnection, delivery: Delivery, now: dt.datetime) -> bool:
    """Compare-and-set on `claimed_at`: True for the one process that took the stale claim over."""
    taken = await conn.execute(
        update(schedule_deliveries)
        .where((T.id == delivery.id) & (T.claimed_at == delivery.claimed_at))
        .values(claimed_at=now)
    )
    return bool(taken.rowcount)


async def mark_posted(
    conn: AsyncConnection, delivery_id: int, message_id: str | None, now: dt.datetime, reveal_at: dt.datetime | None
) -> None:
    values: dict[str, Any] = {"state": "posted", "message_id": message_id or None, "posted_at": now}
    if reveal_at is not None:
        values["reveal_at"] = reveal_at
    await conn.execute(update(schedule_deliveries).where(T.id == delivery_id).values(**values))


async def reopen(conn: AsyncConnection, delivery_id: int) -> None:
    """A post recorded before sending that then failed goes back to claimed, for a retry after the lease."""
    await conn.execute(
        update(schedule_deliveries)
        .where(T.id == delivery_id)
        .values(state="claimed", message_id=None, posted_at=None, reveal_at=None)
    )


async def mark_failed(conn: AsyncConnection, delivery_id: int, detail: str) -> None:
    await conn.execute(update(schedule_deliveries).where(T.id == delivery_id).values(state="failed", detail=detail))


async def note(conn: AsyncConnection, delivery_id: int, detail: str) -> None:
    """Why a claim is still open (rate limited, a passing failure); it is retried after the lease."""
    await conn.execute(update(schedule_deliveries).where(T.id == delivery_id).values(detail=detail))


# -- answers to group prompts ------------------------------------------------------------------------


async def answer_count(conn: AsyncConnection, delivery_id: int) -> int:
    found = await conn.execute(
        select(func.count()).select_from(prompt_answers).where(prompt_answers.c.delivery_id == delivery_id)
    )
    return int(found.scalar_one())


async def answers(conn: AsyncConnection, prompt_id: int) -> list[GroupAnswer]:
    """Everyone's answer as it stands now, in the order they first answered."""
    rows = await conn.execute(
        select(prompt_answers.c.user_id, prompt_answers.c.user_name, prompt_answers.c.chosen)
        .where(prompt_answers.c.delivery_id == prompt_id)
        .order_by(prompt_answers.c.id)
    )
    return [GroupAnswer(r.user_id, r.user_name, r.chosen) for r in rows]


async def put_answer(
    conn: AsyncConnection, delivery_id: int, user_id: str, user_name: str, chosen: str, now: dt.datetime
) -> AnswerChange:
    """Store or change a member's answer: "new", "changed", or "same" when it already was this answer."""
    name = user_name[:200]
    where = (prompt_answers.c.delivery_id == delivery_id) & (prompt_answers.c.user_id == user_id)
    before = (await conn.execute(select(prompt_answers.c.chosen).where(where))).scalar_one_or_none()
    if before == chosen:
        return "same"
    changed = await conn.execute(
        update(prompt_answers).where(where).values(chosen=chosen, answered_at=now, user_name=name)
    )
    if changed.rowcount:
        return "changed"
    stmt = (
        _dialect(conn)
        .insert(prompt_answers)
        .values(delivery_id=delivery_id, user_id=user_id, user_name=name, chosen=chosen, answered_at=now)
    )
    # Two presses racing for a first answer: the later one wins, as a change would.
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["delivery_id", "user_id"], set_={"chosen": chosen, "answered_at": now}
        )
    )
    return "new"
