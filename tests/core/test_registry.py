"""Declarations are validated when registered, so a bad one fails here and not at a Discord sync."""

from __future__ import annotations

import pytest

from bot.commands.registry import RegistrationError, Registry
from bot.commands.spec import ActionSpec, Choice, CommandSpec, GroupSpec, OptionSpec, OptionType, Permission
from bot.features import build_registry


async def handler(*_args: object) -> None:  # pragma: no cover - never called
    return None


def spec(name: str = "thing", **kwargs: object) -> CommandSpec:
    return CommandSpec((name,), "Does a thing", handler, **kwargs)  # type: ignore[arg-type]


def test_the_real_registry_builds() -> None:
    reg = build_registry()
    assert ("help",) in reg.commands and ("profile",) in reg.commands


def test_duplicate_names_are_refused() -> None:
    reg = Registry()
    reg.command(spec())
    with pytest.raises(RegistrationError, match="declared twice"):
        reg.command(spec())


@pytest.mark.parametrize("name", ["Thing", "has space", "x" * 33, "", "ümlaut", "/slash"])
def test_names_discord_would_reject_are_refused(name: str) -> None:
    with pytest.raises(RegistrationError, match="not a valid command name"):
        Registry().command(spec(name))


def test_more_than_25_options_are_refused() -> None:
    options = tuple(OptionSpec(f"o{i}", OptionType.STRING, "x") for i in range(26))
    with pytest.raises(RegistrationError, match="limit is 25"):
        Registry().command(spec(options=options))


def test_exactly_25_options_are_fine() -> None:
    options = tuple(OptionSpec(f"o{i}", OptionType.STRING, "x") for i in range(25))
    Registry().command(spec(options=options))


def test_required_after_optional_is_refused() -> None:
    options = (OptionSpec("a", OptionType.STRING, "x"), OptionSpec("b", OptionType.STRING, "x", required=True))
    with pytest.raises(RegistrationError, match="follows an optional"):
        Registry().command(spec(options=options))


def test_sync_handlers_are_refused() -> None:
    def blocking(*_args: object) -> None:  # pragma: no cover
        return None

    with pytest.raises(RegistrationError, match="async"):
        Registry().command(CommandSpec(("x",), "x", blocking))  # type: ignore[arg-type]
    with pytest.raises(RegistrationError, match="async"):
        Registry().action(ActionSpec("x", blocking))  # type: ignore[arg-type]


def test_description_limits() -> None:
    with pytest.raises(RegistrationError, match="1 to 100"):
        Registry().command(CommandSpec(("x",), "d" * 101, handler))  # type: ignore[arg-type]


def test_too_many_choices_and_unknown_sources() -> None:
    choices = tuple(Choice(str(i), str(i)) for i in range(26))
    with pytest.raises(RegistrationError, match="choices"):
        Registry().command(spec(options=(OptionSpec("a", OptionType.STRING, "x", choices=choices),)))
    with pytest.raises(RegistrationError, match="not declared"):
        Registry().command(spec(options=(OptionSpec("a", OptionType.STRING, "x", choices_source="nope"),)))


def test_rest_of_line_only_on_the_last_string_option() -> None:
    options = (OptionSpec("a", OptionType.STRING, "x", rest=True), OptionSpec("b", OptionType.STRING, "x"))
    with pytest.raises(RegistrationError, match="rest of the line"):
        Registry().command(spec(options=options))


def test_groups_need_parents_and_moderator_groups_hold_moderator_commands() -> None:
    reg = Registry()
    with pytest.raises(RegistrationError, match="not declared"):
        reg.command(CommandSpec(("admin", "x"), "x", handler))  # type: ignore[arg-type]
    reg.group(GroupSpec(("admin",), "Admin", Permission.MODERATOR))
    with pytest.raises(RegistrationError, match="moderator command"):
        reg.command(CommandSpec(("admin", "x"), "x", handler))  # type: ignore[arg-type]
    reg.command(CommandSpec(("admin", "x"), "x", handler, permission=Permission.MODERATOR))  # type: ignore[arg-type]
    with pytest.raises(RegistrationError, match="declared twice"):
        reg.command(spec("admin"))


def test_examples_must_belong_to_their_command() -> None:
    with pytest.raises(RegistrationError, match="must start with"):
        Registry().command(spec(examples=("/other",)))
