"""Only real places are timezones (issue 19): the system's zoneinfo folder also holds `localtime` (this
machine's own zone), `posixrules` and `Factory`, which a tester set as profile and schedule zones. They
are refused where every typed timezone is checked, with the usual suggestion, and a name that looks
like a file path gets no suggestion at all."""

from __future__ import annotations

import zoneinfo

import pytest

from bot.clock import zone_names
from bot.commands.dispatch import Core
from bot.store import members as member_store
from bot.store.db import reading
from tests.conftest import person

MOD = person(moderator=True)
ADD = "/studyadmin schedule add channel:#study exam:SAA-C03 preset:weekdays-9am timezone:"


@pytest.mark.parametrize("name", ["localtime", "Factory", "posixrules", "LOCALTIME", "posix/Europe/Berlin"])
async def test_a_system_name_that_is_no_place_is_refused_for_profiles(core: Core, name: str) -> None:
    reply = await core.handle_line(person(), f"/profile timezone:{name}")
    assert reply.title == "That didn't work" and "is not a timezone I know" in reply.text, reply.text
    async with reading(core.services.engine) as conn:
        member = await member_store.find(conn, person())
    assert member is None or member.timezone is None


@pytest.mark.parametrize("name", ["localtime", "Factory", "posixrules"])
async def test_a_system_name_that_is_no_place_is_refused_for_schedules(core: Core, name: str) -> None:
    reply = await core.handle_line(MOD, ADD + name)
    assert reply.title == "That didn't work" and "is not a timezone I know" in reply.text, reply.text
    listed = await core.handle_line(MOD, "/studyadmin schedule list")
    assert "#1" not in listed.text


@pytest.mark.parametrize("name", ["/etc/localtime", "../../etc/passwd", "./Europe/Berlin", "~/zone"])
async def test_a_name_that_looks_like_a_path_gets_no_suggestion(core: Core, name: str) -> None:
    reply = await core.handle_line(person(), f"/profile timezone:{name}")
    assert reply.title == "That didn't work" and "Did you mean" not in reply.text, reply.text


async def test_real_zones_and_iana_links_are_still_accepted(core: Core) -> None:
    assert {"localtime", "Factory", "posixrules"}.isdisjoint(zone_names())
    assert {"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires"} <= zone_names()
    assert zone_names() <= zoneinfo.available_timezones()
    for name in ("UTC", "America/Argentina/Buenos_Aires", "europe/berlin"):
        assert (await core.handle_line(person(), f"/profile timezone:{name}")).text == "Saved.", name
    reply = await core.handle_line(person(), "/profile timezone:Europe/Berln")
    assert "Did you mean `Europe/Berlin`" in reply.text


@pytest.mark.parametrize("name", ["localtime", "Factory", "posixrules"])
def test_the_default_timezone_setting_refuses_them_too(name: str) -> None:
    from bot.errors import ConfigurationError
    from bot.settings import Settings

    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env({"STUDYBOT_DEFAULT_TIMEZONE": name}, env_file=None)
    assert "is not an IANA timezone name" in raised.value.problems[0]
