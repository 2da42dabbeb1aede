"""Reply → Discord messages, with every Discord limit handled on purpose.

A reply becomes one or more messages (`RenderedMessage`): plain `content` when it is only text, an
embed when it has a title, fields or a footer. Limits are met in one of two ways, chosen per item:

- **split** where losing text would lose meaning: long text continues in further embeds or
  messages, a long field continues in a field named "… (continued)", fields beyond 25 go to the next
  embed, embeds beyond 6,000 characters to the next message;
- **truncate with an ellipsis** where a cut is harmless: titles, field names, footers, labels,
  placeholders, and the very end of a reply that would need more than `MAX_MESSAGES` messages;
- **drop with a warning** where a cut would break the item: custom ids over 100 characters,
  buttons beyond 5 rows of 5, select options beyond 25 or with values over 100 characters.

Lengths are counted in UTF-16 code units, which is never less than what Discord counts, so astral
characters (emoji) cannot push a message over a limit. Markup is rendered to Discord markdown with
every text span escaped, and every message carries `allowed_mentions = {"parse": []}`.

The one exception is `Reply.mention` on a channel post (`render(reply, channel_post=True)`, which
only the scheduler's `Poster` asks for): the first message then starts with the role mention
`<@&ID>` and allows exactly that role to be pinged; users, `@everyone`/`@here` and every other role
stay unpingable. Interaction replies ignore `Reply.mention`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from adapters.discord.payloads import (
    ActionRowPayload,
    AllowedMentionsPayload,
    ButtonPayload,
    EmbedFieldPayload,
    EmbedPayload,
    MessagePayload,
    SelectOptionPayload,
    StringSelectPayload,
)
from bot.markup import Bullets, Paragraph, Span, chunk, parse, to_plain
from bot.replies import Button, Reply, Select

log = logging.getLogger(__name__)

CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELDS_PER_EMBED = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000  # across every embed of one message
EMBEDS_PER_MESSAGE = 10
ROWS_PER_MESSAGE = 5
BUTTONS_PER_ROW = 5
LABEL_LIMIT = 80
CUSTOM_ID_LIMIT = 100
SELECT_OPTIONS_LIMIT = 25
OPTION_TEXT_LIMIT = 100
PLACEHOLDER_LIMIT = 150
MAX_MESSAGES = 5  # a reply longer than this is a bug in the core; we cut rather than flood a channel

EPHEMERAL = 1 << 6
ELLIPSIS = "…"
CUT_MARK = "\n" + ELLIPSIS
BLANK = "\u200b"  # Discord rejects empty field names, values and messages
CONTINUED = " (continued)"
_STYLES = {"primary": 1, "secondary": 2, "success": 3, "danger": 4}
NO_MENTIONS: dict[str, list[str]] = {"parse": []}
_SNOWFLAKE = re.compile(r"[1-9][0-9]{0,19}")


def role_mention(role_id: str | None) -> str | None:
    """`<@&ID>` for a role id (a snowflake), else None: anything else is not a role Discord can ping."""
    if role_id is None or _SNOWFLAKE.fullmatch(role_id) is None:
        return None
    return f"<@&{role_id}>"


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """One Discord message ready to send: content and/or embeds, its component rows, the role it may ping."""

    content: str | None = None
    embeds: tuple[EmbedPayload, ...] = ()
    components: tuple[ActionRowPayload, ...] = field(default=())
    mention: str | None = None  # the one role id this message may ping; its content starts with <@&ID>

    def allowed_mentions(self) -> AllowedMentionsPayload:
        """Nothing pingable, except the message's own role mention when it has one."""
        if self.mention is None:
            return {"parse": []}
        return {"parse": [], "roles": [self.mention]}

    def payload(self, *, ephemeral: bool = False) -> MessagePayload:
        """The JSON body of this message, as Discord receives it."""
        body: MessagePayload = {
            "embeds": list(self.embeds),
            "components": list(self.components),
            "allowed_mentions": self.allowed_mentions(),
        }
        if self.content is not None:
            body["content"] = self.content
        if ephemeral:
            body["flags"] = EPHEMERAL
        return body


# -- lengths ---------------------------------------------------------------------------------------


def units(text: str) -> int:
    """Length in UTF-16 code units: an upper bound on how Discord counts characters."""
    return len(text.encode("utf-16-le")) // 2


def _fitting(text: str, limit: int) -> int:
    """How many leading characters of `text` fit in `limit` units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def truncate(text: str, limit: int) -> str:
    """`text` itself when it fits, else its start and an ellipsis, `limit` units at most."""
    if units(text) <= limit:
        return text
    head = text[: _fitting(text, limit - 1)].rstrip()
    # An odd run of trailing backslashes would escape the ellipsis; drop the dangling one.
    if (len(head) - len(head.rstrip("\\"))) % 2:
        head = head[:-1]
    return head + ELLIPSIS


# -- markup ----------------------------------------------------------------------------------------


# Discord drops a backslash before any punctuation, so a backslash makes any character literal.
# discord.utils.escape_markdown is not enough: it leaves text shaped like a masked link (`[a](b)`)
# unescaped, so a member's `[text](http://…)` became a link and a backtick inside it opened code.
_INLINE_MARK = re.compile(r"([\\*_~`|<\[\]])")
_LINE_MARK = re.compile(r"^(\s*)([>#-])", re.MULTILINE)  # quote, heading, bullet
_NUMBERED = re.compile(r"^(\s*\d+)\.(?=\s)", re.MULTILINE)  # "1. " starts a numbered list
_BARE_URL = re.compile(r"https?://[^\s<`]+[^<.,:;\"')\]\s`]")  # Discord's own autolink shape


def _literal(text: str) -> str:
    marked = _LINE_MARK.sub(r"\1\\\2", _INLINE_MARK.sub(r"\\\1", text))
    return _NUMBERED.sub(r"\1\\.", marked)


def escape(text: str) -> str:
    """Make member or content text literal in Discord markdown, `<` included (typed `<#id>` or
    `<@id>` stays text, not a reference); a bare URL stays as written so it is still clickable."""
    pieces: list[str] = []
    at = 0
    for url in _BARE_URL.finditer(text):
        pieces += (_literal(text[at : url.start()]), url.group())
        at = url.end()
    pieces.append(_literal(text[at:]))
    return "".join(pieces)


def _span(span: Span) -> str:
    match span.kind:
        case "bold":
            return f"**{escape(span.text)}**"
        case "italic":
            return f"*{escape(span.text)}*"
        case "code":
            return f"`` {span.text} ``" if "`" in span.text else f"`{span.text}`"
        case "link":
            if span.url == span.text:
                return span.url
            label = escape(span.text)  # brackets escaped too, so they cannot end the label early
            return f"[{label}]({span.url})"
        case "channel":
            return f"<#{span.text}>"
        case "user":  # shown as a mention; allowed_mentions keeps it from notifying anyone
            return f"<@{span.text}>"
        case _:
            return escape(span.text)


def markdown_chunks(markup: str, limit: int) -> list[str]:
    """The markup as Discord markdown in pieces of at most `limit` units, never splitting a span's
    markup (see `bot.markup.chunk`)."""
    return chunk(markup, limit, _span, measure=units)


def to_markdown(markup: str) -> str:
    """The neutral markup (see `bot.markup`) as Discord markdown."""
    blocks: list[str] = []
    for block in parse(markup):
        if isinstance(block, Paragraph):
            blocks.append("".join(_span(s) for s in block.spans))
        elif isinstance(block, Bullets):
            blocks.append("\n".join("- " + "".join(_span(s) for s in item) for item in block.items))
    return "\n\n".join(blocks)


# -- embeds ----------------------------------------------------------------------------------------


@dataclass
class _Packer:
    """Fills messages with embeds, opening a new embed or message where a limit would be crossed."""

    budget: int = EMBED_TOTAL_LIMIT - units(CUT_MARK)  # room kept for a cut mark on the last piece
    messages: list[list[EmbedPayload]] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)

    def _current(self) -> EmbedPayload | None:
        return self.messages[-1][-1] if self.messages and self.messages[-1] else None

    def _open(self, size: int) -> EmbedPayload:
        if not self.messages or self.totals[-1] + size > self.budget or len(self.messages[-1]) >= EMBEDS_PER_MESSAGE:
            self.messages.append([])
            self.totals.append(0)
        embed: EmbedPayload = {"type": "rich"}
        self.messages[-1].append(embed)
        return embed

    def _room(self, size: int) -> bool:
        return bool(self.messages) and self.totals[-1] + size <= self.budget

    def title(self, title: str) -> None:
        embed = self._open(units(title))
        embed["title"] = title
        self.totals[-1] += units(title)

    def description(self, text: str) -> None:
        size = units(text)
        embed = self._current()
        if embed is None or "description" in embed or "fields" in embed or not self._room(size):
            embed = self._open(size)
        embed["description"] = text
        self.totals[-1] += size

    def field(self, item: EmbedFieldPayload) -> None:
        size = units(item["name"]) + units(item["value"])
        embed = self._current()
        if embed is None or len(embed.get("fields", [])) >= FIELDS_PER_EMBED or not self._room(size):
            embed = self._open(size)
        embed.setdefault("fields", []).append(item)
        self.totals[-1] += size

    def footer(self, text: str) -> None:
        size = units(text)
        embed = self._current()
        if embed is None or not self._room(size):
            embed = self._open(size)
        embed["footer"] = {"text": text}
        self.totals[-1] += size


def _fields(reply: Reply) -> list[EmbedFieldPayload]:
    out: list[EmbedFieldPayload] = []
    for item in reply.fields:
        name = truncate(escape(item.name.strip()), FIELD_NAME_LIMIT) or BLANK
        chunks = markdown_chunks(item.value, FIELD_VALUE_LIMIT) or [BLANK]
        inline = item.inline and len(chunks) == 1
        for index, piece in enumerate(chunks):
            label = name if index == 0 else truncate(name + CONTINUED, FIELD_NAME_LIMIT)
            out.append({"name": label, "value": piece, "inline": inline})
    return out


def _embed_messages(reply: Reply) -> list[list[EmbedPayload]]:
    packer = _Packer()
    if reply.title and reply.title.strip():
        packer.title(truncate(escape(reply.title.strip()), TITLE_LIMIT))
    for piece in markdown_chunks(reply.text, DESCRIPTION_LIMIT):
        packer.description(piece)
    for item in _fields(reply):
        packer.field(item)
    if reply.footer and reply.footer.strip():
        # Footers do not render markdown, so they get the plain form of the markup.
        packer.footer(truncate(to_plain(reply.footer), FOOTER_LIMIT))
    return packer.messages


def _mark_cut_embed(embed: EmbedPayload) -> None:
    """End the last piece of text in `embed` with an ellipsis: what followed was dropped."""
    if embed.get("fields"):
        last = embed["fields"][-1]
        last["value"] = truncate(last["value"] + CUT_MARK, FIELD_VALUE_LIMIT)
    elif "description" in embed:
        embed["description"] = truncate(embed["description"] + CUT_MARK, DESCRIPTION_LIMIT)
    elif "title" in embed:
        embed["title"] = truncate(embed["title"] + " " + ELLIPSIS, TITLE_LIMIT)


# -- components ------------------------------------------------------------------------------------


def _select(select: Select) -> StringSelectPayload | None:
    if not 1 <= len(select.action_id) <= CUSTOM_ID_LIMIT:
        log.warning("dropping a select whose custom id has %d characters", len(select.action_id))
        return None
    options: list[SelectOptionPayload] = []
    seen: set[str] = set()
    for option in select.options:
        if not 1 <= len(option.value) <= OPTION_TEXT_LIMIT or option.value in seen:
            log.warning("dropping select option %r: its value is empty, too long or repeated", option.label[:40])
            continue
        if len(options) == SELECT_OPTIONS_LIMIT:
            log.warning(
                "select %s has %d options; showing the first %d",
                select.action_id,
                len(select.options),
                SELECT_OPTIONS_LIMIT,
            )
            break
        seen.add(option.value)
        item: SelectOptionPayload = {
            "label": truncate(option.label.strip(), OPTION_TEXT_LIMIT) or option.value,
            "value": option.value,
        }
        if option.description:
            item["description"] = truncate(option.description, OPTION_TEXT_LIMIT)
        options.append(item)
    if not options:
        return None
    maximum = max(1, min(select.max_values, len(options), SELECT_OPTIONS_LIMIT))
    minimum = max(0, min(select.min_values, maximum))
    return {
        "type": 3,
        "custom_id": select.action_id,
        "placeholder": truncate(select.placeholder, PLACEHOLDER_LIMIT),
        "min_values": minimum,
        "max_values": maximum,
        "options": options,
    }


def _button(button: Button) -> ButtonPayload:
    return {
        "type": 2,
        "style": _STYLES.get(button.style, 2),
        "label": truncate(button.label.strip(), LABEL_LIMIT) or ELLIPSIS,
        "custom_id": button.action_id,
    }


def render_components(reply: Reply) -> tuple[ActionRowPayload, ...]:
    """A select on the first row, then buttons five to a row, within Discord's five rows."""
    rows: list[ActionRowPayload] = []
    seen: set[str] = set()
    if reply.select is not None:
        select = _select(reply.select)
        if select is not None:
            rows.append({"type": 1, "components": [select]})
            seen.add(select["custom_id"])
    buttons: list[ButtonPayload] = []
    for button in reply.buttons:
        if not 1 <= len(button.action_id) <= CUSTOM_ID_LIMIT or button.action_id in seen:
            log.warning(
                "dropping button %r: its custom id is empty, over 100 characters or repeated", button.label[:40]
            )
            continue
        seen.add(button.action_id)
        buttons.append(_button(button))
    room = (ROWS_PER_MESSAGE - len(rows)) * BUTTONS_PER_ROW
    if len(buttons) > room:
        log.warning("a reply has %d buttons; only %d fit in a message", len(buttons), room)
        buttons = buttons[:room]
    for start in range(0, len(buttons), BUTTONS_PER_ROW):
        rows.append({"type": 1, "components": list(buttons[start : start + BUTTONS_PER_ROW])})
    return tuple(rows)


# -- whole replies ---------------------------------------------------------------------------------


def _wants_embed(reply: Reply) -> bool:
    return bool((reply.title and reply.title.strip()) or reply.fields or (reply.footer and reply.footer.strip()))


def render(
    reply: Reply, *, max_messages: int = MAX_MESSAGES, channel_post: bool = False
) -> tuple[RenderedMessage, ...]:
    """Every message needed to show `reply`; its buttons and select go on the last one.

    With `channel_post`, a `Reply.mention` that is a role id opens the first message and may ping.
    """
    prefix = role_mention(reply.mention) if channel_post else None
    if reply.mention is not None and channel_post and prefix is None:
        log.warning("not mentioning %r: it is not a Discord role id", reply.mention[:40])
    # Room for the mention and its line break in the first message's content.
    room = CONTENT_LIMIT - (units(prefix) + 1 if prefix else 0)
    components = render_components(reply)
    if _wants_embed(reply):
        groups = _embed_messages(reply)
        if len(groups) > max_messages:
            log.warning("a reply needs %d messages; cutting it to %d", len(groups), max_messages)
            groups = groups[:max_messages]
            _mark_cut_embed(groups[-1][-1])
        messages = [RenderedMessage(embeds=tuple(group)) for group in groups]
    else:
        chunks = markdown_chunks(reply.text, room)
        if len(chunks) > max_messages:
            log.warning("a reply needs %d messages; cutting it to %d", len(chunks), max_messages)
            chunks = chunks[:max_messages]
            chunks[-1] = truncate(chunks[-1] + CUT_MARK, room)
        messages = [RenderedMessage(content=piece) for piece in chunks]
    if not messages:
        messages = [RenderedMessage(content=None if components or prefix else BLANK)]
    last = messages[-1]
    messages[-1] = RenderedMessage(content=last.content, embeds=last.embeds, components=components)
    if prefix is not None:
        first = messages[0]
        content = prefix if not first.content or first.content == BLANK else f"{prefix}\n{first.content}"
        messages[0] = RenderedMessage(content, first.embeds, first.components, mention=reply.mention)
    return tuple(messages)


def render_one(reply: Reply, *, channel_post: bool = False) -> RenderedMessage:
    """`reply` in exactly one message, cut with an ellipsis if need be: for edits of one message."""
    return render(reply, max_messages=1, channel_post=channel_post)[0]
