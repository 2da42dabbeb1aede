"""A modal for a command that takes a file: Slack's slash text is one line, and a file cannot ride on it.

When a member types a command with a FILE option and gives neither the file nor its free-text
alternative (`/studyadmin bank import`, or `… mode:replace`), the adapter opens a modal generated from
the declaration instead of passing the line on: for each FILE option a file picker (`file_input`) and
a multi-line text input to paste into instead, and a menu for each option with fixed choices not typed
already. Its `view_submission` becomes the same core `Request`: a picked file is read from Slack with
the bot token (`read_upload`: `files.info`, then its private download URL, bounded like every file
option), pasted text is taken as it is, and either becomes an `Upload`. What was typed on the line,
the channel and the command travel in the view's `private_metadata`, so no state is kept between.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.payloads import InputBlock, ModalView, OptionObject, PlainSection, PlainText
from bot.commands.parse import parse_line
from bot.commands.registry import Registry
from bot.commands.spec import CommandSpec, OptionType
from bot.errors import UserError
from bot.replies import FormRequest
from bot.requests import Identity, Request, Upload

FORM_CALLBACK = "studybot-form"
MAX_INPUT = 3000  # Block Kit: a plain_text_input holds at most 3,000 characters
MAX_TITLE = 24  # Block Kit: a modal's title, submit and close labels
MAX_METADATA = 3000  # Block Kit: private_metadata
FILE_BLOCK = "file:"
UPLOAD_BLOCK = "upload:"
SLACK_FILES_HOST = "files.slack.com"
FILE_TYPES = ["yaml", "yml", "csv", "txt"]  # what Slack's picker offers; the core still checks the content
CHOICE_BLOCK = "choice:"
TEXT_BLOCK = "text:"
MULTILINE_FROM = 200  # a text option that may hold more than this gets a multi-line field
FORM_FILE_NAME = "the form"


@dataclass(frozen=True, slots=True)
class Form:
    """A command to ask for with a modal, and the options already typed on its line."""

    spec: CommandSpec
    typed: dict[str, str]


def form_for(registry: Registry, line: str) -> Form | None:
    """The form to open instead of handling `line`, or None to handle it as typed.

    Only a line that parses, names a command with a FILE option, and does not give the command's
    free-text option gets a form; anything else (a typo, `text:` given) goes to the core as before,
    which explains it. A file named on the line (`file:bank.yaml`) cannot travel on a Slack line, so
    it is dropped and the form asks for the file itself.
    """
    try:
        parsed = parse_line(line, registry)
    except UserError:
        return None
    spec = registry.commands[parsed.path]
    files = {o.name for o in spec.options if o.type is OptionType.FILE}
    if not files or any(o.rest and o.name in parsed.options for o in spec.options):
        return None
    return Form(spec, {name: value for name, value in parsed.options.items() if name not in files})


class FormTooBig(ValueError):
    """What was typed on the line does not fit in the form's private_metadata (3,000 characters)."""


def _plain(text: str, limit: int) -> PlainText:
    return {"type": "plain_text", "text": text if len(text) <= limit else text[: limit - 1] + "…"}


def asked_form(registry: Registry, asked: FormRequest) -> Form | None:
    """The form a reply asks for (a Report button's), with its fixed options as if typed."""
    spec = registry.commands.get(asked.command)
    return None if spec is None else Form(spec, dict(asked.fixed))


def form_view(form: Form, channel: str) -> ModalView:
    """The modal `views.open` shows for `form`, to be answered in `channel`."""
    spec = form.spec
    blocks: list[InputBlock | PlainSection] = [{"type": "section", "text": _plain(spec.description, 3000)}]
    has_files = any(o.type is OptionType.FILE for o in spec.options)
    for option in spec.options:
        if option.type is OptionType.FILE:
            blocks.append(
                {
                    "type": "input",
                    "block_id": UPLOAD_BLOCK + option.name,
                    "label": _plain(option.description, 2000),
                    "element": {"type": "file_input", "action_id": "value", "max_files": 1, "filetypes": FILE_TYPES},
                    "optional": True,
                }
            )
            blocks.append(
                {
                    "type": "input",
                    "block_id": FILE_BLOCK + option.name,
                    "label": _plain("Or paste the file's content", 2000),
                    "element": {
                        "type": "plain_text_input",
                        "action_id": "value",
                        "multiline": True,
                        "max_length": MAX_INPUT,
                    },
                    "hint": _plain(f"Up to {MAX_INPUT:,} characters fit here; a bigger file goes in the picker.", 2000),
                    "optional": True,
                }
            )
        elif (
            option.type is OptionType.STRING and not option.choices and not has_files and option.name not in form.typed
        ):
            # Options with free text (a report's note and link): a field each. A file command's text
            # option is left out, since its paste box is that option.
            limit = min(option.max_length or MAX_INPUT, MAX_INPUT)
            blocks.append(
                {
                    "type": "input",
                    "block_id": TEXT_BLOCK + option.name,
                    "label": _plain(option.description, 2000),
                    "element": {
                        "type": "plain_text_input",
                        "action_id": "value",
                        "multiline": limit > MULTILINE_FROM,
                        "max_length": limit,
                    },
                    "optional": not option.required,
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
    files = [o.name for o in spec.options if o.type is OptionType.FILE]
    metadata = json.dumps(
        {"path": list(spec.path), "typed": form.typed, "channel": channel, "files": files}, ensure_ascii=False
    )
    if len(metadata) > MAX_METADATA:
        raise FormTooBig(f"the typed options of /{spec.name} do not fit in a modal's private_metadata")
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


def form_command(view: Mapping[str, Any]) -> tuple[str, ...]:
    """The command path the form was opened for."""
    return tuple(str(p) for p in json.loads(view.get("private_metadata") or "{}").get("path") or ())


def form_files(view: Mapping[str, Any]) -> dict[str, str]:
    """Option name → id of the file picked for it (Slack lists picked files as objects with an id)."""
    values: Mapping[str, Mapping[str, Any]] = (view.get("state") or {}).get("values") or {}
    picked: dict[str, str] = {}
    for block_id, elements in values.items():
        if not block_id.startswith(UPLOAD_BLOCK):
            continue
        files = (elements.get("value") or {}).get("files") or []
        if files:
            first = files[0]
            picked[block_id.removeprefix(UPLOAD_BLOCK)] = str(first.get("id") if isinstance(first, Mapping) else first)
    return picked


def _pasted(view: Mapping[str, Any]) -> set[str]:
    values: Mapping[str, Mapping[str, Any]] = (view.get("state") or {}).get("values") or {}
    return {
        block_id.removeprefix(FILE_BLOCK)
        for block_id, elements in values.items()
        if block_id.startswith(FILE_BLOCK) and str((elements.get("value") or {}).get("value") or "").strip()
    }


def form_errors(view: Mapping[str, Any]) -> dict[str, str]:
    """What to show beside the form's fields, keeping it open, before anything is read: each file
    option needs a picked file or pasted content, and only one of them. Empty when it can be sent on."""
    meta = json.loads(view.get("private_metadata") or "{}")
    picked, pasted = set(form_files(view)), _pasted(view)
    errors: dict[str, str] = {}
    for name in meta.get("files") or ():
        if name in picked and name in pasted:
            errors[FILE_BLOCK + name] = "Pick a file or paste its content, not both."
        elif name not in picked and name not in pasted:
            errors[UPLOAD_BLOCK + name] = "Pick a file, or paste its content below."
    return errors


class UploadUnavailable(Exception):
    """Slack would not hand over a picked file (no files:read scope, deleted, or an outage)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


async def read_upload(client: AsyncWebClient, token: str, file_id: str, limit: int) -> Upload:
    """A picked file's bytes: `files.info` for its size and private URL, then at most `limit` + 1 bytes
    of it with the bot token (a file Slack says is bigger is not downloaded; the core says it is too big)."""
    try:
        info = (await client.files_info(file=file_id))["file"]
    except SlackApiError as exc:
        raise UploadUnavailable(file_id, str(exc.response.get("error"))) from exc
    name = str(info.get("name") or file_id)
    size = int(info.get("size") or 0)
    if size > limit:
        return Upload(name, b"", size=size)
    url = str(info.get("url_private_download") or info.get("url_private") or "")
    # The bot token goes to Slack's file host (or the host of the Web API the client uses), nowhere else.
    if urlsplit(url).hostname not in {SLACK_FILES_HOST, urlsplit(client.base_url).hostname}:
        raise UploadUnavailable(name, "its download address is not Slack's")
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, headers={"Authorization": f"Bearer {token}"}, allow_redirects=False) as response,
        ):
            if response.status != 200:
                raise UploadUnavailable(name, f"HTTP {response.status}")
            data = await response.content.read(limit + 1)
    except aiohttp.ClientError as exc:
        raise UploadUnavailable(name, str(exc)) from exc
    return Upload(name, data, size=max(size, len(data)))


def form_request(
    view: Mapping[str, Any], identity: Identity, delivery_id: str | None, uploads: Mapping[str, Upload]
) -> Request:
    """A submitted form as the core request its command would have been: each picked file (read by
    the caller, `uploads`) and each pasted text an `Upload`."""
    meta = json.loads(view.get("private_metadata") or "{}")
    options: dict[str, object] = {str(k): str(v) for k, v in (meta.get("typed") or {}).items()}
    options.update(uploads)
    values: Mapping[str, Mapping[str, Any]] = (view.get("state") or {}).get("values") or {}
    for block_id, elements in values.items():
        element = elements.get("value") or {}
        if block_id.startswith(FILE_BLOCK):
            name = block_id.removeprefix(FILE_BLOCK)
            text = element.get("value") or ""
            if text.strip() and name not in options:
                options[name] = Upload(FORM_FILE_NAME, text.encode("utf-8"))
        elif block_id.startswith(TEXT_BLOCK):
            typed = str(element.get("value") or "").strip()
            if typed:
                options[block_id.removeprefix(TEXT_BLOCK)] = typed
        elif block_id.startswith(CHOICE_BLOCK):
            chosen = element.get("selected_option")
            if isinstance(chosen, Mapping) and chosen.get("value"):
                options[block_id.removeprefix(CHOICE_BLOCK)] = str(chosen["value"])
    return Request(identity, tuple(str(p) for p in meta.get("path") or ()), options, delivery_id=delivery_id)
