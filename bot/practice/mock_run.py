"""`/mock`: a timed practice exam that survives restarts, can be reviewed before it is submitted, and
ends itself when its time is up.

The whole draw is stored when the mock starts (one attempt per question, in order). An answer is held
on its attempt (`pending`) and may change until the mock is submitted or its time is up; only then do
the held answers go through the answer writer like any other answer (graded by `grade`, counted in
`/stats`, scheduled for `/review`). A flag is stored on the attempt too, so a restart loses nothing,
and every button names the attempt or mock it acts on. Time is checked whenever the member interacts;
`end_expired` is the hook for a scheduler to end forgotten mocks on time.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.actions import ActionId
from bot.catalog.models import Exam, Question
from bot.catalog.questions import Place
from bot.errors import InvalidOption, NotFound, StaleAction, UserError
from bot.markup import bold, bullets, esc
from bot.practice import texts
from bot.practice.engine import (
    ANSWER,
    ANSWER_SELECT,
    Served,
    answer_job,
    decode_press,
    member_key,
    partial_sequence,
    place_of,
    pressed_question,
    question_reply,
    sequence_step_reply,
    verdict_text,
)
from bot.practice.errata import report_button
from bot.practice.mocks import DEFAULT_QUESTIONS, default_minutes, draw
from bot.practice.questions import LETTERS, grade, in_words, shuffled_order
from bot.practice.scoring import domain_scores, passing_mark, scaled_estimate
from bot.practice.writer import FINAL, AnswerJob
from bot.replies import Button, Field, Reply, Select
from bot.requests import Action, Identity
from bot.services import Services
from bot.store import deliveries as outbox
from bot.store import members as member_store
from bot.store import practice as store
from bot.store.db import reading
from bot.words import plural

END_MOCK = "mk-end"
MOCK_ANSWER = "mka"  # fields as the practice answer button: attempt, question, order, letters
MOCK_FLAG = "mkf"  # attempt
MOCK_REVIEW = "mkr"  # mock
MOCK_JUMP = "mkj"  # mock, position
MOCK_SUBMIT = "mks"  # mock, "1" once the member confirmed submitting with questions unanswered
MOCK_PAGE = "mkp"  # mock, page of the report
JUMP_BUTTONS = 23  # Discord shows 25 buttons; the review screen keeps two for Submit and End

CLOSED = "That question is closed; nothing was recorded."
TOO_LATE = "Time is up: that press came too late to change anything. "


async def start_or_resume(
    svc: Services,
    identity: Identity,
    now: dt.datetime,
    exam: Exam,
    count: int | None,
    minutes: int | None,
    *,
    final: bool = False,
) -> Reply:
    async with svc.engine.begin() as conn:
        member = await member_store.ensure(conn, identity, now)
        running = await store.open_mock(conn, member.id)
        if running is not None and now < running.ends_at:
            note = "You have a mock running; here is where you left off."
            kind = "final mock" if running.final else "mock"
            if running.exam != exam.code:
                note = f"Your {running.exam} {kind} is still running; finish or end it before starting {exam.code}."
            elif running.final != final:
                asked = "a final mock" if final else "an ordinary mock"
                note = (
                    f"Your {exam.code} {kind} is still running, so {asked} was not started: finish or end this "
                    "one first. Here is where you left off."
                )
            return await _next_view(conn, svc, identity, running, now, note)
    if running is not None:
        return await _finish(svc, identity, running.id, now, "timeout", intro="Your last mock ran out of time. ")
    async with svc.engine.begin() as conn:
        member = await member_store.ensure(conn, identity, now)
        if final:
            drawn, intro = await _final_draw(conn, svc, identity, member.id, exam, count, now)
        else:
            questions = await svc.questions.pool(conn, place_of(identity), exam.code)
            if not questions:
                raise NotFound(f"There are no {exam.code} questions yet, so no mock.", "Try another exam.")
            wanted = count or min(DEFAULT_QUESTIONS, len(questions))
            if wanted > len(questions):
                raise InvalidOption(
                    f"The {exam.code} bank has {len(questions)} questions, fewer than the {wanted} you asked for.",
                    f"Ask for `questions:{len(questions)}` or fewer.",
                )
            seen = await store.history(conn, member.id, exam.code)
            drawn = draw(exam, questions, wanted, f"{member.id}|{now.isoformat()}", seen)
            intro = ""
        length = minutes or default_minutes(exam, len(drawn))
        mock_id = await store.create_mock(conn, member.id, exam.code, len(drawn), length, now, final=final)
        key = member_key(identity)
        for position, question in enumerate(drawn, start=1):
            domain = exam.domain(question.domain)
            await store.create_attempt(
                conn,
                member_id=member.id,
                question_id=question.id,
                exam=exam.code,
                domain=domain.name if domain else question.domain,
                source=FINAL if final else "mock",
                option_order=shuffled_order(key, question),
                channel=identity.channel,
                now=now,
                mock_id=mock_id,
                position=position,
            )
        mock = await store.mock(conn, mock_id)
        assert mock is not None
        kind = "final mock" if final else "mock"
        size = f"{plural(len(drawn), 'question')} in {plural(length, 'minute')}"
        intro = (
            f"{bold(f'{exam.code} {kind}: {size}.')} {intro}"
            "Answers are revealed in the report at the end, as on the real exam. "
            "Flag a question to come back to it; the review screen shows what is left before you submit."
        )
        return await _next_view(conn, svc, identity, mock, now, intro)


async def met_elsewhere(conn: AsyncConnection, svc: Services, identity: Identity, member_id: int) -> set[str]:
    """Every question the member has already met: served to them by any command (a final mock too), or
    put by a group prompt in a channel they use (where they answered a prompt or a question of their
    own, and this one). A final mock leaves all of them out, so its score is about questions never seen."""
    served, channels = await store.met_questions(conn, member_id)
    channels |= await outbox.channels_answered(conn, identity.platform, identity.workspace, identity.user_id)
    channels.add(identity.channel)
    return served | await outbox.questions_posted_in(conn, identity.platform, identity.workspace, channels)


async def _final_draw(
    conn: AsyncConnection,
    svc: Services,
    identity: Identity,
    member_id: int,
    exam: Exam,
    count: int | None,
    now: dt.datetime,
) -> tuple[list[Question], str]:
    """A final mock's questions: the exam's held-out slice without anything the member met, drawn to the
    guide's weights at full length where the slice allows; and a sentence when it is shorter."""
    slice_ = await svc.questions.final_pool(conn, Place(identity.platform, identity.workspace), exam.code)
    if not slice_:
        raise NotFound(f"{exam.code} has no held-out questions for a final mock yet.", "Take a `/mock` instead.")
    met = await met_elsewhere(conn, svc, identity, member_id)
    fresh = [q for q in slice_ if q.id not in met]
    if not fresh:
        raise NotFound(
            f"You have already met every one of the {len(slice_)} held-out {exam.code} questions, "
            "so a final mock would not be honest any more.",
            "Take a `/mock` instead: its score still counts.",
        )
    full = exam.questions.total if exam.questions else len(slice_)
    wanted = min(count or full, len(fresh))
    drawn = draw(exam, fresh, wanted, f"final|{member_id}|{now.isoformat()}")
    note = ""
    if len(drawn) < (count or full):
        why = (
            f"the held-out slice of the {exam.code} bank has {len(slice_)}"
            if len(fresh) == len(slice_)
            else f"{len(fresh)} of the {len(slice_)} held-out questions are new to you"
        )
        note = f"The real exam has {full} questions; this final has {len(drawn)}, because {why}. "
    return drawn, note


def _name(mock: store.Mock) -> str:
    return "Final mock" if mock.final else "Mock"


def _held(item: store.MockItem) -> str | None:
    """The member's answer: recorded (a mock submitted, or a press from before answers were held) or held."""
    return item.chosen if item.chosen is not None else item.attempt.pending


def _letters(item: store.MockItem, question: Question | None) -> str:
    """The held answer in the letters the member saw; empty for an ordering or matching answer, whose
    sequence the report shows in full."""
    held, order = _held(item) or "", item.attempt.option_order
    if question is None or question.type in ("ordering", "matching") or any(c not in order for c in held):
        return ""
    return "".join(sorted(LETTERS[order.index(c)] for c in held))


def _right(item: store.MockItem, question: Question | None) -> bool:
    """Right or wrong as `grade` judges the held answer; an unanswered question counts as wrong."""
    if item.chosen is not None:
        return bool(item.correct)
    held = item.attempt.pending
    return held is not None and question is not None and grade(question, held)


async def _next_view(
    conn: AsyncConnection, svc: Services, identity: Identity, mock: store.Mock, now: dt.datetime, note: str = ""
) -> Reply:
    """The first unanswered question of a running mock, or its review screen when none is left."""
    items = await store.mock_items(conn, mock.id)
    nxt = next((i for i in items if _held(i) is None), None)
    if nxt is None:
        return await _review_view(conn, svc, identity, mock, items, now, note)
    return await _question_view(conn, svc, identity, mock, items, nxt, now, note)


async def _after(
    conn: AsyncConnection, svc: Services, identity: Identity, mock: store.Mock, position: int, now: dt.datetime
) -> Reply:
    """After an answer: the next unanswered question after this one (wrapping round), else the review."""
    items = await store.mock_items(conn, mock.id)
    unanswered = [i for i in items if _held(i) is None]
    if not unanswered:
        return await _review_view(conn, svc, identity, mock, items, now)
    later = [i for i in unanswered if (i.attempt.position or 0) > position]
    return await _question_view(conn, svc, identity, mock, items, (later or unanswered)[0], now)


def _mock_kind(action_id: str) -> str:
    """A practice answer id turned into the mock's own, so the press is held rather than recorded."""
    aid = ActionId.decode(action_id)
    if aid.kind not in (ANSWER, ANSWER_SELECT):
        return action_id
    return ActionId(MOCK_ANSWER, aid.fields, aid.version).encode()


def _mock_components(reply: Reply) -> tuple[tuple[Button, ...], Select | None]:
    buttons = tuple(Button(b.label, _mock_kind(b.action_id), b.style) for b in reply.buttons)
    select = reply.select
    if select is not None:
        select = Select(
            _mock_kind(select.action_id), select.options, select.placeholder, select.min_values, select.max_values
        )
    return buttons, select


async def _question_view(
    conn: AsyncConnection,
    svc: Services,
    identity: Identity,
    mock: store.Mock,
    items: list[store.MockItem],
    item: store.MockItem,
    now: dt.datetime,
    note: str = "",
    *,
    just_flagged: bool = False,
) -> Reply:
    question = await svc.questions.find(conn, place_of(identity), item.attempt.question_id)
    exam = svc.catalog.exam(mock.exam)
    if question is None or exam is None:  # a workspace question removed mid-mock: end it as before
        await store.finish_mock(conn, mock.id, now, "stopped")
        return await report(conn, svc, identity, mock.id, intro="A question of this mock no longer exists. ")
    served = Served(item.attempt.id, question, item.attempt.option_order, exam)
    answered = sum(1 for i in items if _held(i) is not None)
    status = []
    held = _held(item)
    if held is not None and question.type not in ("ordering", "matching"):
        letters = bold(in_words(_letters(item, question)))
        status.append(f"Your answer now: {letters}. Press another to change it while time remains.")
    elif held is not None:
        status.append("You answered this one; answer again to change it while time remains.")
    if item.attempt.flagged:  # said as news only right after the press that flagged it
        status.append(bold("Flagged for review.") if just_flagged else "You flagged this question for review.")
    before = "\n".join(p for p in (note, " ".join(status)) if p)
    left = texts.until(mock.ends_at, now).removeprefix("in ")
    zone = await _zone(conn, svc, identity)
    reply = question_reply(
        served,
        heading=f"{_name(mock)} {mock.exam} · question {item.attempt.position} of {len(items)}",
        footer=f"{left} left · ends {texts.local_time(mock.ends_at, zone)} · {answered} of {len(items)} answered",
        text_before=before,
    )
    buttons, select = _mock_components(reply)
    flag = Button(
        "Remove flag" if item.attempt.flagged else "Flag for review",
        ActionId(MOCK_FLAG, (str(item.attempt.id),)).encode(),
    )
    review = Button("Review answers", ActionId(MOCK_REVIEW, (str(mock.id),)).encode())
    end = Button("End mock now", ActionId(END_MOCK, (str(mock.id),)).encode(), "danger")
    return Reply(
        title=reply.title,
        text=reply.text,
        buttons=(*buttons[:22], flag, review, end),
        select=select,
        footer=reply.footer,
        ephemeral=True,
        replace=bool(note == ""),
    )


async def _review_view(
    conn: AsyncConnection,
    svc: Services,
    identity: Identity,
    mock: store.Mock,
    items: list[store.MockItem],
    now: dt.datetime,
    note: str = "",
) -> Reply:
    """The review screen: every question answered, unanswered or flagged, a jump to each, and Submit."""
    lines = []
    for item in items:
        letters = in_words(_letters(item, await svc.questions.find(conn, place_of(identity), item.attempt.question_id)))
        state = "unanswered" if _held(item) is None else f"answered {letters}".strip()
        flag = " · **flagged**" if item.attempt.flagged else ""
        lines.append(f"Question {item.attempt.position}: {esc(state)}{flag}")
    answered = sum(1 for i in items if _held(i) is not None)
    flagged = sum(1 for i in items if i.attempt.flagged)
    left = texts.until(mock.ends_at, now).removeprefix("in ")
    head = (
        f"{bold(f'{answered} answered, {len(items) - answered} unanswered, {flagged} flagged.')} "
        f"{esc(left)} left: press a question to go back to it and change its answer, or submit."
    )
    # Flagged and unanswered questions first when there are more than the buttons can hold.
    wanted = sorted(items, key=lambda i: (not i.attempt.flagged and _held(i) is not None, i.attempt.position or 0))
    jumps = sorted(wanted[:JUMP_BUTTONS], key=lambda i: i.attempt.position or 0)
    buttons = [
        Button(
            f"Q{i.attempt.position}" + (" ⚑" if i.attempt.flagged else "") + (" ?" if _held(i) is None else ""),
            ActionId(MOCK_JUMP, (str(mock.id), str(i.attempt.position))).encode(),
        )
        for i in jumps
    ]
    buttons.append(Button("Submit mock", ActionId(MOCK_SUBMIT, (str(mock.id), "0")).encode(), "success"))
    if len(items) > JUMP_BUTTONS:
        head += f"\nButtons show {JUMP_BUTTONS} questions, flagged and unanswered first."
    return Reply(
        title=f"{_name(mock)} {mock.exam} · review",
        text=(esc(note) + "\n" if note else "") + head + "\n\n" + bullets(lines),
        buttons=tuple(buttons),
        footer=f"ends {texts.local_time(mock.ends_at, await _zone(conn, svc, identity))}",
        ephemeral=True,
        replace=True,
    )


async def _zone(conn: AsyncConnection, svc: Services, identity: Identity) -> str:
    member = await member_store.find(conn, identity)
    return (member.timezone if member else None) or svc.settings.default_timezone


async def _own_mock(conn: AsyncConnection, identity: Identity, mock_id: int) -> store.Mock:
    member = await member_store.find(conn, identity)
    mock = await store.mock(conn, mock_id)
    if mock is None or member is None or mock.member_id != member.id:
        raise StaleAction("That button belongs to someone else's mock.", "Start your own with `/mock`.")
    return mock


async def answer(svc: Services, action: Action, aid: ActionId) -> Reply:
    """A press on a mock question's answer: held on the attempt (replacing an earlier one), then on."""
    now = action.at
    assert now is not None
    identity = action.identity
    press = decode_press(action, aid)
    question = await pressed_question(svc, identity, press.question_id)
    picked = partial_sequence(press, question)
    if picked is not None:
        step = sequence_step_reply(press, question, picked)
        buttons, select = _mock_components(step)
        return Reply(title=step.title, text=step.text, buttons=buttons, select=select, footer=step.footer,
                     ephemeral=True, replace=True)  # fmt: skip
    job, _chosen = answer_job(action, press, question)
    async with svc.engine.begin() as conn:
        attempt = await store.attempt(conn, press.attempt_id)
        if attempt is None or attempt.mock_id is None or attempt.option_order != press.order:
            raise StaleAction("That answer button is out of date.", "Use `/mock` to see your mock.")
        member = await member_store.find(conn, identity)
        if member is None or member.id != attempt.member_id:
            raise UserError(
                "That question was served to someone else, so your press was not counted.",
                "Start your own with `/mock`.",
            )
        mock = await store.mock(conn, attempt.mock_id)
        assert mock is not None
        if mock.finished_at is not None:
            raise StaleAction(CLOSED, "Run `/mock` to start a new one.")
        if now < mock.ends_at:
            if not await store.hold_answer(conn, attempt.id, job.chosen, now):
                raise StaleAction(CLOSED, "Use `/mock` to see your mock.")
            return await _after(conn, svc, identity, mock, attempt.position or 0, now)
    return await _finish(
        svc, identity, mock.id, now, "timeout", intro="Time is up: this answer came too late to count. "
    )


async def after_answer(svc: Services, identity: Identity, mock_id: int, now: dt.datetime, *, expired: bool) -> Reply:
    """After a practice answer button recorded a mock answer at once (a mock from before answers were
    held): on to the next question, or the report when time is up."""
    async with svc.engine.begin() as conn:
        mock = await _own_mock(conn, identity, mock_id)
        if mock.finished_at is not None:
            raise StaleAction(CLOSED, "Run `/mock` to start a new one.")
        if not expired and now < mock.ends_at:
            return await _next_view(conn, svc, identity, mock, now)
    return await _finish(
        svc, identity, mock_id, now, "timeout", intro="Time is up: this answer came too late to count. "
    )


async def flag(svc: Services, identity: Identity, attempt_id: int, now: dt.datetime) -> Reply:
    """Flag or unflag a mock question; shows it again with its new state."""
    async with svc.engine.begin() as conn:
        attempt = await store.attempt(conn, attempt_id)
        if attempt is None or attempt.mock_id is None:
            raise StaleAction("That button is out of date.", "Use `/mock` to see your mock.")
        mock = await _own_mock(conn, identity, attempt.mock_id)
        if mock.finished_at is not None:
            return await report(conn, svc, identity, mock.id, intro=await _ended_note(conn, svc, identity, mock))
        if now < mock.ends_at:
            await store.flag_attempt(conn, attempt.id, not attempt.flagged)
            items = await store.mock_items(conn, mock.id)
            item = next(i for i in items if i.attempt.id == attempt.id)
            return await _question_view(conn, svc, identity, mock, items, item, now, just_flagged=True)
    return await _finish(svc, identity, mock.id, now, "timeout", intro=TOO_LATE)


async def review(svc: Services, identity: Identity, mock_id: int, now: dt.datetime) -> Reply:
    async with svc.engine.begin() as conn:
        mock = await _own_mock(conn, identity, mock_id)
        if mock.finished_at is not None:
            return await report(conn, svc, identity, mock.id, intro=await _ended_note(conn, svc, identity, mock))
        if now < mock.ends_at:
            return await _review_view(conn, svc, identity, mock, await store.mock_items(conn, mock.id), now)
    return await _finish(svc, identity, mock.id, now, "timeout", intro=TOO_LATE)


async def jump(svc: Services, identity: Identity, mock_id: int, position: int, now: dt.datetime) -> Reply:
    async with svc.engine.begin() as conn:
        mock = await _own_mock(conn, identity, mock_id)
        if mock.finished_at is not None:
            return await report(conn, svc, identity, mock.id, intro=await _ended_note(conn, svc, identity, mock))
        if now < mock.ends_at:
            items = await store.mock_items(conn, mock.id)
            item = next((i for i in items if i.attempt.position == position), None)
            if item is None:
                raise StaleAction(f"This mock has no question {position}.", "Use `/mock` to see your mock.")
            return await _question_view(conn, svc, identity, mock, items, item, now)
    return await _finish(svc, identity, mock.id, now, "timeout", intro=TOO_LATE)


async def submit(svc: Services, identity: Identity, mock_id: int, confirmed: bool, now: dt.datetime) -> Reply:
    """Submit from the review screen; with questions unanswered, only after the member confirms."""
    async with svc.engine.begin() as conn:
        mock = await _own_mock(conn, identity, mock_id)
        if mock.finished_at is not None:
            return await report(conn, svc, identity, mock.id, intro=await _ended_note(conn, svc, identity, mock))
        if now >= mock.ends_at:
            expired = True
        else:
            expired = False
            items = await store.mock_items(conn, mock.id)
            unanswered = sum(1 for i in items if _held(i) is None)
            if unanswered and not confirmed:
                n = f"{unanswered} question{'s are' if unanswered != 1 else ' is'}"
                return Reply(
                    title=f"{_name(mock)} {mock.exam} · submit?",
                    text=f"{bold(f'{n} unanswered')} and will count as wrong. Submit anyway, or go back and answer?",
                    buttons=(
                        Button("Submit anyway", ActionId(MOCK_SUBMIT, (str(mock.id), "1")).encode(), "danger"),
                        Button("Back to review", ActionId(MOCK_REVIEW, (str(mock.id),)).encode(), "primary"),
                    ),
                    ephemeral=True,
                    replace=True,
                )
    if expired:
        return await _finish(svc, identity, mock_id, now, "timeout", intro=TOO_LATE)
    return await _finish(svc, identity, mock_id, now, "submitted")


async def end_now(svc: Services, identity: Identity, mock_id: int, now: dt.datetime) -> Reply:
    async with svc.engine.begin() as conn:
        mock = await _own_mock(conn, identity, mock_id)
        if mock.finished_at is not None:
            return await report(conn, svc, identity, mock.id, intro=await _ended_note(conn, svc, identity, mock))
    return await _finish(svc, identity, mock_id, now, "timeout" if now >= mock.ends_at else "stopped")


async def _ended_note(conn: AsyncConnection, svc: Services, identity: Identity, mock: store.Mock) -> str:
    """What a press on an ended mock's button is told: when it ended, and that the press changed nothing."""
    assert mock.finished_at is not None
    when = texts.local_time(mock.finished_at, await _zone(conn, svc, identity))
    return f"This mock already ended on {when}; that press changed nothing. "


async def _record_held(svc: Services, mock_id: int) -> None:
    """Send the mock's held answers through the answer writer, each at the time it was given (before the
    end, so the writer takes them); the writer commits on its own connection, so no transaction of ours
    may be open here."""
    async with reading(svc.engine) as conn:
        mock = await store.mock(conn, mock_id)
        member = await member_store.by_id(conn, mock.member_id) if mock is not None else None
        if member is None:
            return
        place = Place(member.platform, member.workspace)
        jobs = []
        for item in await store.mock_items(conn, mock_id):
            held, at = item.attempt.pending, item.attempt.pending_at
            if item.chosen is not None or held is None or at is None:
                continue
            question = await svc.questions.find(conn, place, item.attempt.question_id)
            if question is None:
                continue
            jobs.append(
                AnswerJob(
                    attempt_id=item.attempt.id,
                    platform=member.platform,
                    workspace=member.workspace,
                    user_id=member.user_id,
                    question_id=question.id,
                    option_order=item.attempt.option_order,
                    chosen=held,
                    correct=grade(question, held),
                    at=at,
                )
            )
    await asyncio.gather(*(svc.writer.record(job) for job in jobs))


async def _finish(
    svc: Services, identity: Identity, mock_id: int, now: dt.datetime, ended_by: str, *, intro: str = ""
) -> Reply:
    """End a mock: its held answers recorded, then the mock closed, then its report (first page)."""
    await _record_held(svc, mock_id)
    async with svc.engine.begin() as conn:
        await store.finish_mock(conn, mock_id, now, ended_by)
        return await report(conn, svc, identity, mock_id, intro=intro)


async def end_expired(svc: Services, now: dt.datetime) -> list[int]:
    """End every mock whose time is up (for a scheduler), its held answers recorded first; returns the
    ids ended."""
    async with reading(svc.engine) as conn:
        expired = await store.expired_mocks(conn, now)
    ended = []
    for mock_id in expired:
        await _record_held(svc, mock_id)
        async with svc.engine.begin() as conn:
            if await store.finish_mock(conn, mock_id, now, "timeout"):
                ended.append(mock_id)
    return ended


ENDED = {
    "timeout": "Time ran out.",
    "stopped": "You ended it early.",
    "completed": "All questions answered.",
    "submitted": "You submitted it.",
}


async def _explained(
    conn: AsyncConnection, svc: Services, identity: Identity, items: list[store.MockItem]
) -> tuple[list[str], dict[int, bool]]:
    """Every question as the verdict shows it (its stem, the member's answer, the key and each option's
    explanation), wrong, unanswered and flagged first; and each attempt's grade."""
    graded: dict[int, bool] = {}
    blocks: list[tuple[bool, int, str]] = []
    for item in items:
        question = await svc.questions.find(conn, place_of(identity), item.attempt.question_id)
        right = _right(item, question)
        graded[item.attempt.id] = right
        held = _held(item)
        status = "right" if right else ("unanswered" if held is None else "wrong")
        head = f"{bold(f'Question {item.attempt.position}: {status}')}" + (" · flagged" if item.attempt.flagged else "")
        if question is None:
            body = f"{esc(item.attempt.question_id)} no longer exists, so it cannot be shown."
        else:
            chosen = tuple(int(c) for c in held or "")
            stem = " ".join(part for part in (esc(question.stem), texts.choose_note(question)) if part)
            answer = "" if held is not None else "You gave no answer.\n"
            body = f"{stem}\n\n{answer}" + verdict_text(
                question, item.attempt.option_order, chosen, right, again=False, due_note=None
            )
        first = not right or item.attempt.flagged
        blocks.append((not first, item.attempt.position or 0, f"{head} ({esc(item.attempt.domain)})\n{body}"))
    return [text for _later, _pos, text in sorted(blocks)], graded


async def report(
    conn: AsyncConnection, svc: Services, identity: Identity, mock_id: int, *, intro: str = "", page: int = 0
) -> Reply:
    """A report shaped like AWS's (share correct, a scaled estimate, each domain), then every question
    explained on the pages after it; page 0 is the summary."""
    mock = await store.mock(conn, mock_id)
    assert mock is not None
    items = await store.mock_items(conn, mock_id)
    blocks, graded = await _explained(conn, svc, identity, items)
    answer_pages = texts.pages(blocks)
    last = len(answer_pages)
    page = max(0, min(page, last))
    nav = []
    if page > 0:
        nav.append(Button("Previous", ActionId(MOCK_PAGE, (str(mock.id), str(page - 1))).encode()))
    if page < last:
        nav.append(Button("Next", ActionId(MOCK_PAGE, (str(mock.id), str(page + 1))).encode(), "primary"))
    if page > 0:
        shown = answer_pages[page - 1]
        reports = tuple(
            report_button(i.attempt.question_id, f"Report question {i.attempt.position}")
            for i in items
            if f"Question {i.attempt.position}:" in shown
        )
        return Reply(
            title=f"{_name(mock)} {mock.exam} report · answers {page} of {last}",
            text=esc(intro) + shown,
            buttons=(*nav, *reports[: 25 - len(nav)]),
            ephemeral=True,
            replace=True,
        )
    exam = svc.catalog.exam(mock.exam)
    total = len(items)
    right = sum(1 for i in items if graded[i.attempt.id])
    answered = sum(1 for i in items if _held(i) is not None)
    share = right / total if total else 0.0
    tallies: dict[str, tuple[int, int]] = {}
    for item in items:
        n, c = tallies.get(item.attempt.domain, (0, 0))
        tallies[item.attempt.domain] = (n + 1, c + (1 if graded[item.attempt.id] else 0))
    fields = []
    summary = f"{bold(f'{right} of {total} correct ({texts.percent(share)})')}"
    if answered < total:
        summary += f"; {total - answered} left unanswered count as wrong"
    if exam is not None:
        mark = passing_mark(exam)
        score = scaled_estimate(share, mark)
        outlook = "above" if score >= mark else "below"
        summary += (
            f".\nEstimated scaled score: {bold(str(score))} on 100–1000 ({outlook} the passing mark of {mark}). "
            "This is a rough estimate from a short practice set, not how AWS scores."
        )
        if mock.final:
            summary += " Every question was new to you, so `/stats` rests your readiness on this score first."
        lines = []
        for d in domain_scores(exam, tallies):
            if d.answered == 0:
                lines.append(f"{esc(d.name)}: no questions in this mock")
                continue
            verdict = "meets" if d.meets else "needs work"
            lines.append(f"{esc(d.name)}: {bold(verdict)} ({d.correct}/{d.answered})")
        fields.append(Field("Domains", bullets(lines)))
    wrong = sum(1 for i in items if not graded[i.attempt.id] and _held(i) is not None)
    flagged = sum(1 for i in items if i.attempt.flagged)
    # Unanswered questions count as wrong in the score, but only answers given come back in /review.
    again = " The ones you answered wrong come back in `/review`." if wrong else ""
    review = (
        f"{wrong} answered wrong, {total - answered} unanswered, {flagged} flagged. Press {bold('Next')}: every "
        f"question follows with your answer, the key and why each option is right or wrong, wrong and flagged "
        f"first ({plural(last, 'page')}).{again}"
    )
    fields.append(Field("Questions to review", review))
    return Reply(
        title=f"{_name(mock)} {mock.exam} report",
        text=esc(intro) + summary + "\n" + esc(ENDED.get(mock.ended_by or "", "")),
        fields=tuple(fields),
        buttons=tuple(nav),
        ephemeral=True,
        replace=True,
    )


async def report_page(svc: Services, identity: Identity, mock_id: int, page: int) -> Reply:
    """A page of a finished mock's report, worked out again from what is stored (so it survives restarts)."""
    async with reading(svc.engine) as conn:
        mock = await _own_mock(conn, identity, mock_id)
        if mock.finished_at is None:
            raise StaleAction("That mock is still running; its report comes when it ends.", "Use `/mock` to go on.")
        return await report(conn, svc, identity, mock.id, page=page)
