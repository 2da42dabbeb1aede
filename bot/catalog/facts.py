"""How each catalog fact is said, with its caveat when the fact sheet marks it uncertain.

Every sentence here states only what is in the exam's YAML; nothing is computed or guessed.
"""

from __future__ import annotations

import datetime as dt

from bot.catalog.loader import Catalog
from bot.catalog.models import Exam
from bot.markup import bold, bullets, code, esc, italic, link

LEVEL_NAMES = {
    "foundational": "Foundational",
    "associate": "Associate",
    "professional": "Professional",
    "specialty": "Specialty",
}

# Which exam fields each answer rests on, for the "not certain" notes.
FIELDS_OF = {
    "price": ("price_usd",),
    "duration": ("duration_minutes",),
    "questions": ("questions",),
    "passing_score": ("passing_score",),
    "question_types": ("question_types",),
    "domains": ("domains",),
    "validity": ("validity_years",),
    "renewal": ("renewal",),
    "prerequisites": ("recommended_experience",),
    "code": (),
    "languages": ("languages",),
    "status": ("retired_on", "available_from"),
    "history": ("available_from", "retired_on", "notes"),
}


def date_text(exam: Exam, field: str) -> str:
    """A catalog date as members should read it: "September 2023" when only the month is known.

    Dates known only to the month or year are stored as their first day; showing "1 September 2023"
    would state a day nobody confirmed.
    """
    day: dt.date | None = getattr(exam, field)
    if day is None:
        return "an unknown date"
    precision = exam.date_precision.get(field)  # type: ignore[call-overload]
    if precision == "year":
        return f"{day:%Y}"
    if precision == "month":
        return f"{day:%B %Y}"
    return f"{day:%-d %B %Y}"


# What the newer question types mean, said once wherever an exam uses them.
TYPE_MEANINGS = {
    "ordering": "ordering asks you to put three to five responses in the right sequence",
    "matching": "matching pairs responses with three to seven prompts, and only a fully right set scores",
    "case study": "a case study is one scenario followed by several questions, each scored on its own",
}


def heading(exam: Exam) -> str:
    return f"{exam.code} · {exam.name}"


def status_line(exam: Exam, catalog: Catalog) -> str:
    if exam.status == "current":
        since = f" since {date_text(exam, 'available_from')}" if exam.available_from else ""
        replaced = f"; it replaced {', '.join(code(c) for c in exam.replaces)}" if exam.replaces else ""
        return f"{code(exam.code)} is current and bookable{since}{replaced}."
    successor = catalog.exams.get(exam.replaced_by or "")
    after = (
        f" Its successor is {code(successor.code)} ({esc(successor.short_name)})."
        if successor
        else " It has no direct successor." + (f" {esc(exam.notes)}" if exam.notes else "")
    )
    assert exam.retired_on is not None
    return f"{code(exam.code)} is {bold('retired')}: {_last_day(exam)}.{after} {_held_validity(exam, exam.retired_on)}"


def _held_validity(exam: Exam, retired_on: dt.date) -> str:
    """Whether certifications earned on a retired exam can still be valid, as of the facts' review:
    three years after its last test day, every one of them has expired."""
    last = retired_on.replace(year=retired_on.year + 3, day=min(retired_on.day, 28))
    if last < exam.reviewed:
        return f"Every certification earned on it had expired by {last:%B %Y}, three years after its last test day."
    return "Certifications earned on it stay valid until their three years run out."


def _last_day(exam: Exam) -> str:
    if exam.date_precision.get("retired_on"):
        return f"it was retired in {date_text(exam, 'retired_on')}"
    return f"the last day to take it was {date_text(exam, 'retired_on')}"


def _missing(exam: Exam, what: str) -> str:
    return f"The fact sheet has no {what} for {code(exam.code)}; see the {link('official page', _url(exam))}."


def _url(exam: Exam) -> str:
    return exam.exam_guide_url or next((s.url for s in exam.sources if s.url), "https://aws.amazon.com/certification/")


def fact(exam: Exam, intent: str, catalog: Catalog) -> str:
    """One fact about one exam, as markup."""
    match intent:
        case "price":
            if exam.price_usd is None:
                return _missing(exam, "price")
            return (
                f"{bold(f'{exam.price_usd} USD')} (list price before tax; some countries pay a local-currency price). "
                "After you pass any exam you get a 50% voucher for your next one."
            )
        case "duration":
            if exam.duration_minutes is None:
                return _missing(exam, "duration")
            return f"{bold(f'{exam.duration_minutes} minutes')}."
        case "questions":
            if exam.questions is None:
                return _missing(exam, "question count")
            q = exam.questions
            return (
                f"{bold(f'{q.total} questions')}: {q.scored} scored and {q.unscored} unscored, mixed in and not "
                "marked. Unanswered questions count as wrong, and there is no penalty for guessing."
            )
        case "passing_score":
            if exam.passing_score is None:
                return _missing(exam, "passing score")
            return (
                f"{bold(str(exam.passing_score))} on the scaled score from 100 to 1000. Scoring is compensatory: "
                "you need the overall score, not a pass in every domain."
            )
        case "question_types":
            if not exam.question_types:
                return _missing(exam, "question types")
            meanings = [TYPE_MEANINGS[t] for t in exam.question_types if t in TYPE_MEANINGS]
            explained = f" ({'; '.join(meanings)})" if meanings else ""
            return "Question types: " + ", ".join(esc(t) for t in exam.question_types) + f"{explained}."
        case "domains":
            if not exam.domains:
                return _missing(exam, "domain list")
            top = max(exam.domains, key=lambda d: d.weight)
            lines = [f"{esc(d.name)}: {bold(f'{d.weight}%')}" for d in exam.domains]
            return (
                f"{len(exam.domains)} exam-guide domains (share of scored content):\n{bullets(lines)}\n"
                f"Heaviest: {esc(top.name)}."
            )
        case "validity":
            return (
                f"A certification is valid for {bold(f'{exam.validity_years} years')} from the day you pass. "
                f"To renew: {esc(exam.renewal)}"
            )
        case "renewal":
            return f"{esc(exam.renewal)} (Validity: {exam.validity_years} years.)"
        case "prerequisites":
            experience = f" AWS recommends: {esc(exam.recommended_experience)}" if exam.recommended_experience else ""
            return (
                f"There is no prerequisite: you can book {code(exam.code)} without holding any other AWS "
                f"certification.{experience}"
            )
        case "code":
            return f"The exam code is {code(exam.code)} ({esc(exam.name)})."
        case "languages":
            if exam.languages:
                return f"{code(exam.code)} is offered in " + ", ".join(esc(lang) for lang in exam.languages) + "."
            return (
                f"studybot has not confirmed the language list for {code(exam.code)}. Most AWS exams come in "
                "English, Japanese, Korean and Simplified Chinese, and many add European languages and "
                f"Indonesian; the {link('official page', _url(exam))} has the list."
            )
        case "status":
            return status_line(exam, catalog)
        case "history":
            notes = f" {esc(exam.notes)}" if exam.notes and exam.replaced_by else ""
            return status_line(exam, catalog) + notes
    raise ValueError(f"unknown fact intent {intent!r}")


def caveats(exam: Exam, intents: list[str]) -> list[str]:
    """The fact sheet's own doubts about the fields these answers rest on."""
    notes: list[str] = []
    for intent in intents:
        for field in FIELDS_OF.get(intent, ()):
            note = exam.uncertain.get(field)
            if note and note not in notes:
                notes.append(note)
    return [f"{italic('Not certain:')} {esc(n)}" for n in notes]


def source_line(exam: Exam) -> str:
    first = exam.sources[0]
    title = link(first.title, first.url) if first.url else esc(first.title)
    return f"Source: {title} · facts reviewed {exam.reviewed.isoformat()}"


def brief(exam: Exam, intent: str, catalog: Catalog) -> str | None:
    """One fact in a few words, for answers that set exams side by side; None when the sheet has none."""
    match intent:
        case "price":
            return f"{exam.price_usd} USD" if exam.price_usd else None
        case "duration":
            return f"{exam.duration_minutes} minutes" if exam.duration_minutes else None
        case "questions":
            q = exam.questions
            return f"{q.total} questions ({q.scored} scored)" if q else None
        case "passing_score":
            return f"{exam.passing_score} of 1000" if exam.passing_score else None
        case "question_types":
            return ", ".join(exam.question_types) or None
        case "domains":
            return "; ".join(f"{d.name} {d.weight}%" for d in exam.domains) or None
        case "validity":
            return f"{exam.validity_years} years"
        case "renewal":
            return exam.renewal
        case "prerequisites":
            return exam.recommended_experience
        case "languages":
            return ", ".join(exam.languages) or None
        case "status" | "history" | "code":
            if exam.status == "current":
                since = f" since {date_text(exam, 'available_from')}" if exam.available_from else ""
                return f"current{since}"
            successor = catalog.exams.get(exam.replaced_by or "")
            instead = f", replaced by {successor.code}" if successor else ""
            return f"retired ({date_text(exam, 'retired_on')}){instead}"
    return None
