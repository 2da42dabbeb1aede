"""A schedule's focus (issue 18): `focus:weakest` leans toward the domain a group misses over simulated weeks
and still touches the others; every option value, and bad values that change nothing."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter

import pytest
from sqlalchemy import func, select

from bot.actions import ActionId
from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.markup import to_plain
from bot.practice.scoring import DomainScore
from bot.replies import Reply
from bot.requests import Action
from bot.runtime import Runtime
from bot.schedule import focus
from bot.schedule.texts import LETTERS
from bot.store.schema import audit_log, practice_answers, schedule_deliveries, schedules
from tests.conftest import person
from tests.schedule.conftest import FakePoster, at, open_runtime

MOD = person("mo", moderator=True)
ERROR = "That didn't work"
WEAK = "Design Cost-Optimized Architectures"  # SAA-C03's domain 4, 20% of the guide
MEMBERS = [f"m{i}" for i in range(6)]
ADD = "/studyadmin schedule add exam:SAA-C03 preset:daily-9am timezone:UTC"


def _answer(catalog: Catalog, prompt: Reply, question_id: str, name: str) -> Action:
    """A member's press: the group misses WEAK (one member in six right), elsewhere five in six are right."""
    question = catalog.question(question_id)
    assert question is not None
    right = MEMBERS.index(name) == 0 if question.domain == WEAK else MEMBERS.index(name) != 0
    keys = set(question.correct_indexes)
    picks = sorted(keys) if right else [i for i in range(len(question.options)) if i not in keys][: question.choose]
    letters = "".join(LETTERS[i] for i in picks)
    delivery = ActionId.decode(prompt.buttons[0].action_id).fields[0]
    return Action(person(name), ActionId("gp", (delivery, letters)).encode())


async def _prompts(rt: Runtime, channel: str) -> list[dict]:  # type: ignore[type-arg]
    async with rt.services.engine.connect() as conn:
        rows = await conn.execute(
            select(schedule_deliveries)
            .where((schedule_deliveries.c.kind == "prompt") & (schedule_deliveries.c.channel == channel))
            .order_by(schedule_deliveries.c.due_at)
        )
        return [dict(r) for r in rows.mappings()]


async def test_weakest_moves_toward_the_missed_domain_over_weeks_and_touches_the_others(
    sqlite_url: str, catalog: Catalog
) -> None:
    """Six weeks of daily prompts in two channels whose members answer alike: `focus:weakest` in #aimed and
    the default (the guide's weights) in #guide. Each day's answers are revealed at 21:00 and so count for
    the next day's draw. The aimed channel's share of WEAK grows well past the guide's 20% and every other
    domain still comes up; the reveal names the domain and the figures, which match the stored answers."""
    clock = FixedClock(at("2026-11-01T08:00:00+00:00"))
    poster = FakePoster()
    async with open_runtime(sqlite_url, clock, catalog, poster) as rt:
        aimed = await rt.core.handle_line(MOD, f"{ADD} channel:#aimed focus:weakest reveal_after:12h")
        assert aimed.title == "Schedule added" and "weakest" in aimed.fields[0].value, aimed
        guide = await rt.core.handle_line(MOD, f"{ADD} channel:#guide reveal_after:12h")
        assert "as weighted in the exam guide" in guide.fields[0].value
        reveals: list[tuple[str, Reply]] = []
        for day in range(42):
            clock.set(at("2026-11-01T09:00:00+00:00") + dt.timedelta(days=day))
            before = len(poster.posts)
            assert (await rt.schedule.deliver_due()).prompts == 2
            for channel, _message, prompt, _nonce in poster.posts[before:]:
                row = (await _prompts(rt, channel))[-1]
                for name in MEMBERS:
                    reply = await rt.core.handle(_answer(catalog, prompt, row["question_id"], name))
                    assert reply.text.startswith("Recorded"), reply
            clock.set(clock.now() + dt.timedelta(hours=12))
            before = len(poster.posts)
            assert (await rt.schedule.deliver_due()).reveals == 2
            reveals += [(channel, reply) for channel, _m, reply, _n in poster.posts[before:]]

        def shares(rows: list[dict], weeks: range) -> Counter[str]:  # type: ignore[type-arg]
            first = at("2026-11-01T00:00:00+00:00")
            picked = [r for r in rows if (r["due_at"] - first).days // 7 in weeks and r["state"] == "posted"]
            return Counter(catalog.question(r["question_id"]).domain for r in picked)  # type: ignore[union-attr]

        aimed_rows, guide_rows = await _prompts(rt, "aimed"), await _prompts(rt, "guide")
        assert len(aimed_rows) == len(guide_rows) == 42
        late_aimed, late_guide = shares(aimed_rows, range(2, 6)), shares(guide_rows, range(2, 6))
        assert late_aimed[WEAK] >= 12, late_aimed  # of 28 prompts: at least 43%, more than twice the guide's 20%
        assert late_guide[WEAK] <= 9, late_guide  # the default keeps near the guide's share
        assert late_aimed[WEAK] >= late_guide[WEAK] + 6
        exam = catalog.exam("SAA-C03")
        assert exam is not None
        assert {d.name for d in exam.domains} == set(late_aimed), late_aimed  # still touches every domain

        # Each reveal says where its prompt came from and why; the figures match the stored answers.
        async with rt.services.engine.connect() as conn:
            answers = (await conn.execute(select(practice_answers).where(practice_answers.c.channel == "aimed"))).all()
        checked = 0
        for (_channel, reply), row in zip([r for r in reveals if r[0] == "aimed"], aimed_rows, strict=True):
            text = to_plain(reply.text)
            domain = catalog.question(row["question_id"]).domain  # type: ignore[union-attr]
            assert f"From {domain}: " in text, text
            found = re.search(r"(\d+)% over (\d+) answers?", text)
            if found is None:
                assert any(
                    f"the group has no answers {where}in the last 30 days yet" in text for where in ("", "there ")
                ), text
                continue
            since = row["due_at"] - dt.timedelta(days=30)
            mine = [a for a in answers if a.domain == domain and since <= a.answered_at < row["due_at"]]
            assert int(found.group(2)) == len(mine)
            assert int(found.group(1)) == round(100 * sum(a.correct for a in mine) / len(mine))
            checked += 1
        assert checked >= 30
        assert any(
            f"From {WEAK}: the group's weakest domain in the last 30 days" in to_plain(r.text)
            for c, r in reveals
            if c == "aimed"
        )
        weighted = [to_plain(r.text) for c, r in reveals if c == "guide"]
        assert all("drawn as the exam guide weighs it" in t for t in weighted), weighted[0]


def test_three_answers_do_not_take_over_and_no_domain_is_starved() -> None:
    """A domain with three wrong answers gets less pull than one missed 60% over 60 answers; a domain the
    group always gets right keeps at least a quarter of its guide share."""
    scores = [
        DomainScore("A", 30, 3, 0),  # three answers, all wrong
        DomainScore("B", 26, 60, 24),  # 40% over 60
        DomainScore("C", 24, 200, 200),  # always right
        DomainScore("D", 20, 100, 80),
    ]
    odds = focus.chances(focus.WEAKEST, scores)
    assert abs(sum(odds.values()) - 1) < 1e-9
    assert odds["B"] > odds["A"]
    assert odds["C"] >= 0.25 * 24 / 100  # a quarter of its guide share, though the group never misses it
    assert odds["B"] > 26 / 100  # the weak domain with evidence gains on its guide share
    # No answers at all: weakest is the guide's weights; even is even.
    blank = [DomainScore(s.name, s.weight, 0, 0) for s in scores]
    assert focus.chances(focus.WEAKEST, blank) == pytest.approx({"A": 0.3, "B": 0.26, "C": 0.24, "D": 0.2})
    assert set(focus.chances(focus.EVEN, scores).values()) == {0.25}


def test_the_draw_is_deterministic_for_its_seed(catalog: Catalog) -> None:
    exam = catalog.exam("SAA-C03")
    assert exam is not None
    scores = [DomainScore(d.name, d.weight, 10 * i, 3 * i) for i, d in enumerate(exam.domains)]
    for seed in ("p:1:2026-11-02T09:00", "p:7:2027-01-01T09:00"):
        first = focus.draw(random.Random(seed), focus.WEAKEST, exam, scores)
        assert all(focus.draw(random.Random(seed), focus.WEAKEST, exam, scores) == first for _ in range(5))


@pytest.mark.parametrize(
    ("option", "shown", "stored"),
    [
        ("", "domains as weighted in the exam guide", ("weighted", None)),
        (" focus:weighted", "domains as weighted in the exam guide", ("weighted", None)),
        (" focus:weakest", "focus on the group's weakest domains", ("weakest", None)),
        (" focus:even", "every domain equally", ("even", None)),
        (" focus:4", f"domain {WEAK}", ("weighted", WEAK)),
        (' focus:"cost optimized"', f"domain {WEAK}", ("weighted", WEAK)),
    ],
)
async def test_each_focus_value_is_stored_and_shown(
    runtime: Runtime, option: str, shown: str, stored: tuple[str, str | None]
) -> None:
    reply = await runtime.core.handle_line(MOD, f"{ADD} channel:#study{option}")
    assert reply.title == "Schedule added", reply
    assert shown in to_plain(reply.fields[0].value)
    async with runtime.services.engine.connect() as conn:
        row = (await conn.execute(select(schedules.c.focus, schedules.c.domain))).one()
    assert tuple(row) == stored
    listed = await runtime.core.handle_line(MOD, "/studyadmin schedule list")
    assert shown in to_plain(listed.fields[0].value)


async def test_weakest_counts_the_revealed_answers_on_each_engine(database_url: str, catalog: Catalog) -> None:
    """The second prompt of a `focus:weakest` schedule reads the first one's revealed answers (SQLite and
    PostgreSQL): its reveal gives their figures if it came from the same domain, or says there were none."""
    clock = FixedClock(at("2026-11-02T08:00:00+00:00"))
    poster = FakePoster()
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        await rt.core.handle_line(MOD, f"{ADD} channel:#study focus:weakest reveal_after:1h")
        domains = []
        for day in range(2):
            clock.set(at("2026-11-02T09:00:00+00:00") + dt.timedelta(days=day))
            assert (await rt.schedule.deliver_due()).prompts == 1
            prompt = poster.posts[-1][2]
            row = (await _prompts(rt, "study"))[-1]
            domains.append(catalog.question(row["question_id"]).domain)  # type: ignore[union-attr]
            for name in MEMBERS:
                await rt.core.handle(_answer(catalog, prompt, row["question_id"], name))
            clock.set(clock.now() + dt.timedelta(hours=1))
            assert (await rt.schedule.deliver_due()).reveals == 1
        last = to_plain(poster.posts[-1][2].text)
        first_right = 1 if domains[0] == WEAK else 5
        if domains[1] == domains[0]:
            assert f"{round(100 * first_right / 6)}% over 6 answers" in last, last
        else:
            assert f"From {domains[1]}: the group has no answers there in the last 30 days yet" in last, last


async def test_a_domain_focus_prompt_and_reveal_say_so(database_url: str, catalog: Catalog) -> None:
    clock = FixedClock(at("2026-11-02T08:00:00+00:00"))
    poster = FakePoster()
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        await rt.core.handle_line(MOD, f"{ADD} channel:#study focus:4 reveal_after:1h")
        clock.set(at("2026-11-02T09:00:00+00:00"))
        await rt.schedule.deliver_due()
        assert WEAK in poster.posts[-1][2].text
        clock.set(at("2026-11-02T10:00:00+00:00"))
        await rt.schedule.deliver_due()
        assert f"From {WEAK}: this schedule's focus." in to_plain(poster.posts[-1][2].text)


async def test_edit_changes_the_focus_and_is_audited(runtime: Runtime) -> None:
    await runtime.core.handle_line(MOD, f"{ADD} channel:#study domain:2")
    edited = await runtime.core.handle_line(MOD, "/studyadmin schedule edit id:1 focus:weakest")
    assert edited.title == "Schedule changed" and "weakest" in edited.fields[0].value
    async with runtime.services.engine.connect() as conn:
        assert tuple((await conn.execute(select(schedules.c.focus, schedules.c.domain))).one()) == ("weakest", None)
        after = (await conn.execute(select(audit_log.c.after).order_by(audit_log.c.id.desc()))).scalars().first()
    assert after is not None and '"focus": "weakest"' in after
    again = await runtime.core.handle_line(MOD, "/studyadmin schedule edit id:1 focus:even")
    assert "every domain equally" in again.fields[0].value


@pytest.mark.parametrize(
    ("command", "fragment"),
    [
        (f"{ADD} channel:#study focus:hardest", "Choose `weakest`, `weighted` (the default), `even`"),
        (f"{ADD} channel:#study focus:astrology", "1. Design Secure Architectures"),
        (f"{ADD} channel:#study focus:9", "one of the SAA-C03 domains"),
        (f"{ADD} channel:#study focus:weakest domain:2", "Give `focus` or `domain`, not both."),
    ],
)
async def test_bad_focus_values_are_explained_and_nothing_is_saved(
    runtime: Runtime, command: str, fragment: str
) -> None:
    reply = await runtime.core.handle_line(MOD, command)
    assert reply.title == ERROR
    assert fragment in (reply.text + (reply.footer or "")), reply
    async with runtime.services.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(schedules))).scalar_one() == 0
        assert (await conn.execute(select(func.count()).select_from(audit_log))).scalar_one() == 0


async def test_a_bad_focus_on_edit_changes_nothing(runtime: Runtime) -> None:
    await runtime.core.handle_line(MOD, f"{ADD} channel:#study focus:weakest")
    reply = await runtime.core.handle_line(MOD, "/studyadmin schedule edit id:1 focus:most")
    assert reply.title == ERROR and "`focus` can't be `most`" in reply.text
    async with runtime.services.engine.connect() as conn:
        assert (await conn.execute(select(schedules.c.focus))).scalar_one() == "weakest"
        assert (await conn.execute(select(func.count()).select_from(audit_log))).scalar_one() == 1
