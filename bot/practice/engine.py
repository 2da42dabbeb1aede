"""Serving questions and recording answers: the part of the engine every press goes through.

A served question is an attempt row; its id, the question id, the option order and the chosen
letters travel in the answer button's id, so a press needs no read before it is queued for the
writer (which checks all of them against the stored attempt in the same transaction it records in).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Awaitable
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.actions import ActionId
from bot.catalog.exams import find_domain, find_exam
from bot.catalog.models import Exam, Question
from bot.catalog.questions import Place
from bot.errors import InvalidOption, NotFound, StaleAction, UserError
from bot.markup import code, esc
from bot.practice import texts
from bot.practice.questions import (
    LETTERS,
    grade,
    in_words,
    indexes_to_letters,
    letters_to_indexes,
    shuffled_order,
)
from bot.practice.writer import AnswerJob, Outcome
from bot.replies import Button, Reply, Select, SelectOption
from bot.requests import Action, Identity
from bot.services import Services
from bot.store import members as member_store
from bot.store import practice as store

ANSWER = "pa"
ANSWER_SELECT = "pas"
NEXT_PRACTICE = "pq"
NEXT_REVIEW = "rv"


def member_key(identity: Identity) -> str:
    return f"{identity.platform}|{identity.workspace}|{identity.user_id}"


def place_of(identity: Identity) -> Place:
    return Place(identity.platform, identity.workspace)


def member_zone(member: member_store.Member | None, svc: Services) -> str:
    return (member.timezone if member else None) or svc.settings.default_timezone


def resolve_exam(svc: Services, text: str) -> Exam:
    """A current exam to practise for (see `bot.catalog.exams.find_exam`)."""
    return find_exam(svc.ask.resolver, text, purpose="so there is no practice for it")


@dataclass(frozen=True, slots=True)
class Served:
    attempt_id: int
    question: Question
    order: str
    exam: Exam


async def serve(
    conn: AsyncConnection,
    svc: Services,
    identity: Identity,
    member_id: int,
    exam: Exam,
    question: Question,
    source: str,
    now: dt.datetime,
    *,
    mock_id: int | None = None,
    position: int | None = None,
    salt: str = "",
) -> Served:
    order = shuffled_order(member_key(identity), question, salt)
    domain = exam.domain(question.domain)
    attempt_id = await store.create_attempt(
        conn,
        member_id=member_id,
        question_id=question.id,
        exam=exam.code,
        domain=domain.name if domain else question.domain,
        source=source,
        option_order=order,
        channel=identity.channel,
        now=now,
        mock_id=mock_id,
        position=position,
    )
    return Served(attempt_id, question, order, exam)


SEQUENCES = ("ordering", "matching")


def sequence_buttons(attempt_id: int, question: Question, order: str, picked: str) -> tuple[Button, ...]:
    """One button per letter not yet used, each carrying the letters picked so far; "Start again" undoes.

    The whole partial answer lives in the button, so a restart loses nothing and nothing is stored
    until the last step, which is graded all or nothing like any other answer.
    """
    fields = (str(attempt_id), question.id, order)
    buttons = [
        Button(LETTERS[pos], ActionId(ANSWER, (*fields, picked + LETTERS[pos])).encode(), "primary")
        for pos in range(len(order))
        if LETTERS[pos] not in picked
    ]
    if picked:
        buttons.append(Button("Start again", ActionId(ANSWER, (*fields, "-")).encode()))
    return tuple(buttons)


def sequence_step_reply(press: Press, question: Question, picked: str) -> Reply:
    """An ordering or matching answer after some of its steps: the question again, what is picked so far."""
    text = f"{texts.question_text(question, press.order)}\n\n{texts.sequence_progress(question, press.order, picked)}"
    return Reply(
        title="Your answer so far" if picked else "Start again",
        text=text,
        buttons=sequence_buttons(press.attempt_id, question, press.order, picked),
        footer=f"{question.difficulty} · {question.id}",
        ephemeral=True,
        replace=True,
    )


def answer_components(served: Served) -> tuple[tuple[Button, ...], Select | None]:
    """Letter buttons for one answer; a select plus a submit button for "choose N"; step-by-step
    letter buttons for ordering and matching."""
    q = served.question
    fields = (str(served.attempt_id), q.id, served.order)
    if q.type in SEQUENCES:
        return sequence_buttons(served.attempt_id, q, served.order, ""), None
    if q.type == "single":
        buttons = tuple(
            Button(LETTERS[pos], ActionId(ANSWER, (*fields, LETTERS[pos])).encode(), "primary")
            for pos in range(len(served.order))
        )
        return buttons, None
    select = Select(
        ActionId(ANSWER_SELECT, (*fields, "")).encode(),
        tuple(
            SelectOption(LETTERS[pos], LETTERS[pos], q.options[int(i)].text[:100]) for pos, i in enumerate(served.order)
        ),
        placeholder=f"Choose {q.choose} options",
        min_values=q.choose,
        max_values=q.choose,
    )
    return (Button("Submit", ActionId(ANSWER, (*fields, "")).encode(), "primary"),), select


def question_reply(served: Served, *, heading: str, footer: str | None = None, text_before: str = "") -> Reply:
    buttons, select = answer_components(served)
    q = served.question
    body = texts.question_text(q, served.order)
    if q.type in SEQUENCES:
        body += "\n\n" + texts.sequence_progress(q, served.order, "")
    default_footer = f"{q.difficulty} · {q.id}"
    return Reply(
        title=heading,
        text=(text_before + "\n\n" + body) if text_before else body,
        buttons=buttons,
        select=select,
        footer=footer or default_footer,
        ephemeral=True,
    )


def verdict_text(
    question: Question, order: str, chosen: tuple[int, ...], correct: bool, *, again: bool, due_note: str | None
) -> str:
    """The verdict with every option's explanation; built for every press of a burst, so kept lean.

    It does not open with "Correct." or "Not quite.": a verdict's title says that, and a mock report's
    heading says right, wrong or unanswered, so the text goes straight to the key."""
    if question.type in SEQUENCES:
        head = "" if correct else "Every step must be right to count."
        body = texts.sequence_verdict(question, order, chosen)
    else:
        # Letters and these fixed words need no escaping.
        head = (
            ""
            if correct
            else f"The answer is **{in_words(indexes_to_letters(order, texts.answer_indexes(question)))}**."
        )
        body = texts.explanations(question, order, chosen)
    if again:
        head = f"You already answered this one. {head}".strip()
    text = f"{head}\n\n{body}" if head else body
    text = f"{text}\n\n**Read more**\n{texts.doc_links(question)}"
    return f"{text}\n\n{_escaped_note(due_note)}" if due_note else text


@lru_cache(maxsize=512)
def _escaped_note(note: str) -> str:
    """`esc` of a verdict's note: a burst's notes are a handful of texts ("… in 8 minutes."), each
    escaped once instead of once per press."""
    return esc(note)


def verdict_reply(
    question: Question, order: str, chosen: tuple[int, ...], correct: bool, *, again: bool, due_note: str | None
) -> Reply:
    return Reply(
        title="Correct" if correct else "Not quite",
        text=verdict_text(question, order, chosen, correct, again=again, due_note=due_note),
        ephemeral=True,
        replace=True,
    )


@dataclass(frozen=True, slots=True)
class Press:
    """A decoded answer press."""

    attempt_id: int
    question_id: str
    order: str
    letters: str


def decode_press(action: Action, aid: ActionId) -> Press:
    try:
        attempt_id = int(aid.field(0))
    except ValueError:
        raise StaleAction("That answer button is damaged.", "Run `/practice` for a fresh question.") from None
    letters = aid.field(3) or "".join(action.values)
    return Press(attempt_id, aid.field(1), aid.field(2), letters)


def record(svc: Services, job: AnswerJob) -> Awaitable[Outcome]:
    """The outcome of `job` once it is durable; a plain function handing back the writer's future, so a
    waiting press holds one coroutine frame fewer (fewer objects for the garbage collector to walk)."""
    return svc.writer.record(job)


async def pressed_question(svc: Services, identity: Identity, question_id: str) -> Question:
    """The question a press names, as the member's workspace asks it (its errata overlay, so a changed
    key grades new presses too)."""
    index = svc.questions
    place = place_of(identity)
    shipped = index.get(question_id)
    fixed = index.fixed_now(place) if shipped is not None else None
    question = (
        fixed.get(question_id, shipped) if fixed is not None else await index.pressed(svc.engine, place, question_id)
    )
    if question is None:
        raise StaleAction("That question no longer exists.", "Run `/practice` for a fresh one.")
    return question


def answer_job(action: Action, press: Press, question: Question) -> tuple[AnswerJob, tuple[int, ...]]:
    """Check and grade a press without touching the store; raises a UserError for a press that
    cannot count. Returns the job for the writer and the chosen original indexes."""
    if question.type in SEQUENCES:
        chosen_seq = sequence_indexes(press, question)
        if chosen_seq is None:
            raise StaleAction("That answer button is out of date.", "Run `/practice` for a fresh question.")
        return _job(action, press, question, chosen_seq), chosen_seq
    if not press.letters:
        raise InvalidOption(texts.choose_first(question, action.identity.platform), None)
    chosen = letters_to_indexes(press.order, press.letters)
    if chosen is None or len(press.order) != len(question.options):
        raise StaleAction("That answer button is out of date.", "Run `/practice` for a fresh question.")
    if len(chosen) != question.choose:
        raise InvalidOption(f"This question needs exactly {question.choose} options; you chose {len(chosen)}.", None)
    return _job(action, press, question, chosen), chosen


def sequence_indexes(press: Press, question: Question) -> tuple[int, ...] | None:
    """A complete ordering or matching answer as original indexes in the member's sequence; None when
    the letters are not one of each shown option."""
    letters = press.letters.upper()
    n = len(question.options)
    if len(press.order) != n or len(letters) != n or len(set(letters)) != n:
        return None
    positions = [LETTERS.find(letter) for letter in letters]
    if any(p < 0 or p >= n for p in positions):
        return None
    return tuple(int(press.order[p]) for p in positions)


def partial_sequence(press: Press, question: Question) -> str | None:
    """The letters picked so far when an ordering or matching answer is not complete yet, else None."""
    if question.type not in SEQUENCES:
        return None
    picked = "" if press.letters == "-" else press.letters.upper()
    if len(picked) >= len(question.options):
        return None
    if len(set(picked)) != len(picked) or any(
        LETTERS.find(c) < 0 or LETTERS.find(c) >= len(press.order) for c in picked
    ):
        raise StaleAction("That answer button is out of date.", "Run `/practice` for a fresh question.")
    return picked


def _job(action: Action, press: Press, question: Question, chosen: tuple[int, ...]) -> AnswerJob:
    identity = action.identity
    stored = "".join(map(str, chosen))
    return AnswerJob(
        attempt_id=press.attempt_id,
        platform=identity.platform,
        workspace=identity.workspace,
        user_id=identity.user_id,
        question_id=question.id,
        option_order=press.order,
        chosen=stored,
        correct=grade(question, stored),
        at=action.at,
    )


def settled(outcome: Outcome, chosen: tuple[int, ...]) -> tuple[int, ...]:
    """Raise for an outcome that changed nothing; the chosen indexes to show (a duplicate shows the
    stored answer, not the second press)."""
    status = outcome.status
    if status == "recorded" or status == "expired":
        return chosen
    if status == "duplicate":
        return tuple(int(c) for c in outcome.chosen or "")
    if status == "unknown":
        raise StaleAction(
            "I don't know that question any more; nothing was recorded.", "Run `/practice` for a new one."
        )
    if status == "not_yours":
        raise UserError(
            "That question was served to someone else, so your press was not counted.", "Run `/practice` for your own."
        )
    raise StaleAction("That question is closed; nothing was recorded.", "Run `/practice` for a new one.")


async def press_answer(action: Action, press: Press, svc: Services) -> tuple[Outcome, Question, tuple[int, ...]]:
    """Grade and record one press; raises a UserError for anything that changes nothing."""
    question = await pressed_question(svc, action.identity, press.question_id)
    job, chosen = answer_job(action, press, question)
    outcome = await record(svc, job)
    return outcome, question, settled(outcome, chosen)


@lru_cache(maxsize=256)
def next_practice_button(exam: str, domain: int, difficulty: str) -> Button:
    """Cached: the same few buttons go under thousands of verdicts."""
    return Button("Next question", ActionId(NEXT_PRACTICE, (exam, str(domain), difficulty)).encode(), "success")


@lru_cache(maxsize=64)
def next_review_button(exam: str | None) -> Button:
    return Button("Next review", ActionId(NEXT_REVIEW, (exam or "",)).encode(), "success")


def pick(questions: list[Question], seen: dict[str, tuple[dt.datetime, bool]], seed: str) -> Question:
    """Unseen questions first; then ones last answered wrong; then the longest ago."""
    rng = random.Random(seed)
    unseen = [q for q in questions if q.id not in seen]
    if unseen:
        return rng.choice(unseen)
    wrong = [q for q in questions if not seen[q.id][1]]
    if wrong:
        return min(wrong, key=lambda q: seen[q.id][0])
    return min(questions, key=lambda q: seen[q.id][0])


async def practice_question(
    svc: Services,
    identity: Identity,
    now: dt.datetime,
    exam: Exam,
    domain_name: str | None = None,
    difficulty: str | None = None,
) -> Reply:
    domain = None
    if domain_name:
        domain = find_domain(exam, domain_name)
        if domain is None:
            shown = "; ".join(d.name for d in exam.domains)
            raise InvalidOption(f"{exam.code} has no domain {code(domain_name[:60])}.", f"Its domains: {esc(shown)}.")
    async with svc.engine.begin() as conn:
        member = await member_store.ensure(conn, identity, now)
        questions = await svc.questions.pool(conn, place_of(identity), exam.code)
        if domain is not None:
            questions = [q for q in questions if q.domain.casefold() == domain.name.casefold()]
        if difficulty:
            questions = [q for q in questions if q.difficulty == difficulty]
        if not questions:
            raise NotFound(
                f"There are no {exam.code} questions"
                + (f" in {esc(domain.name)}" if domain else "")
                + (f" at {difficulty} difficulty" if difficulty else "")
                + " yet.",
                "Try without the domain or difficulty, or another exam.",
            )
        seen = await store.history(conn, member.id, exam.code)
        served = await store.served_count(conn, member.id)
        question = pick(questions, seen, f"{member.id}|{served}")
        attempt = await serve(conn, svc, identity, member.id, exam, question, "practice", now)
    return question_reply(attempt, heading=f"{exam.code} · {question.domain}")


def domain_number(exam: Exam, name: str) -> int:
    for number, domain in enumerate(exam.domains, start=1):
        if domain.name.casefold() == name.casefold():
            return number
    return 0
