"""The issue's "Done when", as a console member would do it, through `Core.handle_line` / `Core.handle`.

Real SQLite, the real content, a fixed clock; a restart is a new `Runtime` on the same file.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Integer, func, select

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.commands.dispatch import Core
from bot.practice.scoring import MEETS_SHARE
from bot.replies import Reply
from bot.requests import Action, Identity
from bot.runtime import Runtime
from bot.store.schema import mock_exams, practice_answers, practice_attempts, review_cards
from tests.conftest import make_settings, person

ERROR = "That didn't work"


async def count(core: Core, table) -> int:  # type: ignore[no-untyped-def]
    async with core.services.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


def correct_letter(core: Core, reply: Reply) -> str:
    """Which button is right, worked out from the question the reply shows."""
    _kind, _version, _attempt, question_id, order, _letter = reply.buttons[0].action_id.split(":")
    question = core.services.catalog.question(question_id)
    assert question is not None, reply.buttons[0].action_id
    return "ABCDEF"[order.index(str(question.correct_indexes[0]))]


async def press(core: Core, who: Identity, reply: Reply, label: str, values: tuple[str, ...] = ()) -> Reply:
    button = next(b for b in reply.buttons if b.label == label)
    return await core.handle(Action(who, button.action_id, values=values))


async def practice_single(core: Core, who: Identity | None = None, exam: str = "SAA-C03") -> Reply:
    """A /practice reply whose question is single-answer (multiple-response ones are asked again)."""
    who = who or person()
    for _ in range(30):
        reply = await core.handle_line(who, f"/practice exam:{exam}")
        assert reply.title != ERROR, reply.text
        if reply.select is None:
            return reply
    raise AssertionError("no single-answer question served")


async def test_practice_press_verdict_explanations_and_link(core: Core) -> None:
    ada = person()
    question = await practice_single(core)
    assert [b.label for b in question.buttons] == ["A", "B", "C", "D"][: len(question.buttons)]
    assert "**A.**" in question.text and question.ephemeral
    right = correct_letter(core, question)
    verdict = await press(core, ada, question, right)
    assert verdict.title == "Correct" and verdict.replace
    assert "(correct, your answer)" in verdict.text
    explained = verdict.text.count("\n- **") + verdict.text.startswith("- **")  # the text opens with the options
    assert explained == len(question.buttons)  # every option explained
    assert "](https://docs.aws.amazon.com/" in verdict.text
    assert "comes back in /review" in verdict.text
    assert await count(core, practice_answers) == 1 and await count(core, review_cards) == 1


async def test_double_press_and_duplicate_delivery_record_once(core: Core) -> None:
    ada = person()
    question = await practice_single(core)
    first = await press(core, ada, question, "A")
    again = await press(core, ada, question, "B")  # a second, different press changes nothing
    assert "already answered" in again.text
    assert (first.title == "Correct") == (again.title == "Correct")
    assert await count(core, practice_answers) == 1


async def test_closed_unknown_and_someone_elses_questions_change_nothing(core: Core) -> None:
    question = await practice_single(core)
    button = question.buttons[0].action_id
    kind, version, attempt, qid, order, letter = button.split(":")
    for raw in (
        f"{kind}:{version}:999999:{qid}:{order}:{letter}",  # no such attempt
        f"{kind}:{version}:{attempt}:saa-c03-001:{order}:{letter}",  # not the question served
        f"{kind}:{version}:{attempt}:no-such-question:{order}:{letter}",
        f"{kind}:{version}:{attempt}:{qid}:{order}:Z",
    ):
        reply = await core.handle(Action(person(), raw))
        assert reply.title == ERROR, raw
    stranger = await core.handle(Action(person("mallory"), button))
    assert stranger.title == ERROR and "someone else" in stranger.text
    assert await count(core, practice_answers) == 0


async def test_wrong_answer_comes_back_in_review(core: Core, clock: FixedClock) -> None:
    ada = person()
    assert "no review cards" in (await core.handle_line(ada, "/review")).text
    question = await practice_single(core)
    wrong = next(b.label for b in question.buttons if b.label != correct_letter(core, question))
    verdict = await press(core, ada, question, wrong)
    assert verdict.title == "Not quite" and "in 10 minutes" in verdict.text
    waiting = await core.handle_line(ada, "/review")
    assert waiting.title == "All caught up" and "in 10 minutes" in waiting.text
    clock.advance(dt.timedelta(minutes=11))
    review = await core.handle_line(ada, "/review")
    assert review.title.startswith("Review · SAA-C03")
    assert review.footer and review.footer.split(" · ")[1] == (question.footer or "").split(" · ")[-1]
    done = await press(core, ada, review, correct_letter(core, review))
    assert done.title == "Correct" and done.buttons[0].label == "Next review"
    assert (await core.handle_line(ada, "/review")).title == "All caught up"


async def test_multiple_response_uses_the_menu_then_submit(core: Core) -> None:
    ada = person()
    for _ in range(60):
        reply = await core.handle_line(ada, "/practice exam:SAA-C03")
        if reply.select is not None:
            break
    else:
        raise AssertionError("no multiple-response question in SAA-C03")
    select = reply.select
    assert select.min_values == select.max_values >= 2
    nothing = await press(core, ada, reply, "Submit")
    assert nothing.title == ERROR and "Choose" in nothing.text
    picks = tuple(o.value for o in select.options[: select.max_values])
    verdict = await press(core, ada, reply, "Submit", picks)
    assert verdict.title in ("Correct", "Not quite") and "your answer" in verdict.text
    assert await count(core, practice_answers) == 1


async def test_practice_without_an_exam_asks_and_filters_work(core: Core) -> None:
    ada = person()
    ask = await core.handle_line(ada, "/practice")
    assert ask.title == "Which exam?" and "SAA-C03" in [b.label for b in ask.buttons]
    chosen = await press(core, ada, ask, "CLF-C02")
    assert chosen.title.startswith("CLF-C02 · ")
    hard = await core.handle_line(ada, "/practice exam:SAA-C03 domain:security difficulty:hard")
    assert hard.title == "SAA-C03 · Design Secure Architectures" and (hard.footer or "").startswith("hard")
    for bad in ("/practice exam:XYZ-C01", "/practice exam:SAA-C02", "/practice exam:SAA-C03 domain:cooking"):
        assert (await core.handle_line(ada, bad)).title == ERROR, bad


async def answer_mock(core: Core, who: Identity, reply: Reply, *, right: bool) -> Reply:
    if reply.select is not None:
        picks = tuple(o.value for o in reply.select.options[: reply.select.max_values])
        return await press(core, who, reply, "Submit", picks)
    label = correct_letter(core, reply) if right else "A"
    return await press(core, who, reply, label)


async def test_a_ten_question_mock_ends_in_a_report(core: Core) -> None:
    ada = person()
    reply = await core.handle_line(ada, "/mock exam:SAA-C03 questions:10")
    assert reply.title == "Mock SAA-C03 · question 1 of 10" and "10 questions in 20 minutes" in reply.text
    for n in range(10):
        assert reply.title.startswith("Mock SAA-C03 · question"), reply.text
        reply = await answer_mock(core, ada, reply, right=n % 3 != 0)
    assert reply.title == "Mock SAA-C03 · review"  # the review screen comes before submitting (issue 17)
    reply = await press(core, ada, reply, "Submit mock")
    assert reply.title == "Mock SAA-C03 report"
    assert "of 10 correct" in reply.text and "Estimated scaled score" in reply.text and "estimate" in reply.text
    assert "passing mark of 720" in reply.text
    domains = next(f for f in reply.fields if f.name == "Domains").value
    assert any(f.name == "Questions to review" for f in reply.fields)
    async with core.services.engine.connect() as conn:
        tallies = (
            await conn.execute(
                select(
                    practice_answers.c.domain, func.count(), func.sum(practice_answers.c.correct.cast(Integer))
                ).group_by(practice_answers.c.domain)
            )
        ).all()
    for domain, answered, right in tallies:  # every line shows its own tally and the verdict it implies
        verdict = "meets" if right / answered >= MEETS_SHARE else "needs work"
        assert f"{domain}: **{verdict}** ({right}/{answered})" in domains, domains
    async with core.services.engine.connect() as conn:
        weights = (
            await conn.execute(select(practice_attempts.c.domain, func.count()).group_by(practice_attempts.c.domain))
        ).all()
    assert dict(weights) == {
        "Design Secure Architectures": 3,
        "Design Resilient Architectures": 3,
        "Design High-Performing Architectures": 2,
        "Design Cost-Optimized Architectures": 2,
    }


async def test_mock_times_out_at_the_next_interaction(core: Core, clock: FixedClock) -> None:
    ada = person()
    first = await core.handle_line(ada, "/mock exam:CLF-C02 questions:5 minutes:3")
    second = await answer_mock(core, ada, first, right=True)
    clock.advance(dt.timedelta(minutes=4))
    late = await answer_mock(core, ada, second, right=True)
    assert late.title == "Mock CLF-C02 report" and "Time is up" in late.text and "Time ran out" in late.text
    assert "4 left unanswered" in late.text
    assert await count(core, practice_answers) == 1
    async with core.services.engine.connect() as conn:
        ended = (await conn.execute(select(mock_exams.c.ended_by))).scalar_one()
    assert ended == "timeout"
    # The old buttons are closed now; a new /mock starts afresh.
    closed = await answer_mock(core, ada, second, right=True)
    assert closed.title == ERROR and await count(core, practice_answers) == 1
    fresh = await core.handle_line(ada, "/mock exam:CLF-C02 questions:5")
    assert fresh.title == "Mock CLF-C02 · question 1 of 5"


async def test_stats_and_leaderboard_follow_the_answers(core: Core, clock: FixedClock) -> None:
    ada, bob = person(), person("bob")
    assert (await core.handle_line(ada, "/stats")).title == "No answers yet"
    assert "No answers" in (await core.handle_line(ada, "/leaderboard")).text
    for who, n in ((ada, 3), (bob, 1)):
        for _ in range(n):
            q = await practice_single(core, who)
            await press(core, who, q, correct_letter(core, q))
    stats = await core.handle_line(ada, "/stats")
    fields = {f.name: f.value for f in stats.fields}
    assert fields["Answered"] == "3 (100% correct)" and fields["Streak"] == "1 day (best 1)"
    assert "SAA-C03" in fields["Readiness (estimate)"] and "evidence" in fields["Readiness (estimate)"]
    board = await core.handle_line(bob, "/leaderboard period:all")
    assert board.text.splitlines()[0] == "1. **Ada**: 3 correct of 3"
    assert board.text.splitlines()[1] == "2. **Bob**: 1 correct of 1"
    clock.advance(dt.timedelta(days=7))  # Monday 30 November: a new calendar week, the same month
    assert "No answers" in (await core.handle_line(ada, "/leaderboard period:week")).text
    assert "**Ada**" in (await core.handle_line(ada, "/leaderboard period:month exam:SAA-C03")).text
    other = await core.handle_line(person(workspace="w2"), "/leaderboard period:all")
    assert "No answers" in other.text


async def test_everything_is_still_there_after_a_restart(sqlite_url: str, clock: FixedClock, catalog: Catalog) -> None:
    ada = person()
    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=catalog) as rt:
        question = await practice_single(rt.core)
        mock = await rt.core.handle_line(ada, "/mock exam:SAA-C03 questions:10")
    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=catalog) as rt:
        core = rt.core
        verdict = await press(core, ada, question, "A")  # a button from before the restart still counts
        assert verdict.title in ("Correct", "Not quite")
        resumed = await core.handle_line(ada, "/mock exam:SAA-C03")
        assert resumed.title == "Mock SAA-C03 · question 1 of 10" and "where you left off" in resumed.text
        assert resumed.buttons[0].action_id == mock.buttons[0].action_id
        await answer_mock(core, ada, mock, right=True)  # the old mock button still counts too
        stats_before = await core.handle_line(ada, "/stats")
    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=catalog) as rt:
        # The practice answer is recorded; the mock's waits on its attempt until the mock is submitted.
        assert await count(rt.core, practice_answers) == 1
        async with rt.core.services.engine.connect() as conn:
            held = select(func.count()).where(practice_attempts.c.pending.is_not(None))
            assert (await conn.execute(held)).scalar_one() == 1
        assert (await rt.core.handle_line(ada, "/stats")).fields == stats_before.fields
        nxt = await rt.core.handle_line(ada, "/mock exam:SAA-C03")
        assert nxt.title == "Mock SAA-C03 · question 2 of 10"


async def test_deleting_a_profile_deletes_answers_cards_and_mocks(core: Core) -> None:
    ada = person()
    question = await practice_single(core)
    await press(core, ada, question, "A")
    await core.handle_line(ada, "/mock exam:SAA-C03 questions:5")
    await practice_single(core, person("bob"))
    ask = await core.handle_line(ada, "/profile delete")
    await core.handle(Action(ada, ask.buttons[0].action_id))
    assert await count(core, practice_answers) == 0 and await count(core, review_cards) == 0
    assert await count(core, mock_exams) == 0
    assert await count(core, practice_attempts) == 1  # bob's question stays
