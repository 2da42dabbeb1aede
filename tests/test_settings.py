"""Settings are read once, validated all at once, and never print a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigurationError
from bot.settings import Settings


def test_defaults_need_no_tokens() -> None:
    settings = Settings.from_env({}, env_file=None)
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert not settings.discord_enabled and not settings.slack_enabled


def test_secrets_never_show(tmp_path: Path) -> None:
    token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123"
    settings = Settings.from_env({"DISCORD_TOKEN": token, "SLACK_BOT_TOKEN": "xoxb-1-2-secret"}, env_file=None)
    assert token not in repr(settings) and "xoxb" not in str(settings)
    assert settings.discord_token is not None and settings.discord_token.get_secret_value() == token
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env({"DISCORD_TOKEN": token, "DISCORD_SHARD_COUNT": "many"}, env_file=None)
    assert token not in str(caught.value.problems)


def test_every_bad_variable_is_named() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env(
            {"STUDYBOT_DEFAULT_TIMEZONE": "Mars/Base", "DISCORD_SHARD_COUNT": "x", "STUDYBOT_SLACK_COMMAND": "study"},
            env_file=None,
        )
    text = " ".join(caught.value.problems)
    for name in ("STUDYBOT_DEFAULT_TIMEZONE", "DISCORD_SHARD_COUNT", "STUDYBOT_SLACK_COMMAND"):
        assert name in text


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("STUDYBOT_DEFAULT_TIMEZONE=Europe/Berlin\nDISCORD_GUILD_IDS=1, 2\nSTUDYBOT_GRACE_MINUTES=5\n")
    settings = Settings.from_env({"STUDYBOT_GRACE_MINUTES": "30"}, env_file=env_file)
    assert settings.default_timezone == "Europe/Berlin"
    assert settings.discord_guild_ids == (1, 2)
    assert settings.grace_minutes == 30


def test_env_example_documents_every_variable() -> None:
    example = (Path(__file__).parent.parent / ".env.example").read_text()
    for field in Settings.model_fields.values():
        assert f"{field.alias}=" in example, field.alias


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        (
            {"DISCORD_SHARD_IDS": "0"},
            "DISCORD_SHARD_IDS: needs DISCORD_SHARD_COUNT, the total number of shards, as well",
        ),
        (
            {"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "1,2,3"},
            "DISCORD_SHARD_IDS: 2, 3 are not among the shards 0 to 1 of DISCORD_SHARD_COUNT=2",
        ),
        (
            {"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "2"},
            "DISCORD_SHARD_IDS: 2 is not among the shards 0 to 1 of DISCORD_SHARD_COUNT=2",
        ),
        (
            {"DISCORD_SHARD_COUNT": "0"},
            "DISCORD_SHARD_COUNT: a bot has at least 1 shard; give the total, such as 2 (or leave it unset)",
        ),
        (
            {"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "0,-1"},
            "DISCORD_SHARD_IDS: '-1' is not an id (a whole number, 0 or more); "
            "give ids separated by commas, such as 0,1",
        ),
        (
            {"DISCORD_SHARD_COUNT": "2", "DISCORD_SHARD_IDS": "1,1"},
            "DISCORD_SHARD_IDS: each shard id may be given only once",
        ),
    ],
)
def test_shard_settings_are_checked_at_start(environ: dict[str, str], problem: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env(environ, env_file=None)
    assert caught.value.problems == [problem]


def test_every_bad_variable_is_said_in_plain_words_without_its_value() -> None:
    environ = {"STUDYBOT_HEALTH_PORT": "abc", "STUDYBOT_LOG_LEVEL": "LOUD", "STUDYBOT_GRACE_MINUTES": "-5"}
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env(environ, env_file=None)
    problems = caught.value.problems
    assert "STUDYBOT_HEALTH_PORT: must be a whole number" in problems
    assert "STUDYBOT_LOG_LEVEL: must be one of 'DEBUG', 'INFO', 'WARNING' or 'ERROR'" in problems
    assert any(p.startswith("STUDYBOT_GRACE_MINUTES: must be at least") for p in problems), problems
    assert not any("Input should" in p or "Value error" in p or "LOUD" in p or "abc" in p for p in problems)


def test_the_shards_a_process_runs() -> None:
    def here(**environ: str) -> tuple[int, ...] | None:
        return Settings.from_env(environ, env_file=None).discord_shards_here

    assert here() is None
    assert here(DISCORD_SHARD_COUNT="4") is None  # every shard in this process
    assert here(DISCORD_SHARD_COUNT="2", DISCORD_SHARD_IDS="1,0") is None
    assert here(DISCORD_SHARD_COUNT="4", DISCORD_SHARD_IDS="3; 1") == (1, 3)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql://u:PASSWORDXYZ@127.0.0.1:notaport/db", "the host or port cannot be read"),
        ("postgresql://u:PASSWORDXYZ@127.0.0.1:99999/db", "the host or port cannot be read"),
        ("postgresql://u:PASSWORDXYZ@[::1/db", "the host or port cannot be read"),
        ("::::garbage PASSWORDXYZ", "that is not a database URL"),
        ("mysql://u:PASSWORDXYZ@h/db", "'mysql' is not a database studybot can use"),
    ],
)
def test_a_database_url_that_cannot_be_read_is_named_without_echoing_it(url: str, said: str) -> None:
    # These reached the driver before and ended in a traceback (int() of the port, a port over 65535).
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env({"STUDYBOT_DATABASE_URL": url}, env_file=None)
    text = " ".join(caught.value.problems)
    assert "STUDYBOT_DATABASE_URL" in text and said in text
    assert "PASSWORDXYZ" not in text
