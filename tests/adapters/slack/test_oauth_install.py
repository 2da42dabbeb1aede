""" "Add to Slack" for many workspaces: the real Bolt app in OAuth mode against the fake Slack.

A test plays the installer's browser (following /slack/install to Slack's consent page, keeping the
state cookie, coming back on the redirect with the code the fake Slack hands out) and then Slack itself
(signed slash commands and events from each installed workspace). What is stored is read back raw from
the SQLite file, so "encrypted at rest" is checked on the bytes, not through our own code.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import aiohttp
import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet

from adapters.slack import SlackAdapter
from adapters.slack.app import NOT_INSTALLED_HERE
from adapters.slack.installations import NOT_INSTALLED
from bot.catalog import Catalog
from bot.cli import main
from bot.clock import FixedClock
from bot.errors import ConfigurationError
from bot.log import JsonFormatter, TextFormatter
from bot.replies import Reply
from bot.runtime import Runtime
from bot.schedule.ports import PostOutcome
from bot.settings import Settings
from tests.adapters.slack.conftest import MEMBER, SECRET, SlackDeliveries
from tests.fakes.slack_server import FakeSlack

# slack_sdk's oauth.v2.access builds aiohttp's BasicAuth, which aiohttp 3.14 deprecates; not ours to change.
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "oauth-client-secret-for-tests"
KEY = Fernet.generate_key().decode()
ALPHA, BETA = "T0ALPHA", "T0BETA"


def oauth_settings(tmp_path: Path, **extra: str) -> Settings:
    return Settings.from_env(
        {
            "STUDYBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'studybot.sqlite3'}",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "STUDYBOT_TOKEN_KEY": KEY,
            **extra,
        },
        env_file=None,
    )


@dataclass
class Distributed:
    """The app in OAuth mode, the fake Slack, an installer's browser and Slack's deliveries."""

    adapter: SlackAdapter
    fake: FakeSlack
    browser: aiohttp.ClientSession
    slack: SlackDeliveries
    clock: FixedClock
    database: Path

    async def start_install(self) -> str:
        """Open /slack/install as an installer would; the state on the consent page's URL."""
        async with self.browser.get(self.adapter.install_url, allow_redirects=False) as response:
            assert response.status == 302
            location = urlsplit(response.headers["Location"])
        assert (location.scheme, location.netloc, location.path) == ("https", "slack.com", "/oauth/v2/authorize")
        query = parse_qs(location.query)
        assert query["client_id"] == [CLIENT_ID]
        assert "commands" in query["scope"][0].split(",") and "chat:write" in query["scope"][0].split(",")
        return query["state"][0]

    async def come_back(
        self, code: str | None, state: str, *, cookie: str | None = None, **extra: str
    ) -> tuple[int, str]:
        """Slack's redirect back to the app, in the browser that started the install (or, with `cookie`,
        in one that holds that state cookie instead)."""
        params = {"state": state, **extra}
        if code is not None:
            params["code"] = code
        url = f"{self.adapter.redirect_url}?{urlencode(params)}"
        if cookie is not None:
            async with (
                aiohttp.ClientSession() as other,
                other.get(url, headers={"Cookie": f"slack-app-oauth-state={cookie}"}, allow_redirects=False) as r,
            ):
                return r.status, await r.text()
        async with self.browser.get(url, allow_redirects=False) as r:
            return r.status, await r.text()

    async def install(self, team: str, name: str) -> str:
        """The whole install of `team`; the bot token Slack issued for it."""
        state = await self.start_install()
        status, page = await self.come_back(self.fake.authorize(team, name), state)
        assert status == 200, page
        return self.fake.token_of(team)

    def rows(self) -> list[dict[str, Any]]:
        with sqlite3.connect(self.database) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute("SELECT * FROM installations ORDER BY workspace")]

    async def command(self, team: str, text: str = "profile") -> str:
        """A signed /study from `team`; the response-URL key its answer goes to."""
        body, key = self.slack.command_body(text)
        fields = dict(parse_qsl(body))
        fields["team_id"] = team
        sent = await self.slack.send(urlencode(fields))
        assert sent.status == 200, sent.text
        return key

    async def event(self, team: str, event: dict[str, Any]) -> int:
        body = {
            "token": "legacy",
            "team_id": team,
            "api_app_id": "A0FAKE",
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:10]}",
            "event_time": int(time.time()),
            "event": event,
        }
        return (await self.slack.send(json.dumps(body), content_type="application/json")).status


@pytest.fixture
async def distributed(
    tmp_path: Path, clock: FixedClock, catalog: Catalog, fake_slack: FakeSlack
) -> AsyncIterator[Distributed]:
    fake_slack.oauth_client = (CLIENT_ID, CLIENT_SECRET)
    settings = oauth_settings(tmp_path)
    async with Runtime(settings, clock=clock, catalog=catalog) as rt:
        adapter = SlackAdapter(rt.core, settings, port=0, host="127.0.0.1", base_url=fake_slack.base_url)
        async with adapter:
            # The browser keeps the state cookie (Secure: a real app is served over HTTPS) for this server.
            jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=f"http://127.0.0.1:{adapter.port}")
            async with aiohttp.ClientSession(cookie_jar=jar) as browser, aiohttp.ClientSession() as slack:
                yield Distributed(
                    adapter,
                    fake_slack,
                    browser,
                    SlackDeliveries(slack, adapter.url, fake_slack),
                    clock,
                    tmp_path / "studybot.sqlite3",
                )


async def test_an_install_stores_the_workspace_with_its_token_encrypted(distributed: Distributed) -> None:
    assert distributed.adapter.http  # OAuth mode serves over HTTP without being asked
    token = await distributed.install(ALPHA, "Alpha")
    [exchange] = distributed.fake.calls("api", "oauth.v2.access")
    assert exchange.body["code"] and "client_secret" not in exchange.body  # the secret travelled as Basic auth

    [row] = distributed.rows()
    assert (row["platform"], row["workspace"], row["enterprise"]) == ("slack", ALPHA, "")
    assert (row["bot_user_id"], row["bot_id"], row["installer"]) == (f"UB{ALPHA}", f"BB{ALPHA}", "U0INSTALLER")
    assert row["scopes"] == "commands,chat:write"
    raw = sqlite3.connect(distributed.database).execute("SELECT * FROM installations").fetchone()
    assert not any(token in str(value) for value in raw)  # not in plain text in any column
    assert Fernet(KEY).decrypt(row["bot_token"].encode()).decode() == token


async def test_a_workspace_is_answered_with_its_own_token(distributed: Distributed) -> None:
    alpha = await distributed.install(ALPHA, "Alpha")
    beta = await distributed.install(BETA, "Beta")
    assert alpha != beta and len(distributed.rows()) == 2

    for team, token in ((ALPHA, alpha), (BETA, beta)):
        before = len(distributed.fake.calls("api", "users.info"))
        key = await distributed.command(team)
        answer = await distributed.fake.wait_response(key)
        assert answer.body["response_type"] == "ephemeral"
        lookups = distributed.fake.calls("api", "users.info")[before:]
        assert len(lookups) == 1 and lookups[0].token == token  # who the member is, asked of their workspace
        checks = [c for c in distributed.fake.calls("api", "auth.test") if c.token == token]
        assert checks  # Bolt authorized the request with that workspace's token

    # With no response URL left, the answer is posted with the workspace's own token too.
    body, key = distributed.slack.command_body("help")
    fields = dict(parse_qsl(body)) | {"team_id": BETA}
    distributed.fake.expire(key)
    await distributed.slack.send(urlencode(fields))
    posted = await distributed.fake.wait_for(lambda r: r.kind == "api" and r.name == "chat.postEphemeral")
    assert posted.token == beta and posted.body["user"] == MEMBER


async def test_a_workspace_that_never_installed_is_told_so(distributed: Distributed) -> None:
    await distributed.install(ALPHA, "Alpha")
    answer = await distributed.fake.wait_response(await distributed.command("T0STRANGER"))
    assert answer.body["text"] == NOT_INSTALLED_HERE
    assert distributed.fake.calls("api", "users.info") == []  # nothing ran for it


async def test_a_reinstall_replaces_the_token_and_keeps_one_row(distributed: Distributed) -> None:
    first = await distributed.install(ALPHA, "Alpha")
    [before] = distributed.rows()
    distributed.clock.advance(dt.timedelta(days=3))
    second = await distributed.install(ALPHA, "Alpha")
    [after] = distributed.rows()
    assert first != second
    assert Fernet(KEY).decrypt(after["bot_token"].encode()).decode() == second
    assert after["installed_at"] == before["installed_at"] and after["updated_at"] != before["updated_at"]


async def test_a_bad_or_expired_state_is_refused_and_stores_nothing(distributed: Distributed) -> None:
    # Expired: the consent took longer than the state lives.
    state = await distributed.start_install()
    distributed.clock.advance(dt.timedelta(minutes=11))
    status, page = await distributed.come_back(distributed.fake.authorize(ALPHA, "Alpha"), state)
    assert status == 401 and "expired" in page and 'href="/slack/install"' in page

    # Forged: a state this app never issued, even with a cookie to match it.
    forged = "x" * 43
    status, page = await distributed.come_back(distributed.fake.authorize(ALPHA, "Alpha"), forged, cookie=forged)
    assert status == 401 and "expired" in page

    # Another browser's state: the cookie this browser holds does not match.
    state = await distributed.start_install()
    status, page = await distributed.come_back(distributed.fake.authorize(ALPHA, "Alpha"), state + "x")
    assert status == 400 and "another browser" in page

    # Cancelled on Slack's consent page.
    state = await distributed.start_install()
    status, page = await distributed.come_back(None, state, error="access_denied")
    assert "cancelled" in page and "Traceback" not in page

    assert distributed.rows() == []
    assert distributed.fake.calls("api", "oauth.v2.access") == []  # no code was traded for a refused state

    # A state works once: the same redirect again is refused, and the first install stands.
    state = await distributed.start_install()
    code = distributed.fake.authorize(BETA, "Beta")
    assert (await distributed.come_back(code, state))[0] == 200
    status, page = await distributed.come_back(code, state, cookie=state)  # (the success page drops the cookie)
    assert status == 401 and "already used" in page
    assert [row["workspace"] for row in distributed.rows()] == [BETA]


class Logged(logging.Handler):
    """Waits for a log line: Bolt runs an event's listener after the ack, so the test waits for its effect."""

    def __init__(self, wanted: str) -> None:
        super().__init__()
        self.wanted = wanted
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.wanted in record.getMessage():
            self.seen.set()


@contextlib.asynccontextmanager
async def logged(wanted: str) -> AsyncIterator[None]:
    """The block's work, then the log line `wanted`, within five seconds."""
    handler = Logged(wanted)
    target = logging.getLogger("adapters.slack.installations")
    level = target.level
    target.setLevel(logging.INFO)
    target.addHandler(handler)
    try:
        yield
        await asyncio.wait_for(handler.seen.wait(), 5)
    finally:
        target.removeHandler(handler)
        target.setLevel(level)


async def test_uninstalling_deletes_the_installation(distributed: Distributed) -> None:
    await distributed.install(ALPHA, "Alpha")
    await distributed.install(BETA, "Beta")

    async with logged(f"uninstalled from workspace {ALPHA}"):
        assert await distributed.event(ALPHA, {"type": "app_uninstalled"}) == 200
    assert [row["workspace"] for row in distributed.rows()] == [BETA]
    answer = await distributed.fake.wait_response(await distributed.command(ALPHA))
    assert answer.body["text"] == NOT_INSTALLED_HERE

    # A user's own grant revoked changes nothing (only bot grants are kept): BETA is still answered.
    assert await distributed.event(BETA, {"type": "tokens_revoked", "tokens": {"oauth": ["U0ADA"]}}) == 200
    answer = await distributed.fake.wait_response(await distributed.command(BETA))
    assert answer.body["text"] != NOT_INSTALLED_HERE
    assert [row["workspace"] for row in distributed.rows()] == [BETA]
    # The bot's token revoked deletes the installation.
    async with logged(f"uninstalled from workspace {BETA}"):
        assert await distributed.event(BETA, {"type": "tokens_revoked", "tokens": {"bot": [f"UB{BETA}"]}}) == 200
    assert distributed.rows() == []


async def test_scheduled_posts_use_the_workspace_token(distributed: Distributed) -> None:
    alpha = await distributed.install(ALPHA, "Alpha")
    poster = distributed.adapter.poster
    result = await poster.post(ALPHA, "C0STUDY", Reply("Question of the day"))
    assert result.ok
    [posted] = distributed.fake.calls("api", "chat.postMessage")
    assert posted.token == alpha and posted.body["channel"] == "C0STUDY"

    missing = await poster.post(BETA, "C0STUDY", Reply("Question of the day"))
    assert missing.outcome is PostOutcome.MISSING_ACCESS and missing.detail == NOT_INSTALLED
    assert len(distributed.fake.calls("api", "chat.postMessage")) == 1


async def test_the_key_and_tokens_are_never_logged(distributed: Distributed, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    token = await distributed.install(ALPHA, "Alpha")
    await distributed.fake.wait_response(await distributed.command(ALPHA))
    # What an operator's log shows: studybot's own formatters (slack_sdk logs whole response bodies at DEBUG).
    formatters = (TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"), JsonFormatter())
    logged = "\n".join(f.format(r) for r in caplog.records for f in formatters)
    assert "installed in workspace T0ALPHA" in logged
    assert KEY not in logged and CLIENT_SECRET not in logged
    assert token not in logged


def test_oauth_needs_a_token_key_and_no_bot_token(tmp_path: Path, fake_slack: FakeSlack) -> None:
    no_key = Settings.from_env(
        {
            "STUDYBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}",
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "SLACK_BOT_TOKEN": "xoxb-1-old",
        },
        env_file=None,
    )
    assert no_key.slack_enabled
    with pytest.raises(ConfigurationError) as raised:
        SlackAdapter(None, no_key)  # type: ignore[arg-type]  # refused before the core is touched
    problems = raised.value.problems
    assert [p.split(":")[0] for p in problems] == ["STUDYBOT_TOKEN_KEY", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]
    assert "Fernet.generate_key()" in problems[0]
    assert CLIENT_SECRET not in str(problems)

    with pytest.raises(ConfigurationError) as raised:
        oauth_settings(tmp_path, STUDYBOT_TOKEN_KEY="my-own-password")
    assert raised.value.problems[0].startswith("STUDYBOT_TOKEN_KEY: ")
    assert "my-own-password" not in str(raised.value.problems)


def test_studybot_run_refuses_oauth_without_a_usable_key(tmp_path: Path) -> None:
    """The real CLI: one problem naming the variable and how to make a key, exit 2, and the value never shown."""
    env = {
        "STUDYBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}",
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SECRET,
    }
    for key, phrase in ((None, "required with SLACK_CLIENT_ID"), ("my-own-password", "not a Fernet key")):
        extra = {} if key is None else {"STUDYBOT_TOKEN_KEY": key}
        result = CliRunner().invoke(main, ["run", "--port", "0"], env=env | extra)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert "studybot cannot start; fix these settings" in result.output
        problems = [line.strip() for line in result.output.splitlines() if line.strip().startswith("- ")]
        assert len(problems) == 1 and problems[0].startswith("- STUDYBOT_TOKEN_KEY: "), result.output
        assert phrase in problems[0] and "Fernet.generate_key()" in problems[0]
        assert CLIENT_SECRET not in result.output and "my-own-password" not in result.output


async def test_the_ack_does_not_wait_for_auth_test_after_a_workspace_first_command(distributed: Distributed) -> None:
    """Bolt checks a workspace's token with auth.test before the ack; each token is checked once, so a
    slow Slack API does not eat into the 3 seconds of every later command."""
    alpha = await distributed.install(ALPHA, "Alpha")
    await distributed.fake.wait_response(await distributed.command(ALPHA))
    checked = [c for c in distributed.fake.calls("api", "auth.test") if c.token == alpha]
    distributed.fake.hold("auth.test")
    try:
        key = await asyncio.wait_for(distributed.command(ALPHA), 5)  # acknowledged while auth.test would hang
        await distributed.fake.wait_response(key)
    finally:
        distributed.fake.release("auth.test")
    assert [c for c in distributed.fake.calls("api", "auth.test") if c.token == alpha] == checked


async def test_two_workers_behind_a_balancer_share_installs_and_states(
    database_url: str, tmp_path: Path, clock: FixedClock, catalog: Catalog, fake_slack: FakeSlack
) -> None:
    """An install started on one worker finishes on the other, and every worker then serves the workspace:
    states and installations are in the shared database (SQLite file, or PostgreSQL when configured)."""
    fake_slack.oauth_client = (CLIENT_ID, CLIENT_SECRET)
    settings = oauth_settings(tmp_path, STUDYBOT_DATABASE_URL=database_url)
    async with contextlib.AsyncExitStack() as stack:
        workers = []
        for _ in range(2):
            rt = await stack.enter_async_context(Runtime(settings, clock=clock, catalog=catalog))
            adapter = SlackAdapter(rt.core, settings, port=0, host="127.0.0.1", base_url=fake_slack.base_url)
            workers.append(await stack.enter_async_context(adapter))
        a, b = workers
        jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[f"http://127.0.0.1:{w.port}" for w in workers])
        browser = await stack.enter_async_context(aiohttp.ClientSession(cookie_jar=jar))
        session = await stack.enter_async_context(aiohttp.ClientSession())

        async with browser.get(a.install_url, allow_redirects=False) as started:
            state = parse_qs(urlsplit(started.headers["Location"]).query)["state"][0]
        query = urlencode({"code": fake_slack.authorize(ALPHA, "Alpha"), "state": state})
        async with browser.get(f"{b.redirect_url}?{query}", allow_redirects=False) as finished:
            assert finished.status == 200, await finished.text()
        token = fake_slack.token_of(ALPHA)

        for worker in (a, b):
            slack = SlackDeliveries(session, worker.url, fake_slack)
            body, key = slack.command_body("help")
            assert (await slack.send(urlencode(dict(parse_qsl(body)) | {"team_id": ALPHA}))).status == 200
            await fake_slack.wait_response(key)
        assert {c.token for c in fake_slack.calls("api", "auth.test")} == {token}  # each worker checked it once
        assert len(fake_slack.calls("api", "auth.test")) == 3  # the install, then once per worker
