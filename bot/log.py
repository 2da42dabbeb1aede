"""Structured logs: every line says which platform, workspace, channel and command it is about.

The context lives in a contextvar, set once per request by the dispatcher, so concurrent requests on
one event loop never mix their fields. Values that look like tokens are masked before they are written.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import cast

_CONTEXT: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "studybot_log_context", default=MappingProxyType({})
)
FIELDS = ("platform", "workspace", "channel", "user", "command", "ref")
# Discord bot tokens, Slack tokens (xoxb-, xapp-, xoxp-) and anything after "token=".
_SECRET = re.compile(r"(xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|[MN][A-Za-z\d]{23,}\.[\w-]{6}\.[\w-]{27,}|token=\S+)")


def redact(text: str) -> str:
    return _SECRET.sub("***", text)


class log_context:  # named as the function it replaced: `with log_context(user=...):`
    """Adds `fields` (those not None) to the log context inside the `with` block.

    A slotted class rather than a `@contextmanager` generator: the dispatcher enters one for every
    press of a burst, and a generator, its wrapper object and the keyword comprehension cost about
    as much as the rest of the dispatch around them (issue 13)."""

    __slots__ = ("_fields", "_token")

    def __init__(self, **fields: str | None) -> None:
        self._fields = fields

    def __enter__(self) -> None:
        fields = self._fields
        current = _CONTEXT.get()
        if current or None in fields.values():
            merged = dict(current)
            for key, value in fields.items():
                if value is not None:
                    merged[key] = value
            self._token = _CONTEXT.set(merged)
        else:
            # Outside any other context (every request the dispatcher handles) the keywords are the
            # context: that dict is this call's own, and nothing changes a context once it is set.
            self._token = _CONTEXT.set(cast("dict[str, str]", fields))

    def __exit__(self, *exc: object) -> None:
        _CONTEXT.reset(self._token)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = _CONTEXT.get()
        for name in FIELDS:
            if not hasattr(record, name):
                setattr(record, name, context.get(name, "-"))
        return True


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        ctx = " ".join(f"{k}={getattr(record, k)}" for k in FIELDS if getattr(record, k, "-") != "-")
        return redact(f"{base} {ctx}".rstrip())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **{k: getattr(record, k) for k in FIELDS if getattr(record, k, "-") != "-"},
        }
        if record.exc_info:
            payload["traceback"] = self.formatException(record.exc_info)
        return redact(json.dumps(payload, ensure_ascii=False))


def configure(level: str = "INFO", fmt: str = "text") -> None:
    """Send logs to stderr, so the console's transcript on stdout stays clean."""
    handler = logging.StreamHandler()
    handler.addFilter(_ContextFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # Libraries that set their own logger to DEBUG on import (bm25s does) are held back here too.
    handler.setLevel(level)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiosqlite", "alembic", "sqlalchemy.engine", "apscheduler", "bm25s"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
