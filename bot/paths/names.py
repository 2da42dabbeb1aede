"""Matching the words members type for roles and goals ("Solutions Architect", "ops", "ML")."""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

_NON_WORD = re.compile(r"[^\w]+")


def normalize(text: str) -> str:
    """Lower case, hyphens and punctuation as spaces: "Data-Engineer" and "data engineer" agree."""
    return " ".join(_NON_WORD.sub(" ", text.casefold().replace("_", " ")).split())


def lookup(text: str, names: dict[str, str]) -> str | None:
    """The id an accepted spelling stands for: exact first, then a close typo ("develper")."""
    key = normalize(text)
    if not key:
        return None
    if key in names:
        return names[key]
    if len(key) < 4:
        return None  # "ml" or "sa" must be exact; a fuzzy match on two letters is a guess
    best = process.extractOne(key, list(names), scorer=fuzz.ratio, score_cutoff=85)
    return names[best[0]] if best else None
