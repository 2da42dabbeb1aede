"""`studybot slack manifest`: valid YAML, the keys Slack requires, generated from registry and settings."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from adapters.slack.manifest import SCOPES, build_manifest, member_commands
from bot.cli import main
from bot.commands.spec import CommandSpec, GroupSpec, Options, Permission
from bot.features import build_registry
from bot.replies import Reply
from bot.requests import Request
from bot.services import Services
from bot.settings import Settings


def run(*args: str, **env: str) -> dict[str, Any]:
    # Empty values hide whatever a developer's .env holds, so the defaults are really the defaults.
    names = (
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "SLACK_SIGNING_SECRET",
        "STUDYBOT_SLACK_COMMAND",
        "STUDYBOT_SLACK_ADMIN_COMMAND",
    )
    clean = {**dict.fromkeys(names, ""), **env}
    result = CliRunner().invoke(main, ["slack", "manifest", *args], env=clean)
    assert result.exit_code == 0, result.output
    assert "xoxb-" not in result.output
    manifest = yaml.safe_load(result.output)
    assert isinstance(manifest, dict)
    return manifest


def check_required(manifest: dict[str, Any]) -> None:
    """The keys Slack's manifest schema requires, with its length limits."""
    display = manifest["display_information"]
    assert 1 <= len(display["name"]) <= 35 and len(display.get("description", "")) <= 140
    assert manifest["features"]["bot_user"]["display_name"]
    for command in manifest["features"]["slash_commands"]:
        assert command["command"].startswith("/") and len(command["command"]) <= 32
        assert 1 <= len(command["description"]) <= 2000 and len(command.get("usage_hint", "")) <= 1000
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_socket_mode_manifest() -> None:
    manifest = run()
    check_required(manifest)
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/study", "/studyadmin"]
    assert all("url" not in c for c in commands) and all(c["should_escape"] is True for c in commands)
    for name in member_commands(build_registry()):
        assert name in commands[0]["usage_hint"]
    bot_scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert bot_scopes == [
        "commands",
        "chat:write",
        "users:read",
        "im:write",
        "channels:read",
        "channels:history",
        "groups:history",
        "files:read",
        "files:write",
        "usergroups:read",
    ]
    assert not {"chat:write.public", "groups:read", "im:history"} & set(bot_scopes)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in manifest["settings"]["interactivity"]
    assert "event_subscriptions" not in manifest["settings"]


def test_http_manifest_and_command_names_from_settings() -> None:
    manifest = run(
        "--http",
        "--url",
        "https://bot.example.com/",
        STUDYBOT_SLACK_COMMAND="/learn",
        STUDYBOT_SLACK_ADMIN_COMMAND="/learnadmin",
    )
    check_required(manifest)
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/learn", "/learnadmin"]
    assert {c["url"] for c in commands} == {"https://bot.example.com/slack/events"}
    assert manifest["settings"]["interactivity"]["request_url"] == "https://bot.example.com/slack/events"
    assert manifest["settings"]["socket_mode_enabled"] is False
    assert "/learn help" in commands[0]["description"]


def test_http_needs_a_url() -> None:
    result = CliRunner().invoke(main, ["slack", "manifest", "--http"])
    assert result.exit_code == 2 and "--url" in result.output


def test_moderator_commands_appear_in_the_admin_command() -> None:
    registry = build_registry()
    if not registry.is_group(("studyadmin",)):
        registry.group(GroupSpec(("studyadmin",), "Moderator tools", Permission.MODERATOR))

    async def noop(req: Request, opts: Options, svc: Services) -> Reply:
        return Reply()

    registry.command(
        CommandSpec(("studyadmin", "slack-test-audit"), "Test only", noop, permission=Permission.MODERATOR)
    )
    settings = Settings.from_env({}, env_file=None)
    admin = build_manifest(registry, settings)["features"]["slash_commands"][1]
    assert "slack-test-audit" in admin["description"] and "slack-test-audit" in admin["usage_hint"]
    assert "studyadmin" not in build_manifest(registry, settings)["features"]["slash_commands"][0]["usage_hint"]


def test_every_scope_says_why() -> None:
    assert all(len(reason) > 10 for reason in SCOPES.values())
    with pytest.raises(ValueError, match="URL"):
        build_manifest(build_registry(), Settings.from_env({}, env_file=None), http=True)
