"""A request timestamp that is not a whole number (issue 14): the real Bolt app over HTTP answers 401 and
runs nothing, where slack_sdk's verifier raised on `int("abc")` and Bolt answered 500."""

from __future__ import annotations

import pytest

from tests.adapters.slack.conftest import SECRET, ObservedCore, SlackDeliveries, sign
from tests.fakes.slack_server import FakeSlack


@pytest.mark.parametrize("timestamp", ["abc", "", "1.7e9", "1700000000.5", "9" * 5000, "0x65"])
async def test_a_timestamp_that_is_not_a_number_gets_401_and_changes_nothing(
    timestamp: str, deliveries: SlackDeliveries, fake_slack: FakeSlack, recording: ObservedCore
) -> None:
    body, key = deliveries.command_body("profile timezone:Asia/Tokyo")
    baseline = (recording.calls, len(fake_slack.records))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": sign(SECRET, timestamp, body),  # correctly signed over the odd timestamp
    }
    refused = await deliveries.send(body, headers=headers)
    assert refused.status == 401, (refused.status, refused.text)
    # Refusals happen before any listener task exists; a later request is the barrier.
    _, barrier = await deliveries.command("help")
    await fake_slack.wait_response(barrier)
    assert recording.calls == baseline[0] + 1
    assert [r.name for r in fake_slack.records[baseline[1] :] if r.kind == "response"] == [barrier]
    assert fake_slack.calls("response", key) == []
