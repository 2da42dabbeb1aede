"""The path rules and renewal map for a running bot, loaded once and kept in `Services.extras`.

`Runtime` loads the catalog without feature loaders, so the rules are loaded here on first use (or at
start through the features' `prepare`) and a broken `content/paths/` fails start-up with file:line
problems, the same as `studybot content check`.
"""

from __future__ import annotations

from bot.paths.expiry import renewers
from bot.paths.loader import NAME, PathRules, load_checked
from bot.services import Services

RULES_KEY = "path_rules"
RENEWING_KEY = "path_renewing"


def path_rules(svc: Services) -> PathRules:
    rules = svc.extras.get(RULES_KEY)
    if rules is None:
        loaded = svc.catalog.extra.get(NAME)
        rules = loaded if isinstance(loaded, PathRules) else load_checked(svc.catalog.root, svc.catalog.exams)
        svc.extras[RULES_KEY] = rules
    return rules  # type: ignore[no-any-return]


def renewing_map(svc: Services) -> dict[str, frozenset[str]]:
    """Exam code → the exams whose pass renews it."""
    found = svc.extras.get(RENEWING_KEY)
    if found is None:
        found = svc.extras[RENEWING_KEY] = renewers(svc.catalog.exams, path_rules(svc))
    return found  # type: ignore[no-any-return]
