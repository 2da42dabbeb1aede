"""The small neutral markup every reply is written in.

A strict subset of Markdown: `**bold**`, `*italics*`, `` `code` ``, `[text](https://url)` and lines
starting with `- ` for bullets; a backslash makes the next character literal. Each adapter parses it
with `parse` and renders the pieces in its own syntax, escaping text for its platform there. Handlers
build markup with the helpers below so that text from members or content can never be read as markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

SpanKind = Literal["text", "bold", "italic", "code", "link"]

_SPECIAL = re.compile(r"([\\*`\[\]])")
_TOKEN = re.compile(
    r"\\(?P<esc>.)"
    r"|\*\*(?P<bold>(?:\\.|[^*\\])+?)\*\*"
    r"|\*(?P<italic>(?:\\.|[^*\\])+?)\*"
    r"|`(?P<code>[^`]+)`"
    r"|\[(?P<ltext>(?:\\.|[^\]\\])+)\]\((?P<url>https?://[^\s)]+)\)",
    re.DOTALL,
)
_UNESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text with one style; `url` only for links."""

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


def bold(text: str) -> str:
    return f"**{esc(text)}**"


def italic(text: str) -> str:
    return f"*{esc(text)}*"


def code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def link(text: str, url: str) -> str:
    return f"[{esc(text)}]({url})"


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
    return "".join(f"{s.text} ({s.url})" if s.kind == "link" and s.url != s.text else s.text for s in parts)


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
