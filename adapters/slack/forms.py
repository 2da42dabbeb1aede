"""A modal for a command that takes a file: Slack's slash text is one line, and a file cannot ride on it.

When a member types a command with a FILE option and gives neither the file nor its free-text
alternative (`/studyadmin bank import`, or `… mode:replace`), the adapter opens a modal generated from
the declaration instead of passing the line on: one multi-line text input per FILE option, a menu for
each option with fixed choices not typed already. Its `view_submission` becomes the same core
`Request`, the text of each input an `Upload`. What was typed on the line, the channel and the
command travel in the view's `private_metadata`, so no state is kept between the two.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.slack.payloads import InputBlock, ModalView, OptionObject, PlainText
from bot.commands.parse import parse_line
from bot.commands.registry import Registry
from bot.commands.spec import CommandSpec, OptionType
from bot.errors import UserError
from bot.requests import Identity, Request, Upload

FORM_CALLBACK = "studybot-form"
MAX_INPUT = 3000  # Block Kit: a plain_text_input holds at most 3,000 characters
MAX_TITLE = 24  # Block Kit: a modal's title, submit and close labels
MAX_METADATA = 3000  # Block Kit: private_metadata
FILE_BLOCK = "file:"
CHOICE_BLOCK = "choice:"
FORM_FILE_NAME = "the form"


@dataclass(frozen=True, slots=True)
class Form:
    """A command to ask for with a modal, and the options already typed on its line."""

    spec: CommandSpec
    typed: dict[str, str]


def form_for(registry: Registry, line: str) -> Form | None:
    """The form to open instead of handling `line`, or None to handle it as typed.

    Only a line that parses, names a command with a FILE option, and gives neither that option nor the
    command's free-text option gets a form; anything else (a typo, `text:` given) goes to the core as
    before, which explains it.
    """
    try:
        parsed = parse_line(line, registry)
    except UserError:
        return None
    spec = registry.commands[parsed.path]
    files = [o for o in spec.options if o.type is OptionType.FILE]
    if not files or any(o.name in parsed.options for o in files):
        return None
    if any(o.rest and o.name in parsed.options for o in spec.options):
        return None
    return Form(spec, dict(parsed.options))


def _plain(text: str, limit: int) -> PlainText:
    return {"type": "plain_text", "text": text if len(text) <= limit else text[: limit - 1] + "…"}


def form_view(form: Form, channel: str) -> ModalView:
    """The modal `views.open` shows for `form`, to be answered in `channel`."""
    spec = form.spec
    blocks: list[InputBlock | Any] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": spec.description[:3000]}},
    ]
    for option in spec.options:
        if option.type is OptionType.FILE:
            blocks.append(
                {
                    "type": "input",
                    "block_id": FILE_BLOCK + option.name,
                    "label": _plain(option.description, 2000),
                    "element": {
                        "type": "plain_text_input",
                        "action_id": "value",
                        "multiline": True,
                        "max_length": MAX_INPUT,
                    },
                    "hint": _plain(
                        f"Paste the file's content. Up to {MAX_INPUT:,} characters fit here; "
                        "split a bigger file and send it in parts.",
                        2000,
                    ),
                }
            )
        elif option.choices and option.name not in form.typed:
            choices: list[OptionObject] = [
                {"text": _plain(c.name, 75), "value": c.value[:150]} for c in option.choices[:100]
            ]
            blocks.append(
                {
                    "type": "input",
                    "block_id": CHOICE_BLOCK + option.name,
                    "label": _plain(option.description, 2000),
                    "element": {
                        "type": "static_select",
                        "action_id": "value",
                        "options": choices,
                        "initial_option": choices[0],
                    },
                    "optional": not option.required,
                }
            )
    metadata = json.dumps({"path": list(spec.path), "typed": form.typed, "channel": channel}, ensure_ascii=False)
    if len(metadata) > MAX_METADATA:
        raise ValueError("the typed options do not fit in a modal's private_metadata")
    title = " ".join(spec.path[1:] or spec.path).capitalize()
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "title": _plain(title, MAX_TITLE),
        "submit": _plain("Send", MAX_TITLE),
        "close": _plain("Cancel", MAX_TITLE),
        "private_metadata": metadata,
        "blocks": blocks,
    }


def form_channel(view: Mapping[str, Any]) -> str:
    """The channel the form was opened from, where its answer goes."""
    return str(json.loads(view.get("private_metadata") or "{}").get("channel") or "")


def form_request(view: Mapping[str, Any], identity: Identity, delivery_id: str | None) -> Request:
    """A submitted form as the core request its command would have been, each text input an `Upload`."""
    meta = json.loads(view.get("private_metadata") or "{}")
    options: dict[str, object] = {str(k): str(v) for k, v in (meta.get("typed") or {}).items()}
    values: Mapping[str, Mapping[str, Any]] = (view.get("state") or {}).get("values") or {}
    for block_id, elements in values.items():
        element = elements.get("value") or {}
        if block_id.startswith(FILE_BLOCK):
            text = element.get("value") or ""
            if text.strip():
                options[block_id.removeprefix(FILE_BLOCK)] = Upload(FORM_FILE_NAME, text.encode("utf-8"))
        elif block_id.startswith(CHOICE_BLOCK):
            chosen = element.get("selected_option")
            if isinstance(chosen, Mapping) and chosen.get("value"):
                options[block_id.removeprefix(CHOICE_BLOCK)] = str(chosen["value"])
    return Request(identity, tuple(str(p) for p in meta.get("path") or ()), options, delivery_id=delivery_id)
