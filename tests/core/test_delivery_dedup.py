"""A platform delivery id is handled once per platform and workspace, by every process on the database.

The ledger is the dispatcher's (`bot/commands/dispatch.py`), stored in `claims`: two runtimes on one
database stand for two workers behind a load balancer, or a worker before and after a restart.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import func, select

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.commands.dispatch import DELIVERY_MEMORY, PRUNE_EVERY, DeliveryLedger
from bot.commands.spec import CommandSpec
from bot.replies import Reply
from bot.requests import Action, Request
from bot.runtime import Runtime
from bot.services import Services
from bot.store.claims import claim
from bot.store.schema import claims
from tests.conftest import START, make_settings, person


class Effects:
    """A test command that counts what it did, so a duplicate's missing effect can be seen."""

    def __init__(self) -> None:
        self.runs: list[str] = []

    async def bump(self, req: Request, opts: object, svc: Services) -> Reply:
        self.runs.append(req.identity.workspace)
        await asyncio.sleep(0)  # let other requests in the same burst interleave
        return Reply(text="bumped")

    def install(self, rt: Runtime) -> None:
        rt.core.registry.command(CommandSpec(("dedup-test-bump",), "Test only: counts its runs", self.bump))


@pytest.fixture
async def workers(database_url: str, catalog: Catalog) -> AsyncIterator[tuple[Runtime, Runtime, FixedClock]]:
    """Two runtimes (two engines, two pools) on one database, sharing one clock."""
    clock = FixedClock(START)
    async with AsyncExitStack() as stack:
        a = await stack.enter_async_context(Runtime(make_settings(database_url), clock=clock, catalog=catalog))
        b = await stack.enter_async_context(Runtime(make_settings(database_url), clock=clock, catalog=catalog))
        yield a, b, clock


def bump(delivery_id: str | None, workspace: str = "w1") -> Request:
    return Request(person(workspace=workspace), ("dedup-test-bump",), {}, delivery_id=delivery_id)


async def delivery_claims(rt: Runtime) -> set[str]:
    async with rt.services.engine.connect() as conn:
        rows = await conn.execute(select(claims.c.key).where(claims.c.key.like("delivery:%")))
        return set(rows.scalars())


async def test_a_delivery_runs_once_on_whichever_worker_gets_it_first(
    workers: tuple[Runtime, Runtime, FixedClock],
) -> None:
    a, b, _clock = workers
    effects = Effects()
    effects.install(a)
    effects.install(b)
    first = await a.core.handle(bump("slack:111.222.abc"))
    assert first.text == "bumped" and not first.duplicate
    again = await b.core.handle(bump("slack:111.222.abc"))  # a retry that the balancer sent elsewhere
    assert again.duplicate and again.text == ""
    assert effects.runs == ["w1"]
    # The same id in another workspace is another delivery; no id at all is never deduplicated.
    assert not (await b.core.handle(bump("slack:111.222.abc", workspace="w2"))).duplicate
    assert not (await b.core.handle(bump(None))).duplicate
    assert not (await a.core.handle(bump(None))).duplicate
    assert effects.runs == ["w1", "w2", "w1", "w1"]


async def test_a_press_and_a_mistyped_line_are_answered_once(workers: tuple[Runtime, Runtime, FixedClock]) -> None:
    a, b, _clock = workers
    press = Action(person(), "garbage", delivery_id="slack:9.9.t:1700000000.1")
    refused = await a.core.handle(press)
    assert refused.title == "That didn't work" and not refused.duplicate
    assert (await b.core.handle(press)).duplicate
    # A line that does not parse never becomes a request; its repeat still gets no second error.
    wrong = await a.core.handle_line(person(), "/profile tz:UTC", delivery_id="slack:8.8.t")
    assert wrong.title == "That didn't work"
    assert (await b.core.handle_line(person(), "/profile tz:UTC", delivery_id="slack:8.8.t")).duplicate
    assert (await a.core.handle_line(person(), "/profile tz:UTC")).title == "That didn't work"


async def test_a_burst_shares_a_few_claim_transactions_and_a_repeat_in_it_wins_once(
    workers: tuple[Runtime, Runtime, FixedClock],
) -> None:
    a, b, _clock = workers
    effects = Effects()
    effects.install(a)
    effects.install(b)
    distinct = [bump(f"slack:t{n}") for n in range(200)]
    repeated = [bump("slack:twice")] * 20
    batches = a.core.deliveries.batches + b.core.deliveries.batches
    replies = await asyncio.gather(
        *(a.core.handle(r) for r in distinct), *(rt.core.handle(r) for r in repeated for rt in (a, b))
    )
    assert [r.duplicate for r in replies[:200]] == [False] * 200
    assert sum(not r.duplicate for r in replies[200:]) == 1
    assert len(effects.runs) == 201
    used = a.core.deliveries.batches + b.core.deliveries.batches - batches
    assert 2 <= used <= 10, used  # one per process at least; never one per request
    assert len(await delivery_claims(a)) == 201


async def test_expired_ids_are_forgotten_and_nothing_else_is(workers: tuple[Runtime, Runtime, FixedClock]) -> None:
    a, _b, clock = workers
    await a.core.handle(bump("slack:old"))
    async with a.services.engine.begin() as conn:
        await claim(conn, "reminder:keep-me", START)  # someone else's claim, as old as the delivery
    clock.advance(DELIVERY_MEMORY - PRUNE_EVERY)
    await a.core.handle(bump("slack:recent"))
    clock.advance(2 * PRUNE_EVERY)  # "old" is past its memory now; "recent" is not
    await a.core.handle(bump("slack:new"))
    await a.core.deliveries.settled()  # pruning follows the batch's answers
    keys = await delivery_claims(a)
    old, recent, new = (DeliveryLedger.key("console", "w1", f"slack:{n}") for n in ("old", "recent", "new"))
    assert old not in keys and keys == {recent, new}
    async with a.services.engine.connect() as conn:
        others = (await conn.execute(select(func.count()).where(claims.c.key == "reminder:keep-me"))).scalar_one()
    assert others == 1


async def test_pruning_runs_in_short_chunks(workers: tuple[Runtime, Runtime, FixedClock]) -> None:
    a, _b, clock = workers
    await asyncio.gather(*(a.core.handle(bump(f"slack:many{n}")) for n in range(4_500)))
    assert len(await delivery_claims(a)) == 4_500
    clock.advance(DELIVERY_MEMORY + PRUNE_EVERY)
    await a.core.handle(bump("slack:after"))
    await a.core.deliveries.settled()
    assert await delivery_claims(a) == {DeliveryLedger.key("console", "w1", "slack:after")}


async def test_an_id_too_long_for_the_column_is_hashed_whole(workers: tuple[Runtime, Runtime, FixedClock]) -> None:
    a, b, _clock = workers
    stem = "slack:" + "x" * 190  # within the 200 a delivery id may have; the key adds platform and workspace
    assert not (await a.core.handle(bump(stem + "1"))).duplicate
    assert not (await a.core.handle(bump(stem + "2"))).duplicate  # cut at 200 characters, these would collide
    assert (await b.core.handle(bump(stem + "1"))).duplicate
    assert all(len(k) <= 200 for k in await delivery_claims(a))


async def test_a_store_failure_is_an_internal_error_and_runs_nothing(
    workers: tuple[Runtime, Runtime, FixedClock], caplog: pytest.LogCaptureFixture
) -> None:
    a, _b, _clock = workers
    effects = Effects()
    effects.install(a)
    async with a.services.engine.begin() as conn:
        await conn.execute(claims.delete())
        await conn.exec_driver_sql("ALTER TABLE claims RENAME TO claims_gone")
    try:
        reply = await a.core.handle(bump("slack:lost"))
        assert reply.title == "Something went wrong" and "Reference" in reply.text
        assert effects.runs == []
    finally:
        async with a.services.engine.begin() as conn:
            await conn.exec_driver_sql("ALTER TABLE claims_gone RENAME TO claims")
    # The ledger recovers: the next delivery (and the one that failed) are handled.
    assert not (await a.core.handle(bump("slack:lost"))).duplicate
    assert effects.runs == ["w1"]


async def test_an_unreachable_store_fails_every_waiter_of_the_batch(
    workers: tuple[Runtime, Runtime, FixedClock],
) -> None:
    a, _b, _clock = workers
    ledger = a.core.deliveries
    async with a.services.engine.begin() as conn:
        await conn.exec_driver_sql("ALTER TABLE claims RENAME TO claims_gone")
    try:
        results = await asyncio.gather(
            *(ledger.first("console", "w1", f"x{n}", START) for n in range(5)), return_exceptions=True
        )
        assert all(isinstance(r, Exception) for r in results), results
    finally:
        async with a.services.engine.begin() as conn:
            await conn.exec_driver_sql("ALTER TABLE claims_gone RENAME TO claims")
    assert await ledger.first("console", "w1", "x0", START)


async def test_same_id_elsewhere_is_not_a_duplicate(workers: tuple[Runtime, Runtime, FixedClock]) -> None:
    a, _b, _clock = workers
    press = Action(person(), "garbage", delivery_id="d-1")
    assert not (await a.core.handle(press)).duplicate
    other_platform = dataclasses.replace(press, identity=person(platform="discord"))
    assert not (await a.core.handle(other_platform)).duplicate
