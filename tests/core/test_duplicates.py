"""A platform delivery (a Slack trigger, a retried event) is handled once per workspace, across restarts."""

from __future__ import annotations

import dataclasses

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.requests import Request
from bot.runtime import Runtime
from tests.conftest import START, make_settings, person


async def test_a_delivery_is_handled_once_across_restarts(sqlite_url: str, catalog: Catalog) -> None:
    ada = person()
    request = Request(ada, ("profile",), {"timezone": "Europe/Berlin"}, delivery_id="slack:T1")
    async with Runtime(make_settings(sqlite_url), clock=FixedClock(START), catalog=catalog) as rt:
        first = await rt.core.handle(request)
        assert not first.duplicate and first.text == "Saved."
        assert (await rt.core.handle(request)).duplicate
    async with Runtime(make_settings(sqlite_url), clock=FixedClock(START), catalog=catalog) as rt:
        assert (await rt.core.handle(request)).duplicate  # a replay after a restart is refused too
        elsewhere = dataclasses.replace(request, identity=dataclasses.replace(ada, workspace="w2"))
        assert not (await rt.core.handle(elsewhere)).duplicate  # ids are only unique per workspace
        plain = dataclasses.replace(request, delivery_id=None)
        assert not (await rt.core.handle(plain)).duplicate
