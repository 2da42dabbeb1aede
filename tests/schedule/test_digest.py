"""The weekly digest: 8 simulated weeks of 50 members, every figure of every digest checked against the
stored answers, computed here from the raw `practice_answers` rows without the digest's own code."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.catalog import Catalog
from bot.cli import main
from bot.clock import FixedClock
from bot.commands.dispatch import Core
from bot.replies import Reply
from bot.requests import Action, Identity
from bot.store.schema import members, practice_answers, schedule_deliveries
from tests.conftest import person
from tests.practice.test_flows import press
from tests.schedule.conftest import FakePoster, open_runtime

BERLIN = ZoneInfo("Europe/Berlin")
MOD = person("mo", moderator=True, channel="study")
ADD = "/studyadmin digest add channel:#study day:monday time:09:00 timezone:Europe/Berlin"
TARGET = "/studyadmin group target exam:SAA-C03 date:2027-01-15 channel:#study"
MILESTONES = (7, 14, 30, 60, 100, 200, 365)
# Eight Monday 09:00 runs in Berlin; the week before the third holds the end of summer time (25 Oct).
RUNS = [dt.datetime(2026, 10, 12, 9, 0, tzinfo=BERLIN) + dt.timedelta(days=7 * k) for k in range(8)]
ZONES = {3: "America/New_York", 4: "Asia/Tokyo", 11: "Australia/Sydney"}


@dataclass(frozen=True)
class Row:
    member_id: int
    name: str
    zone: str
    exam: str
    domain: str
    question_id: str
    correct: bool
    at: dt.datetime


async def _answer(core: Core, who: Identity, right: bool, exam: str = "SAA-C03") -> None:
    """One practice answer, right or wrong, to whatever question is served (a member who has met most of
    the single-answer questions is served choose-N ones, which are answered through the menu)."""
    reply = await core.handle_line(who, f"/practice exam:{exam}")
    _kind, _version, _attempt, question_id, order, _letter = reply.buttons[0].action_id.split(":")
    question = core.services.catalog.question(question_id)
    assert question is not None
    keys = sorted("ABCDEF"[order.index(str(i))] for i in question.correct_indexes)
    if reply.select is None:
        wrong = next(b.label for b in reply.buttons if len(b.label) == 1 and b.label != keys[0])
        verdict = await press(core, who, reply, keys[0] if right else wrong)
    else:
        letters = [o.value for o in reply.select.options]
        others = [x for x in letters if x not in keys]
        picks = keys if right else [*keys[1:], others[0]]  # one key swapped for a wrong option
        verdict = await press(core, who, reply, "Submit", tuple(picks))
    assert verdict.title == ("Correct" if right else "Not quite"), verdict


async def _rows(core: Core) -> list[Row]:
    async with core.services.engine.connect() as conn:
        found = await conn.execute(
            select(
                practice_answers.c.member_id, members.c.display_name, members.c.timezone, practice_answers.c.exam,
                practice_answers.c.domain, practice_answers.c.question_id, practice_answers.c.correct,
                practice_answers.c.answered_at,
            ).join(members, members.c.id == practice_answers.c.member_id)
        )  # fmt: skip
        return [Row(m, n, tz or "UTC", e, d, q, bool(c), a) for m, n, tz, e, d, q, c, a in found.all()]


def expected(rows: list[Row], start: dt.datetime, end: dt.datetime, before: dt.datetime, catalog: Catalog) -> dict:  # type: ignore[type-arg]
    """Every figure of the digest of [start, end), from the raw answers alone."""
    week = [r for r in rows if start <= r.at < end]
    prior = [r for r in rows if before <= r.at < start]
    per: dict[int, list[Row]] = defaultdict(list)
    for r in week:
        per[r.member_id].append(r)
    board = sorted(
        ((sum(r.correct for r in rs), len(rs), rs[0].name, m) for m, rs in per.items()),
        key=lambda t: (-t[0], t[1], t[2], t[3]),
    )[:5]
    exam = catalog.exam("SAA-C03")
    assert exam is not None
    domains = {}
    for d in exam.domains:
        now = [r.correct for r in week if r.exam == "SAA-C03" and r.domain == d.name]
        then = [r.correct for r in prior if r.exam == "SAA-C03" and r.domain == d.name]
        if now or then:
            domains[d.name] = (len(now), sum(now), len(then), sum(then))
    misses: dict[str, list[bool]] = defaultdict(list)
    for r in week:
        misses[r.question_id].append(r.correct)
    ranked = sorted(
        ((sum(not c for c in cs), len(cs), q) for q, cs in misses.items() if not all(cs)),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    streaks = []
    everyone: dict[int, list[Row]] = defaultdict(list)
    for r in rows:
        everyone[r.member_id].append(r)
    for m, rs in everyone.items():  # a local day of the week may begin before `start` in the member's zone
        tz = ZoneInfo(rs[0].zone)
        days = sorted({r.at.astimezone(tz).date() for r in rows if r.member_id == m and r.at < end})
        first, stop = start.astimezone(tz).date(), end.astimezone(tz).date()
        run, best = 0, None
        for i, day in enumerate(days):
            run = run + 1 if i and (day - days[i - 1]).days == 1 else 1
            if first <= day < stop and run in MILESTONES:
                best = run
        if best:
            streaks.append((rs[0].name, best))
    return {
        "answered": len(week),
        "correct": sum(r.correct for r in week),
        "members": len(per),
        "top": [(name, c, n) for c, n, name, _m in board],
        "domains": domains,
        "missed": ranked[0] if ranked else None,
        "streaks": sorted(streaks, key=lambda s: (-s[1], s[0])),
    }


def _check(reply: Reply, want: dict, end: dt.datetime) -> None:  # type: ignore[type-arg]
    fields = {f.name: f.value for f in reply.fields}
    days = (dt.date(2027, 1, 15) - end.astimezone(BERLIN).date()).days
    assert f"**{days} days** until the group's `SAA-C03` exam (2027-01-15)." in reply.text
    share = f"{want['correct'] * 100 / want['answered']:.0f}%"
    assert f"{want['members']} members answered {want['answered']} questions, {share} correct." in reply.text
    assert fields["Most correct answers"] == "\n".join(
        f"{i}. **{name}**: {c} correct of {n}" for i, (name, c, n) in enumerate(want["top"], start=1)
    )
    lines = fields["SAA-C03 domains"].split("\n")
    assert len(lines) == len(want["domains"])
    for line, (name, (n, c, n0, c0)) in zip(lines, want["domains"].items(), strict=True):
        now, then = f"{c * 100 / n:.0f}" if n else None, f"{c0 * 100 / n0:.0f}" if n0 else None
        if now is None:
            assert line == f"- {name}: no answers this week (last week {then}%)", line
            continue
        head = f"- {name}: **{now}%** of {n}"
        if then is None:
            assert line == f"{head} (no answers the week before)", line
        elif int(now) == int(then):
            assert line == f"{head} (the same as the week before)", line
        else:
            change = int(now) - int(then)
            way, size = ("up" if change > 0 else "down"), abs(change)
            assert line == f"{head} ({way} {size} point{'s' if size != 1 else ''} from {then}%)", line
    wrong, answered, question_id = want["missed"]
    missed = fields["Most missed"]
    times = "time" if answered == 1 else "times"
    assert missed.startswith(f"`{question_id}` (`SAA-C03`): missed {wrong} of {answered} {times}."), missed
    assert [b.label for b in reply.buttons] == ["Try it"]
    if want["streaks"]:
        shown = fields["Streak milestones"].split("\n")
        assert shown == [f"- {name}: {n}-day streak" for name, n in want["streaks"]]
    else:
        assert "Streak milestones" not in fields
    assert reply.mention is None and "<@" not in reply.text  # names, never pings


async def test_eight_weeks_of_fifty_members(database_url: str, catalog: Catalog) -> None:
    """Digests every Monday 09:00 for 8 weeks (one across the end of summer time): each posted once,
    each figure equal to what the raw answers say."""
    rng = random.Random(18)
    clock = FixedClock(dt.datetime(2026, 10, 5, 9, 30, tzinfo=BERLIN).astimezone(dt.UTC))
    poster = FakePoster()
    people = [person(f"member{i:02d}", channel="study") for i in range(50)]
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        core = rt.core
        added = await core.handle_line(MOD, ADD)
        assert added.title == "Digest added", added
        assert "Mon 12 Oct 2026 09:00 CEST" in added.fields[0].value  # the next runs, local time
        assert (await core.handle_line(MOD, TARGET)).title == "Group target set"
        for index, zone in ZONES.items():
            assert (await core.handle_line(people[index], f"/profile timezone:{zone}")).title != "That didn't work"
        skill = [rng.uniform(0.3, 0.9) for _ in people]
        start = clock.now()
        for week, run in enumerate(RUNS):
            end = run.astimezone(dt.UTC)
            moments: list[tuple[dt.datetime, int]] = []
            for i in range(50):
                if i < 5:  # five members answer every day: their streaks pass 7, 14 and 30 days
                    moments += [(start + dt.timedelta(hours=24 * d + 2, minutes=i), i) for d in range(7)]
                elif rng.random() < 0.8:
                    moments += [(start + dt.timedelta(minutes=rng.randrange(1, 7 * 1440 - 30)), i) for _ in range(3)]
            moments.append((end - dt.timedelta(seconds=1), 7))  # the last second of the week counts
            moments.append(((run - dt.timedelta(days=7, minutes=-30)).astimezone(dt.UTC), 6))  # its first local hour
            for at, i in sorted(moments):
                clock.set(min(at, end - dt.timedelta(seconds=1)))
                exam = "CLF-C02" if i % 10 == 9 else "SAA-C03"
                await _answer(core, people[i], rng.random() < skill[i], exam)
            clock.set(end)
            counts = await rt.schedule.deliver_due()
            assert counts.digests == 1, (week, counts)
            assert (await rt.schedule.deliver_due()).digests == 0  # the same minute again: nothing twice
            clock.set(end + dt.timedelta(minutes=1))
            await _answer(core, people[8], True)  # the first answer of the next week, after the run
            assert (await rt.schedule.deliver_due()).digests == 0
            digest = poster.posts[-1][2]
            # A local week: Python's arithmetic on a zoned time is wall-clock arithmetic (169 hours in week 3).
            since, before = (run - dt.timedelta(days=days) for days in (7, 14))
            want = expected(await _rows(core), since.astimezone(dt.UTC), end, before.astimezone(dt.UTC), catalog)
            assert want["answered"] > 100
            _check(digest, want, end)
            if week == 1:
                presser = people[20]
                tried = await core.handle(Action(presser, digest.buttons[0].action_id))
                assert tried.ephemeral and tried.footer and want["missed"][2] in tried.footer
            start = end
        assert [title for title in poster.titles()] == ["Weekly digest"] * 8
        assert len({reply.text for _c, _m, reply, _n in poster.posts}) == 8
        async with rt.services.engine.connect() as conn:
            kinds = (await conn.execute(select(schedule_deliveries.c.kind, schedule_deliveries.c.state))).all()
        assert sorted(kinds) == [("digest", "posted")] * 8
        third = poster.posts[2][2].text
        assert "Mon 19 Oct 09:00 to Mon 26 Oct 09:00 CET." in third, third  # the week across the clock change
        milestones = [f.value for _c, _m, r, _n in poster.posts for f in r.fields if f.name == "Streak milestones"]
        assert any("30-day streak" in m for m in milestones) and any("7-day streak" in m for m in milestones)


async def test_restarts_and_a_second_process_post_each_week_once(database_url: str, catalog: Catalog) -> None:
    """Down over the run: the digest comes at start, within a day, with the week that ended at its run
    time; a second runtime on the same database and a restart post nothing again; more than a day late,
    the week is skipped with its reason, and the next week posts as usual."""
    monday = RUNS[0].astimezone(dt.UTC)
    clock = FixedClock(monday - dt.timedelta(days=3))
    poster = FakePoster()
    ada, grace = person("ada", channel="study"), person("grace", channel="study")
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        assert (await rt.core.handle_line(MOD, ADD)).title == "Digest added"
        await _answer(rt.core, ada, True)
        await _answer(rt.core, grace, False)
    clock.set(monday + dt.timedelta(hours=5))
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        await _answer(rt.core, grace, True)  # after the run: next week's
        clock.set(monday + dt.timedelta(hours=6))
        async with open_runtime(database_url, clock, catalog, poster) as other:  # its own engine and deliverer
            first, second = await asyncio.gather(rt.schedule.deliver_due(), other.schedule.deliver_due())
        assert first.digests + second.digests == 1
    (digest,) = [reply for _c, _m, reply, _n in poster.posts]
    assert "2 members answered 2 questions, 50% correct." in digest.text  # the week that ended at 09:00
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        clock.set(monday + dt.timedelta(hours=7))
        assert (await rt.schedule.deliver_due()).digests == 0  # a restart: nothing twice
        async with rt.services.engine.connect() as conn:
            (row,) = (await conn.execute(select(schedule_deliveries))).mappings().all()
        assert (row["kind"], row["state"], row["due_at"]) == ("digest", "posted", monday)

        clock.set(RUNS[1].astimezone(dt.UTC) + dt.timedelta(hours=25))  # down for more than a day
        late = await rt.schedule.deliver_due()
        assert (late.digests, late.skipped) == (0, 1)
        assert late.skips[0].reason == "missed by more than a day's grace window"
        clock.set(RUNS[2].astimezone(dt.UTC))
        assert (await rt.schedule.deliver_due()).digests == 1
        assert (await rt.schedule.deliver_due()).digests == 0


async def test_bad_digest_options_are_refused_and_change_nothing(database_url: str, catalog: Catalog) -> None:
    clock = FixedClock(RUNS[0].astimezone(dt.UTC))
    async with open_runtime(database_url, clock, catalog, FakePoster()) as rt:
        core = rt.core
        base = "/studyadmin digest add channel:#study"
        for line, says in [
            (f"{base} day:sunnday time:09:00", "can't be `sunnday`.\nDid you mean `sunday`?"),
            (f"{base} day:monday time:25:00", "`25:00` is not a time."),
            (f"{base} day:monday time:9", "Write it as HH:MM"),
            (f"{base} day:monday time:09:00 timezone:Mars/Olympus", "Mars/Olympus"),
            ("/studyadmin digest remove channel:#study", "<#study> has no weekly digest."),
            ("/studyadmin digest preview channel:#study", "<#study> has no weekly digest."),
        ]:
            reply = await core.handle_line(MOD, line)
            assert reply.title == "That didn't work" and says in reply.text, (line, reply.text)
        refused = await core.handle_line(person("bob", channel="study"), f"{base} day:monday time:09:00")
        assert refused.title == "That didn't work" and "Only moderators" in refused.text
        assert "No weekly digest yet" in (await core.handle_line(MOD, "/studyadmin digest list")).text

        assert (await core.handle_line(MOD, ADD)).title == "Digest added"
        # A digest is not a prompt schedule: the prompt commands do not see it, nor the other way round.
        assert "There is no schedule #1 here." in (await core.handle_line(MOD, "/studyadmin schedule pause id:1")).text
        assert "No schedules yet" in (await core.handle_line(MOD, "/studyadmin schedule list")).text
        prompt = "/studyadmin schedule add channel:#study exam:SAA-C03 preset:weekdays-9am timezone:Europe/Berlin"
        assert (await core.handle_line(MOD, prompt)).title == "Schedule added"
        other = await core.handle_line(MOD, "/studyadmin digest remove channel:#other")
        assert "<#other> has no weekly digest." in other.text
        twice = await core.handle_line(MOD, ADD.replace("monday", "friday"))
        assert twice.title == "That didn't work" and "<#study> already has a weekly digest." in twice.text

        preview = await core.handle_line(MOD, "/studyadmin digest preview channel:#study")
        assert preview.title == "Preview: Weekly digest" and preview.ephemeral
        assert "Mon 19 Oct 2026 09:00 CEST" in preview.fields[-1].value  # the next runs
        removed = await core.handle_line(MOD, "/studyadmin digest remove channel:#study")
        assert removed.title == "Digest removed" and "Would have run:" in removed.fields[0].value
        audit = await core.handle_line(MOD, "/studyadmin audit")
        assert "digest.add" in audit.text + str(audit.fields) and "digest.remove" in audit.text + str(audit.fields)
        clock.set(RUNS[1].astimezone(dt.UTC))
        assert (await rt.schedule.deliver_due()).digests == 0  # removed: nothing posted


def test_the_console_posts_the_digest_once_and_presses_its_button(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a new user tries it: `exec` to set it up and practise, `deliver-due --now` over the run, then
    `schedule press` on the printed digest serves its most-missed question."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STUDYBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}")
    runner = CliRunner()
    assert runner.invoke(main, ["exec", "--user", "mo", "--channel", "study", ADD]).exit_code == 0
    served = runner.invoke(
        main, ["shell", "--user", "ada", "--channel", "study"], input="/practice exam:SAA-C03\n/press 1\n" * 6
    )
    assert served.exit_code == 0, served.output
    # `exec` and `shell` answer at the real time: the run is the first Monday 09:00 after it.
    now = dt.datetime.now(BERLIN)
    monday = now.replace(hour=9, minute=0, second=0, microsecond=0) + dt.timedelta(days=-now.weekday() % 7)
    monday += dt.timedelta(days=7) if monday <= now else dt.timedelta()
    out = runner.invoke(main, ["schedule", "deliver-due", "--now", monday.isoformat(), "--json"])
    assert out.exit_code == 0 and json.loads(out.output.strip().splitlines()[-1])["digests"] == 1, out.output
    assert "== Weekly digest ==" in out.output and re.search(r"1 member answered \d+ question", out.output), out.output
    again = runner.invoke(main, ["schedule", "deliver-due", "--now", monday.isoformat(), "--json"])
    assert json.loads(again.output.strip().splitlines()[-1])["digests"] == 0
    message = re.search(r"message (console-\w+)", out.output)
    assert message is not None
    assert "Most missed:" in out.output  # option A is wrong for some of ada's questions
    tried = runner.invoke(main, ["schedule", "press", message.group(1), "1", "--user", "bob"])
    assert tried.exit_code == 0 and "[1] A" in tried.output, tried.output


async def test_a_milestone_on_a_local_day_that_began_before_the_week(database_url: str, catalog: Catalog) -> None:
    """In Tokyo the digest's week (Monday 09:00 in Berlin) starts on Monday afternoon: a seventh day in a
    row answered that Monday morning is that week's milestone, though the answer came before its start,
    and the week before did not count it (its days end before that Monday)."""
    clock = FixedClock(dt.datetime(2026, 10, 19, 10, 0, tzinfo=BERLIN).astimezone(dt.UTC))
    poster = FakePoster()
    tokyo, other = person("kenji", channel="study"), person("other", channel="study")
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        assert (await rt.core.handle_line(MOD, ADD)).title == "Digest added"
        assert (await rt.core.handle_line(tokyo, "/profile timezone:Asia/Tokyo")).title != "That didn't work"
        for day in range(20, 27):  # 10:00 in Tokyo on 20 to 26 October; the last before 09:00 in Berlin
            clock.set(dt.datetime(2026, 10, day, 1, 0, tzinfo=dt.UTC))
            await _answer(rt.core, tokyo, True)
            if day == 26:
                clock.set(RUNS[2].astimezone(dt.UTC))  # Mon 26 Oct 09:00 CET
                assert (await rt.schedule.deliver_due()).digests == 1
        first = {f.name: f.value for f in poster.posts[-1][2].fields}
        assert "Streak milestones" not in first  # six days in a row before that Monday
        clock.set(dt.datetime(2026, 10, 28, 12, 0, tzinfo=dt.UTC))
        await _answer(rt.core, other, True)
        clock.set(RUNS[3].astimezone(dt.UTC))
        assert (await rt.schedule.deliver_due()).digests == 1
        second = {f.name: f.value for f in poster.posts[-1][2].fields}
        assert second["Streak milestones"] == "- Kenji: 7-day streak"


async def test_a_digest_moved_to_another_day_counts_every_answer_once(database_url: str, catalog: Catalog) -> None:
    """Moved from Monday to Friday, the next digest covers the eleven days since the last one (the Friday
    of the week already digested posts nothing); moved back to Monday, the next covers the three days
    since that Friday. No answer is left out of every digest, and none is in two."""
    monday = RUNS[0].astimezone(dt.UTC)
    clock = FixedClock(monday - dt.timedelta(days=1))
    poster = FakePoster()
    ada = person("ada", channel="study")
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        assert (await rt.core.handle_line(MOD, ADD)).title == "Digest added"

        async def answer_at(when: dt.datetime) -> None:
            clock.set(when)
            await _answer(rt.core, ada, True)

        async def run_at(when: dt.datetime) -> int:
            clock.set(when)
            return (await rt.schedule.deliver_due()).digests

        await answer_at(monday - dt.timedelta(days=1))  # Sunday: in the first digest
        assert await run_at(monday) == 1
        await answer_at(monday + dt.timedelta(days=2))  # Wednesday of the first week
        moved = await rt.core.handle_line(MOD, "/studyadmin digest edit channel:#study day:friday")
        assert moved.title == "Digest changed", moved
        friday = monday + dt.timedelta(days=4)
        assert await run_at(friday) == 0  # this week's digest went out on Monday
        await answer_at(friday + dt.timedelta(days=6))  # Thursday of the next week
        assert await run_at(friday + dt.timedelta(days=7)) == 1
        await answer_at(friday + dt.timedelta(days=8))  # Saturday
        back = await rt.core.handle_line(MOD, "/studyadmin digest edit channel:#study day:monday")
        assert back.title == "Digest changed", back
        assert await run_at(RUNS[2].astimezone(dt.UTC)) == 1  # 09:00 CET, after the end of summer time
    first, moved_digest, moved_back = [reply for _c, _m, reply, _n in poster.posts]
    assert first.text.startswith("The week in <#study>: Mon 05 Oct 09:00 to Mon 12 Oct 09:00 CEST.")
    assert "1 member answered 1 question," in first.text
    assert moved_digest.text.startswith("Since the last digest in <#study>: Mon 12 Oct 09:00 to Fri 23 Oct 09:00 CEST.")
    assert "1 member answered 2 questions," in moved_digest.text  # Wednesday's and Thursday's
    assert moved_back.text.startswith("Since the last digest in <#study>: Fri 23 Oct 09:00 to Mon 26 Oct 09:00 CET.")
    assert "1 member answered 1 question," in moved_back.text  # Saturday's alone


async def test_a_reveal_due_before_the_digest_counts_in_it_even_when_one_pass_runs_both(
    database_url: str, catalog: Catalog
) -> None:
    """A prompt at 06:00 revealed at 08:00 and a digest at 09:00, with no pass between (the bot was down,
    or an external cron runs hourly): the pass at 09:00 reveals first, and the answers count from the
    reveal's due time, so the digest shows them. A reveal posted after a digest went out counts in the
    next digest instead, never in none."""
    monday = dt.datetime(2026, 12, 14, 6, 0, tzinfo=dt.UTC)
    clock = FixedClock(monday - dt.timedelta(hours=1))
    poster = FakePoster()
    mod = person("mo", moderator=True, channel="s")
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        core = rt.core
        added = await core.handle_line(mod, "/studyadmin digest add channel:#s day:monday time:09:00 timezone:UTC")
        assert added.title == "Digest added"
        prompt_line = '/studyadmin schedule add channel:#s exam:CLF-C02 cron:"0 6 * * 1" timezone:UTC reveal_after:2h'
        assert (await core.handle_line(mod, prompt_line)).title == "Schedule added"
        clock.set(monday + dt.timedelta(seconds=10))
        assert (await rt.schedule.deliver_due()).prompts == 1
        prompt = poster.posts[0][2]
        clock.set(monday + dt.timedelta(hours=1))
        for name in ("amy", "ben"):
            await core.handle(Action(person(name, channel="s"), prompt.buttons[0].action_id))
        clock.set(monday + dt.timedelta(hours=3, seconds=10))  # 09:00:10, the first pass since 06:00
        counts = await rt.schedule.deliver_due()
        assert (counts.reveals, counts.digests) == (1, 1), counts
    digest = next(reply for _c, _m, reply, _n in poster.posts if reply.title == "Weekly digest")
    assert "2 members answered 2 questions" in digest.text, digest.text


async def test_a_digest_resumed_after_three_weeks_covers_the_paused_weeks(database_url: str, catalog: Catalog) -> None:
    """Paused for three weeks, the digest's next run counts every answer since the last digest, the
    paused weeks' too, and the resume reply says so."""
    monday = RUNS[0].astimezone(dt.UTC)
    clock = FixedClock(monday - dt.timedelta(days=1))
    poster = FakePoster()
    ada = person("ada", channel="study")
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        core = rt.core
        assert (await core.handle_line(MOD, ADD)).title == "Digest added"
        clock.set(monday)
        assert (await rt.schedule.deliver_due()).digests == 1
        assert (await core.handle_line(MOD, "/studyadmin digest pause channel:#study")).title == "Digest paused"
        clock.set(monday + dt.timedelta(days=2))
        await _answer(core, ada, True)  # in the first paused week
        for week in (1, 2):
            clock.set(RUNS[week].astimezone(dt.UTC))
            assert (await rt.schedule.deliver_due()).digests == 0
        resumed = await core.handle_line(MOD, "/studyadmin digest resume channel:#study")
        assert "covers every answer since the last digest" in resumed.text, resumed.text
        clock.set(RUNS[3].astimezone(dt.UTC))
        assert (await rt.schedule.deliver_due()).digests == 1
    digest = poster.posts[-1][2]
    assert digest.text.startswith("Since the last digest in <#study>: Mon 12 Oct 09:00 to Mon 02 Nov 09:00 CET.")
    assert "1 member answered 1 question," in digest.text, digest.text
