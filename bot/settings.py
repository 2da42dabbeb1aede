"""One typed settings object, read once from the environment and `.env`.

Nothing else in studybot reads `os.environ`. Tests pass a plain dict. Secrets are `SecretStr`, so
they print as stars in reprs, logs and error messages.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from dotenv import dotenv_values
from platformdirs import user_data_dir
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigurationError

log = logging.getLogger(__name__)

# The spellings of a PostgreSQL URL that SQLAlchemy would hand to a driver studybot does not ship.
_SYNC_POSTGRES_PREFIXES = ("postgresql://", "postgres://", "postgresql+psycopg2://", "postgresql+psycopg://")
ASYNC_POSTGRES_PREFIX = "postgresql+asyncpg://"
_SYNC_SQLITE_PREFIX = "sqlite://"
ASYNC_SQLITE_PREFIX = "sqlite+aiosqlite://"
_SUPPORTED = (ASYNC_POSTGRES_PREFIX, ASYNC_SQLITE_PREFIX)
TOKEN_KEY_HINT = (
    'make one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


def default_database_url() -> str:
    """The SQLite file in the user's data directory, so every working directory finds the same data.

    Relative to the working directory (the old `./data`), running from another folder silently
    started an empty database.
    """
    return f"sqlite+aiosqlite:///{Path(user_data_dir('studybot', appauthor=False)) / 'studybot.sqlite3'}"


def async_database_url(url: str) -> str:
    """`url` with a plain scheme (`postgresql://`, `postgres://`, `sqlite://`) rewritten for the async
    driver studybot ships (asyncpg, aiosqlite).

    Hosting providers hand out `postgres://` URLs and SQLAlchemy's own docs show `sqlite:///file`;
    SQLAlchemy would read them as psycopg2 or pysqlite and fail with "No module named psycopg2" or
    "The asyncio extension requires an async driver".
    """
    for prefix in _SYNC_POSTGRES_PREFIXES:
        if url.startswith(prefix):
            return ASYNC_POSTGRES_PREFIX + url[len(prefix) :]
    if url.startswith(_SYNC_SQLITE_PREFIX):
        return ASYNC_SQLITE_PREFIX + url[len(_SYNC_SQLITE_PREFIX) :]
    return url


def _say(error: Mapping[str, Any]) -> str:
    """One validation error in an operator's words, not pydantic's; never with the value, which may be a
    secret."""
    kind = str(error["type"])
    ctx = error.get("ctx") or {}
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', 'the documented values')}"
    if kind.startswith("int_"):
        return "must be a whole number"
    if kind.startswith("float_"):
        return "must be a number"
    if kind.startswith("bool_"):
        return "must be true or false"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = {"greater_than_equal": "at least", "greater_than": "more than", "less_than_equal": "at most"}
        limit = ctx.get({"greater_than_equal": "ge", "greater_than": "gt", "less_than_equal": "le"}.get(kind, "lt"))
        return f"must be {bound.get(kind, 'less than')} {limit}"
    return str(error["msg"]).removeprefix("Value error, ")


class Settings(BaseSettings):
    """Every variable studybot understands; `.env.example` documents each one."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    database_url: str = Field(default_factory=default_database_url, alias="STUDYBOT_DATABASE_URL")
    content_dir: Path | None = Field(None, alias="STUDYBOT_CONTENT_DIR")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] | None = Field(None, alias="STUDYBOT_LOG_LEVEL")
    log_format: Literal["text", "json"] = Field("text", alias="STUDYBOT_LOG_FORMAT")
    default_timezone: str = Field("UTC", alias="STUDYBOT_DEFAULT_TIMEZONE")
    grace_minutes: int = Field(60, ge=0, le=24 * 60, alias="STUDYBOT_GRACE_MINUTES")
    health_port: int | None = Field(None, ge=0, le=65535, alias="STUDYBOT_HEALTH_PORT")
    health_host: str = Field("127.0.0.1", alias="STUDYBOT_HEALTH_HOST")

    discord_token: SecretStr | None = Field(None, alias="DISCORD_TOKEN")
    discord_application_id: int | None = Field(None, alias="DISCORD_APPLICATION_ID")
    discord_guild_ids: tuple[int, ...] = Field((), alias="DISCORD_GUILD_IDS")
    discord_shard_count: int | None = Field(None, alias="DISCORD_SHARD_COUNT")
    """How many gateway shards the bot has in all (every process the same number)."""
    discord_shard_ids: tuple[int, ...] = Field((), alias="DISCORD_SHARD_IDS")
    """Which of them this process runs; all of them when empty."""

    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_command: str = Field("/study", alias="STUDYBOT_SLACK_COMMAND")
    slack_admin_command: str = Field("/studyadmin", alias="STUDYBOT_SLACK_ADMIN_COMMAND")
    slack_client_id: str | None = Field(None, alias="SLACK_CLIENT_ID")
    """With `slack_client_secret`: "Add to Slack" for many workspaces (OAuth, HTTP mode) instead of one bot token."""
    slack_client_secret: SecretStr | None = Field(None, alias="SLACK_CLIENT_SECRET")
    slack_redirect_uri: str | None = Field(None, alias="SLACK_REDIRECT_URI")
    """The public URL Slack sends installers back to; its path is the route served (default /slack/oauth_redirect)."""
    slack_install_path: str = Field("/slack/install", alias="SLACK_INSTALL_PATH")
    token_key: SecretStr | None = Field(None, alias="STUDYBOT_TOKEN_KEY")
    """Fernet key(s) that encrypt stored bot tokens; the first encrypts, every one decrypts (key rotation)."""

    @field_validator("discord_guild_ids", "discord_shard_ids", mode="before")
    @classmethod
    def _id_list(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
            bad = [part for part in parts if not part.isdigit()]
            if bad:
                raise ValueError(
                    f"{bad[0]!r} is not an id (a whole number, 0 or more); give ids separated by commas, such as 0,1"
                )
            return tuple(int(part) for part in parts)
        return value

    @field_validator("discord_shard_count")
    @classmethod
    def _shard_count(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("a bot has at least 1 shard; give the total, such as 2 (or leave it unset)")
        return value

    @model_validator(mode="after")
    def _shards_of_count(self) -> Settings:
        """Shard ids only mean something beside the total, and each must be one of its shards: a process
        started with a wrong one would serve no guild, or the same guilds as another process."""
        ids, count = self.discord_shard_ids, self.discord_shard_count
        if ids and count is None:
            raise PydanticCustomError(
                "shards", "DISCORD_SHARD_IDS: needs DISCORD_SHARD_COUNT, the total number of shards, as well"
            )
        outside = [i for i in ids if count is not None and i >= count]
        if outside:
            raise PydanticCustomError(
                "shards",
                "DISCORD_SHARD_IDS: {outside} not among the shards 0 to {last} of DISCORD_SHARD_COUNT={count}",
                {
                    "outside": ", ".join(map(str, outside)) + (" is" if len(outside) == 1 else " are"),
                    "last": (count or 1) - 1,
                    "count": count,
                },
            )
        if len(set(ids)) != len(ids):
            raise PydanticCustomError("shards", "DISCORD_SHARD_IDS: each shard id may be given only once")
        return self

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        rewritten = async_database_url(value.strip())
        if "://" not in rewritten:  # not echoed: a mistyped URL may hold a password
            raise ValueError(
                "that is not a database URL: give a PostgreSQL URL (postgresql://user:password@host/db) or an "
                "SQLite file (sqlite:///path/to/studybot.sqlite3)"
            )
        if not rewritten.startswith(_SUPPORTED):
            scheme = rewritten.partition("://")[0]
            raise ValueError(
                f"{scheme!r} is not a database studybot can use: give a PostgreSQL URL "
                "(postgresql://user:password@host/db) or an SQLite file (sqlite:///path/to/studybot.sqlite3)"
            )
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            port = make_url(rewritten).port
        except (ArgumentError, ValueError):
            port = -1
        if port is not None and not 0 < port < 65536:
            raise ValueError(
                "the host or port cannot be read: write it as host:port with a port from 1 to 65535, "
                "like postgresql://user:password@db.example.com:5432/studybot (an IPv6 host in brackets, [::1])"
            )
        if rewritten != value:
            log.info("STUDYBOT_DATABASE_URL: using %s for a plain URL", rewritten.partition("://")[0])
        return rewritten

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        from bot.clock import zone_names

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA timezone name such as Europe/Berlin") from None
        if value not in zone_names():  # localtime, Factory, posixrules: files of this machine, no place
            raise ValueError(f"{value!r} is not an IANA timezone name such as Europe/Berlin")
        return value

    @field_validator("slack_command", "slack_admin_command")
    @classmethod
    def _slash(cls, value: str) -> str:
        if not value.startswith("/") or len(value) < 2 or " " in value:
            raise ValueError("a Slack command name starts with / and has no spaces")
        return value

    @field_validator("slack_install_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or " " in value or "?" in value:
            raise ValueError("a path on this server, starting with /, such as /slack/install")
        return value

    @field_validator("slack_redirect_uri")
    @classmethod
    def _redirect(cls, value: str | None) -> str | None:
        from urllib.parse import urlsplit

        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.netloc or not parts.path.startswith("/"):
            raise ValueError(
                "the full public URL of the redirect, such as https://bot.example.com/slack/oauth_redirect"
            )
        return value

    @field_validator("token_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        """Refused at start, not at the first install; the message never shows the key."""
        from cryptography.fernet import Fernet

        keys = [part.strip() for part in (value.get_secret_value() if value else "").split(",") if part.strip()]
        try:
            for key in keys:
                Fernet(key)
        except ValueError:
            raise ValueError(f"not a Fernet key (32 url-safe base64-encoded bytes); {TOKEN_KEY_HINT}") from None
        return value

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **_others):  # type: ignore[no-untyped-def, override]
        """Only `from_env` decides where values come from, so a test's dict is the whole truth."""
        return (init_settings,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> Settings:
        """Read settings from `environ` (the process environment by default) over a `.env` file.

        Raises:
            ConfigurationError: listing every bad variable by name; values of secrets are never shown.
        """
        merged: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        merged.update(os.environ if environ is None else environ)
        aliases = {f.alias for f in cls.model_fields.values() if f.alias}
        data = {k: v for k, v in merged.items() if k in aliases and v != ""}
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = []
            for error in exc.errors():
                # A check across variables (the shards) names them in its own message.
                said = _say(error)
                problems.append(f"{error['loc'][0]}: {said}" if error["loc"] else said)
            raise ConfigurationError(problems) from None

    def database_problem(self, *, folder: bool = True) -> str | None:
        """What makes the configured database unfit for the bot and the CLI, or None.

        An in-memory SQLite database loses everything when studybot stops; a configured SQLite file
        whose folder does not exist is most likely a typo that would start on a new, empty database
        (`folder=False` skips that, for `db restore`, which may create a database anywhere). Not a
        validator: tests build settings over in-memory databases on purpose. The default data
        directory is made when needed.
        """
        url = self.database_url
        if not url.startswith(ASYNC_SQLITE_PREFIX):
            return None
        database, _sep, query = url[len(ASYNC_SQLITE_PREFIX) :].partition("?")
        if database in ("", "/") or database.lstrip("/") == ":memory:" or "mode=memory" in query:
            return (
                "STUDYBOT_DATABASE_URL: an in-memory SQLite database loses everything when studybot stops: "
                "give a file, such as sqlite:///path/to/studybot.sqlite3 (or leave it unset for the default file)"
            )
        where = Path(database[1:] if database.startswith("/") else database).expanduser().parent
        if folder and not self.database_from_default and not where.exists():
            return (
                f"STUDYBOT_DATABASE_URL: there is no folder {where} for the SQLite file: create the folder "
                f"first (mkdir -p {where}), or fix the path"
            )
        return None

    @property
    def database_from_default(self) -> bool:
        """True when no STUDYBOT_DATABASE_URL was given and the SQLite file in the data directory is used."""
        return "database_url" not in self.model_fields_set

    @property
    def discord_shards_here(self) -> tuple[int, ...] | None:
        """The shard ids this process runs out of `discord_shard_count`, or None when it runs them all
        (no sharding, or a count without ids): what decides which guilds' deliveries are its own."""
        count = self.discord_shard_count
        if count is None or not self.discord_shard_ids or set(self.discord_shard_ids) == set(range(count)):
            return None
        return tuple(sorted(self.discord_shard_ids))

    @property
    def discord_enabled(self) -> bool:
        return self.discord_token is not None

    @property
    def slack_oauth(self) -> bool:
        """Whether Slack runs for many workspaces ("Add to Slack"): a client id and secret are set."""
        return self.slack_client_id is not None or self.slack_client_secret is not None

    @property
    def slack_redirect_path(self) -> str:
        from urllib.parse import urlsplit

        return urlsplit(self.slack_redirect_uri).path if self.slack_redirect_uri else "/slack/oauth_redirect"

    @property
    def slack_enabled(self) -> bool:
        single = self.slack_bot_token is not None and (
            self.slack_app_token is not None or self.slack_signing_secret is not None
        )
        return single or self.slack_oauth
