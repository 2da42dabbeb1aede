"""One exception hierarchy for the whole bot.

The dispatcher is the only place that catches. A `UserError` is data: its message and hint become an
ordinary reply and the handler must have changed nothing before raising it. Anything else is a bug:
it is logged once with its traceback and the member sees only a short reference id.
"""

from __future__ import annotations

import secrets

_REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I to misread


def new_reference() -> str:
    """A short id a member can quote to an operator, who finds it in the logs."""
    return "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


class StudybotError(Exception):
    """Base of every error studybot raises on purpose."""


class UserError(StudybotError):
    """Something the member can fix; shown to them as a friendly reply."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UnknownCommand(UserError):
    pass


class InvalidOption(UserError):
    pass


class ParseError(UserError):
    pass


class NotAModerator(UserError):
    def __init__(self, command: str) -> None:
        super().__init__(
            f"Only moderators can use `/{command}`.",
            "Ask a moderator of this server or workspace, or see `/help` for what you can use.",
        )


class NotFound(UserError):
    pass


class Conflict(UserError):
    pass


class StaleAction(UserError):
    """A button that no longer does anything: closed, already used, or from an older version."""


class ConfigurationError(StudybotError):
    """Settings that cannot work; the CLI prints every problem and exits."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class ContentError(StudybotError):
    """Content files that do not validate; each problem carries its file and line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} content problem" + ("" if len(problems) == 1 else "s"))
        self.problems = problems
