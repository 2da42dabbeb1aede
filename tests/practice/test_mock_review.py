"""Issue 17, "a mock that behaves like the exam, then teaches", through `Core.handle` as a console member.

A 10-question mock is flagged, reviewed, changed and submitted across a restart, on a fixed clock and a
real SQLite file; the report then shows every answer explained, page by page. Presses after the time is
up, on an ended mock, by someone else or on damaged buttons say so and change nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.actions import ActionId
from bot.catalog import Catalog
from bot.catalog.models import Question
from bot.clock import FixedClock
from bot.commands.dispatch import Core
from bot.markup import to_plain
from bot.practice import mock_run
from bot.practice.texts import PAGE_BUDGET
from bot.replies import Reply
from bot.requests import Action, Identity
from bot.runtime import Runtime
from bot.store.schema import mock_exams, practice_answers, practice_attempts
from tests.conftest import START, make_settings, person

LETTERS = "ABCDEF"
ERROR = "That didn't work"


def shown(core: Core, reply: Reply) -> tuple[Question, str, int]:
    """The question a mock reply shows, its option order and its attempt id (read from its first answer)."""
    first = reply.select.action_id if reply.select is not None else reply.buttons[0].action_id
    aid = ActionId.decode(first)
    question = core.services.catalog.question(aid.field(1))
    assert question is not None, first
    return question, aid.field(2), int(aid.field(0))


def key_letters(core: Core, reply: Reply) -> str:
    question, order, _attempt = shown(core, reply)
    return "".join(sorted(LETTERS[order.index(str(i))] for i in question.correct_indexes))


async def press(core: Core, who: Identity, reply: Reply, label: str, values: tuple[str, ...] = ()) -> Reply:
    found = [b for b in reply.buttons if b.label == label]
    assert found, f"no button {label!r}: {[b.label for b in reply.buttons]}"
    return await core.handle(Action(who, found[0].action_id, values=values))


async def answer(core: Core, who: Identity, reply: Reply, *, right: bool) -> tuple[Reply, str]:
    """Answer the shown question right or wrong; the next reply and the letters given."""
    key = key_letters(core, reply)
    if reply.select is not None:
        offered = [o.value for o in reply.select.options]
        wrong = [v for v in offered if v not in key][: len(key)]
        wrong = (wrong + [v for v in offered if v in key])[: len(key)]
        picks = tuple(key) if right else tuple(wrong)
        return await press(core, who, reply, "Submit", picks), "".join(sorted(picks))
    letter = key if right else next(b.label for b in reply.buttons if len(b.label) == 1 and b.label != key)
    return await press(core, who, reply, letter), letter


async def held_answers(runtime: Runtime) -> dict[int, str | None]:
    async with runtime.services.engine.connect() as conn:
        rows = (await conn.execute(select(practice_attempts.c.position, practice_attempts.c.pending))).all()
    return {int(p): h for p, h in rows}


async def recorded(runtime: Runtime) -> int:
    async with runtime.services.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(practice_answers))).scalar_one())


async def test_a_ten_question_mock_is_flagged_reviewed_changed_and_submitted_across_a_restart(
    sqlite_url: str, clock: FixedClock, catalog: Catalog
) -> None:
    ada = person()
    right: dict[int, bool] = {}
    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=catalog) as rt:
        core = rt.core
        reply = await core.handle_line(ada, "/mock exam:SAA-C03 questions:10")
        assert reply.title == "Mock SAA-C03 · question 1 of 10"
        assert [b.label for b in reply.buttons][-3:] == ["Flag for review", "Review answers", "End mock now"]
        for n in range(1, 6):
            assert reply.title == f"Mock SAA-C03 · question {n} of 10", reply.text
            if n == 2:
                flagged = await press(core, ada, reply, "Flag for review")
                assert flagged.title == reply.title and "Flagged for review." in to_plain(flagged.text)
                assert "Remove flag" in [b.label for b in flagged.buttons]
                reply = flagged
            clock.advance(dt.timedelta(seconds=30))
            reply, _given = await answer(core, ada, reply, right=n % 2 == 0)
            right[n] = n % 2 == 0
        # Held on their attempts, not recorded yet: the mock can still change them.
        assert await recorded(rt) == 0 and sum(h is not None for h in (await held_answers(rt)).values()) == 5
        before_restart = reply  # question 6, with its buttons
    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=catalog) as rt:
        core = rt.core
        resumed = await core.handle_line(ada, "/mock exam:SAA-C03")
        assert resumed.title == "Mock SAA-C03 · question 6 of 10" and "where you left off" in resumed.text
        reply = before_restart  # a button from before the restart still works
        for n in range(6, 10):
            assert reply.title == f"Mock SAA-C03 · question {n} of 10", reply.text
            clock.advance(dt.timedelta(seconds=30))
            reply, _given = await answer(core, ada, reply, right=n % 2 == 0)
            right[n] = n % 2 == 0
        assert reply.title == "Mock SAA-C03 · question 10 of 10"
        review = await press(core, ada, reply, "Review answers")
        assert review.title == "Mock SAA-C03 · review"
        text = to_plain(review.text)
        assert text.startswith("9 answered, 1 unanswered, 1 flagged."), text
        lines = [line.removeprefix("• ") for line in text.splitlines()]
        assert "Question 2: answered" in text and "Question 10: unanswered" in lines
        assert [line for line in lines if "flagged" in line and line.startswith("Question")] == [
            next(line for line in lines if line.startswith("Question 2:"))
        ]
        labels = [b.label for b in review.buttons]
        assert labels == ["Q1", "Q2 ⚑", "Q3", "Q4", "Q5", "Q6", "Q7", "Q8", "Q9", "Q10 ?", "Submit mock"], labels

        confirm = await press(core, ada, review, "Submit mock")
        assert confirm.title == "Mock SAA-C03 · submit?" and "1 question is unanswered" in to_plain(confirm.text)
        assert [b.label for b in confirm.buttons] == ["Submit anyway", "Back to review"]
        back = await press(core, ada, confirm, "Back to review")
        assert back.title == "Mock SAA-C03 · review" and await recorded(rt) == 0

        # Question 1 was answered wrong: go back, see the answer held, change it to the key.
        first = await press(core, ada, back, "Q1")
        assert first.title == "Mock SAA-C03 · question 1 of 10"
        assert "Your answer now:" in to_plain(first.text)
        held_before = (await held_answers(rt))[1]
        changed, _given = await answer(core, ada, first, right=True)
        right[1] = True
        assert (await held_answers(rt))[1] != held_before
        assert changed.title == "Mock SAA-C03 · question 10 of 10"  # on to the one still unanswered
        clock.advance(dt.timedelta(seconds=30))
        done, _given = await answer(core, ada, changed, right=False)
        right[10] = False
        assert done.title == "Mock SAA-C03 · review"
        assert to_plain(done.text).startswith("10 answered, 0 unanswered, 1 flagged."), done.text

        report = await press(core, ada, done, "Submit mock")  # nothing unanswered: no confirmation
        assert report.title == "Mock SAA-C03 report", report.text
        expected = sum(right.values())
        assert f"{expected} of 10 correct" in to_plain(report.text) and "You submitted it." in report.text
        assert "Domains" in [f.name for f in report.fields]
        assert await recorded(rt) == 10
        async with rt.services.engine.connect() as conn:
            stored = (
                await conn.execute(
                    select(practice_attempts.c.position, practice_answers.c.correct).join(
                        practice_answers, practice_answers.c.attempt_id == practice_attempts.c.id
                    )
                )
            ).all()
            assert {int(p): bool(c) for p, c in stored} == right  # the changed answer is the one recorded
            assert (await conn.execute(select(mock_exams.c.ended_by))).scalar_one() == "submitted"

        # Every question explained, wrong and flagged first, over pages that each fit one message.
        pages = []
        page = report
        while "Next" in [b.label for b in page.buttons]:
            page = await press(core, ada, page, "Next")
            assert page.title is not None and page.title.startswith("Mock SAA-C03 report · answers")
            assert len(page.text) <= PAGE_BUDGET
            pages.append(page)
        assert pages and pages[-1].title == f"Mock SAA-C03 report · answers {len(pages)} of {len(pages)}"
        everything = to_plain("\n".join(p.text for p in pages))
        heads = [line for line in everything.splitlines() if line.startswith("Question ")]
        order = [int(line.split(":")[0].removeprefix("Question ")) for line in heads]
        assert sorted(order) == list(range(1, 11)), heads
        first_group = [n for n in range(1, 11) if not right[n] or n == 2]
        assert order[: len(first_group)] == first_group, heads
        assert "flagged" in heads[order.index(2)]
        async with rt.services.engine.connect() as conn:
            query = select(practice_attempts.c.position, practice_attempts.c.question_id)
            ids = dict((await conn.execute(query)).all())
        for position, question_id in ids.items():
            question = catalog.question(question_id)
            assert question is not None
            assert question.stem in everything, position
            for option in question.options:  # each option's explanation is there
                assert option.explanation in everything, (position, option.explanation)
        assert everything.count("(your answer)") + everything.count("(correct, your answer)") >= 10
        back_page = await press(core, ada, pages[0], "Previous")
        assert back_page.title == "Mock SAA-C03 report" and back_page.fields == report.fields

    # After another restart the report's pages are still there, worked out from what is stored.
    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=catalog) as rt:
        again = await rt.core.handle(Action(ada, report.buttons[-1].action_id))
        assert again.text == pages[0].text
        old_flag = await rt.core.handle(Action(ada, before_restart.buttons[-3].action_id))
        assert old_flag.title == "Mock SAA-C03 report" and "already ended" in to_plain(old_flag.text)
        old_answer, _given = await answer(rt.core, ada, before_restart, right=True)
        assert old_answer.title == ERROR and "That question is closed" in old_answer.text
        assert await recorded(rt) == 10


async def test_after_the_time_is_up_a_press_says_so_and_the_held_answers_count(
    runtime: Runtime, clock: FixedClock
) -> None:
    core, ada = runtime.core, person()
    first = await core.handle_line(ada, "/mock exam:CLF-C02 questions:3 minutes:3")
    clock.advance(dt.timedelta(minutes=1))
    second, _given = await answer(core, ada, first, right=True)
    clock.advance(dt.timedelta(minutes=3))
    late = await press(core, ada, second, "Flag for review")
    plain = to_plain(late.text)
    assert late.title == "Mock CLF-C02 report" and plain.startswith("Time is up: that press came too late"), plain
    assert "1 of 3 correct" in plain and "2 left unanswered" in plain and "Time ran out." in plain
    async with runtime.services.engine.connect() as conn:
        flags = (await conn.execute(select(func.count()).where(practice_attempts.c.flagged))).scalar_one()
        answered_at = (await conn.execute(select(practice_answers.c.answered_at))).scalar_one()
    assert flags == 0  # the late flag changed nothing
    assert answered_at == START + dt.timedelta(minutes=1)  # recorded at the time it was given, before the end
    for label in ("Review answers", "Flag for review"):
        again = await press(core, ada, second, label)
        assert "already ended" in to_plain(again.text) and "that press changed nothing" in to_plain(again.text)
    closed, _given = await answer(core, ada, second, right=True)
    assert closed.title == ERROR and "That question is closed" in closed.text
    assert await recorded(runtime) == 1


async def test_someone_elses_or_damaged_mock_buttons_change_nothing(runtime: Runtime) -> None:
    core, ada, bob = runtime.core, person(), person("bob")
    question = await core.handle_line(ada, "/mock exam:CLF-C02 questions:3")
    review = await press(core, ada, question, "Review answers")
    for reply, label in ((question, "Flag for review"), (review, "Q1 ?"), (review, "Submit mock")):
        other = await press(core, bob, reply, label)
        assert other.title == ERROR and "someone else's mock" in other.text, (label, other.text)
    mock_id = ActionId.decode(review.buttons[0].action_id).field(0)
    for raw in ("mkj:1:x:1", f"mkj:1:{mock_id}:99", "mkf:1:zz", "mks:1:", f"mkp:1:{mock_id}:1"):
        bad = await core.handle(Action(ada, raw))
        assert bad.title == ERROR, (raw, bad.text)
    wrong_press = await core.handle(Action(bob, question.buttons[0].action_id))
    assert wrong_press.title == ERROR and "someone else" in wrong_press.text
    assert (await held_answers(runtime)) == {1: None, 2: None, 3: None}
    async with runtime.services.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).where(practice_attempts.c.flagged))).scalar_one() == 0
        assert (await conn.execute(select(mock_exams.c.finished_at))).scalar_one() is None


async def test_a_mock_ended_on_time_by_the_scheduler_hook_records_its_held_answers(
    runtime: Runtime, clock: FixedClock
) -> None:
    core, ada = runtime.core, person()
    first = await core.handle_line(ada, "/mock exam:CLF-C02 questions:3 minutes:3")
    second, _given = await answer(core, ada, first, right=True)
    assert await mock_run.end_expired(runtime.services, clock.now()) == []  # time remains: nothing ends
    clock.advance(dt.timedelta(minutes=3))
    ended = await mock_run.end_expired(runtime.services, clock.now())
    assert len(ended) == 1 and await recorded(runtime) == 1
    later = await press(core, ada, second, "Review answers")
    plain = to_plain(later.text)
    assert "already ended" in plain and "1 of 3 correct" in plain and "Time ran out." in plain


async def test_asking_for_the_other_kind_of_mock_while_one_runs_says_it_was_not_started(core: Core) -> None:
    """Found by an outside tester: `/mock final:true` during an ordinary mock resumed it without saying
    that the final had not started (another exam's mock did say so)."""
    ada = person("ada")
    started = await core.handle_line(ada, "/mock exam:SAA-C03 questions:10")
    assert started.title != "That didn't work", started.text
    final = to_plain((await core.handle_line(ada, "/mock exam:SAA-C03 final:true")).text)
    assert "Your SAA-C03 mock is still running, so a final mock was not started" in final, final
    same = to_plain((await core.handle_line(ada, "/mock exam:SAA-C03")).text)
    assert "here is where you left off" in same and "not started" not in same, same
