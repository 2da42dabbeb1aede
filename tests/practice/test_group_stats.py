"""`/stats channel:` (issue 18): a group's domains against the guide, its weeks, its most-missed questions
and a readiness range, each figure checked against the stored answers; who may see it; indexed reads."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

from sqlalchemy import event, select

from adapters.console.shell import ConsoleSession
from bot import charts
from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.markup import to_plain
from bot.practice.group_stats import week_start
from bot.replies import Reply
from bot.runtime import Runtime
from bot.store.schema import practice_answers
from tests.conftest import make_settings, person
from tests.core.test_stats_picture import png_size
from tests.practice.test_flows import correct_letter, practice_single, press

MOD = person("mo", moderator=True, channel="study")
ERROR = "That didn't work"


def field(reply: Reply, name: str) -> str:
    found = [f.value for f in reply.fields if f.name.startswith(name)]
    assert found, (name, [f.name for f in reply.fields])
    return to_plain(found[0])


async def _practise(rt: Runtime, clock: FixedClock, days: int) -> None:
    """Members practise SAA-C03 in #study over `days` days: bea gets everything wrong, the others right."""
    start = clock.now()
    for day in range(days):
        for name in ("ada", "bea", "cy", "dee")[: 4 if day % 2 else 3]:
            clock.set(start + dt.timedelta(days=day, minutes=len(name)))
            who = person(name, channel="study")
            served = await practice_single(rt.core, who)
            letter = correct_letter(rt.core, served)
            if name == "bea":
                letter = next(b.label for b in served.buttons if len(b.label) == 1 and b.label != letter)
            assert (await press(rt.core, who, served, letter)).title != ERROR


async def test_group_stats_match_the_stored_answers(database_url: str, clock: FixedClock, catalog: Catalog) -> None:
    async with Runtime(make_settings(database_url), clock=clock, catalog=catalog) as runtime:
        await _group_stats_match(runtime, clock)


async def _group_stats_match(runtime: Runtime, clock: FixedClock) -> None:
    await runtime.core.handle_line(MOD, "/studyadmin group target exam:SAA-C03 date:2027-03-01 channel:#study")
    await _practise(runtime, clock, 10)
    reply = await runtime.core.handle_line(MOD, "/stats channel:#study")
    assert reply.title == "Group stats" and reply.ephemeral, reply
    async with runtime.services.engine.connect() as conn:
        rows = (await conn.execute(select(practice_answers).where(practice_answers.c.channel == "study"))).all()
    assert rows
    total, right = len(rows), sum(r.correct for r in rows)
    assert f"{total} answers by 4 members, {round(100 * right / total)}% correct" in field(reply, "Answered")
    domains = field(reply, "By domain (SAA-C03 guide)")
    for domain, count in Counter(r.domain for r in rows).items():
        good = sum(r.correct for r in rows if r.domain == domain)
        assert f"{domain}" in domains and f"{round(100 * good / count)}% of {count}" in domains, domains
    weeks = field(reply, "Weeks")
    assert len(weeks.splitlines()) == 8
    for line in weeks.splitlines():
        found = re.match(r"• (\w{3} \d{2} \w{3}): (\d+) answers?, (\d+) active members?", line)
        assert found, line
        start = dt.datetime.strptime(f"{found.group(1)} {week_start(clock.now()).year}", "%a %d %b %Y")
        start = start.replace(tzinfo=dt.UTC)
        mine = [r for r in rows if start <= r.answered_at < start + dt.timedelta(weeks=1)]
        assert int(found.group(2)) == len(mine) and int(found.group(3)) == len({r.member_id for r in mine}), line
    missed = field(reply, "Most missed")
    for line in missed.splitlines():
        qid, n, m = re.match(r"• (\S+) .*: missed (\d+) of (\d+)$", line).groups()  # type: ignore[union-attr]
        of = [r for r in rows if r.question_id == qid]
        assert (int(n), int(m)) == (sum(not r.correct for r in of), len(of)), line
    ready = field(reply, "Readiness")
    assert "SAA-C03 (the group's target, 2027-03-01)" in ready
    assert f"resting on {total} answers from 4 members covering" in ready
    low, high = (int(x) for x in re.search(r"(\d+)% to (\d+)% correct", ready).groups())  # type: ignore[union-attr]
    assert low <= round(100 * right / total) <= high and high - low < 40


async def test_members_see_group_stats_only_when_allowed(runtime: Runtime, clock: FixedClock) -> None:
    await _practise(runtime, clock, 2)
    member = person("bea", channel="study")
    refused = await runtime.core.handle_line(member, "/stats channel:#study")
    assert refused.title == ERROR and "Only moderators can use `/stats channel:`" in refused.text
    own = await runtime.core.handle_line(member, "/stats")
    assert own.title == "Stats of Bea"  # their own stats as before
    allowed = await runtime.core.handle_line(MOD, "/studyadmin settings group_stats:members")
    assert "members and moderators" in field(allowed, "Group stats")
    assert (await runtime.core.handle_line(member, "/stats channel:#study")).title == "Group stats"
    closed = await runtime.core.handle_line(MOD, "/studyadmin settings group_stats:moderators")
    assert "moderators only" in field(closed, "Group stats")
    assert (await runtime.core.handle_line(member, "/stats channel:#study")).title == ERROR


async def test_a_channel_without_answers_says_so(runtime: Runtime) -> None:
    reply = await runtime.core.handle_line(MOD, "/stats channel:#quiet")
    assert reply.title == "No answers yet" and "Nobody has answered in" in to_plain(reply.text)
    with_exam = await runtime.core.handle_line(MOD, "/stats channel:#quiet exam:CLF-C02")
    assert "Nobody has answered CLF-C02 questions" in to_plain(with_exam.text)


async def test_the_channel_reads_use_the_channel_index(runtime: Runtime, clock: FixedClock) -> None:
    """No full scan of the answers: every statement `/stats channel:` runs on them searches SQLite's
    (channel, exam, answered_at) index."""
    await _practise(runtime, clock, 2)
    seen: list[tuple[str, object]] = []

    def grab(_conn: object, _cursor: object, statement: str, parameters: object, *_rest: object) -> None:
        if "practice_answers" in statement:
            seen.append((statement, parameters))

    engine = runtime.services.engine.sync_engine
    event.listen(engine, "before_cursor_execute", grab)
    try:
        assert (await runtime.core.handle_line(MOD, "/stats channel:#study")).title == "Group stats"
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    assert len(seen) >= 4
    async with runtime.services.engine.connect() as conn:
        for statement, parameters in seen:
            plan = (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)).all()  # type: ignore[arg-type]
            details = " | ".join(str(r[-1]) for r in plan)
            assert "ix_practice_answers_channel" in details and "SCAN practice_answers" not in details, details


async def test_the_group_picture_is_a_png_whose_alt_text_holds_the_figures_shown(
    runtime: Runtime, clock: FixedClock, tmp_path: Path
) -> None:
    """`/stats channel: picture:true` draws the group's domains against the guide and its 8 weeks with
    the member picture's code: the same figures as the text beside it, each week checked against the
    stored answers; the console saves it as it saves the member's. No answers, no picture."""
    quiet = await runtime.core.handle_line(MOD, "/stats channel:#study picture:true")
    assert quiet.title == "No answers yet" and quiet.attachment is None
    await _practise(runtime, clock, 10)
    plain = await runtime.core.handle_line(MOD, "/stats channel:#study")
    assert plain.attachment is None  # only when asked
    reply = await runtime.core.handle_line(MOD, "/stats channel:#study picture:true")
    assert reply.title == "Group stats" and reply.fields == plain.fields  # the picture changes no figure
    picture = reply.attachment
    assert picture is not None and picture.mime == "image/png" and picture.filename == "group-stats-SAA-C03.png"
    assert png_size(picture.content) == (800, 600) and 5_000 < len(picture.content) < 40_000
    alt = picture.alt_text
    assert alt.startswith("Accuracy per domain of SAA-C03, against the exam guide's weights: ")
    assert len(alt) <= charts.ALT_TEXT_LIMIT and not alt.endswith("…")

    domains = field(reply, "By domain (SAA-C03 guide)").splitlines()
    assert len(domains) == 4  # SAA-C03's domains, each with its weight
    for line in domains:
        assert line.removeprefix("• ") in alt, (line, alt)  # "Design … (30% of the exam): 63% of 16"
    async with runtime.services.engine.connect() as conn:
        rows = (await conn.execute(select(practice_answers).where(practice_answers.c.channel == "study"))).all()
    first = week_start(clock.now()) - dt.timedelta(weeks=7)
    weeks = []
    for k in range(8):
        start = first + dt.timedelta(weeks=k)
        mine = [r for r in rows if start <= r.answered_at.replace(tzinfo=dt.UTC) < start + dt.timedelta(weeks=1)]
        right = sum(r.correct for r in mine)
        label = f"{start.day} {start:%b}"
        weeks.append(
            f"{label}: {len(mine)} answered, {round(100 * right / len(mine))}% correct" if mine else f"{label}: none"
        )
    assert sum(w.endswith(": none") for w in weeks) == 6  # ten days of answers: two weeks
    assert "Answers in the last 8 weeks (UTC days, week starting): " + "; ".join(weeks) + "." in alt, alt

    again = await runtime.core.handle_line(MOD, "/stats channel:#study picture:true")
    assert again.attachment is not None and again.attachment.content == picture.content  # the same bytes
    refused = await runtime.core.handle_line(person("bea", channel="study"), "/stats channel:#study picture:true")
    assert refused.title == ERROR and "Only moderators" in refused.text and refused.attachment is None

    session = ConsoleSession(runtime.core, MOD, files=tmp_path / "files")
    said = await session.run_line("/stats channel:#study picture:true")
    saved = tmp_path / "files" / "group-stats-SAA-C03.png"
    assert said is not None and f"Saved to {saved} (" in said and "Group stats" in said
    assert saved.read_bytes() == picture.content
