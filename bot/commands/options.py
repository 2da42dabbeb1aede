"""Coercion of raw option values (strings from typed lines, typed values from Discord) to their types."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from bot.commands.parse import suggest, usage_line
from bot.commands.spec import CommandSpec, OptionSpec, OptionType
from bot.errors import InvalidOption
from bot.markup import code
from bot.requests import ID_MAX, UNSTORABLE_HINT, Upload, unstorable

MAX_STRING = 2000
MAX_FILE = 1_000_000  # bytes: a bank of a thousand questions fits; adapters stop reading beyond it
MAX_SNOWFLAKE = 2**64 - 1  # the largest numeric id any platform issues (a Discord snowflake is unsigned 64-bit)
MAX_INTEGER = 2**31 - 1  # an INTEGER column on PostgreSQL holds 32 bits; SQLite holds more
_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}
# Control characters other than line breaks and tabs (an escape sequence clears a moderator's terminal
# when a stored note is shown there), and the bidirectional overrides that make text read in another
# order than it is stored. Joiners and variation selectors stay: emoji are built from them.
_HIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MENTION = re.compile(r"^<[@#][!&]?([A-Za-z0-9]+)(?:\|[^>]*)?>$")


def coerce_options(spec: CommandSpec, raw: Mapping[str, object]) -> dict[str, Any]:
    """Validate every option at once and return typed values; missing optional ones are absent."""
    names = {o.name for o in spec.options}
    for name in raw:
        if name not in names:
            hint = suggest(name, sorted(names))
            raise InvalidOption(
                f"{code('/' + spec.name)} has no option {code(str(name)[:40])}.",
                (f"Did you mean {code(hint)}? " if hint else "") + f"Usage: {usage_line(spec)}",
            )
    values: dict[str, Any] = {}
    for option in spec.options:
        value = raw.get(option.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if option.required:
                raise InvalidOption(
                    f"{code('/' + spec.name)} needs {code(option.name)}: {option.description}",
                    f"Usage: {usage_line(spec)}",
                )
            continue
        values[option.name] = coerce_value(spec, option, value)
    return values


def coerce_value(spec: CommandSpec, option: OptionSpec, value: object) -> Any:
    """One option's typed value; every string is first checked to be text the store can hold."""
    where = f"{code(option.name)} of {code('/' + spec.name)}"
    if isinstance(value, str):
        storable(where, value)
        # In every kind of option, names and mentions too: a right-to-left override in a name shown in
        # `/studyadmin moderators list` or the audit log would make it read as something else.
        hidden = _HIDDEN.search(value.strip())
        if hidden is not None:
            raise InvalidOption(
                f"{where} holds a control or invisible character at position {hidden.start() + 1:,}.",
                "Type it again with letters, digits, spaces, punctuation and emoji only; nothing was changed.",
            )
    match option.type:
        case OptionType.STRING:
            text = str(value).strip()
            limit = option.max_length or MAX_STRING
            if len(text) > limit:
                raise InvalidOption(f"{where} is {len(text):,} characters; at most {limit:,} fit.", None)
            if option.choices:
                return _choice(where, option, text)
            return text
        case OptionType.INTEGER:
            number = _number(where, value, int)
            return int(_range(where, option, number))
        case OptionType.NUMBER:
            return _range(where, option, _number(where, value, float))
        case OptionType.BOOLEAN:
            if isinstance(value, bool):
                return value
            word = str(value).strip().casefold()
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
            raise InvalidOption(f"{where} must be yes or no, not {code(str(value)[:40])}.", None)
        case OptionType.CHANNEL | OptionType.USER | OptionType.MENTIONABLE:
            text = str(value).strip()
            mention = _MENTION.match(text)
            if mention:
                return _bounded_id(where, option, mention.group(1))
            text = text.lstrip("#@")
            if not text or any(c.isspace() for c in text):
                raise InvalidOption(f"{where} must name one {option.type.value}, like `#study`.", None)
            return _bounded_id(where, option, text)
        case OptionType.FILE:
            return _file_text(where, option, value)
    raise AssertionError(option.type)  # pragma: no cover - every type is matched above


def file_limit(option: OptionSpec) -> int:
    """How many bytes a file option takes; adapters read at most one byte more, to know it is too big."""
    return option.max_length or MAX_FILE


def _megabytes(size: int) -> str:
    """A size as people read it: "1.1 MB", "1 MB" (not "1.0 MB"), "250 kB"."""
    if size < 100_000:
        return f"{size / 1000:.0f} kB"
    return f"{size / 1_000_000:.1f}".removesuffix(".0") + " MB"


def _too_big(size: int, limit: int) -> str:
    """A file's size beside the limit it is over; in bytes when rounding would show the limit itself."""
    shown = _megabytes(size)
    return f"{size:,} bytes" if shown == _megabytes(limit) else shown


def _file_text(where: str, option: OptionSpec, value: object) -> str:
    """An uploaded file as text: bounded, UTF-8 (a byte-order mark is dropped), not binary."""
    if not isinstance(value, Upload):
        raise InvalidOption(
            f"{where} takes a file, not typed text.",
            "Attach the file to the command, or paste its content into the command's text option.",
        )
    name = code(value.name[:80] or "the file")
    size = value.size if value.size is not None else len(value.data)
    limit = file_limit(option)
    if size > limit or len(value.data) > limit:
        raise InvalidOption(
            f"{name} is {_too_big(max(size, len(value.data)), limit)}, over the {_megabytes(limit)} that "
            f"{where} can take.",
            "Split it into smaller files and give them one after another.",
        )
    try:
        text = value.data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        raise InvalidOption(
            f"{name} is not UTF-8 text.",
            "Give a plain text file (YAML or CSV); from a spreadsheet, save it as CSV UTF-8.",
        )
    if not text.strip():
        raise InvalidOption(f"{name} is empty.", None)
    return text


def storable(where: str, text: str) -> None:
    """Refuse text the database cannot hold (see `bot.requests.unstorable`), before anything uses it."""
    bad = unstorable(text)
    if bad is not None:
        raise InvalidOption(f"{where} contains {bad}, which I can't store.", UNSTORABLE_HINT)


def _bounded_id(where: str, option: OptionSpec, text: str) -> str:
    """A channel, member or role as the store holds it: at most 64 characters, and a numeric id no
    larger than a platform can issue (`<#99999999999999999999999>` names nothing that exists)."""
    kind = option.type.value
    hint = f"Pick the {kind} from the list or mention it, like `#study` or `@ada`."
    if text.isascii() and text.isdigit() and int(text[: ID_MAX + 1]) > MAX_SNOWFLAKE:
        raise InvalidOption(f"{where}: {code(text[:40])} is not a {kind} id; none is above {MAX_SNOWFLAKE:,}.", hint)
    if len(text) > ID_MAX:
        raise InvalidOption(
            f"{where} is {len(text):,} characters long; a {kind} name or id has at most {ID_MAX}.", hint
        )
    return text


def _choice(where: str, option: OptionSpec, text: str) -> str:
    folded = text.casefold()
    for choice in option.choices:
        if folded in (choice.value.casefold(), choice.name.casefold(), *(a.casefold() for a in choice.aliases)):
            return choice.value
    shown = ", ".join(code(c.value) for c in option.choices)
    hint = suggest(text, [c.value for c in option.choices])
    raise InvalidOption(
        f"{where} can't be {code(text[:40])}.",
        (f"Did you mean {code(hint)}? " if hint else "") + f"Choose one of {shown}.",
    )


def _number(where: str, value: object, kind: type[int] | type[float]) -> float:
    if isinstance(value, bool):
        raise InvalidOption(f"{where} must be a number.", None)
    if isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(str(value).strip().replace(",", "")) if kind is float else int(str(value).strip())
        except ValueError:
            word = "a whole number" if kind is int else "a number"
            raise InvalidOption(f"{where} must be {word}, not {code(str(value)[:40])}.", None) from None
    if not math.isfinite(number):
        raise InvalidOption(f"{where} must be a finite number.", None)
    if kind is int and number != int(number):
        raise InvalidOption(f"{where} must be a whole number.", None)
    return number


def _range(where: str, option: OptionSpec, number: float) -> float:
    """Declared bounds first; a whole number without one is still bounded by what the store holds."""
    if option.min_value is not None and number < option.min_value:
        raise InvalidOption(f"{where} must be at least {option.min_value:g}.", None)
    if option.max_value is not None and number > option.max_value:
        raise InvalidOption(f"{where} must be at most {option.max_value:g}.", None)
    if option.type is OptionType.INTEGER and not -MAX_INTEGER - 1 <= number <= MAX_INTEGER:
        bound = f"at most {MAX_INTEGER:,}" if number > 0 else f"at least {-MAX_INTEGER - 1:,}"
        raise InvalidOption(f"{where} must be {bound}.", None)
    return number
