"""The small neutral markup every reply is written in.

A strict subset of Markdown: `**bold**`, `*italics*`, `` `code` ``, `[text](https://url)` and lines
starting with `- ` for bullets, plus `<#id>` for a channel and `<@id>` for a member, which each platform
shows as its own link (never a ping); a backslash makes the next character literal. Each adapter parses it
with `parse` and renders the pieces in its own syntax, escaping text for its platform there. Handlers
build markup with the helpers below so that text from members or content can never be read as markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

SpanKind = Literal["text", "bold", "italic", "code", "link", "channel", "user"]

_SPECIAL = re.compile(r"([\\*`\[\]<])")
_TOKEN = re.compile(
    r"\\(?P<esc>.)"
    r"|\*\*(?P<bold>(?:\\.|[^*\\])+?)\*\*"
    r"|\*(?P<italic>(?:\\.|[^*\\])+?)\*"
    r"|`(?P<code>[^`]+)`"
    r"|\[(?P<ltext>(?:\\.|[^\]\\])+)\]\((?P<url>https?://[^\s)]+)\)"
    r"|<(?P<ref>[#@])(?P<refid>[A-Za-z0-9_.:-]{1,100})>",
    re.DOTALL,
)
_UNESCAPE = re.compile(r"\\(.)")
_REF_ID = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text with one style; `url` only for links. A channel or user span's text is its id."""

    kind: SpanKind
    text: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Lines of spans; a span's text may hold newlines, which renderers keep."""

    spans: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Bullets:
    items: tuple[tuple[Span, ...], ...]


Block = Paragraph | Bullets


def esc(text: str) -> str:
    """Make arbitrary text literal inside markup."""
    return _SPECIAL.sub(r"\\\1", text)


def literal_with_code(text: str) -> str:
    """Prose from content where backticks mark commands (`/mycerts list`): those become code, the
    rest is literal. Unbalanced backticks leave it all literal."""
    parts = text.split("`")
    if len(parts) % 2 == 0:
        return esc(text)
    return "".join(code(part) if index % 2 else esc(part) for index, part in enumerate(parts))


def bold(text: str) -> str:
    return f"**{esc(text)}**"


def italic(text: str) -> str:
    return f"*{esc(text)}*"


def code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def link(text: str, url: str) -> str:
    return f"[{esc(text)}]({url})"


def channel(channel_id: str) -> str:
    """A reference to a channel, shown as the platform's channel link (`#name` in the console)."""
    return f"<#{channel_id}>" if _REF_ID.fullmatch(channel_id) else code(channel_id)


def user(user_id: str) -> str:
    """A reference to a member, shown as the platform's mention without notifying anyone."""
    return f"<@{user_id}>" if _REF_ID.fullmatch(user_id) else code(user_id)


def bullets(items: Iterable[str]) -> str:
    """Bullet lines from items that are already markup."""
    return "\n".join(f"- {item}" for item in items)


def spans(text: str) -> tuple[Span, ...]:
    """Split one run of markup into styled spans."""
    out: list[Span] = []
    plain: list[str] = []
    pos = 0

    def flush() -> None:
        if plain:
            out.append(Span("text", "".join(plain)))
            plain.clear()

    for match in _TOKEN.finditer(text):
        plain.append(text[pos : match.start()])
        pos = match.end()
        if match.group("esc") is not None:
            plain.append(match.group("esc"))
            continue
        flush()
        if match.group("bold") is not None:
            out.append(Span("bold", _UNESCAPE.sub(r"\1", match.group("bold"))))
        elif match.group("italic") is not None:
            out.append(Span("italic", _UNESCAPE.sub(r"\1", match.group("italic"))))
        elif match.group("code") is not None:
            out.append(Span("code", match.group("code")))
        elif match.group("ref") is not None:
            out.append(Span("channel" if match.group("ref") == "#" else "user", match.group("refid")))
        else:
            out.append(Span("link", _UNESCAPE.sub(r"\1", match.group("ltext")), match.group("url")))
    plain.append(text[pos:])
    flush()
    return tuple(s for s in out if s.text)


def parse(text: str) -> tuple[Block, ...]:
    """Group markup into paragraphs and bullet lists, the only block structures it has."""
    blocks: list[Block] = []
    para: list[str] = []
    items: list[tuple[Span, ...]] = []

    def end_para() -> None:
        if para:
            blocks.append(Paragraph(spans("\n".join(para))))
            para.clear()

    def end_items() -> None:
        if items:
            blocks.append(Bullets(tuple(items)))
            items.clear()

    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("- "):
            end_para()
            items.append(spans(stripped[2:]))
        elif not stripped:
            end_para()
            end_items()
        else:
            end_items()
            para.append(line.rstrip())
    end_para()
    end_items()
    return tuple(blocks)


def plain_spans(parts: Iterable[Span]) -> str:
    return "".join(_plain(s) for s in parts)


def _plain(span: Span) -> str:
    if span.kind == "link" and span.url is not None and not _is_address(span.text, span.url):
        return f"{span.text} ({span.url})"
    if span.kind == "link" and span.url is not None:
        return span.url
    if span.kind == "channel":
        return f"#{span.text}"
    if span.kind == "user":
        return f"@{span.text}"
    return span.text


def _is_address(text: str, url: str) -> bool:
    """Whether a link's text is its own address, whole or shortened (`docs.aws.amazon.com/x…`): in plain
    text the address alone says it, instead of the address twice."""
    shown = text.removesuffix("…")
    return "." in shown and (url.startswith(shown) or url.split("://", 1)[-1].startswith(shown))


def to_plain(text: str) -> str:
    """Markup as readable plain text (links keep their address)."""
    lines: list[str] = []
    for block in parse(text):
        if lines:
            lines.append("")
        if isinstance(block, Paragraph):
            lines.append(plain_spans(block.spans))
        else:
            lines.extend(f"• {plain_spans(item)}" for item in block.items)
    return "\n".join(lines)


# -- splitting long markup for platforms with message limits ---------------------------------------

SpanRenderer = Callable[[Span], str]
"""A platform's rendering of one whole span (escaped text, `**bold**`, `<url|text>`, …)."""


def _lines(text: str) -> list[tuple[bool, list[Span]]]:
    """Markup as (is a bullet, spans) lines; (False, []) is the blank line between blocks."""
    lines: list[tuple[bool, list[Span]]] = []
    for block in parse(text):
        if lines:
            lines.append((False, []))
        if isinstance(block, Paragraph):
            current: list[Span] = []
            for span in block.spans:
                for index, part in enumerate(span.text.split("\n")):
                    if index:
                        lines.append((False, current))
                        current = []
                    if part:
                        current.append(Span(span.kind, part, span.url))
            lines.append((False, current))
        else:
            lines.extend((True, list(item)) for item in block.items)
    return lines


def _cut(raw: str, fits: Callable[[str], bool]) -> int:
    """The longest prefix length of `raw` that `fits`, moved back to a space when one is near."""
    low, high = 1, len(raw)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(raw[:middle]):
            low = middle
        else:
            high = middle - 1
    space = raw.rfind(" ", 0, low)
    return space + 1 if space > 0 and space >= low // 4 else low


def _atoms(span: Span, limit: int, render: SpanRenderer, measure: Callable[[str], int]) -> list[str]:
    """One span as rendered pieces of at most `limit`, each a whole span of its own kind.

    Policy for what cannot fit: a long span is cut into several spans of the same style (a link into
    several links to the same address); a link whose address alone is over the limit is shown as its
    text and address in plain text, cut like text. Nothing is dropped.
    """
    whole = render(span)
    if measure(whole) <= limit:
        return [whole]
    if span.kind in ("channel", "user"):  # a reference cannot be cut: over the limit it is plain text
        return _atoms(Span("text", _plain(span)), limit, render, measure)
    if span.kind == "link" and measure(render(Span("link", span.text[:1], span.url))) > limit:
        shown = span.text if span.text == span.url else f"{span.text} ({span.url})"
        return _atoms(Span("text", shown), limit, render, measure)
    pieces: list[str] = []
    rest = span.text

    def fits(head: str) -> bool:
        return measure(render(Span(span.kind, head, span.url))) <= limit

    while rest:
        if not fits(rest[:1]):
            if span.kind == "link":  # even one character of its text does not fit beside the address
                pieces.extend(_atoms(Span("text", f"{rest} ({span.url})"), limit, render, measure))
                break
            raise ValueError(f"a limit of {limit} cannot hold one character of {span.kind}")
        size = _cut(rest, fits)
        head, rest = rest[:size], rest[size:]
        if head.strip() or span.kind == "code":
            pieces.append(render(Span(span.kind, head, span.url)))
    return pieces


def chunk(
    text: str, limit: int, render: SpanRenderer, *, measure: Callable[[str], int] = len, bullet: str = "- "
) -> list[str]:
    """Markup rendered and split into pieces of at most `limit` (as `measure` counts), between lines
    where possible and between spans otherwise, so no piece ever holds half a bold phrase or link."""
    chunks: list[str] = []
    current = ""
    for is_bullet, spans_ in _lines(text):
        pieces: list[str] = []
        piece = bullet if is_bullet else ""
        for span in spans_:
            for atom in _atoms(span, limit - (measure(bullet) if is_bullet else 0), render, measure):
                if piece and measure(piece) + measure(atom) > limit:
                    pieces.append(piece)
                    piece = ""
                piece += atom
        pieces.append(piece)
        for piece in pieces:
            candidate = piece if not current else f"{current}\n{piece}"
            if measure(candidate) <= limit:
                current = candidate
            else:
                chunks.append(current)
                current = piece
    chunks.append(current)
    return [c.strip("\n") for c in chunks if c.strip()]
