"""Issue 7's done-when through the real Bolt app and the fake Slack: `/path` buttons and `/mycerts`."""

from __future__ import annotations

import json
from typing import Any

from tests.adapters.slack.conftest import SlackDeliveries
from tests.adapters.slack.test_slack_http import elements
from tests.fakes.slack_server import FakeSlack


def button(body: dict[str, Any], label: str) -> dict[str, Any]:
    return next(e for e in elements(body["blocks"]) if e["text"]["text"] == label)


async def test_path_by_buttons_then_mycerts_marks_saa_done(deliveries: SlackDeliveries, fake_slack: FakeSlack) -> None:
    _, key = await deliveries.command("path")
    asked = (await fake_slack.wait_response(key)).body
    sent, key = await deliveries.press(button(asked, "Developer"))
    assert sent.status == 200
    band = (await fake_slack.wait_response(key)).body
    assert band["replace_original"] is True
    _, key = await deliveries.press(button(band, "About a year"))
    plan = json.dumps((await fake_slack.wait_response(key)).body)
    assert "SAA-C03" in plan and "DVA-C02" in plan and "study hours" in plan and "(done" not in plan

    _, key = await deliveries.command("mycerts add exam:SAA-C03 passed:2025-06-01")
    added = json.dumps((await fake_slack.wait_response(key)).body)
    assert "1 June 2028" in added
    _, key = await deliveries.command("path")
    again = json.dumps((await fake_slack.wait_response(key)).body)
    assert "2 exams to go" in again and "(done)" in again and "SAA-C03" in again
    _, key = await deliveries.command("mycerts list")
    assert "1 June 2028" in json.dumps((await fake_slack.wait_response(key)).body)
