"""`studybot export` / `studybot import`: a workspace moves SQLite → SQLite and SQLite → PostgreSQL with
every row of every exported table intact; a newer file format and a half-import are refused."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from bot.catalog import Catalog
from bot.cli import main
from bot.clock import FixedClock
from bot.features import build_registry
from bot.requests import Action
from bot.runtime import Runtime
from bot.store import create_engine, upgrade
from bot.store import notify as notify_store
from bot.store.schema import members, schedules
from bot.store.transfer import HISTORY_TABLES, REFERENCES, WORKSPACE_TABLES, rows_of
from tests.conftest import make_settings, person
from tests.practice.test_flows import correct_letter, practice_single

BANK = build_registry().commands[("studyadmin", "bank", "import")].examples[0]  # a one-question bank


def cli(*args: str, url: str) -> Result:
    result = CliRunner().invoke(main, list(args), env={"STUDYBOT_DATABASE_URL": url})
    assert "Traceback" not in result.output, result.output
    return result


async def populate(url: str, clock: FixedClock, catalog: Catalog) -> None:
    """One console workspace with something in every exported table, and a second one that must stay behind."""
    mo = person("mo", moderator=True, workspace="w1", channel="study")
    ada = person("ada", workspace="w1", channel="study")
    async with Runtime(make_settings(url), clock=clock, catalog=catalog) as rt:
        core = rt.core
        for line in (
            "/studyadmin settings timezone:Europe/Berlin reveal_after:8h",
            "/studyadmin moderators add who:@ada",
            "/studyadmin schedule add channel:#study exam:SAA-C03 preset:weekdays-9am timezone:Europe/Berlin",
            "/studyadmin group target exam:SAA-C03 date:2027-03-01 channel:#study",
            BANK,
        ):
            reply = await core.handle_line(mo, line)
            assert reply.title not in ("That didn't work", "Something went wrong"), (line, reply.text)
        for line in ("/profile timezone:Asia/Tokyo", "/mycerts add exam:SAA-C03 passed:2025-06-01"):
            assert (await core.handle_line(ada, line)).title != "That didn't work", line
        answered = []
        for _ in range(3):
            question = await practice_single(core, ada)
            right = correct_letter(core, question)
            button = next(b for b in question.buttons if b.label == right)
            await core.handle(Action(ada, button.action_id))
            answered.append(((question.footer or "").split(" · ")[-1], right))
        asked, right = answered[0]
        other_key = "A" if right != "A" else "B"
        for member, line in (
            (ada, f'/report question:{asked} reason:wrong-key note:"The key looks wrong to me"'),
            (ada, "/notify snooze:7d"),
            (ada, "/review settings cap:30 dm:on quiet:22-7"),
            (mo, f"/studyadmin report decide question:{asked} decision:key key:{other_key}"),  # ada's answer regraded
            (mo, f"/studyadmin report decide question:{asked} decision:reverse"),  # and restored
        ):
            reply = await core.handle_line(member, line)
            assert reply.title not in ("That didn't work", "Something went wrong"), (line, reply.text)
        async with rt.services.engine.begin() as conn:  # a reminder a snooze held back (none is due this early)
            member_id = (await conn.execute(select(members.c.id).where(members.c.user_id == "ada"))).scalar_one()
            await notify_store.record_skip(
                conn, member_id, "expiry_reminders", "SAA-C03:2028-06-01", "snoozed", clock.now()
            )
        await core.handle_line(ada, "/mock exam:CLF-C02 questions:5 minutes:10")
        for line in (
            '/studyadmin season start name:"Spring 2027"',  # after the answers: each member's baseline
            "/studyadmin report threshold reports:4",
            '/studyadmin report decide question:saa-c03-005 decision:fix part:stem text:"A stem this workspace fixed."',
        ):
            reply = await core.handle_line(mo, line)
            assert reply.title not in ("That didn't work", "Something went wrong"), (line, reply.text)
        other = person("eve", moderator=True, workspace="w2")
        await core.handle_line(other, "/studyadmin settings timezone:UTC reveal_after:1h")
        await core.handle_line(other, "/profile timezone:UTC")


def normalised(tables: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Rows with surrogate ids replaced by their rank, references by the rank of the row they point at."""
    ranks: dict[str, dict[int, int]] = {}
    for name, rows in tables.items():
        if rows and "id" in rows[0]:
            ranks[name] = {row["id"]: i for i, row in enumerate(rows)}
    out: dict[str, list[dict[str, Any]]] = {}
    for name, rows in tables.items():
        fixed = []
        for row in rows:
            row = dict(row)
            if name in ranks:
                row["id"] = ranks[name][row["id"]]
            for column, target in REFERENCES.items():
                if row.get(column) is not None:
                    row[column] = ranks[target.name][row[column]]
            fixed.append(row)
        out[name] = fixed
    return out


async def stored(url: str, workspace: str = "w1") -> dict[str, list[dict[str, Any]]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await rows_of(conn, "console", workspace, history=True)
    finally:
        await engine.dispose()


def round_trip(source: str, target: str, tmp_path: Path) -> None:
    file = tmp_path / "w1.json"
    out = cli("export", "--workspace", "w1", "--with-history", str(file), url=source)
    assert out.exit_code == 0, out.output
    document = json.loads(file.read_text())
    assert (document["format"], document["version"], document["platform"]) == ("studybot-workspace", 1, "console")
    every = {t.name for t in (*WORKSPACE_TABLES, *HISTORY_TABLES)}
    assert set(document["tables"]) == every
    assert all(document["tables"][name] for name in every), {n: len(r) for n, r in document["tables"].items()}
    for name in (  # the errata overlay and its history, seasons, a member's notification and review settings
        "question_overlays", "errata_settings", "question_decisions", "question_reports", "errata_notices",
        "seasons", "season_baselines", "notify_settings", "notify_skips", "review_plans",
    ):  # fmt: skip
        assert document["tables"].get(name), name
    done = cli("import", str(file), url=target)
    assert done.exit_code == 0, done.output
    before, after = asyncio.run(stored(source)), asyncio.run(stored(target))
    assert {n: len(r) for n, r in after.items()} == {n: len(r) for n, r in before.items()}
    assert normalised(after) == normalised(before)
    assert asyncio.run(stored(target, "w2")) == {name: [] for name in every}  # the other workspace stayed home


@pytest.fixture
async def source(sqlite_url: str, clock: FixedClock, catalog: Catalog) -> str:
    await populate(sqlite_url, clock, catalog)
    return sqlite_url


def test_sqlite_to_sqlite(source: str, tmp_path: Path) -> None:
    round_trip(source, f"sqlite+aiosqlite:///{tmp_path / 'target.sqlite3'}", tmp_path)


def test_sqlite_to_postgresql(source: str, pg_url: str, tmp_path: Path) -> None:
    round_trip(source, pg_url, tmp_path)


def test_without_history_only_the_configuration_moves(source: str, tmp_path: Path) -> None:
    file = tmp_path / "config.json"
    assert cli("export", "--workspace", "w1", str(file), url=source).exit_code == 0
    assert set(json.loads(file.read_text())["tables"]) == {t.name for t in WORKSPACE_TABLES}


def test_a_newer_format_is_refused(source: str, tmp_path: Path) -> None:
    file = tmp_path / "w1.json"
    assert cli("export", "--workspace", "w1", str(file), url=source).exit_code == 0
    document = json.loads(file.read_text())
    document["version"] = 2
    file.write_text(json.dumps(document))
    target = f"sqlite+aiosqlite:///{tmp_path / 'target.sqlite3'}"
    result = cli("import", str(file), url=target)
    assert result.exit_code == 2
    assert "format version 2, newer than this studybot reads (1)" in result.output
    assert "nothing was imported" in result.output


async def _count(url: str, table: Any) -> int:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())
    finally:
        await engine.dispose()


def test_a_failing_row_leaves_nothing_behind(source: str, tmp_path: Path) -> None:
    file = tmp_path / "w1.json"
    assert cli("export", "--workspace", "w1", "--with-history", str(file), url=source).exit_code == 0
    document = json.loads(file.read_text())
    document["tables"]["review_cards"][0]["member_id"] = 987654  # points at no exported member
    file.write_text(json.dumps(document))
    target = f"sqlite+aiosqlite:///{tmp_path / 'target.sqlite3'}"
    result = cli("import", str(file), url=target)
    assert result.exit_code == 2 and "points at a missing members row" in result.output
    assert asyncio.run(_count(target, schedules)) == 0  # inserted before the bad row, rolled back with it
    assert asyncio.run(_count(target, members)) == 0


def test_importing_over_an_existing_workspace_is_refused(source: str, tmp_path: Path) -> None:
    file = tmp_path / "w1.json"
    assert cli("export", "--workspace", "w1", str(file), url=source).exit_code == 0
    result = cli("import", str(file), url=source)
    assert result.exit_code == 2 and "already has data" in result.output
