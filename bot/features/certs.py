"""`/cert` and `/ask`: certification facts and advice, always with their source."""

from __future__ import annotations

import dataclasses
import hashlib

from bot.actions import ActionId
from bot.catalog.ask import Answer
from bot.catalog.exams import UnknownExam, exam_label, find_exam
from bot.catalog.facts import LEVEL_NAMES, caveats, fact, heading, source_line, status_line
from bot.catalog.models import Exam
from bot.commands.registry import Registry
from bot.commands.spec import ActionSpec, CommandSpec, Options, OptionSpec, OptionType
from bot.errors import InvalidOption, StaleAction
from bot.features.choices import EXAM_CODES
from bot.markup import bullets, code, esc, italic
from bot.replies import Button, Field, Reply
from bot.requests import Action, Request
from bot.services import Services

OPEN_EXAM = "cert"
OPEN_FAQ = "faq"


def exam_button(exam: Exam, page: str | None = None) -> Button:
    """A button that opens the exam; a retired exam says so, since its name is its successor's too.

    `page` is the fingerprint of the catalog page the button sits on, so a press can tell when that
    page has changed under it (a content update retired or removed the exam).
    """
    fields = (exam.code,) if page is None else (exam.code, page)
    return Button(f"{exam.code} {exam_label(exam)}", ActionId(OPEN_EXAM, fields).encode())


def catalog_page(svc: Services) -> str:
    """A short fingerprint of what the catalog page shows: each exam's code, name, level and status."""
    shown = sorted(f"{e.code}|{e.short_name}|{e.level}|{e.status}" for e in svc.catalog.exams.values())
    return hashlib.sha256("\n".join(shown).encode()).hexdigest()[:12]


def catalog_reply(svc: Services) -> Reply:
    fields = []
    for level, label in LEVEL_NAMES.items():
        exams = [e for e in svc.catalog.current_exams if e.level == level]
        if exams:
            fields.append(Field(label, bullets(f"{code(e.code)} {esc(e.short_name)}" for e in exams)))
    retired = sorted((e for e in svc.catalog.exams.values() if e.status == "retired"), key=lambda e: e.code)
    fields.append(Field("Retired", ", ".join(code(e.code) for e in retired)))
    current = sorted(svc.catalog.current_exams, key=lambda e: list(LEVEL_NAMES).index(e.level))
    return Reply(
        title=f"AWS certifications ({len(current)} current)",
        text="Press an exam for its facts, or type `/cert <name or code>`. Ask anything with `/ask`.",
        fields=tuple(fields),
        buttons=tuple(exam_button(e, catalog_page(svc)) for e in current),
    )


def exam_reply(exam: Exam, svc: Services) -> Reply:
    intents = ["questions", "duration", "price", "passing_score", "question_types", "domains", "validity"]
    fields: list[Field] = [Field("Level", LEVEL_NAMES[exam.level], True)]
    if exam.questions:
        q = exam.questions
        fields.append(Field("Questions", f"{q.total} ({q.scored} scored, {q.unscored} unscored)", True))
    if exam.duration_minutes:
        fields.append(Field("Duration", f"{exam.duration_minutes} minutes", True))
    if exam.price_usd:
        fields.append(Field("Price", f"{exam.price_usd} USD", True))
    if exam.passing_score:
        fields.append(Field("Passing score", f"{exam.passing_score} of 1000", True))
    if exam.question_types:
        fields.append(Field("Question types", esc(", ".join(exam.question_types)), True))
    if exam.recommended_experience:
        fields.append(Field("Recommended experience", esc(exam.recommended_experience)))
    if exam.domains:
        fields.append(Field("Domains", fact(exam, "domains", svc.catalog).split("\n", 1)[1]))
    fields.append(Field("Validity and renewal", fact(exam, "validity", svc.catalog)))
    doubts = [note.removeprefix(f"{italic('Not certain:')} ") for note in caveats(exam, intents)]
    if doubts:
        fields.append(Field("Not certain", "\n".join(doubts)))  # the field's name says "Not certain" once
    guide = f"\nExam guide: {exam.exam_guide_url}" if exam.exam_guide_url else ""
    status = status_line(exam, svc.catalog)
    notes = f"\n{esc(exam.notes)}" if exam.notes and esc(exam.notes) not in status else ""  # said once
    return Reply(
        title=heading(exam),
        text=status + notes + esc(guide),
        fields=tuple(fields[:25]),
        footer=source_line(exam),
    )


async def cert_command(req: Request, opts: Options, svc: Services) -> Reply:
    name = opts.get("exam")
    if not name:
        return catalog_reply(svc)
    try:
        exam = find_exam(svc.ask.resolver, name, retired=True)
    except UnknownExam as exc:
        if not exc.candidates:
            raise
        return Reply(
            title="Which exam do you mean?",
            text=f"{code(name[:60])} could be several exams:",
            buttons=tuple(exam_button(e) for e in exc.candidates),
            ephemeral=True,
        )
    return exam_reply(exam, svc)


async def open_exam(action: Action, aid: ActionId, svc: Services) -> Reply:
    """The pressed exam's facts; from a catalog page that has changed since, the current page instead
    when the exam is no longer a current one there (the button would show something the page did not)."""
    wanted = aid.field(0)
    exam = svc.catalog.exam(wanted)
    page = aid.fields[1] if len(aid.fields) > 1 else None
    if page is not None and page != catalog_page(svc) and (exam is None or exam.status != "current"):
        now = "is retired now" if exam is not None else "is no longer in the catalog"
        current = catalog_reply(svc)
        return dataclasses.replace(
            current,
            text=f"That page has changed: {code(wanted)} {now}. Here is the current one.\n{current.text}",
            ephemeral=True,
        )
    if exam is None:
        raise StaleAction("That exam is no longer in the catalog.", "Type `/cert` for the current list.")
    return exam_reply(exam, svc)


def answer_reply(answer: Answer) -> Reply:
    named = [src.removeprefix("Source: ") for src in answer.sources]
    footer = ("Source: " if len(named) == 1 else "Sources: ") + "; ".join(named) if named else None
    buttons = tuple(
        Button(entry.question[:80], ActionId(OPEN_FAQ, (entry.id,)).encode()) for entry in answer.suggestions
    )
    return Reply(title=answer.title, text=answer.text, footer=footer, buttons=buttons, ephemeral=answer.declined)


async def ask_command(req: Request, opts: Options, svc: Services) -> Reply:
    question = opts["question"]
    if not any(c.isalnum() for c in question):  # '/ask "   "' or '/ask ???': nothing to read
        raise InvalidOption("There is no question to answer there.", "For example `/ask how much is SAA-C03`.")
    return answer_reply(svc.ask.answer(question))


async def open_faq(action: Action, aid: ActionId, svc: Services) -> Reply:
    wanted = aid.field(0)
    entry = next((e for e in svc.catalog.faq if e.id == wanted), None)
    if entry is None:
        raise StaleAction("That topic is no longer in the FAQ.", "Ask again with `/ask`.")
    return answer_reply(svc.ask.faq_answer(entry))


def register(registry: Registry) -> None:
    registry.command(
        CommandSpec(
            ("cert",),
            "Facts about an AWS certification exam, or the whole catalog",
            cert_command,
            options=(
                OptionSpec(
                    "exam",
                    OptionType.STRING,
                    "Exam code or name, like SAA-C03 or cloud practitioner",
                    choices_source=EXAM_CODES,
                    rest=True,
                    max_length=100,
                ),
            ),
            examples=("/cert", "/cert saa", "/cert exam:SOA-C02"),
        )
    )
    registry.command(
        CommandSpec(
            ("ask",),
            "Ask a question about AWS certifications",
            ask_command,
            options=(
                OptionSpec(
                    "question",
                    OptionType.STRING,
                    "Your question, in your own words",
                    required=True,
                    rest=True,
                    max_length=500,
                ),
            ),
            examples=("/ask how much is the saa exam?", "/ask is a certification worth it for a student?"),
        )
    )
    registry.action(ActionSpec(OPEN_EXAM, open_exam))
    registry.action(ActionSpec(OPEN_FAQ, open_faq))
