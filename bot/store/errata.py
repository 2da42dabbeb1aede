"""Errata repository: reports on questions, decisions, each workspace's overlay of fixed questions, the
notices decisions leave, and the suspension threshold. Bound parameters only."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.schema import (
    errata_notices,
    errata_settings,
    question_decisions,
    question_overlays,
    question_reports,
)

DEFAULT_THRESHOLD = 3
R = question_reports.c
D = question_decisions.c
O = question_overlays.c  # noqa: E741
N = errata_notices.c


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    question_id: str
    exam: str
    user_id: str
    user_name: str
    reason: str
    note: str | None
    link: str | None
    created_at: dt.datetime
    decision_id: int | None


@dataclass(frozen=True, slots=True)
class Decision:
    id: int
    question_id: str
    exam: str
    kind: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str | None
    reverses: int | None
    reversed_by: int | None
    decided_by_name: str
    decided_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Overlay:
    """A question as one workspace asks it: `body` is the question's JSON; retired ones are never served."""

    question_id: str
    exam: str
    body: str
    retired: bool

    def as_json(self) -> dict[str, Any]:
        return {"exam": self.exam, "body": json.loads(self.body), "retired": self.retired}


def _insert(conn: AsyncConnection) -> Any:
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def _place(table: Any, platform: str, workspace: str) -> Any:
    return (table.c.platform == platform) & (table.c.workspace == workspace)


async def lock_question(conn: AsyncConnection, platform: str, workspace: str, question_id: str) -> None:
    """Serialise the reports and decisions on one question until the transaction ends, so two reports
    at once count each other (the one that reaches the threshold is audited once) and a decision never
    interleaves with a report. PostgreSQL: a transaction-level advisory lock on a hash of the question;
    SQLite: its one writer already serialises them."""
    if conn.dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(f"errata|{platform}|{workspace}|{question_id}".encode(), digest_size=8).digest()
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": int.from_bytes(digest, "big", signed=True)})


# -- reports ---------------------------------------------------------------------------------------


async def add_report(
    conn: AsyncConnection,
    *,
    platform: str,
    workspace: str,
    question_id: str,
    exam: str,
    user_id: str,
    user_name: str,
    reason: str,
    note: str | None,
    link: str | None,
    now: dt.datetime,
) -> int | None:
    """The new report's id; None when this member already reported this question (nothing written)."""
    stmt = (
        _insert(conn)(question_reports)
        .values(
            platform=platform,
            workspace=workspace,
            question_id=question_id,
            exam=exam,
            user_id=user_id,
            user_name=user_name[:200],
            reason=reason,
            note=note,
            link=link,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["platform", "workspace", "question_id", "user_id"])
        .returning(R.id)
    )
    found = (await conn.execute(stmt)).scalar_one_or_none()
    return None if found is None else int(found)


async def open_reporters(conn: AsyncConnection, platform: str, workspace: str, question_id: str) -> int:
    """How many members have an undecided report on the question (one report each)."""
    stmt = select(func.count()).where(
        _place(question_reports, platform, workspace) & (R.question_id == question_id) & R.decision_id.is_(None)
    )
    return int((await conn.execute(stmt)).scalar_one())


async def suspended(conn: AsyncConnection, platform: str, workspace: str, exam: str | None = None) -> set[str]:
    """The questions that have reached the workspace's threshold of undecided reports."""
    limit = await threshold(conn, platform, workspace)
    stmt = (
        select(R.question_id)
        .where(_place(question_reports, platform, workspace) & R.decision_id.is_(None))
        .group_by(R.question_id)
        .having(func.count() >= limit)
    )
    if exam is not None:
        stmt = stmt.where(R.exam == exam)
    return set((await conn.execute(stmt)).scalars())


async def reports(
    conn: AsyncConnection, platform: str, workspace: str, question_ids: Sequence[str] | None = None
) -> list[Report]:
    """Every report of the workspace (or on these questions), oldest first."""
    stmt = select(question_reports).where(_place(question_reports, platform, workspace))
    if question_ids is not None:
        stmt = stmt.where(R.question_id.in_(list(question_ids)))
    rows = (await conn.execute(stmt.order_by(R.created_at, R.id))).mappings()
    return [Report(**{k: v for k, v in row.items() if k not in ("platform", "workspace")}) for row in rows]


async def close_reports(
    conn: AsyncConnection, platform: str, workspace: str, question_id: str, decision_id: int
) -> int:
    """Every open report on the question is now decided by `decision_id`; how many."""
    result = await conn.execute(
        update(question_reports)
        .where(_place(question_reports, platform, workspace) & (R.question_id == question_id) & R.decision_id.is_(None))
        .values(decision_id=decision_id)
    )
    return int(result.rowcount or 0)


async def reopen_reports(conn: AsyncConnection, decision_id: int) -> int:
    """The reports a reversed decision had closed are open again."""
    result = await conn.execute(update(question_reports).where(R.decision_id == decision_id).values(decision_id=None))
    return int(result.rowcount or 0)


# -- decisions -------------------------------------------------------------------------------------


def _decision(row: Any) -> Decision:
    return Decision(
        id=int(row["id"]),
        question_id=row["question_id"],
        exam=row["exam"],
        kind=row["kind"],
        before=json.loads(row["before"]) if row["before"] else None,
        after=json.loads(row["after"]) if row["after"] else None,
        note=row["note"],
        reverses=row["reverses"],
        reversed_by=row["reversed_by"],
        decided_by_name=row["decided_by_name"],
        decided_at=row["decided_at"],
    )


async def add_decision(
    conn: AsyncConnection,
    *,
    platform: str,
    workspace: str,
    question_id: str,
    exam: str,
    kind: str,
    before: Overlay | None,
    after: Overlay | None,
    note: str | None,
    actor_id: str,
    actor_name: str,
    now: dt.datetime,
    reverses: int | None = None,
) -> int:
    result = await conn.execute(
        insert(question_decisions)
        .values(
            platform=platform,
            workspace=workspace,
            question_id=question_id,
            exam=exam,
            kind=kind,
            before=json.dumps(before.as_json()) if before else None,
            after=json.dumps(after.as_json()) if after else None,
            note=note,
            reverses=reverses,
            decided_by=actor_id,
            decided_by_name=actor_name[:200],
            decided_at=now,
        )
        .returning(D.id)
    )
    decision_id = int(result.scalar_one())
    if reverses is not None:
        await conn.execute(update(question_decisions).where(D.id == reverses).values(reversed_by=decision_id))
    return decision_id


async def decisions(
    conn: AsyncConnection, platform: str, workspace: str, question_ids: Sequence[str] | None = None
) -> list[Decision]:
    """Every decision of the workspace (or on these questions), oldest first."""
    stmt = select(question_decisions).where(_place(question_decisions, platform, workspace))
    if question_ids is not None:
        stmt = stmt.where(D.question_id.in_(list(question_ids)))
    return [_decision(row) for row in (await conn.execute(stmt.order_by(D.decided_at, D.id))).mappings()]


async def last_standing(conn: AsyncConnection, platform: str, workspace: str, question_id: str) -> Decision | None:
    """The latest decision on the question that is not a reversal and was not reversed: what `reverse` undoes."""
    stmt = (
        select(question_decisions)
        .where(
            _place(question_decisions, platform, workspace)
            & (D.question_id == question_id)
            & (D.kind != "reverse")
            & D.reversed_by.is_(None)
        )
        .order_by(D.id.desc())
        .limit(1)
    )
    row = (await conn.execute(stmt)).mappings().first()
    return _decision(row) if row else None


# -- overlays --------------------------------------------------------------------------------------


async def overlays(conn: AsyncConnection, platform: str, workspace: str, exam: str | None = None) -> list[Overlay]:
    stmt = select(O.question_id, O.exam, O.body, O.retired).where(_place(question_overlays, platform, workspace))
    if exam is not None:
        stmt = stmt.where(O.exam == exam)
    return [Overlay(q, e, b, bool(r)) for q, e, b, r in (await conn.execute(stmt.order_by(O.question_id))).all()]


async def overlay(conn: AsyncConnection, platform: str, workspace: str, question_id: str) -> Overlay | None:
    stmt = select(O.question_id, O.exam, O.body, O.retired).where(
        _place(question_overlays, platform, workspace) & (O.question_id == question_id)
    )
    row = (await conn.execute(stmt)).first()
    return Overlay(row[0], row[1], row[2], bool(row[3])) if row else None


async def put_overlay(conn: AsyncConnection, platform: str, workspace: str, item: Overlay, now: dt.datetime) -> None:
    stmt = _insert(conn)(question_overlays).values(
        platform=platform,
        workspace=workspace,
        question_id=item.question_id,
        exam=item.exam,
        body=item.body,
        retired=item.retired,
        updated_at=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["platform", "workspace", "question_id"],
        set_={"body": item.body, "retired": item.retired, "updated_at": now},
    )
    await conn.execute(stmt)


async def drop_overlay(conn: AsyncConnection, platform: str, workspace: str, question_id: str) -> None:
    await conn.execute(
        delete(question_overlays).where(_place(question_overlays, platform, workspace) & (O.question_id == question_id))
    )


async def overlaid_workspaces(conn: AsyncConnection) -> list[tuple[str, str]]:
    """(platform, workspace) of every workspace with an overlay, for `content errata export`."""
    stmt = select(O.platform, O.workspace).distinct().order_by(O.platform, O.workspace)
    return [(p, w) for p, w in (await conn.execute(stmt)).all()]


# -- threshold -------------------------------------------------------------------------------------


async def threshold(conn: AsyncConnection, platform: str, workspace: str) -> int:
    stmt = select(errata_settings.c.threshold).where(_place(errata_settings, platform, workspace))
    found = (await conn.execute(stmt)).scalar_one_or_none()
    return DEFAULT_THRESHOLD if found is None else int(found)


async def set_threshold(conn: AsyncConnection, platform: str, workspace: str, value: int, now: dt.datetime) -> None:
    stmt = _insert(conn)(errata_settings).values(
        platform=platform, workspace=workspace, threshold=value, updated_at=now
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["platform", "workspace"], set_={"threshold": value, "updated_at": now}
        )
    )


# -- notices ---------------------------------------------------------------------------------------


async def add_notices(conn: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Rows of `errata_notices` (decision_id, member_id or channel, platform, workspace, text, created_at)."""
    if rows:
        await conn.execute(insert(errata_notices), list(rows))


async def take_member_notices(conn: AsyncConnection, member_id: int, now: dt.datetime) -> list[str]:
    """The member's notices not yet shown, oldest first, marked shown in the same transaction."""
    stmt = select(N.id, N.text).where((N.member_id == member_id) & N.shown_at.is_(None)).order_by(N.id)
    rows = (await conn.execute(stmt)).all()
    if rows:
        await conn.execute(update(errata_notices).where(N.id.in_([r[0] for r in rows])).values(shown_at=now))
    return [r[1] for r in rows]


async def channel_notices(
    conn: AsyncConnection, platform: str, workspace: str, channel: str, made_by: dt.datetime | None = None
) -> list[tuple[int, str]]:
    """(id, text) of the channel's corrections not yet said in a reveal (made by `made_by`), oldest first."""
    stmt = (
        select(N.id, N.text)
        .where(_place(errata_notices, platform, workspace) & (N.channel == channel) & N.shown_at.is_(None))
        .order_by(N.id)
    )
    if made_by is not None:
        stmt = stmt.where(N.created_at <= made_by)
    return [(int(i), t) for i, t in (await conn.execute(stmt)).all()]


async def mark_shown(conn: AsyncConnection, notice_ids: Sequence[int], now: dt.datetime) -> None:
    if notice_ids:
        await conn.execute(
            update(errata_notices).where(N.id.in_(list(notice_ids)) & N.shown_at.is_(None)).values(shown_at=now)
        )
