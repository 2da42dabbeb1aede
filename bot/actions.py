"""Stable ids for buttons and selects.

Everything a button needs after a restart travels in its id, so a press on a message posted last week
still means the same thing. Discord caps custom ids at 100 characters, which is therefore our cap on
every platform. Adapters pass these ids through opaquely and never decode them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

MAX_LENGTH = 100
_KIND = re.compile(r"^[a-z][a-z0-9-]{0,23}$")


class ActionIdError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ActionId:
    """`kind:version:field:field…`; fields are percent-escaped so they may hold any text."""

    kind: str
    fields: tuple[str, ...] = ()
    version: int = 1

    def encode(self) -> str:
        if not _KIND.match(self.kind):
            raise ActionIdError(f"action kind {self.kind!r} must be lower-case letters, digits and hyphens")
        parts = [self.kind, str(self.version), *(quote(f, safe="") for f in self.fields)]
        encoded = ":".join(parts)
        if len(encoded) > MAX_LENGTH:
            raise ActionIdError(f"action id {encoded[:40]}… is {len(encoded)} characters; the limit is {MAX_LENGTH}")
        return encoded

    @classmethod
    def decode(cls, raw: str) -> ActionId:
        if len(raw) > MAX_LENGTH:
            raise ActionIdError("action id too long")
        parts = raw.split(":")
        if len(parts) < 2 or not _KIND.match(parts[0]) or not parts[1].isdigit():
            raise ActionIdError(f"not a studybot action id: {raw[:40]!r}")
        # Most ids (every answer button) escape nothing: no `unquote` per field for them.
        fields = tuple(unquote(p) for p in parts[2:]) if "%" in raw else tuple(parts[2:])
        return cls(parts[0], fields, int(parts[1]))

    def field(self, index: int) -> str:
        try:
            return self.fields[index]
        except IndexError:
            raise ActionIdError(f"action {self.kind} lacks field {index}") from None

    def __str__(self) -> str:
        return self.encode()
