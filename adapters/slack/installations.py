"""Slack's side of "Add to Slack": Bolt's installation and OAuth state stores, kept in our database.

`SlackInstallations` implements slack_sdk's `AsyncInstallationStore` over `bot.store.installations`, so
Bolt's OAuth flow saves each workspace's bot token there (encrypted) and Bolt's authorization finds it
for every request from that workspace, in whichever process behind the load balancer serves it.
Only the bot's grant is kept: studybot asks for no user scopes, so there is one row per workspace and
"find the installation" and "find the bot" are the same lookup. `SlackOAuthStates` implements
`AsyncOAuthStateStore` with claims: a state is issued once, consumed once, and expires.
`WorkspacePosters` is the scheduler's poster for such an app: each post goes out with its workspace's token.

Both only convert between slack_sdk's models and the core's plain rows; what is stored, and how, is
`bot.store.installations`.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Sequence
from logging import Logger

from slack_bolt.error import BoltError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation as SlackInstallation
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.poster import SlackPoster
from bot.clock import Clock
from bot.replies import Reply
from bot.schedule.ports import PostOutcome, PostResult
from bot.store import installations, reading
from bot.store.installations import Installation, TokenCipher

log = logging.getLogger(__name__)

PLATFORM = "slack"


def _scopes(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    parts = value.split(",") if isinstance(value, str) else value
    return tuple(part.strip() for part in parts if part.strip())


def to_row(installation: SlackInstallation, now: dt.datetime) -> Installation:
    """slack_sdk's `Installation` as the core's row (bot grant only; a user token is never kept)."""
    if not installation.bot_token:
        raise BoltError("the installation carries no bot token: the app must ask for bot scopes")
    return Installation(
        platform=PLATFORM,
        enterprise=installation.enterprise_id or "",
        workspace=installation.team_id or "",
        bot_token=installation.bot_token,
        scopes=_scopes(installation.bot_scopes),
        installed_at=now,
        updated_at=now,
        app_id=installation.app_id,
        bot_id=installation.bot_id,
        bot_user_id=installation.bot_user_id,
        installer=installation.user_id,
        is_enterprise_install=bool(installation.is_enterprise_install),
    )


def to_installation(row: Installation) -> SlackInstallation:
    """The core's row as slack_sdk's `Installation`, which Bolt's authorization reads."""
    return SlackInstallation(
        app_id=row.app_id,
        enterprise_id=row.enterprise or None,
        team_id=row.workspace or None,
        bot_token=row.bot_token,
        bot_id=row.bot_id,
        bot_user_id=row.bot_user_id,
        bot_scopes=list(row.scopes),
        user_id=row.installer or "",
        is_enterprise_install=row.is_enterprise_install,
        installed_at=row.installed_at.timestamp(),
    )


class SlackInstallations(AsyncInstallationStore):
    """Bolt's installation store over our `installations` table; tokens encrypted with `cipher`."""

    def __init__(self, engine: AsyncEngine, cipher: TokenCipher, clock: Clock) -> None:
        self._engine = engine
        self._cipher = cipher
        self._clock = clock

    @property
    def logger(self) -> Logger:
        return log

    async def async_save(self, installation: SlackInstallation) -> None:
        row = to_row(installation, self._clock.now())
        async with self._engine.begin() as conn:
            await installations.save(conn, self._cipher, row)
        log.info(
            "slack: installed in workspace %s", row.workspace or row.enterprise, extra={"workspace": row.workspace}
        )

    async def async_save_bot(self, bot: Bot) -> None:
        """Bolt calls this only after rotating a token, which studybot does not enable; saved all the same."""
        await self.async_save(
            SlackInstallation(
                app_id=bot.app_id,
                enterprise_id=bot.enterprise_id,
                team_id=bot.team_id,
                bot_token=bot.bot_token,
                bot_id=bot.bot_id,
                bot_user_id=bot.bot_user_id,
                bot_scopes=bot.bot_scopes,
                user_id="",
                is_enterprise_install=bot.is_enterprise_install,
            )
        )

    async def _find(
        self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
    ) -> Installation | None:
        async with reading(self._engine) as conn:
            return await installations.find(
                conn,
                self._cipher,
                PLATFORM,
                enterprise_id,
                team_id,
                is_enterprise_install=bool(is_enterprise_install),
            )

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> SlackInstallation | None:
        """The workspace's installation. Asked with a `user_id` (a user's own grant), there is none:
        studybot keeps bot grants only, and Bolt then uses the bot token."""
        if user_id is not None:
            return None
        row = await self._find(enterprise_id, team_id, is_enterprise_install)
        return None if row is None else to_installation(row)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        row = await self._find(enterprise_id, team_id, is_enterprise_install)
        return None if row is None else to_installation(row).to_bot()

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._delete(enterprise_id, team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """A user's grant revoked (`tokens_revoked` with user ids) changes nothing: only bot grants are kept."""
        if user_id is None:
            await self._delete(enterprise_id, team_id)

    async def _delete(self, enterprise_id: str | None, team_id: str | None) -> None:
        async with self._engine.begin() as conn:
            removed = await installations.remove(conn, PLATFORM, enterprise_id, team_id)
            if not removed and enterprise_id:  # an org-wide install is keyed by its enterprise alone
                removed = await installations.remove(conn, PLATFORM, enterprise_id, None, is_enterprise_install=True)
        if removed:
            log.info("slack: uninstalled from workspace %s", team_id or enterprise_id, extra={"workspace": team_id})


class SlackOAuthStates(AsyncOAuthStateStore):
    """Bolt's OAuth state store: each state a claim that is consumed once, within `lifetime`."""

    def __init__(
        self, engine: AsyncEngine, clock: Clock, lifetime: dt.timedelta = installations.STATE_LIFETIME
    ) -> None:
        self._engine = engine
        self._clock = clock
        self.lifetime = lifetime

    @property
    def logger(self) -> Logger:
        return log

    async def async_issue(self, *args: object, **kwargs: object) -> str:
        state = secrets.token_urlsafe(32)
        async with self._engine.begin() as conn:
            await installations.issue_state(conn, state, self._clock.now())
        return state

    async def async_consume(self, state: str) -> bool:
        async with self._engine.begin() as conn:
            return await installations.consume_state(conn, state, self._clock.now(), self.lifetime)


NOT_INSTALLED = "studybot is not installed in that Slack workspace (or was uninstalled); add it with Add to Slack"


class WorkspacePosters:
    """The scheduler's Slack `Poster` for an app in many workspaces: each call is made by a `SlackPoster`
    with the token of the workspace it is for, found in our installations.

    A workspace that has no installation (never installed, or uninstalled since a schedule was set) is
    answered as missing access, a permanent failure, so its schedules pause instead of retrying.
    """

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, store: SlackInstallations) -> None:
        self._client = client
        self._store = store

    async def _poster(self, workspace: str) -> SlackPoster | None:
        bot = await self._store.async_find_bot(enterprise_id=None, team_id=workspace)
        if bot is None:
            return None
        client = AsyncWebClient(
            token=bot.bot_token, base_url=self._client.base_url, timeout=self._client.timeout, team_id=workspace
        )
        return SlackPoster(client)

    async def post(self, workspace: str, channel: str, reply: Reply, *, nonce: str | None = None) -> PostResult:
        poster = await self._poster(workspace)
        if poster is None:
            return PostResult(PostOutcome.MISSING_ACCESS, detail=NOT_INSTALLED)
        return await poster.post(workspace, channel, reply, nonce=nonce)

    async def find_post(self, workspace: str, channel: str, nonce: str, since: dt.datetime) -> PostResult | None:
        poster = await self._poster(workspace)
        return None if poster is None else await poster.find_post(workspace, channel, nonce, since)

    async def edit(self, workspace: str, channel: str, message_id: str, reply: Reply) -> PostResult:
        poster = await self._poster(workspace)
        if poster is None:
            return PostResult(PostOutcome.MISSING_ACCESS, detail=NOT_INSTALLED)
        return await poster.edit(workspace, channel, message_id, reply)

    async def direct_message(self, workspace: str, user_id: str, reply: Reply) -> PostResult:
        poster = await self._poster(workspace)
        if poster is None:
            return PostResult(PostOutcome.MISSING_ACCESS, detail=NOT_INSTALLED)
        return await poster.direct_message(workspace, user_id, reply)

    async def check_channel(self, workspace: str, channel: str) -> PostResult:
        poster = await self._poster(workspace)
        if poster is None:
            return PostResult(PostOutcome.MISSING_ACCESS, detail=NOT_INSTALLED)
        return await poster.check_channel(workspace, channel)
