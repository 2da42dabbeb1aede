"""TypedDicts for the Slack JSON this adapter builds (Block Kit, modals) and reads (commands, block actions).

Only the keys studybot writes or reads are declared; Slack sends many more, which we ignore.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict


class PlainText(TypedDict):
    type: Literal["plain_text"]
    text: str
    emoji: NotRequired[bool]


class Mrkdwn(TypedDict):
    type: Literal["mrkdwn"]
    text: str
    verbatim: NotRequired[bool]


class HeaderBlock(TypedDict):
    type: Literal["header"]
    text: PlainText


class SectionBlock(TypedDict):
    type: Literal["section"]
    text: NotRequired[Mrkdwn]
    fields: NotRequired[list[Mrkdwn]]


class ContextBlock(TypedDict):
    type: Literal["context"]
    elements: list[Mrkdwn]


class ButtonElement(TypedDict):
    type: Literal["button"]
    text: PlainText
    action_id: str
    value: str
    style: NotRequired[Literal["primary", "danger"]]


class OptionObject(TypedDict):
    text: PlainText
    value: str
    description: NotRequired[PlainText]


class SelectElement(TypedDict):
    type: Literal["static_select", "multi_static_select"]
    action_id: str
    placeholder: PlainText
    options: list[OptionObject]
    max_selected_items: NotRequired[int]


class ActionsBlock(TypedDict):
    type: Literal["actions"]
    elements: list[ButtonElement | SelectElement]


Block = HeaderBlock | SectionBlock | ContextBlock | ActionsBlock


class PlainTextInput(TypedDict):
    type: Literal["plain_text_input"]
    action_id: str
    multiline: bool
    max_length: NotRequired[int]
    placeholder: NotRequired[PlainText]


class FileInputElement(TypedDict):
    type: Literal["file_input"]
    action_id: str
    max_files: int
    filetypes: list[str]


class FormSelect(TypedDict):
    type: Literal["static_select"]
    action_id: str
    options: list[OptionObject]
    initial_option: NotRequired[OptionObject]


class InputBlock(TypedDict):
    type: Literal["input"]
    block_id: str
    label: PlainText
    element: PlainTextInput | FileInputElement | FormSelect
    hint: NotRequired[PlainText]
    optional: NotRequired[bool]


class PlainSection(TypedDict):
    type: Literal["section"]
    text: PlainText


class ModalView(TypedDict):
    """What `views.open` takes: a modal with input blocks, answered by a `view_submission`."""

    type: Literal["modal"]
    callback_id: str
    title: PlainText
    submit: PlainText
    close: PlainText
    private_metadata: str
    blocks: list[InputBlock | PlainSection]


class Message(TypedDict):
    """What `chat.postMessage`, `chat.update` and `respond()` take: blocks plus a plain fallback."""

    text: str
    blocks: list[Block]


# -- incoming -------------------------------------------------------------------------------------


class SlashCommandBody(TypedDict):
    """A slash command as Bolt hands it over (form fields over HTTP, a JSON object in Socket Mode)."""

    command: str
    text: str
    team_id: str
    channel_id: str
    user_id: str
    user_name: str
    response_url: str
    trigger_id: str
    enterprise_id: NotRequired[str]


class SelectedOption(TypedDict):
    value: str


class BlockAction(TypedDict):
    type: str
    action_id: str
    block_id: NotRequired[str]
    value: NotRequired[str]
    selected_option: NotRequired[SelectedOption | None]
    selected_options: NotRequired[list[SelectedOption]]
