"""The one way a command turns what a member typed into an exam or a domain.

Every command resolves exams here (typos forgiven through the catalog's `ExamResolver`, retired exams
only where the caller asks for them) and domains here (by number, by name, or by a few words of it),
so `/practice`, `/mock`, schedules and `/mycerts` accept and refuse exactly the same things.
"""

from __future__ import annotations

import re

from bot.catalog.models import Domain, Exam
from bot.catalog.search import ExamResolver
from bot.errors import InvalidOption, NotFound
from bot.markup import code, esc

_CODE_LIKE = re.compile(r"^[a-z]{3}\W?c\d{2}$", re.IGNORECASE)


class UnknownExam(NotFound):
    """Nothing in the catalog answers to what was typed, or it is retired where only current ones do.

    `candidates` are the close exams when the text could mean several, for a reply that offers them.
    """

    def __init__(self, message: str, hint: str | None, candidates: tuple[Exam, ...] = ()) -> None:
        super().__init__(message, hint)
        self.candidates = candidates


def find_exam(resolver: ExamResolver, text: str, *, retired: bool = False, purpose: str = "") -> Exam:
    """The exam `text` names.

    Args:
        retired: accept retired exams (people still hold SOA-C02); otherwise a retired exam is refused
            with its successor named.
        purpose: why a retired exam will not do here, as the end of a sentence ("so there is no practice
            for it"), said when a retired one is refused.

    Raises:
        UnknownExam: no exam, several close ones, or a retired one where it is not allowed.
    """
    wanted = text.strip()
    if _CODE_LIKE.match(wanted) and wanted.upper().replace(" ", "-") not in resolver.exams:
        normalized = re.sub(r"\W", "", wanted.upper())
        exact = next((e for c, e in resolver.exams.items() if c.replace("-", "") == normalized), None)
        if exact is None:
            raise UnknownExam(
                f"I don't know an AWS exam called {code(wanted[:20].upper())}: AWS has no exam with that code.",
                "Use a current code such as `SAA-C03`; `/cert` lists them.",
            )
    found = resolver.resolve(wanted)
    exam = found.exam
    # Current exams first, each group in the resolver's order; where retired ones are refused anyway,
    # only current ones are offered, and a single current one is simply the answer.
    candidates = tuple(sorted(found.candidates, key=lambda e: e.status != "current"))
    if not retired:
        current = tuple(e for e in candidates if e.status == "current")
        candidates = current or candidates
        if len(current) == 1:
            exam = current[0]
    if exam is None:
        if candidates:
            names = ", ".join(f"{code(e.code)} ({esc(exam_label(e))})" for e in candidates)
            message = f"{code(wanted[:60])} could be several exams: {names}."
            raise UnknownExam(message, "Give the exam code.", candidates)
        raise UnknownExam(
            f"I don't know an AWS exam called {code(wanted[:60])}.",
            "Use a code like `SAA-C03` or a name like `cloud practitioner`; `/cert` lists them.",
        )
    if exam.status != "current" and not retired:
        what = f", {purpose}" if purpose else ""
        raise UnknownExam(
            f"{exam.code} is retired{what}.",
            f"Use {code(exam.replaced_by)} instead." if exam.replaced_by else "Pick a current exam.",
        )
    return exam


def exam_label(exam: Exam) -> str:
    """The exam's short name, marked when it is retired, for lists where both versions may appear."""
    return exam.short_name if exam.status == "current" else f"{exam.short_name}, retired"


def find_domain(exam: Exam, text: str) -> Domain | None:
    """`domain:2`, the full name in any case, or a few words of it (`security` finds "Design Secure
    Architectures"); None when nothing or more than one domain fits."""
    wanted = text.strip()
    if wanted.isdigit():
        number = int(wanted)
        return exam.domains[number - 1] if 1 <= number <= len(exam.domains) else None
    exact = exam.domain(wanted)
    if exact is not None:
        return exact
    words = wanted.casefold().replace("-", " ").split()
    if not words:
        return None
    found = [d for d in exam.domains if all(w[:5] in d.name.casefold() for w in words)]
    return found[0] if len(found) == 1 else None


def domain_or_error(exam: Exam, text: str) -> Domain:
    found = find_domain(exam, text)
    if found is None:
        names = ", ".join(f"{i}. {esc(d.name)}" for i, d in enumerate(exam.domains, start=1))
        raise InvalidOption(f"{exam.code} has no domain {code(text[:40])}.", f"Its domains: {names}.")
    return found
