"""Dynamic choice lists shared by several commands' options (autocomplete on Discord)."""

from __future__ import annotations

from bot.commands.registry import Registry
from bot.commands.spec import Choice
from bot.services import Services

EXAM_CODES = "exam_codes"


def exam_codes(svc: Services, partial: str) -> list[Choice]:
    """Current exams whose code or name contains what was typed, codes first."""
    typed = partial.strip().casefold()
    out: list[Choice] = []
    for exam in sorted(svc.catalog.current_exams, key=lambda e: e.code):
        haystack = f"{exam.code} {exam.short_name} {' '.join(exam.aliases)}".casefold()
        if not typed or typed in haystack:
            out.append(Choice(f"{exam.code} – {exam.short_name}"[:100], exam.code))
    return out[:25]


def register(registry: Registry) -> None:
    registry.choice_source(EXAM_CODES, exam_codes)
