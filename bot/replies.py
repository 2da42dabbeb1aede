"""What crosses the seam outward: a platform-neutral reply that each adapter renders its own way."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

ButtonStyle = Literal["primary", "secondary", "success", "danger"]


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str  # markup
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action_id: str
    style: ButtonStyle = "secondary"


@dataclass(frozen=True, slots=True)
class SelectOption:
    label: str
    value: str
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Select:
    """A menu; the chosen values come back as `Action.values` with this select's action id."""

    action_id: str
    options: tuple[SelectOption, ...]
    placeholder: str = "Choose…"
    min_values: int = 1
    max_values: int = 1


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a reply carries: a member's data export, a picture of their stats.

    An adapter that delivers it as a file (Discord, Slack, the console) shows `caption` in place of the
    reply's text when there is one (the export: its text is the file's content, paged) and keeps the
    text otherwise (the picture adds to the stats beside it). An adapter that cannot deliver it, or a
    platform that refuses it, sends the reply as it is, so the text must say what the file holds.
    `alt_text` says what a picture shows, in words, for screen readers and where pictures are off.
    """

    filename: str
    content: bytes
    mime: str = "application/octet-stream"
    alt_text: str = ""
    caption: str | None = None


@dataclass(frozen=True, slots=True)
class FormRequest:
    """Ask the member to fill in a command's options in a form (a modal on Discord and Slack): the
    command at `command`, with `fixed` options already given (a question id). Submitting it is that
    command, as if typed. Adapters without forms show the reply's text instead, which says what to type."""

    command: tuple[str, ...]
    fixed: tuple[tuple[str, str], ...] = ()
    title: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """One message. `text` and field values are markup (see `bot.markup`).

    `ephemeral` means only the asking member sees it. `replace` asks the adapter to edit the message
    whose button was pressed instead of sending a new one, where the platform allows it. `mention` is
    the platform id of one role or user group to notify; it is the only way a reply may ping anyone,
    since adapters send every other text with mentions disabled.
    """

    text: str = ""
    title: str | None = None
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()
    select: Select | None = None
    ephemeral: bool = False
    replace: bool = False
    footer: str | None = None
    mention: str | None = None
    duplicate: bool = False
    """The platform delivered this event before and it was handled then: adapters send nothing."""
    attachment: Attachment | None = None
    form: FormRequest | None = None
    """Open this form where the platform can (a button press on Discord or Slack) instead of the text."""

    @property
    def has_components(self) -> bool:
        return bool(self.buttons) or self.select is not None


def as_delivered(reply: Reply) -> Reply:
    """`reply` as an adapter shows it beside its delivered file: the caption in place of the text when
    the attachment has one (the text then only repeats the file), else unchanged."""
    if reply.attachment is None or reply.attachment.caption is None:
        return reply
    return replace(reply, text=reply.attachment.caption)


ERROR_TITLE = "That didn't work"
INTERNAL_ERROR_TITLE = "Something went wrong"


def error_reply(message: str, hint: str | None = None) -> Reply:
    """How every user error looks, on every platform."""
    text = message if hint is None else f"{message}\n{hint}"
    return Reply(text=text, title=ERROR_TITLE, ephemeral=True)


def is_failure(reply: Reply) -> bool:
    """A refusal or an internal error: what a script running one command (`studybot exec`) exits 1 for."""
    return reply.title in (ERROR_TITLE, INTERNAL_ERROR_TITLE)


def internal_error_reply(ref: str) -> Reply:
    """What a member sees when something broke on our side: never a traceback, always a reference
    they can quote to whoever runs the bot (the same reference is in the log)."""
    return Reply(
        title=INTERNAL_ERROR_TITLE,
        text=f"Something went wrong on our side, sorry. Reference **{ref}**: "
        "please pass it on to whoever runs this bot.",
        ephemeral=True,
    )
