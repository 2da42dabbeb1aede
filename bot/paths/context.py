"""The path rules and renewal map of a running bot, loaded once by the runtime.

A broken `content/paths/` fails start-up with file:line problems, the same as `studybot content check`.
"""

from __future__ import annotations

from bot.catalog.loader import Catalog
from bot.paths.expiry import renewers
from bot.paths.loader import NAME, PathRules, load_checked


class PathContext:
    def __init__(self, catalog: Catalog) -> None:
        loaded = catalog.extra.get(NAME)
        self.rules: PathRules = loaded if isinstance(loaded, PathRules) else load_checked(catalog.root, catalog.exams)
        self.renewing: dict[str, frozenset[str]] = renewers(catalog.exams, self.rules)
        """Exam code → the exams whose pass renews it."""
