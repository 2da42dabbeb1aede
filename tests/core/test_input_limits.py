"""Input limits (issue 14): every id, name and text a member types or a platform sends is bounded by what
the store holds. Each bad input gets a friendly reply and changes nothing; none is an internal error."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect, select

from bot.commands.dispatch import Core
from bot.commands.spec import OptionType
from bot.replies import Reply
from bot.requests import Action, Identity, Request
from bot.store.schema import members, metadata
from tests.conftest import person

MODERATOR = person("mo", moderator=True)
REFUSED = "That didn't work"
SURROGATE = "\ud800"  # half of a UTF-16 pair: a Python string and JSON allow it, UTF-8 cannot encode it


async def stored(core: Core) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that a refused input changed nothing."""
    async with core.services.engine.connect() as conn:
        names = set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))
        tables = [t for t in metadata.sorted_tables if t.name in names]
        return {t.name: [tuple(r) for r in await conn.execute(select(t))] for t in tables}


def friendly(reply: Reply) -> str:
    assert reply.title == REFUSED, (reply.title, reply.text)
    assert "Reference" not in reply.text and "Something went wrong" not in reply.text
    assert SURROGATE not in reply.text and "\x00" not in reply.text  # the reply itself must render anywhere
    return reply.text


async def refused_unchanged(core: Core, line: str, identity: Identity = MODERATOR) -> str:
    before = await stored(core)
    text = friendly(await core.handle_line(identity, line))
    assert await stored(core) == before, line[:80]
    return text


SCHEDULE = "/studyadmin schedule add exam:saa preset:daily-9am channel:"


@pytest.mark.parametrize(
    ("channel", "says"),
    [
        ("<#99999999999999999999999>", "is not a channel id"),  # 23 digits: above any snowflake
        ("<#18446744073709551616>", "is not a channel id"),  # 2^64
        ("99999999999999999999999", "is not a channel id"),
        ("x" * 65, "65 characters long; a channel name or id has at most 64"),
        ("<#C" + "9" * 70 + ">", "71 characters long"),
    ],
)
async def test_a_channel_the_store_cannot_hold_is_refused(core: Core, channel: str, says: str) -> None:
    assert says in await refused_unchanged(core, SCHEDULE + channel)


async def test_the_largest_ids_and_longest_names_that_fit_are_taken(core: Core) -> None:
    for channel in ("<#18446744073709551615>", "y" * 64):  # 2^64 - 1, and a 64-character name
        assert (await core.handle_line(MODERATOR, SCHEDULE + channel)).title == "Schedule added", channel
    reply = await core.handle_line(MODERATOR, "/studyadmin moderators add who:" + "u" * 64)
    assert reply.title == "Moderators"


@pytest.mark.parametrize(
    "who",
    ["<@99999999999999999999999>", "<@&" + "9" * 80 + ">", "<@!18446744073709551616>", "u" * 65, "@" + "v" * 99],
)
async def test_a_member_or_role_the_store_cannot_hold_is_refused(core: Core, who: str) -> None:
    text = await refused_unchanged(core, "/studyadmin moderators add who:" + who)
    assert "`who` of `/studyadmin moderators add`" in text


@pytest.mark.parametrize("number", ["2147483648", "9223372036854775808", "99999999999999999999"])
async def test_a_whole_number_beyond_the_store_is_refused(core: Core, number: str) -> None:
    text = await refused_unchanged(core, f"/studyadmin schedule pause id:{number}")
    assert "`id` of `/studyadmin schedule pause` must be" in text
    assert "2,147,483,64" in text


async def test_a_typed_number_from_discord_beyond_the_store_is_refused(core: Core) -> None:
    """Discord sends typed integers; they meet the same bound as typed text."""
    before = await stored(core)
    for number in (2**31, 2**63, 2**64):
        reply = await core.handle(Request(MODERATOR, ("studyadmin", "schedule", "remove"), {"id": number}))
        assert "must be at most 2,147,483,647" in friendly(reply)
    assert await stored(core) == before


@pytest.mark.parametrize(
    "line",
    [
        f"/ask what is {SURROGATE} saa",
        f"/cert sa{SURROGATE}a",
        f"/profile timezone:Europe/{SURROGATE}",
        f"/practice exam:saa domain:{SURROGATE}",
        f"/studyadmin schedule add exam:saa preset:daily-9am channel:study domain:{SURROGATE}",
        f"/studyadmin bank import text:exam: SAA-C03 {SURROGATE}",
        f"/{SURROGATE}",
    ],
)
async def test_a_lone_surrogate_in_a_typed_line_is_refused(core: Core, line: str) -> None:
    assert "a broken character" in await refused_unchanged(core, line)


@pytest.mark.parametrize(
    "line",
    [
        "/ask hello\x00world",
        "/cert sa\x00a",
        "/studyadmin moderators add who:a\x00b",
        "/studyadmin bank import text:exam: SAA-C03\x00",
    ],
)
async def test_a_nul_byte_in_a_typed_line_is_refused(core: Core, line: str) -> None:
    assert "a NUL character at position" in await refused_unchanged(core, line)


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (
            {"question": f"what is {SURROGATE}"},
            "`question` of `/ask` contains a broken character (half of an emoji or symbol) at position 9",
        ),
        ({"question": "what\x00"}, "`question` of `/ask` contains a NUL character at position 5"),
        ({"question": "x" * 501}, "`question` of `/ask` is 501 characters; at most 500 fit"),
    ],
)
async def test_typed_option_values_from_discord_are_bounded_too(
    core: Core, options: dict[str, object], says: str
) -> None:
    before = await stored(core)
    reply = await core.handle(Request(person(), ("ask",), options))
    assert says in friendly(reply)
    assert await stored(core) == before


async def test_an_over_long_option_value_is_refused(core: Core) -> None:
    assert "at most 100 fit" in await refused_unchanged(core, f'{SCHEDULE}study cron:"{"0 " * 60}"')
    assert "at most 500 fit" in await refused_unchanged(core, "/ask " + "why " * 200)


async def test_a_1500_deep_bank_import_typed_in_a_line_is_a_friendly_error(core: Core) -> None:
    text = await refused_unchanged(core, "/studyadmin bank import text:" + "[" * 1500 + "]" * 1500)
    assert "Nothing was imported" in text and "nested more than" in text


@pytest.mark.parametrize(
    "bank",
    [
        "[" * 1500 + "]" * 1500,
        "{a:" * 1400 + "b" + "}" * 1400,
        "exam: SAA-C03\nquestions: " + "[" * 1500 + "]" * 1500,
        "- " * 1500 + "x",  # block sequences nest on one line too
        "exam: SAA-C03\nquestions:\n" + "".join("  " * depth + "- \n" for depth in range(60)),
    ],
)
async def test_a_deeply_nested_bank_import_is_a_friendly_error(core: Core, bank: str) -> None:
    before = await stored(core)
    reply = await core.handle(Request(MODERATOR, ("studyadmin", "bank", "import"), {"text": bank}))
    text = friendly(reply)
    assert "Nothing was imported" in text and "nested more than" in text
    assert await stored(core) == before


@pytest.mark.parametrize(
    ("identity", "says"),
    [
        (Identity("discord", "1" * 65, "c1", "ada", "Ada"), "This workspace's id is 65 characters long"),
        (Identity("discord", "w1", "9" * 100, "ada", "Ada"), "This channel's id is 100 characters long"),
        (Identity("console", "w1", "c1", "a" * 70, "a" * 70), "This user's id is 70 characters long"),
        (Identity("slack", "T1", "C1", f"U{SURROGATE}", "Ada"), "This user's id contains a broken character"),
        (Identity("slack", "T1", "C\x00", "U1", "Ada"), "This channel's id contains a NUL character"),
    ],
)
async def test_an_identity_the_store_cannot_hold_is_refused_before_anything_runs(
    core: Core, identity: Identity, says: str
) -> None:
    before = await stored(core)
    for reply in (
        await core.handle_line(identity, "/profile timezone:UTC"),
        await core.handle(Request(identity, ("profile",), {"timezone": "UTC"})),
        await core.handle(Action(identity, "practice:1:a")),
    ):
        assert says in friendly(reply)
    assert await stored(core) == before


async def test_display_names_are_mended_not_refused(core: Core) -> None:
    """A display name is only shown: a long one is cut to what the store holds, a broken character
    replaced, and the member is served; a role no moderator could be configured as is dropped."""
    long_name = Identity("discord", "w1", "c1", "u1", "n" * 300, roles=("r" * 101, "42", f"r{SURROGATE}"))
    broken = Identity("discord", "w1", "c1", "u2", f"Ada {SURROGATE}\x00")
    assert long_name.roles == ("42",)
    for identity in (long_name, broken):
        reply = await core.handle_line(identity, "/profile timezone:UTC")
        assert reply.text == "Saved.", reply.text
    async with core.services.engine.connect() as conn:
        names = dict((await conn.execute(select(members.c.user_id, members.c.display_name))).all())
    assert names == {"u1": "n" * 199 + "…", "u2": "Ada \ufffd\ufffd"}


@pytest.mark.parametrize(
    ("action", "says"),
    [
        (Action(person(), "x" * 256), "The button is 256 characters long"),
        (Action(person(), f"practice:{SURROGATE}"), "The button contains a broken character"),
        (Action(person(), "practice:1:a", values=("v" * 151,)), "The choice is 151 characters long"),
        (Action(person(), "practice:1:a", values=("1",) * 26), "carries 26 choices"),
        (Action(person(), "practice:1:a", message_id="m" * 101), "The message id is 101 characters long"),
        (Action(person(), "practice:1:a", delivery_id=f"d{SURROGATE}"), "The delivery id contains a broken"),
        (Action(person(), "practice:1:a", message_id="m\x00"), "The message id contains a NUL character"),
        (Action(person(), "practice:1:a", values=("1", f"2{SURROGATE}")), "The choice contains a broken"),
        (Action(person(channel="c" * 65), "practice:1:a"), "This channel's id is 65 characters long"),
        (Action(person(user=f"u{SURROGATE}"), "practice:1:a"), "This user's id contains a broken"),
        # Forged presses naming a row id no table holds: gp/gps/mk-end were internal errors (an int too big for SQLite).
        (Action(person(), "gp:1:" + "9" * 30), "carries a number larger than any I store"),
        (Action(person(), "gps:1:9223372036854775808:1"), "carries a number larger than any I store"),
        (Action(person(), "mk-end:1:" + "9" * 25), "carries a number larger than any I store"),
    ],
)
async def test_a_press_the_store_cannot_hold_is_refused(core: Core, action: Action, says: str) -> None:
    before = await stored(core)
    assert says in friendly(await core.handle(action))
    assert await stored(core) == before


@pytest.mark.parametrize("date", ["2026-02-30", "0000-01-01", "2027-13-01"])
async def test_an_impossible_date_in_a_bank_import_is_a_friendly_error(core: Core, date: str) -> None:
    bank = f"exam: SAA-C03\nquestions:\n- id: team-1\n  checked: {date}\n"
    before = await stored(core)
    reply = await core.handle(Request(MODERATOR, ("studyadmin", "bank", "import"), {"text": bank}))
    text = friendly(reply)
    assert "Nothing was imported" in text and "line 4" in text
    assert await stored(core) == before


NASTY = (
    "9" * 25,
    "-" + "9" * 25,
    "2147483648",
    "x" * 7000,
    SURROGATE,
    "a\x00b",
    "<#99999999999999999999999>",
    "<@&" + "9" * 70 + ">",
    "1e400",
    "nan",
    "<@!>",
    "2026-02-30",
    "0000-01-01",
    "🙂" * 30,
    "'; DROP TABLE members; --",
)


async def test_no_option_of_any_command_gives_an_internal_error(core: Core) -> None:
    """Every option of every command, each given each of these values (the others valid), as Discord
    would send them: a reply every time, never "Something went wrong"."""
    moderator = Identity("discord", "w1", "c1", "mo", "Mo", is_moderator=True)
    added = await core.handle_line(moderator, "/studyadmin schedule add exam:saa preset:daily-9am channel:study")
    assert added.title == "Schedule added"
    fill = {"exam": "saa", "id": "1", "date": "2027-01-01", "who": "@bob", "channel": "study", "text": "x"}
    broken = []
    for path, spec in list(core.registry.commands.items()):
        for option in spec.options:
            if option.type is OptionType.FILE:
                continue  # uploads are bytes, bounded in tests/core/test_bank_import_files.py
            others = {o.name: fill.get(o.name, "x") for o in spec.options if o.required and o.name != option.name}
            for value in NASTY:
                reply = await core.handle(Request(moderator, path, {**others, option.name: value}))
                if reply.title == "Something went wrong":
                    broken.append((" ".join(path), option.name, ascii(value[:30])))
    assert broken == []
