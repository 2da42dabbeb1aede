"""Socket Mode: the real slack_sdk client connects to the fake's websocket and acknowledges envelopes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adapters.slack import SlackAdapter
from bot.catalog import Catalog
from bot.errors import ConfigurationError
from tests.adapters.slack.conftest import (
    APP_TOKEN,
    CHANNEL,
    MEMBER,
    ObservedCore,
    block_actions_payload,
    elements,
    slack_settings,
)
from tests.fakes.slack_server import TEAM_ID, FakeSlack


def slash_payload(fake: FakeSlack, text: str, key: str) -> dict[str, Any]:
    """A slash command as Socket Mode delivers it: the form fields as a JSON object."""
    return {
        "token": "legacy",
        "team_id": TEAM_ID,
        "team_domain": "fake",
        "channel_id": CHANNEL,
        "channel_name": "study",
        "user_id": MEMBER,
        "user_name": "ada",
        "command": "/study",
        "text": text,
        "api_app_id": "A0FAKE",
        "is_enterprise_install": "false",
        "response_url": fake.response_url(key),
        "trigger_id": f"1.{key}.socket",  # Slack mints one per command; a repeat is a retry
    }


async def test_socket_mode_acknowledges_a_command_and_a_button(
    fake_slack: FakeSlack, recording: ObservedCore, tmp_path: Path
) -> None:
    adapter = SlackAdapter(recording, slack_settings(tmp_path), base_url=fake_slack.base_url)  # type: ignore[arg-type]
    async with adapter:
        await fake_slack.wait_connected()
        opened = fake_slack.calls("api", "apps.connections.open")
        assert len(opened) == 1

        # The member lookup answers late: the ack must not wait for it, nor for anything after it.
        held = fake_slack.hold("users.info")
        command = await fake_slack.send_envelope("slash_commands", slash_payload(fake_slack, "profile delete", "cmd"))
        ack = await fake_slack.wait_ack(command)
        assert ack.body == {"envelope_id": command}  # an empty ack: the answer goes to the response URL
        assert not held.is_set() and fake_slack.responses_for("cmd") == []  # acked while the lookup waits
        fake_slack.release("users.info")
        answer = await fake_slack.wait_response("cmd")
        keep = next(
            e
            for b in answer.body["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e["text"]["text"] == "Keep my data"
        )

        payload = block_actions_payload(keep, user=MEMBER, response_url=fake_slack.response_url("press"))
        press = await fake_slack.send_envelope("interactive", payload)
        press_ack = await fake_slack.wait_ack(press)
        pressed = await fake_slack.wait_response("press")
        assert press_ack.body == {"envelope_id": press}
        assert pressed.body["replace_original"] is True
        assert "Nothing was deleted." in pressed.body["text"]

    assert [line for _, line in recording.lines] == ["/profile delete"]
    assert [a.action_id for a in recording.actions] == [keep["value"]]
    assert len(fake_slack.calls("api", "auth.test")) == 2  # ours at start, then Bolt's own (cached)
    assert fake_slack.calls("unknown") == []
    assert APP_TOKEN.startswith("xapp-")


@pytest.mark.parametrize(
    ("variable", "http"), [("SLACK_BOT_TOKEN", False), ("SLACK_APP_TOKEN", False), ("SLACK_BOT_TOKEN", True)]
)
async def test_refused_tokens_stop_start_up_with_a_clear_message(
    fake_slack: FakeSlack, recording: ObservedCore, tmp_path: Path, variable: str, http: bool
) -> None:
    settings = slack_settings(tmp_path, **{variable: "not-a-slack-token"})
    adapter = SlackAdapter(recording, settings, http=http, port=0, host="127.0.0.1", base_url=fake_slack.base_url)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError) as failure:
        async with adapter:
            pass
    assert failure.value.problems == [failure.value.problems[0]] and failure.value.problems[0].startswith(variable)
    assert "invalid_auth" in failure.value.problems[0] and "not-a-slack-token" not in str(failure.value)
    assert fake_slack.calls("ack") == []


async def test_socket_mode_practice_press_gets_the_verdict(
    fake_slack: FakeSlack, recording: ObservedCore, tmp_path: Path, catalog: Catalog
) -> None:
    adapter = SlackAdapter(recording, slack_settings(tmp_path), base_url=fake_slack.base_url)  # type: ignore[arg-type]
    async with adapter:
        await fake_slack.wait_connected()
        for attempt in range(30):
            key = f"practice{attempt}"
            command = await fake_slack.send_envelope(
                "slash_commands", slash_payload(fake_slack, "practice exam:SAA-C03", key)
            )
            await fake_slack.wait_ack(command)
            question = (await fake_slack.wait_response(key)).body
            if not any(e["type"] == "multi_static_select" for e in elements(question["blocks"])):
                break
        letters = {e["text"]["text"]: e for e in elements(question["blocks"])}
        _kind, _version, _attempt, question_id, order, _letter = letters["A"]["value"].split(":")
        served = catalog.question(question_id)
        assert served is not None
        right = "ABCDEF"[order.index(str(served.correct_indexes[0]))]

        payload = block_actions_payload(letters[right], user=MEMBER, response_url=fake_slack.response_url("verdict"))
        press = await fake_slack.send_envelope("interactive", payload)
        assert (await fake_slack.wait_ack(press)).body == {"envelope_id": press}
        verdict = await fake_slack.wait_response("verdict")
        assert verdict.body["replace_original"] is True
        assert verdict.body["blocks"][0]["text"]["text"] == "Correct"
    assert recording.actions[-1].action_id == letters[right]["value"]
    assert fake_slack.calls("unknown") == []


async def test_socket_mode_ordering_question_is_answered_step_by_step(
    fake_slack: FakeSlack, recording: ObservedCore, tmp_path: Path, catalog: Catalog
) -> None:
    """An ordering question in Slack: one letter button per step, the message updated in place,
    graded all or nothing on the last step."""
    adapter = SlackAdapter(recording, slack_settings(tmp_path), base_url=fake_slack.base_url)  # type: ignore[arg-type]

    def buttons(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {e["text"]["text"]: e for e in elements(body["blocks"]) if e["type"] == "button"}

    async with adapter:
        await fake_slack.wait_connected()
        for attempt in range(len(catalog.questions["AIF-C01"])):
            key = f"aif{attempt}"
            command = await fake_slack.send_envelope(
                "slash_commands", slash_payload(fake_slack, "practice exam:AIF-C01", key)
            )
            await fake_slack.wait_ack(command)
            body = (await fake_slack.wait_response(key)).body
            shown = buttons(body)
            if "A" in shown:
                served = catalog.question(shown["A"]["value"].split(":")[3])
                if served is not None and served.type == "ordering":
                    break
        else:
            raise AssertionError("no ordering question in AIF-C01")
        order = shown["A"]["value"].split(":")[4]
        right = ["ABCDEF"[order.index(str(step))] for step in range(len(served.options))]
        assert sorted(shown) == sorted(right)

        for n, letter in enumerate(right):
            name = f"step{n}"
            payload = block_actions_payload(shown[letter], user=MEMBER, response_url=fake_slack.response_url(name))
            await fake_slack.wait_ack(await fake_slack.send_envelope("interactive", payload))
            body = (await fake_slack.wait_response(name)).body
            assert body["replace_original"] is True
            shown = buttons(body)
            if n < len(right) - 1:
                assert letter not in shown and "Start again" in shown
        assert body["blocks"][0]["text"]["text"] == "Correct"
        assert "The right order" in str(body["blocks"]) and list(shown) == ["Next question", "Report"]
    assert fake_slack.calls("unknown") == []
