"""The generated application commands obey Discord's rules, offline; and the `studybot discord` CLI."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import discord
import pytest
from click.testing import CliRunner

from adapters.discord.cli import discord as discord_cli
from adapters.discord.commands import command_payload
from adapters.discord.invite import invite_url
from bot.commands.registry import Registry
from bot.commands.spec import OptionType, Permission
from bot.features import build_registry
from tests.adapters.discord import lab

# Discord's rule for CHAT_INPUT names (application-commands docs), lower case where a lower form exists.
NAME = re.compile(r"^[-_'\w]{1,32}$")
TYPES = {3, 4, 5, 6, 7, 8, 9, 10, 11}  # 11: ATTACHMENT


def _registries() -> list[Registry]:
    real = build_registry()
    with_lab = build_registry()
    lab.register(with_lab, lab.Lab())
    return [real, with_lab]


def _chars(node: dict[str, Any]) -> int:
    """Discord's 8,000-character budget: names, descriptions and choice values, recursively."""
    total = len(node.get("name", "")) + len(node.get("description", ""))
    total += sum(len(str(c["name"])) + len(str(c["value"])) for c in node.get("choices") or [])
    return total + sum(_chars(o) for o in node.get("options") or [])


def _check_options(options: list[dict[str, Any]], depth: int) -> None:
    assert len(options) <= 25
    names = [o["name"] for o in options]
    assert len(names) == len(set(names))
    kinds = {o["type"] for o in options}
    if kinds & {1, 2}:
        assert kinds <= {1, 2}, "subcommands cannot be mixed with plain options"
    required_seen_optional = False
    for option in options:
        assert NAME.match(option["name"]) and option["name"] == option["name"].lower()
        assert 1 <= len(option["description"]) <= 100
        if option["type"] in (1, 2):
            assert depth < 2 and (option["type"] == 1 or depth == 0), "only command → group → subcommand"
            _check_options(option.get("options") or [], depth + 1)
            continue
        assert option["type"] in TYPES
        if option.get("required"):
            assert not required_seen_optional, f"required {option['name']} follows an optional option"
        else:
            required_seen_optional = True
        choices = option.get("choices") or []
        assert len(choices) <= 25
        assert not (choices and option.get("autocomplete")), "autocomplete and choices are exclusive"
        for choice in choices:
            assert 1 <= len(choice["name"]) <= 100
            assert not isinstance(choice["value"], str) or 1 <= len(choice["value"]) <= 100
        if "max_length" in option:
            assert 0 <= option["max_length"] <= 6000


@pytest.mark.parametrize("registry", _registries(), ids=["features", "features+lab"])
def test_dry_run_payload_obeys_discords_rules(registry: Registry) -> None:
    payload = command_payload(registry)
    assert 1 <= len(payload) <= 100
    assert len({c["name"] for c in payload}) == len(payload)
    for command in payload:
        assert command["type"] == 1
        assert NAME.match(command["name"]) and command["name"] == command["name"].lower()
        assert 1 <= len(command["description"]) <= 100
        assert _chars(command) <= 8000
        assert command["contexts"] == [0] and command["dm_permission"] is False
        _check_options(command.get("options") or [], 0)


def test_payload_follows_the_declarations() -> None:
    registry = build_registry()
    lab.register(registry, lab.Lab())
    payload = {c["name"]: c for c in command_payload(registry)}
    assert list(payload) == registry.top_level()
    for spec in registry:
        node: dict[str, Any] = payload[spec.path[0]]
        for word in spec.path[1:]:
            node = next(o for o in node["options"] if o["name"] == word)
        assert node["description"] == spec.description
        assert [o["name"] for o in node.get("options") or []] == [o.name for o in spec.options]
        for option, sent in zip(spec.options, node.get("options") or [], strict=True):
            assert sent.get("required", False) == option.required
            assert bool(sent.get("autocomplete")) == (option.choices_source is not None)
            assert [c["value"] for c in sent.get("choices") or []] == [c.value for c in option.choices]
        top = payload[spec.path[0]]
        if spec.permission is Permission.MODERATOR and len(spec.path) == 1:
            assert top["default_member_permissions"] == discord.Permissions(manage_guild=True).value
    every = next(o for o in payload["labadmin"]["options"] if o["name"] == "every")
    types = {o["name"]: o["type"] for o in every["options"]}
    assert types == {"count": 4, "ratio": 10, "flag": 5, "where": 7, "who": 6, "whom": 9, "size": 3, "upload": 11}
    count = next(o for o in every["options"] if o["name"] == "count")
    assert (count["min_value"], count["max_value"]) == (1, 10)
    assert {o.type for o in registry.commands[("labadmin", "every")].options} == set(OptionType)
    member_only = [c for c in payload.values() if registry.permission_of((c["name"],)) is Permission.MEMBER]
    assert all(c["default_member_permissions"] is None for c in member_only)


def test_cli_dry_run_json_is_the_payload_and_needs_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    result = CliRunner().invoke(discord_cli, ["sync", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == command_payload(build_registry())


def test_cli_dry_run_summary_lists_every_command() -> None:
    result = CliRunner().invoke(discord_cli, ["sync", "--dry-run", "--guild", "123"])
    assert result.exit_code == 0
    for name in build_registry().top_level():
        assert f"/{name}:" in result.output


def test_cli_sync_without_a_token_explains_what_to_do(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    result = CliRunner().invoke(discord_cli, ["sync"])
    assert result.exit_code == 2
    assert "DISCORD_TOKEN" in result.output


def test_invite_asks_for_exactly_the_needed_scopes_and_permissions() -> None:
    url = urlparse(invite_url(1234))
    query = parse_qs(url.query)
    assert url.netloc == "discord.com" and query["client_id"] == ["1234"]
    assert query["scope"] == ["bot applications.commands"]
    granted = discord.Permissions(int(query["permissions"][0]))
    wanted = discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        embed_links=True,
        attach_files=True,
        read_message_history=True,
    )
    assert granted == wanted
    assert not (granted.administrator or granted.manage_messages or granted.mention_everyone)


def test_cli_invite(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    result = CliRunner().invoke(discord_cli, ["invite", "--client-id", "42"])
    assert result.exit_code == 0 and result.output.strip() == invite_url(42)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISCORD_APPLICATION_ID", raising=False)
    missing = CliRunner().invoke(discord_cli, ["invite"])
    assert missing.exit_code == 2 and "--client-id" in missing.output
