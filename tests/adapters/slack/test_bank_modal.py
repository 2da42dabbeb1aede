"""`/studyadmin bank import` on Slack (issue 20): a modal with a multi-line field, through the real Bolt
app in HTTP mode, the real `AsyncWebClient` and the fake Slack.

Slack's slash text is one line, so the command typed without its file (or `text:`) opens a modal
generated from the declaration, with a file picker and a multi-line field to paste into; a picked file
is read with `files.info` and its private URL (with the bot token), and submitting is handled as the
same command, the answer posted to the moderator alone in the channel the command was typed in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from sqlalchemy import func, select

from adapters.slack import SlackAdapter
from adapters.slack.forms import MAX_INPUT, Form, FormTooBig, form_view
from bot.features import build_registry
from bot.features.banks import EXAMPLE
from bot.runtime import Runtime
from bot.store.schema import workspace_questions
from tests.adapters.slack.conftest import (
    ADMIN,
    CHANNEL,
    MEMBER,
    ObservedCore,
    SlackDeliveries,
    shown,
    slack_settings,
)
from tests.adapters.slack.test_slack_socket_mode import slash_payload
from tests.core.test_bank_import_files import BANK_CSV, BANK_YAML, BROKEN_YAML
from tests.fakes.slack_server import FakeSlack, Record, modal_problems

ADMIN_COMMAND = "/studyadmin"


async def imported(runtime: Runtime) -> int:
    async with runtime.services.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(workspace_questions))).scalar_one())


async def open_form(deliveries: SlackDeliveries, fake: FakeSlack, text: str) -> dict[str, Any]:
    """Type `/studyadmin <text>` as the moderator; the modal Slack then shows (the fake keeps only
    views it accepted, so a view breaking Block Kit's rules fails here)."""
    before = len(fake.views)
    sent, _key = await deliveries.command(text, command=ADMIN_COMMAND, user=ADMIN)
    assert sent.status == 200 and sent.text == ""
    await fake.wait_for(lambda r: r.kind == "api" and r.name == "views.open" and len(fake.views) > before)
    return list(fake.views.values())[-1]


async def submit(deliveries: SlackDeliveries, fake: FakeSlack, view: dict[str, Any], typed: dict[str, str]) -> Record:
    """Submit the modal as the moderator; the message then posted to them alone."""
    before = len(fake.calls("api", "chat.postEphemeral"))
    payload = fake.view_submission(view["id"], ADMIN, typed)
    sent = await deliveries.send(urlencode({"payload": json.dumps(payload)}))
    assert sent.status == 200 and sent.text == ""  # an empty ack closes the modal
    await fake.wait_for(lambda r: len(fake.calls("api", "chat.postEphemeral")) > before)
    return fake.calls("api", "chat.postEphemeral")[before]


def posted_text(record: Record) -> str:
    blocks = record.body["blocks"]
    return shown({"blocks": json.loads(blocks) if isinstance(blocks, str) else blocks})


async def test_the_form_takes_a_multi_line_bank_and_imports_it(
    deliveries: SlackDeliveries, fake_slack: FakeSlack, slack_runtime: Runtime
) -> None:
    view = await open_form(deliveries, fake_slack, "bank import mode:replace")
    assert modal_problems(view) == []
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == ["upload:file", "file:file"]  # mode was typed, so no menu for it
    picker, field = inputs["upload:file"]["element"], inputs["file:file"]["element"]
    assert picker["type"] == "file_input" and picker["max_files"] == 1 and "yaml" in picker["filetypes"]
    assert field == {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": MAX_INPUT}
    assert json.loads(view["private_metadata"])["typed"] == {"mode": "replace"}

    answer = await submit(deliveries, fake_slack, view, {"file:file": BANK_YAML})
    assert answer.body["channel"] == CHANNEL and answer.body["user"] == ADMIN
    said = posted_text(answer)
    assert "Question bank imported" in said and "Replaced this workspace's SAA-C03 bank" in said, said
    assert await imported(slack_runtime) == 2


async def test_a_file_named_on_the_slack_line_opens_the_form_for_it(
    deliveries: SlackDeliveries, fake_slack: FakeSlack, slack_runtime: Runtime
) -> None:
    view = await open_form(deliveries, fake_slack, "bank import file:bank.yaml mode:append")
    assert json.loads(view["private_metadata"])["typed"] == {"mode": "append"}
    said = posted_text(await submit(deliveries, fake_slack, view, {"file:file": BANK_CSV}))
    assert "Question bank imported" in said


async def test_the_form_asks_for_the_mode_when_it_was_not_typed(
    deliveries: SlackDeliveries, fake_slack: FakeSlack, slack_runtime: Runtime
) -> None:
    view = await open_form(deliveries, fake_slack, "bank import")
    menu = next(b for b in view["blocks"] if b.get("block_id") == "choice:mode")
    assert [o["value"] for o in menu["element"]["options"]] == ["append", "replace"]
    assert menu["element"]["initial_option"]["value"] == "append"
    first = await submit(deliveries, fake_slack, view, {"file:file": BANK_CSV})
    assert "Appended to this workspace's SAA-C03 bank: 1 new" in posted_text(first)
    again = await open_form(deliveries, fake_slack, "bank import")
    replaced = await submit(deliveries, fake_slack, again, {"file:file": BANK_YAML, "choice:mode": "replace"})
    assert "removed 1, imported 2" in posted_text(replaced)
    assert await imported(slack_runtime) == 2


async def test_every_problem_of_the_form_in_one_answer_and_nothing_imported(
    deliveries: SlackDeliveries, fake_slack: FakeSlack, slack_runtime: Runtime
) -> None:
    view = await open_form(deliveries, fake_slack, "bank import")
    said = posted_text(await submit(deliveries, fake_slack, view, {"file:file": BROKEN_YAML}))
    assert "Nothing was imported: 6 problems." in said
    assert "line 8, question 1: option A: correct must be true or false, not 'Z'" in said
    assert "Tuple should" not in said
    assert await imported(slack_runtime) == 0


async def test_no_form_for_a_member_for_text_or_for_a_trigger_slack_refuses(
    deliveries: SlackDeliveries, fake_slack: FakeSlack, slack_runtime: Runtime
) -> None:
    sent, key = await deliveries.command("bank import", command=ADMIN_COMMAND, user=MEMBER)
    assert sent.status == 200
    refused = (await fake_slack.wait_response(key)).body
    assert "moderator" in shown(refused).casefold()

    one_line = EXAMPLE.split("text:", 1)[1]
    sent, key = await deliveries.command(f"bank import text:{one_line}", command=ADMIN_COMMAND, user=ADMIN)
    assert "Question bank imported" in shown((await fake_slack.wait_response(key)).body)

    body, key = deliveries.command_body("bank import", command=ADMIN_COMMAND, user=ADMIN)
    fake_slack.expired_triggers.add(parse_qs(body)["trigger_id"][0])  # more than 3 s after the command
    await deliveries.send(body)
    failed = shown((await fake_slack.wait_response(key)).body)
    assert "I could not open the form" in failed and "Reference" not in failed
    assert fake_slack.views == {}
    assert await imported(slack_runtime) == 1
    assert fake_slack.calls("unknown") == []


async def test_a_picked_file_is_read_with_the_bot_token_and_imported(
    deliveries: SlackDeliveries, fake_slack: FakeSlack, slack_runtime: Runtime
) -> None:
    big = BANK_YAML + "# " + "padding " * 400 + "\n"  # longer than the paste field holds
    assert len(big) > MAX_INPUT
    file_id = fake_slack.upload("team-bank.yaml", big.encode())
    view = await open_form(deliveries, fake_slack, "bank import")
    said = posted_text(await submit(deliveries, fake_slack, view, {"upload:file": file_id}))
    assert "Question bank imported" in said and "2 new, 0 updated" in said, said
    [info] = fake_slack.calls("api", "files.info")
    assert info.body["file"] == file_id
    [download] = fake_slack.calls("download")
    assert download.name.endswith(f"{file_id}/download/team-bank.yaml")
    assert await imported(slack_runtime) == 2


async def pick(deliveries: SlackDeliveries, fake: FakeSlack, file_id: str) -> str:
    """Open the form, pick the uploaded file `file_id`, submit; what the moderator is then told."""
    view = await open_form(deliveries, fake, "bank import")
    return posted_text(await submit(deliveries, fake, view, {"upload:file": file_id}))


async def test_a_picked_file_too_big_unreadable_or_without_the_scope_is_a_friendly_error(
    deliveries: SlackDeliveries, fake_slack: FakeSlack, slack_runtime: Runtime
) -> None:
    huge = fake_slack.upload("huge.csv", b"x", size=4_000_000)
    said = posted_text(
        await submit(
            deliveries, fake_slack, await open_form(deliveries, fake_slack, "bank import"), {"upload:file": huge}
        )
    )
    assert "`huge.csv` is 4 MB" in said and "over the 1 MB that" in said
    assert fake_slack.calls("download") == []  # not downloaded at all

    sheet = fake_slack.upload("bank.csv", b"PK\x03\x04\xff\xfe")
    said = posted_text(
        await submit(
            deliveries, fake_slack, await open_form(deliveries, fake_slack, "bank import"), {"upload:file": sheet}
        )
    )
    assert "`bank.csv` is not UTF-8 text" in said

    elsewhere = fake_slack.upload("bank.yaml", BANK_YAML.encode())
    info, data = fake_slack.files[elsewhere]
    fake_slack.files[elsewhere] = ({**info, "url_private_download": "https://example.com/bank.yaml"}, data)
    said = await pick(deliveries, fake_slack, elsewhere)
    assert "I could not fetch `bank.yaml` from Slack (its download address is not Slack's)" in said
    assert len(fake_slack.calls("download")) == 1  # the CSV above; the bot token went nowhere else

    fake_slack.scopes = ["commands", "chat:write", "users:read"]  # installed before files:read was asked for
    bank = fake_slack.upload("bank.yaml", BANK_YAML.encode())
    said = posted_text(
        await submit(
            deliveries, fake_slack, await open_form(deliveries, fake_slack, "bank import"), {"upload:file": bank}
        )
    )
    assert "I could not fetch" in said and "missing_scope" in said and "files:read" in said
    assert "Reference" not in said
    assert await imported(slack_runtime) == 0


async def test_the_form_stays_open_without_a_file_or_with_two(
    deliveries: SlackDeliveries, fake_slack: FakeSlack, slack_runtime: Runtime
) -> None:
    view = await open_form(deliveries, fake_slack, "bank import")
    for typed, field, says in (
        ({}, "upload:file", "Pick a file, or paste its content below."),
        (
            {"upload:file": fake_slack.upload("bank.yaml", BANK_YAML.encode()), "file:file": BANK_CSV},
            "file:file",
            "Pick a file or paste its content, not both.",
        ),
    ):
        payload = fake_slack.view_submission(view["id"], ADMIN, typed)
        sent = await deliveries.send(urlencode({"payload": json.dumps(payload)}))
        assert sent.status == 200
        assert json.loads(sent.text) == {"response_action": "errors", "errors": {field: says}}
    assert fake_slack.calls("api", "chat.postEphemeral") == [] and fake_slack.calls("api", "files.info") == []
    assert await imported(slack_runtime) == 0


async def test_the_form_works_in_socket_mode_too(
    fake_slack: FakeSlack, recording: ObservedCore, slack_runtime: Runtime, tmp_path: Path
) -> None:
    """The same form over the real Socket Mode client: the command and the submission arrive as
    envelopes, a form sent empty is acknowledged with its errors, and a filled one is imported."""
    adapter = SlackAdapter(recording, slack_settings(tmp_path), base_url=fake_slack.base_url)  # type: ignore[arg-type]
    async with adapter:
        await fake_slack.wait_connected()
        command = slash_payload(fake_slack, "bank import", "sm")
        command.update(command=ADMIN_COMMAND, user_id=ADMIN, user_name="boss")
        await fake_slack.wait_ack(await fake_slack.send_envelope("slash_commands", command))
        await fake_slack.wait_for(lambda r: r.kind == "api" and r.name == "views.open" and bool(fake_slack.views))
        [view] = fake_slack.views.values()

        empty = await fake_slack.send_envelope("interactive", fake_slack.view_submission(view["id"], ADMIN, {}))
        refused = await fake_slack.wait_ack(empty)
        assert refused.body["payload"] == {
            "response_action": "errors",
            "errors": {"upload:file": "Pick a file, or paste its content below."},
        }
        filled = fake_slack.view_submission(view["id"], ADMIN, {"file:file": BANK_YAML})
        sent = await fake_slack.send_envelope("interactive", filled)
        assert (await fake_slack.wait_ack(sent)).body == {"envelope_id": sent}  # an empty ack closes it
        posted = await fake_slack.wait_for(lambda r: r.kind == "api" and r.name == "chat.postEphemeral")
        assert "Question bank imported" in posted_text(posted)
    assert await imported(slack_runtime) == 2


def test_a_form_whose_typed_options_do_not_fit_is_not_opened() -> None:
    """private_metadata holds 3,000 characters; a form that would need more is refused where it is
    built (the adapter then handles the line as typed) rather than by Slack after the trigger is spent."""
    spec = build_registry().commands[("studyadmin", "bank", "import")]
    assert modal_problems(form_view(Form(spec, {"mode": "append"}), CHANNEL)) == []
    with pytest.raises(FormTooBig):
        form_view(Form(spec, {"mode": "x" * 3000}), CHANNEL)
