"""Fixtures for the Slack adapter: a fake Slack, the real core on SQLite, and the real Bolt app between.

`SlackDeliveries` plays Slack's side of HTTP mode: it builds slash-command, `block_actions` and
Events API bodies the way Slack sends them and signs them with its own HMAC code (not slack_sdk's),
so the tests check compatibility with Slack rather than the library against itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from adapters.slack import SlackAdapter
from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.settings import Settings
from tests.fakes.observed import ObservedCore
from tests.fakes.slack_server import TEAM_ID, FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-1-test-token"
APP_TOKEN = "xapp-1-test-token"
MEMBER = "U0ADA"
ADMIN = "U0BOSS"
CHANNEL = "C0STUDY"


@pytest.fixture(autouse=True)
def no_slack_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bolt reads SLACK_* itself (and turns to OAuth with a client id); the settings dict is the only truth."""
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)


def slack_settings(tmp_path: Path, **extra: str) -> Settings:
    return Settings.from_env(
        {
            "STUDYBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'studybot.sqlite3'}",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            **extra,
        },
        env_file=None,
    )


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    try:
        fake.add_user(MEMBER, "Ada")
        fake.add_user(ADMIN, "Boss", admin=True)
        fake.add_channel(CHANNEL, "study")
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def slack_runtime(tmp_path: Path, clock: FixedClock, catalog: Catalog) -> AsyncIterator[Runtime]:
    async with Runtime(slack_settings(tmp_path), clock=clock, catalog=catalog) as rt:
        yield rt


@pytest.fixture
def recording(slack_runtime: Runtime) -> ObservedCore:
    return ObservedCore(slack_runtime.core)


def mention_event(event_id: str) -> str:
    """An Events API `app_mention` callback as Slack sends it, under `event_id`."""
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM_ID,
            "api_app_id": "A0FAKE",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": {"type": "app_mention", "user": MEMBER, "text": "hi", "channel": CHANNEL, "ts": "1.2"},
        }
    )


def sign(secret: str, timestamp: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


@dataclass(frozen=True, slots=True)
class Sent:
    status: int
    text: str
    seconds: float  # until the HTTP answer (the ack) arrived
    body: str
    headers: dict[str, str]


class SlackDeliveries:
    """Slack's side of HTTP mode: signed deliveries to the running app."""

    def __init__(self, session: aiohttp.ClientSession, url: str, fake: FakeSlack) -> None:
        self.session = session
        self.url = url
        self.fake = fake

    async def send(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: int | None = None,
        secret: str = SECRET,
        extra_headers: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Sent:
        """POST `body` signed with `secret` at `timestamp` (now by default); `headers` replays exact ones."""
        if headers is None:
            ts = str(int(time.time()) if timestamp is None else timestamp)
            headers = {
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": sign(secret, ts, body),
                **(extra_headers or {}),
            }
        started = time.perf_counter()
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            text = await response.text()
        return Sent(response.status, text, time.perf_counter() - started, body, headers)

    def command_body(
        self, text: str, *, command: str = "/study", user: str = MEMBER, key: str | None = None
    ) -> tuple[str, str]:
        key = key or uuid.uuid4().hex[:12]
        fields = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "fake",
            "channel_id": CHANNEL,
            "channel_name": "study",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0FAKE",
            "is_enterprise_install": "false",
            "response_url": self.fake.response_url(key),
            "trigger_id": f"{uuid.uuid4().int % 10**10}.1.{key}",
        }
        return urlencode(fields), key

    async def command(self, text: str, *, command: str = "/study", user: str = MEMBER) -> tuple[Sent, str]:
        body, key = self.command_body(text, command=command, user=user)
        return await self.send(body), key

    def action_body(
        self,
        element: dict[str, Any],
        *,
        user: str = MEMBER,
        message_ts: str = "1700000000.000001",
        state: dict[str, Any] | None = None,
        ephemeral: bool = True,
        picked: list[dict[str, Any]] | None = None,
    ) -> tuple[str, str]:
        key = uuid.uuid4().hex[:12]
        payload = block_actions_payload(
            element,
            user=user,
            response_url=self.fake.response_url(key),
            message_ts=message_ts,
            state=state,
            ephemeral=ephemeral,
            picked=picked,
        )
        return urlencode({"payload": json.dumps(payload)}), key

    async def press(
        self,
        element: dict[str, Any],
        *,
        user: str = MEMBER,
        message_ts: str = "1700000000.000001",
        state: dict[str, Any] | None = None,
        ephemeral: bool = True,
        picked: list[dict[str, Any]] | None = None,
    ) -> tuple[Sent, str]:
        """Press a rendered button (or pick in a rendered menu) as Slack would report it.

        `message_ts` and `ephemeral` describe the message the element is on; `state` is what the
        message's menus hold at the time of the press (see `menu_state`); `picked` overrides which
        options a menu reports as chosen.
        """
        body, key = self.action_body(
            element, user=user, message_ts=message_ts, state=state, ephemeral=ephemeral, picked=picked
        )
        return await self.send(body), key


def menu_state(menu: dict[str, Any], picked: list[dict[str, Any]]) -> dict[str, Any]:
    """The message `state` Slack sends with a press once `picked` options are chosen in `menu`."""
    key = "selected_options" if menu["type"] == "multi_static_select" else "selected_option"
    chosen: Any = picked if key == "selected_options" else picked[0]
    return {"values": {"b1": {menu["action_id"]: {"type": menu["type"], key: chosen}}}}


def block_actions_payload(
    element: dict[str, Any],
    *,
    user: str,
    response_url: str,
    message_ts: str = "1700000000.000001",
    state: dict[str, Any] | None = None,
    ephemeral: bool = True,
    picked: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A `block_actions` payload for one element of a message the app rendered."""
    action: dict[str, Any] = {
        "type": element["type"],
        "action_id": element["action_id"],
        "block_id": "b1",
        "action_ts": f"{time.time():.6f}",
    }
    if element["type"] == "button":
        action["value"] = element["value"]
        action["text"] = element["text"]
    elif element["type"] == "static_select":
        action["selected_option"] = (picked or element["options"])[0]
    elif element["type"] == "multi_static_select":
        action["selected_options"] = picked if picked is not None else element["options"][:2]
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0FAKE",
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": CHANNEL, "is_ephemeral": ephemeral},
        "trigger_id": f"{uuid.uuid4().int % 10**10}.1.t",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "channel": {"id": CHANNEL, "name": "study"},
        "response_url": response_url,
        "actions": [action],
        "state": state if state is not None else {"values": {}},
    }


@pytest.fixture
async def http_slack(recording: ObservedCore, fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[SlackAdapter]:
    adapter = SlackAdapter(
        recording,  # type: ignore[arg-type]
        slack_settings(tmp_path),
        http=True,
        port=0,
        host="127.0.0.1",
        base_url=fake_slack.base_url,
    )
    async with adapter:
        yield adapter


@pytest.fixture
async def deliveries(http_slack: SlackAdapter, fake_slack: FakeSlack) -> AsyncIterator[SlackDeliveries]:
    async with aiohttp.ClientSession() as session:
        yield SlackDeliveries(session, http_slack.url, fake_slack)


def elements(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every interactive element of a message, in order."""
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def buttons(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A message's buttons by label."""
    return {e["text"]["text"]: e for e in elements(body["blocks"]) if e["type"] == "button"}


def menu(body: dict[str, Any]) -> dict[str, Any] | None:
    return next((e for e in elements(body["blocks"]) if e["type"].endswith("static_select")), None)


def shown(body: dict[str, Any]) -> str:
    """Everything a member reads in a message (header, sections, fields, context), one string."""
    parts: list[str] = []
    for block in body["blocks"]:
        if "text" in block:
            parts.append(block["text"]["text"])
        parts.extend(f["text"] for f in block.get("fields", []))
        parts.extend(e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn")
    return "\n".join(parts)


def title(body: dict[str, Any]) -> str:
    first = body["blocks"][0]
    return str(first["text"]["text"]) if first["type"] == "header" else ""


@dataclass
class Chat:
    """Members talking to the running app in HTTP mode: type a command or press, get what Slack showed."""

    deliveries: SlackDeliveries
    fake: FakeSlack

    async def command(self, text: str, *, command: str = "/study", user: str = MEMBER) -> dict[str, Any]:
        sent, key = await self.deliveries.command(text, command=command, user=user)
        assert sent.status == 200 and sent.text == ""
        return dict((await self.fake.wait_response(key)).body)

    async def press(self, element: dict[str, Any], *, user: str = MEMBER, **where: Any) -> dict[str, Any]:
        sent, key = await self.deliveries.press(element, user=user, **where)
        assert sent.status == 200
        return dict((await self.fake.wait_response(key)).body)


@pytest.fixture
def chat(deliveries: SlackDeliveries, fake_slack: FakeSlack) -> Chat:
    return Chat(deliveries, fake_slack)
