"""Slack payloads → core values, and the two Bolt middlewares on the real core's delivery ledger."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from adapters.slack.middleware import EventDeduplication, ReplayGuard
from adapters.slack.translate import action_identity, command_identity, command_line, to_action
from bot.clock import FixedClock
from bot.commands.dispatch import DELIVERY_MEMORY, PRUNE_EVERY
from bot.commands.parse import parse_line
from bot.features import build_registry
from bot.runtime import Runtime
from tests.adapters.slack.conftest import CHANNEL, MEMBER, block_actions_payload
from tests.fakes.slack_server import TEAM_ID


@pytest.mark.parametrize(
    ("text", "admin", "line"),
    [
        ("help", False, "/help"),
        ("", False, "/help"),
        ("   ", False, "/help"),
        ("profile timezone:Europe/Berlin", False, "/profile timezone:Europe/Berlin"),
        ("/profile", False, "/profile"),
        ("schedule list", True, "/studyadmin schedule list"),
        ("", True, "/help studyadmin"),
        ("ask what is S3 &amp; how &lt;big&gt; is it?", False, "/ask what is S3 & how <big> is it?"),
        ("profile timezone:&amp;lt;", False, "/profile timezone:&lt;"),
    ],
)
def test_command_line(text: str, admin: bool, line: str) -> None:
    assert command_line(text, admin=admin) == line


def test_every_example_survives_the_slack_mapping() -> None:
    """An example typed after /study (or /studyadmin) parses exactly as the example itself."""
    registry = build_registry()
    for spec in registry:
        for example in spec.examples:
            words = example[1:]
            admin = words.startswith("studyadmin ")
            mapped = command_line(words.removeprefix("studyadmin ") if admin else words, admin=admin)
            assert parse_line(mapped, registry) == parse_line(example, registry)


def test_identities() -> None:
    body = {"team_id": TEAM_ID, "channel_id": CHANNEL, "user_id": MEMBER, "user_name": "ada"}
    assert command_identity(body, display_name=None, is_moderator=False).user_name == "ada"
    boss = command_identity(body, display_name="Ada L.", is_moderator=True)
    assert (boss.platform, boss.workspace, boss.channel, boss.user_name, boss.is_moderator) == (
        "slack",
        TEAM_ID,
        CHANNEL,
        "Ada L.",
        True,
    )
    payload = block_actions_payload(_button(), user=MEMBER, response_url="http://x/r")
    presser = action_identity(payload, display_name=None, is_moderator=False)
    assert (presser.workspace, presser.channel, presser.user_id) == (TEAM_ID, CHANNEL, MEMBER)


def _button(value: str = "kind:1:x", action_id: str | None = None) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id or value,
        "value": value,
        "text": {"type": "plain_text", "text": "B"},
    }


def _select(kind: str) -> dict[str, Any]:
    options = [{"text": {"type": "plain_text", "text": t}, "value": t.lower()} for t in ("A", "B", "C")]
    return {"type": kind, "action_id": "pick:1:q", "options": options}


def test_a_button_is_its_value_even_with_a_suffixed_action_id() -> None:
    element = _button("kind:1:x", action_id="kind:1:x~2")
    payload = block_actions_payload(element, user=MEMBER, response_url="http://x/r")
    identity = action_identity(payload, display_name=None, is_moderator=False)
    action = to_action(payload, payload["actions"][0], identity)
    assert action.action_id == "kind:1:x" and action.values == ()
    assert action.message_id == "1700000000.000001" and action.delivery_id


def test_a_button_carries_the_choices_already_made_in_the_message() -> None:
    payload = block_actions_payload(_button(), user=MEMBER, response_url="http://x/r")
    payload["state"] = {
        "values": {
            "b0": {"pick:1:q": {"type": "multi_static_select", "selected_options": [{"value": "a"}, {"value": "c"}]}}
        }
    }
    identity = action_identity(payload, display_name=None, is_moderator=False)
    assert to_action(payload, payload["actions"][0], identity).values == ("a", "c")


@pytest.mark.parametrize(("kind", "values"), [("static_select", ("a",)), ("multi_static_select", ("a", "b"))])
def test_menus_become_values(kind: str, values: tuple[str, ...]) -> None:
    payload = block_actions_payload(_select(kind), user=MEMBER, response_url="http://x/r")
    identity = action_identity(payload, display_name=None, is_moderator=False)
    action = to_action(payload, payload["actions"][0], identity)
    assert action.action_id == "pick:1:q" and action.values == values


# -- middleware -----------------------------------------------------------------------------------
# Both remember through the real core's delivery ledger; its clock decides when an id is forgotten.


async def _through(middleware: Any, req: AsyncBoltRequest) -> tuple[bool, BoltResponse | None]:
    called = []

    async def next_() -> None:
        called.append(True)

    response = await middleware.async_process(req=req, resp=BoltResponse(status=200), next=next_)
    return bool(called), response


def _signed(signature: str, timestamp: float) -> AsyncBoltRequest:
    return AsyncBoltRequest(
        body="a=b", headers={"x-slack-signature": signature, "x-slack-request-timestamp": str(int(timestamp))}
    )


async def _forget_old(runtime: Runtime, clock: FixedClock) -> None:
    """Move past the ledger's memory; the next claim then prunes, and the test waits for it."""
    clock.advance(DELIVERY_MEMORY + PRUNE_EVERY)
    await runtime.core.first_delivery("slack", "T-other", "tick")
    await runtime.core.deliveries.settled()


async def test_replay_guard_refuses_a_signature_it_let_through_until_the_ledger_forgets_it(
    slack_runtime: Runtime, clock: FixedClock
) -> None:
    guard = ReplayGuard(slack_runtime.core.first_delivery)
    sent = time.time()
    assert (await _through(guard, _signed("v0=aa", sent)))[0]
    passed, response = await _through(guard, _signed("v0=aa", sent))
    assert not passed and response is not None and response.status == 401
    assert (await _through(guard, _signed("v0=bb", sent)))[0]
    clock.advance(DELIVERY_MEMORY - dt.timedelta(seconds=1))  # far past Bolt's five minutes, still refused
    assert not (await _through(guard, _signed("v0=aa", sent)))[0]
    await _forget_old(slack_runtime, clock)
    assert (await _through(guard, _signed("v0=aa", sent)))[0]


async def test_replay_guard_leaves_socket_mode_alone(slack_runtime: Runtime) -> None:
    guard = ReplayGuard(slack_runtime.core.first_delivery)
    request = AsyncBoltRequest(body={"type": "block_actions"}, mode="socket_mode")
    assert (await _through(guard, request))[0] and (await _through(guard, request))[0]


async def test_event_ids_are_remembered_until_the_ledger_forgets_them(
    slack_runtime: Runtime, clock: FixedClock
) -> None:
    dedup = EventDeduplication(slack_runtime.core.first_delivery)

    def event(event_id: str, team: str = TEAM_ID) -> AsyncBoltRequest:
        body = {"type": "event_callback", "team_id": team, "event_id": event_id, "event": {"type": "app_mention"}}
        return AsyncBoltRequest(body=json.dumps(body), headers={"content-type": "application/json"})

    assert (await _through(dedup, event("Ev1")))[0]
    passed, response = await _through(dedup, event("Ev1"))
    assert not passed and response is not None and response.status == 200
    assert (await _through(dedup, event("Ev1", team="T-other")))[0]  # event ids are per workspace
    await _forget_old(slack_runtime, clock)
    assert (await _through(dedup, event("Ev1")))[0]
    assert (await _through(dedup, AsyncBoltRequest(body="command=%2Fstudy&text=")))[0]


def test_a_user_group_arrives_as_one_id_for_the_core() -> None:
    typed = "settings mention_role:<!subteam^S0STUDY|@study-group>"
    line = command_line(typed, admin=True)
    assert line == "/studyadmin settings mention_role:<@S0STUDY|@study-group>"
    assert command_line("settings mention_role:<!subteam^S0STUDY>", admin=True).endswith("mention_role:<@S0STUDY>")
    # Typed angle brackets arrive escaped and stay text, as before.
    assert command_line("ask &lt;!subteam^S1&gt;", admin=False) == "/ask <!subteam^S1>"
