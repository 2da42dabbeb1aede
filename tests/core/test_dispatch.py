"""`Core.handle` end to end on real storage: permissions, errors, and the profile commands."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import pytest
from sqlalchemy import func, select

from bot.actions import ActionId
from bot.clock import FixedClock
from bot.commands.dispatch import Core
from bot.commands.spec import CommandSpec, Permission
from bot.features import admin_group
from bot.replies import Reply
from bot.requests import Action, Request
from bot.runtime import Runtime
from bot.services import Services
from bot.store import members as member_store
from bot.store.schema import members
from tests.conftest import person


async def profile_of(core: Core, user: str = "ada") -> member_store.Member | None:
    async with core.services.engine.connect() as conn:
        return await member_store.find(conn, person(user))


async def test_help_lists_commands_and_hides_moderator_ones_from_members(runtime: Runtime) -> None:
    async def secret(req: Request, opts: object, svc: Services) -> Reply:
        return Reply(text="secret")

    registry = runtime.core.registry
    admin_group.register(registry)  # declared once, whichever feature needs it first
    registry.command(CommandSpec(("studyadmin", "ping"), "Moderators only", secret, permission=Permission.MODERATOR))
    core = runtime.core
    member_help = await core.handle_line(person(), "/help")
    mod_help = await core.handle_line(person(moderator=True), "/help")
    member_text = str(member_help.fields)
    assert "/profile" in member_text and "/help" in member_text
    assert "studyadmin" not in member_text
    assert "/studyadmin ping" in str(mod_help.fields)

    refused = await core.handle_line(person(), "/studyadmin ping")
    assert refused.title == "That didn't work" and "Only moderators" in refused.text
    allowed = await core.handle_line(person(moderator=True), "/studyadmin ping")
    assert allowed.text == "secret"
    assert "no command" in (await core.handle_line(person(), "/help studyadmin")).text


async def test_internal_errors_show_a_reference_not_a_traceback(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(req: Request, opts: object, svc: Services) -> Reply:
        raise RuntimeError("database on fire")

    runtime.core.registry.command(CommandSpec(("broken",), "Always fails", broken))
    with caplog.at_level(logging.ERROR):
        reply = await runtime.core.handle_line(person(), "/broken")
    assert "Something went wrong" in reply.text and "fire" not in reply.text and "Traceback" not in reply.text
    ref = reply.text.split("Reference **")[1][:6]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert errors[0].ref == ref and errors[0].exc_info is not None  # type: ignore[attr-defined]


async def test_profile_timezone_is_saved_and_bad_zones_change_nothing(core: Core) -> None:
    reply = await core.handle_line(person(), "/profile timezone:europe/berlin")
    assert reply.text == "Saved."
    assert (await profile_of(core)).timezone == "Europe/Berlin"  # type: ignore[union-attr]
    for bad in (
        "/profile timezone:Mars/Olympus",
        "/profile timezone:Europe/Berln",
        "/profile tz:UTC",
        "/profile timezone:" + "x" * 70,
        '/profile timezone:"UTC',
        "/profile action:explode",
        "/profile delete timezone:UTC",
    ):
        reply = await core.handle_line(person(), bad)
        assert reply.title == "That didn't work", bad
    assert "Did you mean `Europe/Berlin`" in (await core.handle_line(person(), "/profile timezone:Europe/Berln")).text
    assert (await profile_of(core)).timezone == "Europe/Berlin"  # type: ignore[union-attr]


async def test_profile_delete_asks_first_and_only_the_owner_can_confirm(core: Core, clock: FixedClock) -> None:
    await core.handle_line(person(), "/profile timezone:Asia/Tokyo")
    ask = await core.handle_line(person(), "/profile delete")
    delete_id, keep_id = (b.action_id for b in ask.buttons)
    assert ask.ephemeral and (await profile_of(core)) is not None

    stranger = await core.handle(Action(person("mallory"), delete_id))
    assert "someone else" in stranger.text
    kept = await core.handle(Action(person(), keep_id))
    assert "Nothing was deleted" in kept.text
    assert (await profile_of(core)) is not None

    clock.advance(dt.timedelta(minutes=1))
    delete_id = (await core.handle_line(person(), "/profile delete")).buttons[0].action_id  # keeping was final
    done = await core.handle(Action(person(), delete_id))
    assert "deleted" in done.text and done.replace
    assert await profile_of(core) is None
    again = await core.handle(Action(person(), delete_id))
    assert again.title == "Already deleted" and "already confirmed" in again.text  # tests/core/test_stale_buttons.py


async def test_unknown_and_damaged_buttons_get_a_clear_message(core: Core) -> None:
    for raw in ("garbage", "nosuchkind:1:x", ActionId("profile-delete").encode()):
        reply = await core.handle(Action(person(), raw))
        assert reply.title == "That didn't work", raw


async def test_identities_are_namespaced_by_platform_and_workspace(core: Core) -> None:
    await core.handle_line(person(), "/profile timezone:Europe/Paris")
    await core.handle_line(person(platform="discord"), "/profile timezone:Asia/Tokyo")
    await core.handle_line(person(workspace="w2"), "/profile timezone:America/Chicago")
    async with core.services.engine.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(members))).scalar_one()
        assert count == 3
        assert (await member_store.find(conn, person())).timezone == "Europe/Paris"  # type: ignore[union-attr]


def test_a_stamped_message_is_the_message_with_its_time_and_moderator_flag_only() -> None:
    """`stamped` spells out `dataclasses.replace` for speed; every other field must come through, and a
    field added later must be added there too (the field lists below fail until it is)."""
    at = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
    action = Action(person(), "ans:1:1:q:0123:", values=("A",), message_id="m1", delivery_id="slack:1")
    request = Request(person(), ("profile",), {"timezone": "UTC"}, delivery_id="slack:2")
    assert [f.name for f in dataclasses.fields(Action)] == [
        "identity", "action_id", "values", "now", "message_id", "delivery_id", "moderator",
    ]  # fmt: skip
    assert [f.name for f in dataclasses.fields(Request)] == [
        "identity", "command", "options", "now", "delivery_id", "moderator",
    ]  # fmt: skip
    for message in (action, request):
        assert message.stamped(at, True) == dataclasses.replace(message, now=at, moderator=True)
        assert message.stamped(at, False) == dataclasses.replace(message, now=at, moderator=False)
