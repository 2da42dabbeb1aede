"""The one `name:value` parser, shared by the console and Slack.

`/profile timezone:Europe/Berlin`, `/studyadmin schedule add cron:"0 9 * * 1-5"`, and free text in the
last option taken verbatim: `/ask what's the passing score for SAA?`. Bare words fill the options in
the order they are declared, so `/cert saa` works as well as `/cert exam:saa`. Errors say what is wrong
and how to write it instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import process

from bot.commands.registry import Registry
from bot.commands.spec import CommandSpec, OptionType
from bot.errors import ParseError, UnknownCommand
from bot.markup import code
from bot.requests import UNSTORABLE_HINT, unstorable

MAX_LINE = 4000
_NAMED = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):(.*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int  # offset in the line where the raw token begins
    quoted: bool


@dataclass(frozen=True, slots=True)
class Parsed:
    path: tuple[str, ...]
    options: dict[str, str]


def _next_token(line: str, pos: int) -> tuple[Token | None, int]:
    """Read one token from `pos`; double quotes group, `\\"` inside quotes is a literal quote."""
    n = len(line)
    while pos < n and line[pos].isspace():
        pos += 1
    if pos >= n:
        return None, pos
    start = pos
    out: list[str] = []
    quoted = False
    while pos < n and not line[pos].isspace():
        ch = line[pos]
        if ch == '"':
            quoted = True
            pos += 1
            while pos < n and line[pos] != '"':
                if line[pos] == "\\" and pos + 1 < n and line[pos + 1] in '"\\':
                    pos += 1
                out.append(line[pos])
                pos += 1
            if pos >= n:
                raise ParseError(
                    "There is an opening double quote with no closing quote.",
                    'Close it, as in `cron:"0 9 * * 1-5"`.',
                )
            pos += 1
        else:
            out.append(ch)
            pos += 1
    return Token("".join(out), start, quoted), pos


SUGGEST_CUTOFF = 75
"""How alike (rapidfuzz's WRatio, 0-100) a known name must be to what was typed to be offered: a typo
(`Europe/Berln` 80, `/profil` 92) is; a word that merely shares letters (`Nowhere` → `Eire` 60,
`boring` → `two-right` 60, `nope/nope` → `Europe/Copenhagen` 70) is noise and offers nothing."""


def suggest(word: str, candidates: list[str]) -> str | None:
    """The closest known name, for "did you mean" hints; None when nothing is close."""
    if not candidates or not word:
        return None
    best = process.extractOne(word.casefold(), candidates, score_cutoff=SUGGEST_CUTOFF)
    return best[0] if best else None


def parse_line(line: str, registry: Registry, *, visible: list[str] | None = None) -> Parsed:
    """Turn a typed command line into a command path and raw string options.

    Args:
        line: what the member typed, starting with `/`.
        registry: the declared commands.
        visible: top-level names this member may see, for suggestions.
    """
    if len(line) > MAX_LINE:
        raise ParseError(
            f"That line is {len(line):,} characters long; commands are at most {MAX_LINE:,}.",
            "Shorten it, or see `/help`.",
        )
    bad = unstorable(line)
    if bad is not None:
        raise ParseError(f"That line contains {bad}, which I can't read.", UNSTORABLE_HINT)
    text = line.strip()
    if not text.startswith("/"):
        raise ParseError("Commands start with a slash.", "Try `/help` to see them all.")
    pos = 1
    if pos >= len(text) or text[pos].isspace():
        raise ParseError("A slash on its own is not a command.", "Type a command after it, like `/help`.")

    token, pos = _next_token(text, pos)
    assert token is not None
    known = visible if visible is not None else registry.top_level()
    root = token.text.casefold()
    if root not in registry.top_level() or token.quoted:
        hint = suggest(root, known)
        raise UnknownCommand(
            f"There is no command {code('/' + token.text[:40])}.",
            (f"Did you mean {code('/' + hint)}? " if hint else "") + "Type `/help` to see every command.",
        )
    path: tuple[str, ...] = (root,)

    while registry.is_group(path):
        token, pos = _next_token(text, pos)
        children = registry.children(path)
        if token is None or token.text.casefold() not in children:
            shown = ", ".join(code(c) for c in children)
            if token is None:
                raise ParseError(f"{code('/' + ' '.join(path))} needs a subcommand: {shown}.", None)
            hint = suggest(token.text, children)
            raise UnknownCommand(
                f"{code('/' + ' '.join(path))} has no subcommand {code(token.text[:40])}.",
                (f"Did you mean {code(hint)}? " if hint else "") + f"Choose one of {shown}.",
            )
        path = (*path, token.text.casefold())

    spec = registry.commands[path]
    return Parsed(path, _parse_options(spec, text, pos))


def _parse_options(spec: CommandSpec, text: str, pos: int) -> dict[str, str]:
    values: dict[str, str] = {}
    usage = usage_line(spec)
    names = [o.name for o in spec.options]

    while True:
        # A file is never a bare word: it is named (`file:bank.yaml` in the console) or attached.
        pending = next((o for o in spec.options if o.name not in values and o.type is not OptionType.FILE), None)
        rest = text[pos:].lstrip()
        if not rest:
            return values
        head = _NAMED.match(rest.split(None, 1)[0])
        named = spec.option(head.group(1)) if head else None
        # Named, free text takes the rest even before earlier options (`text:` with no `mode:`).
        free = named if named is not None and named.rest else pending
        if free is not None and free.rest and (named is None or named is free):
            # Free text takes the rest of the line verbatim, apostrophes, colons and all.
            if named is free:
                rest = rest[len(head.group(1)) + 1 :].strip()  # type: ignore[union-attr]
                if len(rest) >= 2 and rest[0] == rest[-1] == '"' and '"' not in rest[1:-1]:
                    rest = rest[1:-1]
            if not rest:
                raise ParseError(f"{code(free.name + ':')} has no value.", f"Usage: {usage}")
            if any((m := _NAMED.match(word)) and m.group(1) == free.name for word in rest.split()):
                raise ParseError(f"You gave {code(free.name)} twice.", f"Give it once. Usage: {usage}")
            values[free.name] = rest
            return values
        token, pos = _next_token(text, pos)
        assert token is not None
        match = _NAMED.match(token.text)
        if match:
            option = spec.option(match.group(1))
            if option is None:
                if not names:
                    raise ParseError(f"{code('/' + spec.name)} takes no options.", f"Usage: {usage}")
                hint = suggest(match.group(1), names)
                raise ParseError(
                    f"{code('/' + spec.name)} has no option {code(match.group(1)[:40])}.",
                    (f"Did you mean {code(hint)}? " if hint else "") + f"Usage: {usage}",
                )
            if option.name in values:
                raise ParseError(f"You gave {code(option.name)} twice.", f"Give it once. Usage: {usage}")
            if match.group(2) == "":
                raise ParseError(
                    f"{code(option.name + ':')} has no value.", f"Write it as {code(option.name + ':value')}."
                )
            values[option.name] = match.group(2)
            continue
        if pending is None:
            raise ParseError(
                f"I don't know what {code(token.text[:40])} is for.",
                (f"Name options as {code('name:value')}. " if names else "This command takes no options. ")
                + f"Usage: {usage}",
            )
        values[pending.name] = token.text


SHOWN_CHOICES = 6  # an option with more choices shows its type in a usage line


def usage_line(spec: CommandSpec) -> str:
    """`/review [next|settings|break|resume] [exam:<string>] …`: an option with a few choices shows them,
    and the first option, when it has choices, is a sub-action typed bare (`/review settings`), so its
    name, which no member types, is left out."""
    parts = ["/" + spec.name]
    for position, option in enumerate(spec.options):
        value = f"<{option.type.value}>"
        if option.choices and len(option.choices) <= SHOWN_CHOICES:
            value = "|".join(c.value for c in option.choices)
        piece = value if position == 0 and option.choices else f"{option.name}:{value}"
        parts.append(piece if option.required else f"[{piece}]")
    return code(" ".join(parts))
