"""Reply → Block Kit: header, mrkdwn sections, fields, context, actions, plus a plain `text` fallback.

Every limit Slack publishes for messages is enforced here, where the payload is built, and each is
named below so a test can push the renderer to it and one past it. Human text that is too long is
split (section text, fields, buttons) or cut with an ellipsis (header, labels); identifiers (action
ids, values) cannot be shortened without breaking them, so an oversized one raises `RenderError`.

Every text span from users or content is escaped (`&`, `<`, `>`), in `plain_text` as well as in
`mrkdwn`, so nobody can smuggle `<!channel>`, `<!here>` or `<@U…>` through a display name, an option
value or a question. The only angle brackets in our output are the links we build ourselves, and the
one mention a scheduled channel post may carry (`Reply.mention`, rendered only when the caller asks
for it with `render(reply, mention=True)`): a user group as `<!subteam^S…>`, or a member as `<@U…>`,
rebuilt from the bare id so that nothing else can come along with it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from adapters.slack.payloads import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    Message,
    Mrkdwn,
    OptionObject,
    PlainText,
    SectionBlock,
    SelectElement,
)
from bot.markup import Span, chunk, to_plain
from bot.replies import Button, Field, Reply, Select

log = logging.getLogger(__name__)

# Block Kit limits (docs.slack.dev "Blocks" reference and slack_sdk's model validators).
MAX_BLOCKS = 50
HEADER_TEXT = 150
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
CONTEXT_TEXT = 2000
BUTTON_TEXT = 75
ACTION_ID = 255
BUTTON_VALUE = 2000
ACTIONS_ELEMENTS = 25
SELECT_OPTIONS = 100
OPTION_TEXT = 75
OPTION_VALUE = 150
PLACEHOLDER_TEXT = 150
# Not a published limit: Slack answers `msg_blocks_too_long` at roughly 13.2k characters of block text
# (slackapi/bolt-js#2509), so a message keeps its sections under this budget and says it was shortened.
MESSAGE_TEXT_BUDGET = 12_000
# The `text` fallback feeds notifications and screen readers; Slack truncates at 40k, we stay short.
FALLBACK_TEXT = 3000
FIELD_NAME_TEXT = 200

ELLIPSIS = "…"
BULLET = "• "
_STYLES = {"primary": "primary", "success": "primary", "danger": "danger"}


class RenderError(ValueError):
    """A reply that cannot become a valid Slack message without breaking an identifier."""


# A bare id (`S0123`), or one already in Slack's mention syntax (`<!subteam^S0123|@group>`, `<@U0123>`).
_MENTION_ID = re.compile(
    r"^(?:<!subteam\^([A-Z0-9]{2,40})(?:\|[^<>]*)?>|<@([A-Z0-9]{2,40})(?:\|[^<>]*)?>|([A-Z0-9]{2,40}))$"
)


def mention_tag(mention: str | None) -> str | None:
    """The Slack syntax that notifies `mention`: `<!subteam^S…>` for a user group, `<@U…>`/`<@W…>` for a member.

    Anything else (a Discord role id, a name, stray text) notifies nobody: it is logged and dropped,
    never rendered, so a setting can't turn into `<!channel>`.
    """
    if not mention:
        return None
    match = _MENTION_ID.match(mention.strip())
    ident = next((g for g in match.groups() if g), None) if match else None
    if ident is not None and ident[0] == "S":
        return f"<!subteam^{ident}>"
    if ident is not None and ident[0] in "UW":
        return f"<@{ident}>"
    log.warning("mention %r is not a Slack user group (S…) or member (U…/W…) id; nobody is notified", mention[:60])
    return None


def escape(text: str) -> str:
    """Slack's three control characters as entities; nothing else is encoded (Slack decodes only these)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(raw: str, limit: int) -> str:
    """`raw` escaped, cut so the escaped form is at most `limit` characters, never inside an entity."""
    escaped = escape(raw)
    if len(escaped) <= limit:
        return escaped
    out: list[str] = []
    size = 0
    for ch in raw:
        piece = escape(ch)
        if size + len(piece) > limit - len(ELLIPSIS):
            break
        out.append(piece)
        size += len(piece)
    return "".join(out).rstrip() + ELLIPSIS


def plain_text(raw: str, limit: int) -> PlainText:
    return {"type": "plain_text", "text": fit(raw, limit) or " ", "emoji": True}


def mrkdwn(text: str) -> Mrkdwn:
    return {"type": "mrkdwn", "text": text}


# -- markup → mrkdwn ----------------------------------------------------------------------------


def _wrap(kind: str, body: str) -> str:
    marks = {"bold": "*", "italic": "_"}
    if kind in marks:
        stripped = body.strip()
        if not stripped:
            return body
        # Slack only styles `*x*` when the markers hug the text, so whitespace goes outside them.
        lead = body[: len(body) - len(body.lstrip())]
        trail = body[len(body.rstrip()) :]
        return f"{lead}{marks[kind]}{stripped}{marks[kind]}{trail}"
    if kind == "code":
        return f"`{body}`"
    return body


def _link_target(url: str) -> str:
    # A `|` would end the address early and `>` would end the link: encode both, escape the rest.
    return escape(url).replace("|", "%7C")


def _span(span: Span) -> str:
    """One whole span as mrkdwn; an address Slack cannot link inside `<…>` goes out as text."""
    text = span.text.replace("`", "'") if span.kind == "code" else span.text
    if span.kind == "link" and span.url:
        target = _link_target(span.url)
        return f"<{target}>" if text == span.url else f"<{target}|{escape(text)}>"
    if span.kind == "channel":
        return f"<#{escape(text)}>"
    if span.kind == "user":
        return f"<@{escape(text)}>"
    return _wrap(span.kind, escape(text))


def mrkdwn_chunks(text: str, limit: int = SECTION_TEXT) -> list[str]:
    """Markup as mrkdwn strings of at most `limit` characters, split between lines where possible
    (see `bot.markup.chunk`)."""
    return chunk(text, limit, _span, bullet=BULLET)


def to_mrkdwn(text: str) -> str:
    """Markup as one mrkdwn string, for places without a per-block limit of their own."""
    return "\n".join(mrkdwn_chunks(text, limit=10**9))


# -- blocks -------------------------------------------------------------------------------------


def header(title: str) -> HeaderBlock:
    return {"type": "header", "text": plain_text(title.replace("\n", " "), HEADER_TEXT)}


def text_sections(text: str) -> list[SectionBlock]:
    return [{"type": "section", "text": mrkdwn(chunk)} for chunk in mrkdwn_chunks(text, SECTION_TEXT)]


def _field_heading(field: Field) -> str:
    name = fit(field.name.replace("\n", " ").strip(), FIELD_NAME_TEXT)
    return f"*{name}*" if name else ""


def _inline_field(field: Field) -> str | None:
    """`*name*\\nvalue` when it fits one field (2,000 characters); None when it must go full width."""
    heading = _field_heading(field)
    room = FIELD_TEXT - len(heading) - 1
    chunks = mrkdwn_chunks(field.value, room) if field.value.strip() else []
    if len(chunks) > 1:
        return None
    return "\n".join(p for p in (heading, *chunks) if p) or " "


def _wide_field(field: Field) -> list[SectionBlock]:
    heading = _field_heading(field)
    room = SECTION_TEXT - len(heading) - 1
    chunks = mrkdwn_chunks(field.value, room) if field.value.strip() else []
    if not chunks:
        return [{"type": "section", "text": mrkdwn(heading or " ")}]
    first = "\n".join(p for p in (heading, chunks[0]) if p)
    sections: list[SectionBlock] = [{"type": "section", "text": mrkdwn(first)}]
    sections.extend({"type": "section", "text": mrkdwn(c)} for c in chunks[1:])
    return sections


def field_sections(fields: Iterable[Field]) -> list[SectionBlock]:
    """Inline fields side by side, at most ten to a section; other fields full width, one section each."""
    blocks: list[SectionBlock] = []
    run: list[Mrkdwn] = []

    def flush() -> None:
        for start in range(0, len(run), SECTION_FIELDS):
            blocks.append({"type": "section", "fields": run[start : start + SECTION_FIELDS]})
        run.clear()

    for field in fields:
        inline = _inline_field(field) if field.inline else None
        if inline is not None:
            run.append(mrkdwn(inline))
            continue
        flush()
        blocks.extend(_wide_field(field))
    flush()
    return blocks


def _check_id(kind: str, value: str, limit: int) -> str:
    if not value:
        raise RenderError(f"a {kind} must not be empty")
    if len(value) > limit:
        raise RenderError(f"{kind} {value[:40]!r}… is {len(value)} characters; Slack allows {limit}")
    return value


def button(spec: Button, action_id: str | None = None) -> ButtonElement:
    """A button whose `action_id` and `value` both carry the studybot action id, untouched."""
    value = _check_id("button value", spec.action_id, BUTTON_VALUE)
    element: ButtonElement = {
        "type": "button",
        "text": plain_text(spec.label, BUTTON_TEXT),
        "action_id": _check_id("action_id", action_id or spec.action_id, ACTION_ID),
        "value": value,
    }
    style = _STYLES.get(spec.style)
    if style is not None:
        element["style"] = style  # type: ignore[typeddict-item]
    return element


def select(spec: Select) -> SelectElement:
    options = spec.options
    if len(options) > SELECT_OPTIONS:
        log.warning("select %s has %d options; Slack shows the first %d", spec.action_id, len(options), SELECT_OPTIONS)
        options = options[:SELECT_OPTIONS]
    rendered: list[OptionObject] = []
    for option in options:
        item: OptionObject = {
            "text": plain_text(option.label, OPTION_TEXT),
            "value": _check_id("option value", option.value, OPTION_VALUE),
        }
        if option.description:
            item["description"] = plain_text(option.description, OPTION_TEXT)
        rendered.append(item)
    if not rendered:
        raise RenderError(f"select {spec.action_id!r} has no options")
    many = spec.max_values > 1
    element: SelectElement = {
        "type": "multi_static_select" if many else "static_select",
        "action_id": _check_id("action_id", spec.action_id, ACTION_ID),
        "placeholder": plain_text(spec.placeholder, PLACEHOLDER_TEXT),
        "options": rendered,
    }
    if many:
        element["max_selected_items"] = min(spec.max_values, len(rendered))
    return element


def actions_blocks(reply: Reply) -> list[ActionsBlock]:
    """The select first (as on the console: choose, then press), then buttons, 25 elements a block."""
    elements: list[ButtonElement | SelectElement] = []
    seen: dict[str, int] = {}
    if reply.select is not None:
        try:
            elements.append(select(reply.select))
            seen[reply.select.action_id] = 1  # a choose-N question's Submit button shares the menu's id
        except RenderError as exc:
            log.warning("dropping a select: %s", exc)
    for spec in reply.buttons:
        # Slack rejects two equal action ids in one block; a repeat gets a suffix and keeps its value.
        count = seen.get(spec.action_id, 0)
        seen[spec.action_id] = count + 1
        try:
            elements.append(button(spec, None if count == 0 else f"{spec.action_id}~{count + 1}"))
        except RenderError as exc:
            log.warning("dropping button %r: %s", spec.label[:40], exc)
    return [
        {"type": "actions", "elements": elements[start : start + ACTIONS_ELEMENTS]}
        for start in range(0, len(elements), ACTIONS_ELEMENTS)
    ]


def context(markup: str) -> ContextBlock:
    text = "\n".join(mrkdwn_chunks(markup, CONTEXT_TEXT)) or " "
    if len(text) > CONTEXT_TEXT:
        text = mrkdwn_chunks(markup, CONTEXT_TEXT - len(ELLIPSIS))[0] + ELLIPSIS
    return {"type": "context", "elements": [mrkdwn(text)]}


def _block_text_size(block: Block) -> int:
    if block["type"] == "section":
        size = len(block.get("text", {}).get("text", ""))  # type: ignore[union-attr]
        return size + sum(len(f["text"]) for f in block.get("fields", []))  # type: ignore[union-attr]
    return 0


@dataclass(frozen=True, slots=True)
class _Layout:
    head: list[Block]
    content: list[Block]
    tail: list[Block]


def _fit_layout(layout: _Layout) -> list[Block]:
    """At most 50 blocks and the text budget: content is shortened, never the header, buttons or footer."""
    room = MAX_BLOCKS - len(layout.head) - len(layout.tail)
    if room < 1:
        raise RenderError(
            f"a reply needs {len(layout.head) + len(layout.tail)} fixed blocks; Slack allows {MAX_BLOCKS}"
        )
    total = sum(_block_text_size(b) for b in layout.content)
    if len(layout.content) <= room and total <= MESSAGE_TEXT_BUDGET:
        return [*layout.head, *layout.content, *layout.tail]
    kept: list[Block] = []
    used = 0
    for block in layout.content:
        size = _block_text_size(block)
        if len(kept) + 1 >= room or used + size > MESSAGE_TEXT_BUDGET:
            break
        kept.append(block)
        used += size
    left = len(layout.content) - len(kept)
    note: ContextBlock = context(f"*Shortened for Slack: {left} more part{'s' if left != 1 else ''} not shown.*")
    log.info("reply shortened for Slack: %d of %d content blocks kept", len(kept), len(layout.content))
    return [*layout.head, *kept, note, *layout.tail]


def fallback_text(reply: Reply, tag: str | None = None) -> str:
    """The notification text: title and body as plain text, escaped like everything else.

    `tag` (from `mention_tag`) goes first, so the notification names the group it is for.
    """
    parts = [reply.title or "", to_plain(reply.text) if reply.text else ""]
    for field in reply.fields:
        parts.append(f"{field.name}: {to_plain(field.value)}")
    raw = "\n".join(p for p in parts if p).strip() or "studybot"
    if tag is None:
        return fit(raw, FALLBACK_TEXT)
    return f"{tag} {fit(raw, FALLBACK_TEXT - len(tag) - 1)}"


def _mention_section(tag: str, content: list[Block], has_text: bool) -> tuple[SectionBlock, list[Block]]:
    """The first text section with `tag` in front (or a section of its own when that would not fit)."""
    first = content[0] if has_text and content else None
    if first is not None and first["type"] == "section" and "text" in first:
        text = first["text"]["text"]  # type: ignore[typeddict-item]
        if len(tag) + 1 + len(text) <= SECTION_TEXT:
            return {"type": "section", "text": mrkdwn(f"{tag} {text}")}, content[1:]
    return {"type": "section", "text": mrkdwn(tag)}, content


def render(reply: Reply, *, mention: bool = False) -> Message:
    """The whole message: blocks within every limit, and the plain fallback Slack wants beside them.

    `mention=True` is for channel posts only (the scheduler's Poster): then `reply.mention`, if it is
    a Slack id, opens the first section and the fallback text. Answers to commands and presses leave
    it at False, and an ephemeral reply never notifies anyone either way.
    """
    tag = mention_tag(reply.mention) if mention and not reply.ephemeral else None
    head: list[Block] = [header(reply.title)] if reply.title and reply.title.strip() else []
    content: list[Block] = [*text_sections(reply.text), *field_sections(reply.fields)]
    if tag is not None:
        # In the head, so shortening a long message can never drop the mention.
        opening, content = _mention_section(tag, content, bool(reply.text.strip()))
        head.append(opening)
    tail: list[Block] = [*actions_blocks(reply)]
    if reply.footer:
        tail.append(context(reply.footer))
    if not head and not content and not tail:
        content = [{"type": "section", "text": mrkdwn(" ")}]
    blocks = _fit_layout(_Layout(head, content, tail))
    return {"text": fallback_text(reply, tag), "blocks": blocks}


def wire_blocks(message: Message) -> list[dict[str, Any]]:
    """The blocks as the plain JSON dicts slack_sdk's methods are typed to take."""
    return cast("list[dict[str, Any]]", message["blocks"])
