"""An upgrade never deletes what it migrates (found by a helper measuring the aggregates, issue 14).

SQLite rebuilds a table to change its columns, and dropping the old copy cascades into every table that
points at it when foreign keys are on, as studybot's connections have them: upgrading a database of
revision 0008 or older to the head deleted every stored practice answer (migration 0009 rebuilds
`practice_attempts`). The database is taken back to 0008 through a plain engine (foreign keys off, as
SQLite has them by default) and brought up again through `upgrade`, as every start does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy
from alembic import command
from alembic.config import Config
from sqlalchemy import func, select

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.requests import Action
from bot.runtime import Runtime
from bot.store import create_engine, upgrade
from bot.store.db import MIGRATIONS
from bot.store.schema import members, practice_answers, practice_attempts
from tests.conftest import START, make_settings, person
from tests.practice.test_flows import correct_letter, practice_single


def _counts(url: str) -> tuple[int, int, int]:
    engine = sqlalchemy.create_engine(url.replace("+aiosqlite", ""))
    try:
        with engine.connect() as conn:
            return tuple(  # type: ignore[return-value]
                int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for t in (members, practice_attempts, practice_answers)
            )
    finally:
        engine.dispose()


def _down_to(url: str, revision: str) -> None:
    engine = sqlalchemy.create_engine(url.replace("+aiosqlite", ""))  # foreign keys off: SQLite's default
    try:
        with engine.begin() as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        engine.dispose()


async def test_upgrading_a_database_of_revision_0008_keeps_every_answer(tmp_path: Path, catalog: Catalog) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}"
    ada = person("ada")
    async with Runtime(make_settings(url), clock=FixedClock(START), catalog=catalog) as rt:
        for _ in range(3):
            question = await practice_single(rt.core, ada)
            button = next(b for b in question.buttons if b.label == correct_letter(rt.core, question))
            await rt.core.handle(Action(ada, button.action_id))
    stored = _counts(url)
    assert stored == (1, 3, 3), stored
    _down_to(url, "0008_notify")
    assert _counts(url) == stored  # what a database of that revision holds

    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            revision: Any = (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).scalar_one()
            keys = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar_one()
    finally:
        await engine.dispose()
    assert revision != "0008_notify"
    assert _counts(url) == stored, "the upgrade deleted stored rows"
    assert keys == 1  # the connection went back to the pool with its foreign keys on again
