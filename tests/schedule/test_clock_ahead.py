"""A delivery pass run with the clock ahead (`deliver-due --now` with a mistyped year, or a host clock
that jumped and was set back) must not silence the schedules afterwards: catching up starts from the
last run before the time of each pass, not from a row in its future. Found by an outside tester:
after a run "in 2062", every later run at the real time posted nothing, and nothing said so."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.catalog import Catalog
from bot.cli import main
from bot.clock import FixedClock
from tests.conftest import person
from tests.schedule.conftest import FakePoster, at, open_runtime

MOD = person("mo", moderator=True)
MONDAY_9 = at("2026-11-30T09:00:00+00:00")


async def test_a_pass_far_ahead_does_not_hide_the_real_runs(database_url: str, catalog: Catalog) -> None:
    poster = FakePoster()
    clock = FixedClock(MONDAY_9 - dt.timedelta(days=1))
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        for channel in ("c1", "c2"):
            added = await rt.core.handle_line(
                MOD, f"/studyadmin schedule add channel:#{channel} exam:SAA-C03 preset:daily-9am timezone:UTC"
            )
            assert added.title == "Schedule added", added.text
        clock.set(MONDAY_9.replace(year=2062))
        assert (await rt.schedule.deliver_due()).prompts == 2  # posted "in 2062", as asked
        clock.set(MONDAY_9)
        assert (await rt.schedule.deliver_due()).prompts == 2  # the real Monday still posts
        clock.set(MONDAY_9 + dt.timedelta(days=1))
        assert (await rt.schedule.deliver_due()).prompts == 2  # and Tuesday
        clock.set(MONDAY_9 + dt.timedelta(days=1, minutes=5))
        assert (await rt.schedule.deliver_due()).prompts == 0  # once each


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59Z", "0001-01-01T00:00Z", "1999-12-31T23:00Z"])
def test_deliver_due_refuses_a_time_outside_the_calendar_it_can_schedule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STUDYBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    runner = CliRunner()
    add = "/studyadmin schedule add channel:#study exam:SAA-C03 preset:daily-9am timezone:UTC"
    assert runner.invoke(main, ["exec", "--user", "mo", add]).exit_code == 0
    out = runner.invoke(main, ["schedule", "deliver-due", "--now", when, "--json"])
    assert out.exit_code == 2 and "outside the years 2000 to 2099" in out.output, out.output
    assert out.exception is None or isinstance(out.exception, SystemExit)
    ok = runner.invoke(main, ["schedule", "deliver-due", "--now", "2030-01-07T09:00Z", "--json"])
    assert ok.exit_code == 0 and json.loads(ok.output.strip().splitlines()[-1])["prompts"] == 1
