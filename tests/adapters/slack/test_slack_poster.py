"""The scheduler's Poster over the real AsyncWebClient against the fake Web API."""

from __future__ import annotations

import datetime as dt

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.poster import SlackPoster
from adapters.slack.render import render
from bot.replies import Button, Reply
from bot.schedule.ports import PostOutcome
from tests.adapters.slack.conftest import BOT_TOKEN, CHANNEL, MEMBER
from tests.fakes.slack_server import TEAM_ID, FakeSlack
from tests.ops.conftest import closed_port

DUE = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
PROMPT = Reply(title="Question of the day", text="Which service…?", buttons=(Button("A", "answer:1:q1:A"),))


@pytest.fixture
def poster(fake_slack: FakeSlack) -> SlackPoster:
    return SlackPoster(AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.base_url))


async def test_post_and_edit(poster: SlackPoster, fake_slack: FakeSlack) -> None:
    posted = await poster.post(TEAM_ID, CHANNEL, PROMPT, nonce="d1")
    assert posted.ok and posted.message_id
    call = fake_slack.calls("api", "chat.postMessage")[-1]
    assert call.body["channel"] == CHANNEL and call.body["blocks"] == render(PROMPT)["blocks"]
    assert call.body["text"] == render(PROMPT)["text"]

    revealed = Reply(title="Question of the day", text="The answer was **A**.")
    edited = await poster.edit(TEAM_ID, CHANNEL, posted.message_id, revealed)
    assert edited.ok and edited.message_id == posted.message_id
    update = fake_slack.calls("api", "chat.update")[-1]
    assert update.body["ts"] == posted.message_id and update.body["blocks"] == render(revealed)["blocks"]


async def test_direct_message_opens_the_conversation_first(poster: SlackPoster, fake_slack: FakeSlack) -> None:
    result = await poster.direct_message(TEAM_ID, MEMBER, Reply(text="Your streak is 3 days."))
    assert result.ok
    assert fake_slack.calls("api", "conversations.open")[-1].body["users"] == MEMBER
    assert fake_slack.calls("api", "chat.postMessage")[-1].body["channel"] == "D" + MEMBER


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        ("not_in_channel", PostOutcome.MISSING_ACCESS),
        ("channel_not_found", PostOutcome.UNKNOWN_CHANNEL),
        ("is_archived", PostOutcome.ARCHIVED),
        ("msg_too_long", PostOutcome.FAILED),
    ],
)
async def test_post_failures_are_typed(
    poster: SlackPoster, fake_slack: FakeSlack, error: str, outcome: PostOutcome
) -> None:
    fake_slack.fail("chat.postMessage", error)
    result = await poster.post(TEAM_ID, CHANNEL, PROMPT)
    assert result.outcome is outcome and result.detail == error and not result.ok
    assert result.permanent is (
        outcome in (PostOutcome.MISSING_ACCESS, PostOutcome.UNKNOWN_CHANNEL, PostOutcome.ARCHIVED)
    )


async def test_rate_limits_come_back_with_retry_after(poster: SlackPoster, fake_slack: FakeSlack) -> None:
    fake_slack.fail("chat.postMessage", "ratelimited", status=429, headers={"Retry-After": "7"})
    result = await poster.post(TEAM_ID, CHANNEL, PROMPT)
    assert result.outcome is PostOutcome.RATE_LIMITED and result.retry_after == 7.0
    assert len(fake_slack.calls("api", "chat.postMessage")) == 1  # reported, not retried behind our back

    fake_slack.fail("chat.update", "ratelimited", status=429, headers={"Retry-After": "2"})
    edited = await poster.edit(TEAM_ID, CHANNEL, "1.2", PROMPT)
    assert edited.outcome is PostOutcome.RATE_LIMITED and edited.retry_after == 2.0


async def test_edit_and_dm_failures_are_typed(poster: SlackPoster, fake_slack: FakeSlack) -> None:
    fake_slack.fail("chat.update", "channel_not_found")
    assert (await poster.edit(TEAM_ID, CHANNEL, "1.2", PROMPT)).outcome is PostOutcome.UNKNOWN_CHANNEL
    fake_slack.fail("conversations.open", "user_not_found")
    assert (await poster.direct_message(TEAM_ID, "U0GONE", PROMPT)).outcome is PostOutcome.UNKNOWN_CHANNEL
    assert fake_slack.calls("unknown") == []


async def test_channel_posts_and_edits_carry_the_mention_and_dms_do_not(
    poster: SlackPoster, fake_slack: FakeSlack
) -> None:
    prompt = Reply(title="Question of the day", text="Which service…?", mention="S0STUDY")
    posted = await poster.post(TEAM_ID, CHANNEL, prompt)
    assert posted.message_id is not None
    body = fake_slack.calls("api", "chat.postMessage")[-1].body
    assert body["blocks"][1]["text"]["text"] == "<!subteam^S0STUDY> Which service…?"
    assert body["text"].startswith("<!subteam^S0STUDY> ")
    await poster.edit(TEAM_ID, CHANNEL, posted.message_id, prompt)
    assert fake_slack.calls("api", "chat.update")[-1].body["blocks"] == body["blocks"]
    await poster.direct_message(TEAM_ID, MEMBER, prompt)
    assert "subteam" not in str(fake_slack.calls("api", "chat.postMessage")[-1].body)


@pytest.mark.parametrize(
    ("setup", "outcome", "says"),
    [
        ({"member": True}, PostOutcome.OK, None),
        ({"member": False}, PostOutcome.MISSING_ACCESS, "/invite @studybot"),
        ({"member": True, "archived": True}, PostOutcome.ARCHIVED, "archived"),
        (None, PostOutcome.UNKNOWN_CHANNEL, "pick the channel with #"),
    ],
)
async def test_check_channel_asks_conversations_info(
    poster: SlackPoster, fake_slack: FakeSlack, setup: dict[str, bool] | None, outcome: PostOutcome, says: str | None
) -> None:
    if setup is not None:
        fake_slack.add_channel("C0CHECK", "check", **setup)
    result = await poster.check_channel(TEAM_ID, "C0CHECK")
    assert result.outcome is outcome
    assert (says is None and result.detail is None) or (says is not None and says in (result.detail or ""))
    assert fake_slack.calls("api", "conversations.info")[-1].body["channel"] == "C0CHECK"
    assert fake_slack.calls("api", "chat.postMessage") == []  # asking posts nothing


async def test_check_channel_without_scope_or_under_rate_limit(poster: SlackPoster, fake_slack: FakeSlack) -> None:
    fake_slack.fail("conversations.info", "missing_scope")  # a private channel: no groups:read, on purpose
    unchecked = await poster.check_channel(TEAM_ID, "G0PRIVATE")
    assert unchecked.ok and unchecked.detail == "not checked (missing_scope)"
    fake_slack.fail("conversations.info", "ratelimited", status=429, headers={"Retry-After": "3"})
    limited = await poster.check_channel(TEAM_ID, CHANNEL)
    assert limited.outcome is PostOutcome.RATE_LIMITED and limited.retry_after == 3.0


async def test_the_fake_refuses_posts_where_slack_would(poster: SlackPoster, fake_slack: FakeSlack) -> None:
    fake_slack.add_channel("C0OUT", "out", member=False)
    fake_slack.add_channel("C0OLD", "old", archived=True)
    assert (await poster.post(TEAM_ID, "C0OUT", PROMPT)).outcome is PostOutcome.MISSING_ACCESS
    assert (await poster.post(TEAM_ID, "C0OLD", PROMPT)).outcome is PostOutcome.ARCHIVED


async def test_a_scheduled_post_names_its_delivery_and_is_found_again(
    poster: SlackPoster, fake_slack: FakeSlack
) -> None:
    """Slack has no nonce: the post's metadata names the delivery, and a retry finds it in the history."""
    fake_slack.epoch = int(DUE.timestamp())
    await poster.post(TEAM_ID, CHANNEL, PROMPT, nonce="other-delivery")
    posted = await poster.post(TEAM_ID, CHANNEL, PROMPT, nonce="d1")
    await poster.post(TEAM_ID, CHANNEL, Reply(text="chatter"), nonce=None)
    body = fake_slack.calls("api", "chat.postMessage")[1].body
    assert body["metadata"] == {"event_type": "studybot_delivery", "event_payload": {"delivery": "d1"}}
    assert body["blocks"] == render(PROMPT)["blocks"]  # the blocks are untouched
    assert "metadata" not in fake_slack.calls("api", "chat.postMessage")[2].body

    found = await poster.find_post(TEAM_ID, CHANNEL, "d1", DUE)
    assert found is not None and found.ok and found.message_id == posted.message_id
    history = fake_slack.calls("api", "conversations.history")[-1].body
    assert history["channel"] == CHANNEL and history["include_all_metadata"] in ("1", "true")
    assert float(history["oldest"]) <= DUE.timestamp() and int(history["limit"]) <= 999

    assert await poster.find_post(TEAM_ID, CHANNEL, "never-posted", DUE) is None
    later = DUE + dt.timedelta(hours=1)  # only messages since the delivery was due are read
    assert await poster.find_post(TEAM_ID, CHANNEL, "d1", later) is None


async def test_finding_pages_back_through_a_busy_channel(poster: SlackPoster, fake_slack: FakeSlack) -> None:
    fake_slack.epoch = int(DUE.timestamp())
    posted = await poster.post(TEAM_ID, CHANNEL, PROMPT, nonce="d1")
    for n in range(250):
        await poster.post(TEAM_ID, CHANNEL, Reply(text=f"message {n}"))
    found = await poster.find_post(TEAM_ID, CHANNEL, "d1", DUE)
    assert found is not None and found.message_id == posted.message_id
    assert len(fake_slack.calls("api", "conversations.history")) == 3  # 100 + 100 + the page that holds it


async def test_a_lookup_slack_refuses_is_an_outcome(poster: SlackPoster, fake_slack: FakeSlack) -> None:
    fake_slack.fail("conversations.history", "missing_scope")
    refused = await poster.find_post(TEAM_ID, CHANNEL, "d1", DUE)
    assert refused is not None and refused.outcome is PostOutcome.FAILED and refused.detail == "missing_scope"
    fake_slack.fail("conversations.history", "ratelimited", status=429, headers={"Retry-After": "7"})
    limited = await poster.find_post(TEAM_ID, CHANNEL, "d1", DUE)
    assert limited is not None and limited.outcome is PostOutcome.RATE_LIMITED and limited.retry_after == 7.0


async def test_a_slack_that_never_answers_is_a_failure_to_retry_not_a_crash() -> None:
    # Nothing listens on the port: every call is refused before Slack could say anything. A pass that
    # raised here died with the claims it held (the crash harness saw it); a FAILED outcome is retried.
    gone = SlackPoster(AsyncWebClient(token=BOT_TOKEN, base_url=f"http://127.0.0.1:{closed_port()}/api/"))
    results = [
        await gone.post(TEAM_ID, CHANNEL, PROMPT, nonce="d1"),
        await gone.edit(TEAM_ID, CHANNEL, "1764489600.000100", PROMPT),
        await gone.direct_message(TEAM_ID, MEMBER, PROMPT),
        await gone.check_channel(TEAM_ID, CHANNEL),
    ]
    found = await gone.find_post(TEAM_ID, CHANNEL, "d1", DUE)
    for result in [*results, found]:
        assert result is not None and result.outcome is PostOutcome.FAILED, result
        assert (result.detail or "").startswith("Slack did not answer (ClientConnectorError"), result.detail
