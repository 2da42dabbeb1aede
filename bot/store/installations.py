"""Installations: each workspace that added the app through a platform's OAuth flow, with its bot token.

A platform that serves many workspaces ("Add to Slack") gets one bot token per workspace; it lives
here, in our own database, so every process behind a load balancer finds it. The token is encrypted
before it is written and decrypted when read (`TokenCipher`, Fernet with keys from STUDYBOT_TOKEN_KEY),
so a copied database file or backup holds no token anyone can use. Nothing here knows Slack: rows are
plain values, and the adapter converts them to its library's types.

The OAuth `state` that ties an installer's browser to the redirect is a claim (`bot.store.claims`): issued
once, consumed once, and refused after it expires.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import RowMapping, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import claims
from bot.store.schema import installations

log = logging.getLogger(__name__)

STATE_PREFIX = "oauth-state:"
# What `issue_state` hands out (secrets.token_urlsafe); anything else is refused before it reaches SQL,
# and the key ends in "." so a prefix match on it can only ever match that one key.
STATE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,128}")
STATE_LIFETIME = dt.timedelta(minutes=10)


class TokenCipher:
    """Encrypts tokens for storage with the first key and decrypts with any of them.

    Several keys (comma-separated) let an operator rotate: put the new key first, keep the old one after
    it until every installation was saved again. The keys are never logged or shown.
    """

    def __init__(self, keys: str) -> None:
        parts = [part.strip() for part in keys.split(",") if part.strip()]
        if not parts:
            raise ValueError("no key")
        self._fernet = MultiFernet([Fernet(part) for part in parts])

    def encrypt(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, stored: str) -> str | None:
        """The token, or None when no key decrypts it (the key was changed without keeping the old one)."""
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            return None


@dataclass(frozen=True, slots=True)
class Installation:
    """One workspace's (or one enterprise's, for an org-wide install) grant, token in plain text in memory.

    `workspace` and `enterprise` are "" when the platform gave none.
    """

    platform: str
    enterprise: str
    workspace: str
    bot_token: str
    scopes: tuple[str, ...]
    installed_at: dt.datetime
    updated_at: dt.datetime
    app_id: str | None = None
    bot_id: str | None = None
    bot_user_id: str | None = None
    installer: str | None = None
    is_enterprise_install: bool = False


def _key(
    platform: str, enterprise: str | None, workspace: str | None, is_enterprise_install: bool
) -> tuple[str, str, str]:
    """The row's key: an org-wide install is found by its enterprise alone, whichever workspace asks."""
    return platform, enterprise or "", "" if is_enterprise_install else workspace or ""


def _where(platform: str, enterprise: str, workspace: str):  # type: ignore[no-untyped-def]
    return (
        (installations.c.platform == platform)
        & (installations.c.enterprise == enterprise)
        & (installations.c.workspace == workspace)
    )


async def save(conn: AsyncConnection, cipher: TokenCipher, installation: Installation) -> None:
    """Insert or replace the installation of its workspace; a reinstall keeps the first `installed_at`."""
    platform, enterprise, workspace = _key(
        installation.platform, installation.enterprise, installation.workspace, installation.is_enterprise_install
    )
    values = {
        "platform": platform,
        "enterprise": enterprise,
        "workspace": workspace,
        "app_id": installation.app_id,
        "bot_token": cipher.encrypt(installation.bot_token),
        "bot_id": installation.bot_id,
        "bot_user_id": installation.bot_user_id,
        "scopes": ",".join(installation.scopes),
        "installer": installation.installer,
        "is_enterprise_install": installation.is_enterprise_install,
        "installed_at": installation.installed_at,
        "updated_at": installation.updated_at,
    }
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(installations).values(**values)
    replaced = {
        name: stmt.excluded[name]
        for name in values
        if name not in ("platform", "enterprise", "workspace", "installed_at")
    }
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=["platform", "enterprise", "workspace"], set_=replaced)
    )


async def find(
    conn: AsyncConnection,
    cipher: TokenCipher,
    platform: str,
    enterprise: str | None,
    workspace: str | None,
    *,
    is_enterprise_install: bool = False,
) -> Installation | None:
    """The installation serving `workspace`, or None when it never installed the app, uninstalled it,
    or its token cannot be decrypted with the configured keys (logged, without the token)."""
    key = _key(platform, enterprise, workspace, is_enterprise_install)
    row = (await conn.execute(select(installations).where(_where(*key)))).mappings().first()
    if row is None:
        return None
    installation = _installation(row, cipher)
    if installation is None:
        log.error(
            "the stored bot token of this workspace cannot be decrypted with STUDYBOT_TOKEN_KEY: was the key "
            "changed? Put the new key first and the old one after a comma, or install the app again",
            extra={"platform": platform, "workspace": row["workspace"] or row["enterprise"]},
        )
    return installation


async def every(conn: AsyncConnection, cipher: TokenCipher, platform: str) -> list[tuple[str, Installation | None]]:
    """Every installation of `platform` as (its workspace, or its enterprise for an org-wide install; the
    installation, or None when no configured key decrypts its token): what `studybot doctor` checks."""
    rows = await conn.execute(
        select(installations).where(installations.c.platform == platform).order_by(installations.c.workspace)
    )
    return [(row["workspace"] or row["enterprise"], _installation(row, cipher)) for row in rows.mappings()]


def _installation(row: RowMapping, cipher: TokenCipher) -> Installation | None:
    token = cipher.decrypt(row["bot_token"])
    if token is None:
        return None
    return Installation(
        platform=row["platform"],
        enterprise=row["enterprise"],
        workspace=row["workspace"],
        bot_token=token,
        scopes=tuple(s for s in row["scopes"].split(",") if s),
        installed_at=row["installed_at"],
        updated_at=row["updated_at"],
        app_id=row["app_id"],
        bot_id=row["bot_id"],
        bot_user_id=row["bot_user_id"],
        installer=row["installer"],
        is_enterprise_install=row["is_enterprise_install"],
    )


async def remove(
    conn: AsyncConnection,
    platform: str,
    enterprise: str | None,
    workspace: str | None,
    *,
    is_enterprise_install: bool = False,
) -> int:
    """Forget a workspace's installation (it uninstalled the app or revoked the token); rows deleted."""
    key = _key(platform, enterprise, workspace, is_enterprise_install)
    result = await conn.execute(delete(installations).where(_where(*key)))
    return int(result.rowcount or 0)


def _state_key(state: str) -> str:
    return f"{STATE_PREFIX}{state}."


async def issue_state(conn: AsyncConnection, state: str, now: dt.datetime) -> None:
    """Remember a freshly made OAuth state (made by the caller with `secrets.token_urlsafe`)."""
    if not STATE_PATTERN.fullmatch(state):
        raise ValueError("an OAuth state is 16 to 128 url-safe characters")
    await claims.claim(conn, _state_key(state), now)


async def consume_state(
    conn: AsyncConnection, state: str, now: dt.datetime, lifetime: dt.timedelta = STATE_LIFETIME
) -> bool:
    """True once for a state issued within `lifetime`; False for one unknown, used or expired.

    Expired states are dropped on the way, so the claims table does not collect abandoned installs.
    """
    await claims.forget(conn, STATE_PREFIX, now - lifetime, limit=1000)
    if not STATE_PATTERN.fullmatch(state or ""):
        return False
    # Every state still here is unexpired; a minute past now allows another process's clock to run ahead.
    return await claims.forget(conn, _state_key(state), now + dt.timedelta(minutes=1)) == 1
