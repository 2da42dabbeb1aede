"""End to end: the real discord.py, connected to the fake Discord, answering through the real core."""

from __future__ import annotations

import asyncio
from typing import Any

from adapters.discord.client import DiscordAdapter
from adapters.discord.commands import command_payload, sync_commands
from adapters.discord.render import EPHEMERAL
from adapters.discord.respond import PUBLIC_AFTER_DEFER_NOTE
from bot.commands.options import coerce_options
from bot.commands.parse import parse_line
from bot.commands.spec import CommandSpec, OptionType, Permission
from bot.requests import Identity
from bot.runtime import Runtime
from bot.store import members
from tests.adapters.discord.conftest import close_adapter, open_adapter
from tests.adapters.discord.lab import Lab
from tests.adapters.discord.payloads import expected, sent
from tests.conftest import make_settings
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.observed import ObservedCore

NO_MENTIONS = {"parse": []}


def typed_options(spec: CommandSpec, raw: dict[str, str], fake: FakeDiscord) -> dict[str, Any]:
    """What the Discord client would send for a typed example line: values of the option's type."""
    out: dict[str, Any] = {}
    for name, text in raw.items():
        option = spec.option(name)
        assert option is not None, f"{spec.name} has no option {name}"
        match option.type:
            case OptionType.STRING if option.choices:
                # The client offers the choices by name and sends the value.
                out[name] = next(
                    c.value for c in option.choices if text.casefold() in (c.value.casefold(), c.name.casefold())
                )
            case OptionType.STRING:
                out[name] = text
            case OptionType.INTEGER:
                out[name] = int(text)
            case OptionType.NUMBER:
                out[name] = float(text)
            case OptionType.BOOLEAN:
                out[name] = text.casefold() in {"yes", "true", "y", "on", "1"}
            case OptionType.CHANNEL:
                channel = text.strip("<>#")
                out[name] = (
                    channel if channel in fake.guilds[fake.guild_id]["channels_by_name"] else fake.add_channel(channel)
                )
            case _:
                user = text.strip("<>@!")
                if user not in fake.users:
                    fake.add_user(user)
                out[name] = user
    return out


def resolved_id(fake: FakeDiscord, spec: CommandSpec, name: str, text: str) -> str:
    """A typed line names channels and members; Discord sends their ids. The id, for comparing."""
    option = spec.option(name)
    assert option is not None
    if option.type is OptionType.CHANNEL:
        return str(fake.guilds[fake.guild_id]["channels_by_name"][text.strip("<>#")])
    if option.type in (OptionType.USER, OptionType.MENTIONABLE):
        return str(fake.users[text.strip("<>@!")].id)
    return text


async def delivered(fake: FakeDiscord, interaction: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """The `count` message bodies a member ends up seeing for `interaction`, in order."""
    callback = await fake.wait_for_callback(interaction)
    if callback.json["type"] in (4, 7):
        bodies = [callback.json["data"]]
    else:
        bodies = [(await fake.wait_for_webhook(interaction, "PATCH")).json]
    follow_up = f"/webhooks/{fake.app_id}/{interaction['token']}"
    index = fake.requests.index(callback)
    while len(bodies) < count:
        request = await fake.wait_for(lambda r: r.method == "POST" and r.path == follow_up, after=index + 1)
        index = fake.requests.index(request)
        bodies.append(request.json)
    return bodies


# -- sync ----------------------------------------------------------------------------------------


async def test_sync_registers_exactly_the_dry_run_payload(runtime: Runtime, fake: FakeDiscord) -> None:
    results = await sync_commands(fake.token, runtime.core.registry)
    put = await fake.wait_for(lambda r: r.method == "PUT")
    assert put.path == f"/applications/{fake.app_id}/commands"
    assert put.json == command_payload(runtime.core.registry)
    assert [r.names for r in results] == [tuple(c["name"] for c in put.json)]
    assert {c["name"] for c in fake.global_commands} == set(runtime.core.registry.top_level())


async def test_sync_to_a_guild_puts_the_same_payload_there(runtime: Runtime, fake: FakeDiscord) -> None:
    await sync_commands(fake.token, runtime.core.registry, [fake.guild_id])
    put = await fake.wait_for(lambda r: r.method == "PUT")
    assert put.path == f"/applications/{fake.app_id}/guilds/{fake.guild_id}/commands"
    assert put.json == command_payload(runtime.core.registry)
    assert fake.global_commands == []


async def test_start_does_not_sync(runtime: Runtime, fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    puts = [r for r in fake.requests if r.method == "PUT"]
    assert len(puts) == 1  # the `synced` fixture's, none from the adapter
    assert any(r.method == "GET" and r.path.endswith("/commands") for r in fake.requests)


# -- every declared command ---------------------------------------------------------------------


async def test_every_example_of_every_command_gets_its_rendered_reply(
    runtime: Runtime, fake: FakeDiscord, adapter: DiscordAdapter, spy: ObservedCore
) -> None:
    registry = runtime.core.registry
    cases = [(spec, example) for spec in registry for example in spec.examples]
    assert len(cases) >= len(list(registry)), "every command should declare at least one example"
    latencies: list[float] = []
    for spec, example in cases:
        parsed = parse_line(example, registry)
        options = typed_options(spec, parsed.options, fake)
        user = "mod" if spec.permission is Permission.MODERATOR else "ada"
        before = len(spy.exchanges)
        interaction = await fake.slash(spec.name, options, user=user)
        callback = await fake.wait_for_callback(interaction)
        latencies.append(callback.at - fake.dispatch_times[int(interaction["id"])])
        request, reply = spy.exchanges[before]
        # Discord's typed values mean the same to the core as the typed line does.
        assert request.command == spec.path, example
        typed_line = {k: resolved_id(fake, spec, k, v) for k, v in parsed.options.items()}
        assert coerce_options(spec, request.options) == coerce_options(spec, typed_line), example
        want = expected(reply)
        bodies = await delivered(fake, interaction, len(want))
        if callback.json["type"] == 4:
            assert [sent(b) for b in bodies] == want, example
            assert bool(callback.json["data"].get("flags", 0) & EPHEMERAL) == reply.ephemeral, example
        else:
            assert callback.json["type"] == 5 and spec.slow, f"{example} was deferred without being slow"
        for body in bodies:
            assert body["allowed_mentions"] == NO_MENTIONS, example
    print(
        f"\n{len(cases)} examples; dispatch→callback max {max(latencies) * 1000:.1f} ms, "
        f"median {sorted(latencies)[len(latencies) // 2] * 1000:.1f} ms"
    )
    assert max(latencies) < 2.5, "answers must arrive well inside Discord's 3 s"


async def test_lab_example_with_every_option_type(lab: tuple[DiscordAdapter, Lab], fake: FakeDiscord) -> None:
    _, state = lab
    options = {
        "count": 3,
        "ratio": 0.5,
        "flag": True,
        "where": "study",
        "who": "grace",
        "whom": "Moderators",
        "size": "l",
    }
    interaction = await fake.slash("labadmin every", options, user="mod")
    callback = await fake.wait_for_callback(interaction)
    assert callback.json["type"] == 4
    name, options = state.calls[-1]
    assert name == "labadmin every"
    assert options == {
        "count": 3,
        "ratio": 0.5,
        "flag": True,
        "where": str(fake.channel_id),
        "who": str(fake.users["grace"].id),
        "whom": str(fake.moderator_role),
        "size": "l",
    }


# -- buttons and selects -------------------------------------------------------------------------------


async def test_keep_my_data_round_trips_through_the_core(
    fake: FakeDiscord, adapter: DiscordAdapter, spy: ObservedCore
) -> None:
    interaction = await fake.slash("profile", {"action": "delete"})
    callback = await fake.wait_for_callback(interaction)
    message = fake.message_of(callback)
    assert message["flags"] & EPHEMERAL
    keep = next(c for c in message["components"][0]["components"] if c["label"] == "Keep my data")

    press = await fake.press(message["id"], keep["custom_id"])
    answer = await fake.wait_for_callback(press)
    action, reply = spy.exchanges[-1]
    assert action.action_id == keep["custom_id"]  # type: ignore[union-attr]
    assert answer.json["type"] == 7  # Reply.replace edits the message the button is on
    assert sent(answer.json["data"]) == {k: v for k, v in expected(reply)[0].items() if k != "flags"}
    assert fake.messages[int(message["id"])]["components"] == []
    assert "Nothing was deleted" in fake.messages[int(message["id"])]["content"]


async def test_select_values_reach_the_core(
    lab: tuple[DiscordAdapter, Lab], fake: FakeDiscord, spy: ObservedCore
) -> None:
    interaction = await fake.slash("labmenu")
    message = fake.message_of(await fake.wait_for_callback(interaction))
    select = message["components"][0]["components"][0]
    assert (select["type"], select["min_values"], select["max_values"]) == (3, 2, 2)
    press = await fake.press(message["id"], select["custom_id"], values=["B", "D"])
    answer = await fake.wait_for_callback(press)
    action, _ = spy.exchanges[-1]
    assert action.values == ("B", "D")  # type: ignore[union-attr]
    assert answer.json["data"]["content"] == "You picked B, D."


async def test_unknown_and_stale_presses_get_an_ephemeral_explanation(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    old = fake._new_message(
        fake.channel_id,
        {
            "content": "from an old version",
            "components": [
                {
                    "type": 1,
                    "components": [
                        {"type": 2, "style": 2, "label": "Legacy", "custom_id": "legacy_button"},
                        {"type": 2, "style": 2, "label": "Gone", "custom_id": "removed-kind:1:x"},
                    ],
                }
            ],
        },
    )
    for custom_id, words in (("legacy_button", "not one of mine"), ("removed-kind:1:x", "no longer does anything")):
        press = await fake.press(old["id"], custom_id)
        answer = await fake.wait_for_callback(press)
        assert answer.json["type"] == 4
        assert answer.json["data"]["flags"] & EPHEMERAL
        assert words in answer.json["data"]["embeds"][0]["description"]


async def test_buttons_keep_working_after_a_restart(
    runtime: Runtime, fake: FakeDiscord, synced: None, sqlite_url: str, clock: Any, catalog: Any
) -> None:
    first = await open_adapter(runtime, fake)
    try:
        await fake.wait_for_callback(await fake.slash("profile", {"timezone": "Europe/Berlin"}))
        callback = await fake.wait_for_callback(await fake.slash("profile", {"action": "delete"}))
        message = fake.message_of(callback)
    finally:
        await close_adapter(fake, first)
    delete = next(c for c in message["components"][0]["components"] if c["label"] == "Delete everything")

    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=catalog) as restarted:
        second = await open_adapter(restarted, fake)
        try:
            answer = await fake.wait_for_callback(await fake.press(message["id"], delete["custom_id"]))
        finally:
            await close_adapter(fake, second)
        assert answer.json["type"] == 7
        assert answer.json["data"]["embeds"][0]["title"] == "Deleted"
        assert "is deleted" in answer.json["data"]["embeds"][0]["description"]
        ada = Identity("discord", str(fake.guild_id), str(fake.channel_id), str(fake.users["ada"].id), "Ada")
        async with restarted.services.engine.connect() as conn:
            assert await members.find(conn, ada) is None


# -- permissions ---------------------------------------------------------------------------------------


async def test_a_member_calling_a_moderator_command_is_refused_and_nothing_runs(
    lab: tuple[DiscordAdapter, Lab], fake: FakeDiscord, runtime: Runtime
) -> None:
    _, state = lab
    payload = {c["name"]: c for c in command_payload(runtime.core.registry)}
    assert payload["labmod"]["default_member_permissions"] == 32  # Manage Server, only a default
    assert payload["labadmin"]["default_member_permissions"] == 32
    for command, options in (("labmod", {}), ("labadmin every", {"count": 2})):
        answer = await fake.wait_for_callback(await fake.slash(command, options, user="ada"))
        data = answer.json["data"]
        assert data["flags"] & EPHEMERAL
        assert "Only moderators" in data["embeds"][0]["description"]
    assert state.calls == []
    answer = await fake.wait_for_callback(await fake.slash("labmod", user="mod"))
    assert answer.json["data"]["embeds"][0]["title"] == "echo"
    assert state.calls == [("labmod", {})]


# -- the 3-second rule ---------------------------------------------------------------------------------


async def test_a_slow_command_defers_privately_then_edits(lab: tuple[DiscordAdapter, Lab], fake: FakeDiscord) -> None:
    _, state = lab
    interaction = await fake.slash("labslow")
    callback = await fake.wait_for_callback(interaction)
    assert callback.json == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert not state.gate.is_set()  # deferred before the core answered
    state.gate.set()
    edit = await fake.wait_for_webhook(interaction, "PATCH")
    assert edit.path.endswith("/messages/@original")
    assert edit.json["embeds"][0]["title"] == "waited"
    assert edit.json["allowed_mentions"] == NO_MENTIONS


async def test_a_public_reply_after_deferring_is_posted_publicly(
    lab: tuple[DiscordAdapter, Lab], fake: FakeDiscord
) -> None:
    _, state = lab
    interaction = await fake.slash("labslow", {"public": True})
    await fake.wait_for_callback(interaction)
    state.gate.set()
    note = await fake.wait_for_webhook(interaction, "PATCH")
    assert note.json["content"] == PUBLIC_AFTER_DEFER_NOTE
    follow = await fake.wait_for_webhook(interaction, "POST")
    posted = fake.messages[max(fake.messages)]
    assert follow.json["embeds"][0]["title"] == "waited"
    assert not posted["flags"] & EPHEMERAL  # a new public message, not the private deferred one


async def test_a_command_that_takes_too_long_is_deferred_as_a_safety_net(
    lab: tuple[DiscordAdapter, Lab], fake: FakeDiscord
) -> None:
    _, state = lab
    interaction = await fake.slash("labwait")
    await asyncio.wait_for(state.deadline.waiting.wait(), 5)
    assert state.deadline.asked == [0.3]  # the adapter waits defer_after for the answer …
    assert fake.callbacks_for(interaction) == []  # … and says nothing to Discord meanwhile
    state.deadline.pass_now()
    callback = await fake.wait_for_callback(interaction)
    assert callback.json["type"] == 5
    state.gate.set()
    edit = await fake.wait_for_webhook(interaction, "PATCH")
    assert edit.json["embeds"][0]["description"] == "the answer, at last"


async def test_a_long_reply_continues_in_follow_ups(
    lab: tuple[DiscordAdapter, Lab], fake: FakeDiscord, spy: ObservedCore
) -> None:
    interaction = await fake.slash("lablong")
    await fake.wait_for_callback(interaction)
    _, reply = spy.exchanges[-1]
    want = expected(reply)
    assert len(want) > 1
    bodies = await delivered(fake, interaction, len(want))
    assert [sent(b) for b in bodies] == want
    assert "components" in bodies[-1] and bodies[-1]["components"]


# -- autocomplete -------------------------------------------------------------------------------------


async def test_autocomplete_offers_exam_codes(runtime: Runtime, fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    spec, option = next((s, o) for s in runtime.core.registry for o in s.options if o.choices_source == "exam_codes")
    interaction = await fake.autocomplete(spec.name, option.name, "saa")
    callback = await fake.wait_for_callback(interaction)
    assert callback.json["type"] == 8
    choices = callback.json["data"]["choices"]
    assert choices and all("SAA" in c["value"] for c in choices)
    everything = await fake.wait_for_callback(await fake.autocomplete(spec.name, option.name, ""))
    assert 1 < len(everything.json["data"]["choices"]) <= 25
