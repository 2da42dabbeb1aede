"""Issue 17, "held-out final mock", "readiness that says how sure it is" and "reviews that fit a life",
as a console member would do them, through `Core.handle_line` / `Core.handle` on a real SQLite file and a
fixed clock; a restart is a new `Runtime` on the same file.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, insert, select

from bot.actions import ActionId
from bot.catalog import Catalog
from bot.catalog.questions import Place, QuestionIndex
from bot.clock import FixedClock
from bot.commands.dispatch import Core
from bot.markup import to_plain
from bot.practice.scoring import domain_scores, readiness, wilson
from bot.replies import Reply
from bot.requests import Identity
from bot.runtime import Runtime
from bot.store import practice as practice_store
from bot.store.schema import held_out_questions, members, practice_attempts, review_cards, schedule_deliveries
from tests.conftest import START, make_settings, person
from tests.fakes.posters import FakePoster
from tests.practice.test_flows import correct_letter, practice_single, press
from tests.practice.test_mock_review import answer as answer_mock

ERROR = "That didn't work"


def question_id(reply: Reply) -> str:
    first = reply.select.action_id if reply.select is not None else reply.buttons[0].action_id
    return ActionId.decode(first).field(1)


def order_of(reply: Reply) -> str:
    return ActionId.decode(reply.buttons[0].action_id).field(2)


async def final_ids(rt: Runtime, mock_number: int) -> list[str]:
    """The question ids of the member's `mock_number`-th final mock (1 = the first)."""
    async with rt.services.engine.connect() as conn:
        mocks = sorted(
            (
                await conn.execute(select(practice_attempts.c.mock_id).where(practice_attempts.c.source == "final"))
            ).scalars()
        )
        wanted = sorted(set(mocks))[mock_number - 1]
        rows = await conn.execute(
            select(practice_attempts.c.question_id)
            .where(practice_attempts.c.mock_id == wanted)
            .order_by(practice_attempts.c.position)
        )
        return list(rows.scalars())


async def finish_mock(core: Core, who: Identity, reply: Reply, *, right: int) -> Reply:
    """Answer every question of a running mock (the first `right` correctly) and submit it."""
    n = 0
    while reply.title and "question" in reply.title:
        reply, _given = await answer_mock(core, who, reply, right=n < right)
        n += 1
    assert reply.title and reply.title.endswith("review"), reply.title
    report = await press(core, who, reply, "Submit mock")
    assert report.title and report.title.endswith("report"), report.title
    return report


def test_the_held_out_slice_is_stable_full_length_and_spread_by_the_guides_weights(catalog: Catalog) -> None:
    one, two = QuestionIndex(catalog), QuestionIndex(catalog)
    for code, bank in catalog.questions.items():
        exam = catalog.exams[code]
        held = one.held_out_ids(code)
        assert held == two.held_out_ids(code)  # the same in every process, after every restart
        assert exam.questions is not None
        assert len(held) == min(exam.questions.total, len(bank) // 2), code
        in_practice = {q.id for q in bank} - held
        assert len(in_practice) >= len(held)  # practice keeps at least half the bank
    saa = catalog.exams["SAA-C03"]
    final = one.final_slice("SAA-C03")
    assert len(final) == 65
    by_domain = {d.name: sum(q.domain == d.name for q in final) for d in saa.domains}
    assert all(abs(by_domain[d.name] - 65 * d.weight / 100) < 1 for d in saa.domains), by_domain


async def test_practice_and_group_prompts_never_serve_the_held_out_slice(runtime: Runtime, catalog: Catalog) -> None:
    core, svc = runtime.core, runtime.services
    held = svc.questions.held_out_ids("SAA-C03")
    async with svc.engine.connect() as conn:
        for code in catalog.questions:  # the pool practice, review, mocks and group prompts all draw from
            pool = await svc.questions.pool(conn, Place("console", "w1"), code)
            assert {q.id for q in pool}.isdisjoint(svc.questions.held_out_ids(code)), code
    served = set()
    for _ in range(70):
        reply = await core.handle_line(person(), "/practice exam:SAA-C03")
        served.add(question_id(reply))
    assert len(served) > 30 and served.isdisjoint(held)  # much of the practice half, none of the final's
    mock = await core.handle_line(person("bo"), "/mock exam:SAA-C03 questions:65")
    assert mock.title == "Mock SAA-C03 · question 1 of 65"
    async with svc.engine.connect() as conn:
        drawn = set(
            (
                await conn.execute(
                    select(practice_attempts.c.question_id).where(practice_attempts.c.mock_id.is_not(None))
                )
            ).scalars()
        )
    assert len(drawn) == 65 and drawn.isdisjoint(held)


async def test_a_final_mock_never_repeats_a_question_the_member_met_elsewhere(
    database_url: str, clock: FixedClock, catalog: Catalog
) -> None:
    ada = person()
    async with Runtime(make_settings(database_url), clock=clock, catalog=catalog) as rt:
        core, svc = rt.core, rt.services
        slice_ = [q.id for q in svc.questions.final_slice("SAA-C03")]
        question = await practice_single(core, ada)
        await press(core, ada, question, correct_letter(core, question))
        # Met before this slice existed: a group prompt put one of its questions in a channel ada uses, and
        # an old /practice served her another one in a different channel.
        async with svc.engine.begin() as conn:
            ada_id = (await conn.execute(select(members.c.id))).scalar_one()
            await conn.execute(
                insert(schedule_deliveries).values(
                    key="old-prompt", kind="prompt", platform="console", workspace="w1", channel="c1",
                    exam="SAA-C03", question_id=slice_[0], due_at=START, state="posted", nonce="n",
                    claimed_at=START, posted_at=START,
                )
            )  # fmt: skip
            await practice_store.create_attempt(
                conn, member_id=ada_id, question_id=slice_[1], exam="SAA-C03", domain="x", source="practice",
                option_order="0123", channel="c7", now=START,
            )  # fmt: skip
        reply = await core.handle_line(ada, "/mock exam:SAA-C03 final:true questions:10")
        assert reply.title == "Final mock SAA-C03 · question 1 of 10", reply.text
        report = await finish_mock(core, ada, reply, right=8)
        assert report.title == "Final mock SAA-C03 report"
        assert "rests your readiness on this score first" in to_plain(report.text)
        first = await final_ids(rt, 1)
        assert len(first) == 10 and set(first) <= set(slice_) and {slice_[0], slice_[1]}.isdisjoint(first)
        async with svc.engine.connect() as conn:  # a final's questions never come back in /review
            cards = (await conn.execute(select(func.count()).where(review_cards.c.question_id.in_(first)))).scalar_one()
        assert cards == 0
        stats = await core.handle_line(ada, "/stats exam:SAA-C03")
        ready = to_plain(next(f.value for f in stats.fields if f.name == "Readiness (estimate)"))
        assert "rests first on your final mock of Mon 23 Nov: 8 of 10 right, so likely 49% to 94%" in ready, ready

    clock.advance(dt.timedelta(days=1))
    async with Runtime(make_settings(database_url), clock=clock, catalog=catalog) as rt:
        core = rt.core
        reply = await core.handle_line(ada, "/mock exam:SAA-C03 final:true")
        text = to_plain(reply.text)
        assert reply.title == "Final mock SAA-C03 · question 1 of 53", text
        assert "this final has 53, because 53 of the 65 held-out questions are new to you" in text
        await finish_mock(core, ada, reply, right=40)
        second = await final_ids(rt, 2)
        assert len(second) == 53 and set(second).isdisjoint({*first, slice_[0], slice_[1]})
        again = await core.handle_line(ada, "/mock exam:SAA-C03 final:true")
        assert again.title == ERROR and "already met every one of the 65" in to_plain(again.text)


async def review_cards_due(core: Core, who: Identity, clock: FixedClock, n: int) -> None:
    """`n` practice questions answered wrong, then time for all of them to be due."""
    for _ in range(n):
        question = await practice_single(core, who)
        wrong = next(b.label for b in question.buttons if b.label != correct_letter(core, question))
        await press(core, who, question, wrong)
        clock.advance(dt.timedelta(seconds=10))
    clock.advance(dt.timedelta(minutes=11))


async def test_every_review_shows_the_options_in_a_fresh_order_and_grades_what_was_seen(
    core: Core, clock: FixedClock
) -> None:
    ada = person()
    await review_cards_due(core, ada, clock, 1)
    orders = []
    for n in range(6):
        review = await core.handle_line(ada, "/review")
        assert review.title and review.title.startswith("Review"), review.text
        orders.append(order_of(review))
        key = correct_letter(core, review)
        if n == 5:
            assert (await press(core, ada, review, key)).title == "Correct"
            break
        wrong = next(b.label for b in review.buttons if b.label != key)
        verdict = await press(core, ada, review, wrong)  # wrong again, so the card is due in ten minutes
        assert verdict.title == "Not quite" and f"The answer is **{key}**" in verdict.text  # in the order shown
        clock.advance(dt.timedelta(minutes=11))
    assert len(set(orders)) > 1, orders


async def test_a_daily_cap_carries_the_rest_over_oldest_first_and_survives_a_restart(
    database_url: str, clock: FixedClock, catalog: Catalog
) -> None:
    ada = person()
    async with Runtime(make_settings(database_url), clock=clock, catalog=catalog) as rt:
        core = rt.core
        bad = await core.handle_line(ada, "/review settings cap:2")
        assert bad.title == ERROR
        saved = await core.handle_line(ada, "/review settings cap:5")
        assert saved.title == "Your reviews" and "5 reviews" in to_plain(saved.fields[0].value)
        await review_cards_due(core, ada, clock, 8)
        async with rt.services.engine.connect() as conn:
            ada_id = (await conn.execute(select(members.c.id))).scalar_one()
            due_order = [q for q, _e, _d in await practice_store.due_card_questions(conn, ada_id, clock.now(), limit=8)]
        for n in range(5):
            review = await core.handle_line(ada, "/review")
            assert question_id(review) == due_order[n]
            await press(core, ada, review, correct_letter(core, review))
        capped = await core.handle_line(ada, "/review")
        assert capped.title == "Done for today", capped.text
        assert "You answered 5 reviews today" in to_plain(capped.text) and "3 cards still due" in capped.text
    clock.set(dt.datetime(2026, 11, 24, 0, 30, tzinfo=dt.UTC))  # the next day, in the default timezone
    async with Runtime(make_settings(database_url), clock=clock, catalog=catalog) as rt:
        review = await rt.core.handle_line(ada, "/review")
        assert question_id(review) == due_order[5]  # carried over: the oldest due comes first


async def test_a_break_pauses_reviews_and_spreads_the_backlog_over_the_days_after(
    core: Core, clock: FixedClock
) -> None:
    ada = person()
    await review_cards_due(core, ada, clock, 10)
    bad = await core.handle_line(ada, "/review break from:2026-11-30 to:2026-11-26")
    assert bad.title == ERROR and "before it starts" in bad.text
    assert (await core.handle_line(ada, "/review resume")).title == "No break"
    taken = await core.handle_line(ada, "/review break from:2026-11-23 to:2026-11-26")
    assert taken.title == "Break set", taken.text
    assert "From Fri 27 Nov, what is due by then (10 cards as things stand) comes back spread over 4 days" in to_plain(
        taken.text
    )
    clock.set(dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC))
    paused = await core.handle_line(ada, "/review")
    assert paused.title == "On a break" and "Thu 26 Nov" in paused.text

    async def due_per_day(first: int) -> list[int]:
        async with core.services.engine.connect() as conn:
            ada_id = (await conn.execute(select(members.c.id))).scalar_one()
            ends = [dt.datetime(2026, 11, day, 23, 59, tzinfo=dt.UTC) for day in range(first, first + 4)]
            return [(await practice_store.card_counts(conn, ada_id, end))[1] for end in ends]

    clock.set(dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC))
    back = await core.handle_line(ada, "/review")
    assert back.title and back.title.startswith("Review"), back.text
    assert await due_per_day(27) == [3, 5, 8, 10]  # a few a day, not all ten on the first day back
    assert (await core.handle_line(ada, "/review")).title.startswith("Review")  # type: ignore[union-attr]

    assert (await core.handle_line(ada, "/review break from:2026-12-10 to:2026-12-12")).title == "Break set"
    assert (await core.handle_line(ada, "/review resume")).title == "Break called off"
    assert (await core.handle_line(ada, "/review break from:2026-11-27 to:2026-11-28")).title == "Break set"
    assert (await core.handle_line(ada, "/review")).title == "On a break"
    assert (await core.handle_line(ada, "/review resume")).title == "Break ended"
    # Ended early, the cards due today come back spread over the two days the break was to last.
    assert await due_per_day(27) == [2, 5, 8, 10]
    assert (await core.handle_line(ada, "/review")).title.startswith("Review")  # type: ignore[union-attr]


async def test_the_due_dm_is_opt_in_once_a_day_outside_quiet_hours_and_once_across_restarts(
    database_url: str, clock: FixedClock, catalog: Catalog
) -> None:
    ada = person()
    poster = FakePoster()

    async def run(rt: Runtime, when: dt.datetime) -> int:
        (job,) = [j for j in rt.core.registry.delivery_jobs if j.name == "review reminders"]
        return await job.run(rt.services, when)

    async with Runtime(make_settings(database_url), clock=clock, catalog=catalog) as rt:
        rt.services.posters.add(poster)
        await rt.core.handle_line(ada, "/profile timezone:Europe/Berlin")
        await review_cards_due(rt.core, ada, clock, 2)
        morning = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)  # 09:00 in Berlin
        assert await run(rt, morning) == 0 and poster.dms == []  # opt-in: nothing until asked
        assert (await rt.core.handle_line(ada, "/review settings dm:on quiet:22-8")).title == "Your reviews"
        assert await run(rt, dt.datetime(2026, 11, 23, 22, 30, tzinfo=dt.UTC)) == 0  # 23:30 in Berlin: quiet
        assert await run(rt, morning) == 1
        assert await run(rt, morning + dt.timedelta(hours=3)) == 0  # once that day
        (workspace, user, reply) = poster.dms[0]
        assert (workspace, user, reply.title) == ("w1", "ada", "Reviews are due")
        assert "2 reviews waiting for you today" in to_plain(reply.text)
    async with Runtime(make_settings(database_url), clock=clock, catalog=catalog) as rt:
        rt.services.posters.add(poster)
        assert await run(rt, morning + dt.timedelta(hours=5)) == 0  # a restart sends it no second time
        assert await run(rt, morning + dt.timedelta(days=1)) == 1  # the next day, still due
        await rt.core.handle_line(ada, "/review break from:2026-11-26 to:2026-11-28")
        assert await run(rt, morning + dt.timedelta(days=2)) == 0  # on a break
    assert len(poster.dms) == 2


def test_readiness_is_a_range_that_narrows_with_evidence(catalog: Catalog) -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    low, high = wilson(10, 10)
    assert high > 0.999 and 0.72 < low < 0.73
    exam = catalog.exams["SAA-C03"]
    names = [d.name for d in exam.domains]
    few = readiness(domain_scores(exam, {names[0]: (3, 2)}))
    many = readiness(domain_scores(exam, {n: (100, 80) for n in names}))
    assert few.low < 0.2 and few.high > 0.9  # three answers in one domain say almost nothing
    assert 0.7 < many.low < 0.8 < many.high < 0.9
    assert few.thin[0] == (names[0], 3) and len(few.thin) == len(names) and many.thin == ()


async def test_stats_shows_the_range_the_evidence_and_the_thin_domains(core: Core, clock: FixedClock) -> None:
    ada = person()
    for _ in range(6):
        question = await practice_single(core, ada)
        await press(core, ada, question, correct_letter(core, question))
    clock.advance(dt.timedelta(days=2))
    stats = await core.handle_line(ada, "/stats exam:SAA-C03")
    ready = to_plain(next(f.value for f in stats.fields if f.name == "Readiness (estimate)"))
    assert "SAA-C03: likely" in ready and "% to " in ready and "from 6 answers covering" in ready, ready
    assert "last answer 2 days ago" in ready and "too few answers to say in" in ready


async def test_cards_of_held_out_questions_are_never_reviewed_counted_or_moved_even_after_a_restart(
    database_url: str, clock: FixedClock, catalog: Catalog
) -> None:
    """A member who met final-mock questions before the slice was held out has cards of them: `/review` never
    serves them, its counts and a break's backlog leave them out, and so does a restart that finds the
    stored copy of the slice gone (the runtime writes it again from the catalog)."""
    ada = person()
    async with Runtime(make_settings(database_url), clock=clock, catalog=catalog) as rt:
        core = rt.core
        slice_ = sorted(rt.services.questions.held_out_ids("SAA-C03"))[:3]
        await review_cards_due(core, ada, clock, 1)  # one card review may serve
        async with rt.services.engine.begin() as conn:
            ada_id = (await conn.execute(select(members.c.id))).scalar_one()
            await conn.execute(
                insert(review_cards),
                [
                    {
                        "member_id": ada_id, "question_id": qid, "exam": "SAA-C03", "state": 2, "step": None,
                        "stability": 3.0, "difficulty": 5.0, "due": START - dt.timedelta(days=30 + n),
                        "last_review": START - dt.timedelta(days=40), "reviews": 2, "lapses": 0,
                    }
                    for n, qid in enumerate(slice_)
                ],
            )  # fmt: skip
        review = await core.handle_line(ada, "/review")
        assert review.title and review.title.startswith("Review"), review.text
        assert question_id(review) not in slice_ and "1 due now of 1 cards" in (review.footer or ""), review.footer
        taken = await core.handle_line(ada, "/review break from:2026-11-23 to:2026-11-24")
        assert "(1 card as things stand)" in to_plain(taken.text), taken.text
        assert (await core.handle_line(ada, "/review resume")).title == "Break ended"
        async with rt.services.engine.begin() as conn:
            dues = dict((await conn.execute(select(review_cards.c.question_id, review_cards.c.due))).all())
            await conn.execute(delete(held_out_questions))  # as if the stored slice were lost
        assert all(dues[qid] == START - dt.timedelta(days=30 + n) for n, qid in enumerate(slice_))  # not moved

    async with Runtime(make_settings(database_url), clock=clock, catalog=catalog) as rt:
        review = await rt.core.handle_line(ada, "/review")
        assert review.title and review.title.startswith("Review"), review.text
        assert question_id(review) not in slice_ and "1 due now of 1 cards" in (review.footer or ""), review.footer
        async with rt.services.engine.connect() as conn:
            stored = set((await conn.execute(select(held_out_questions.c.question_id))).scalars())
        assert stored == rt.services.questions.held_out_ids()
