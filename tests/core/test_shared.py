"""`bot.shared.Shared`: one read in flight that a burst of callers waits for, with `asyncio.shield`'s
guarantees (issue 13: it replaced a shield per waiting press)."""

from __future__ import annotations

import asyncio

import pytest

from bot.shared import Shared


async def _settled(*futures: asyncio.Future[int]) -> None:
    """Let the loop run the callbacks that settle `futures` (no timers involved)."""
    await asyncio.wait(futures)


async def test_every_waiter_gets_the_one_result_and_a_cancelled_waiter_cancels_only_itself() -> None:
    loop = asyncio.get_running_loop()
    read: asyncio.Future[int] = loop.create_future()
    shared = Shared(read)
    waiters = [asyncio.ensure_future(_await(shared)) for _ in range(3)]
    await _started(waiters)
    waiters[0].cancel()
    await asyncio.wait([waiters[0]])
    assert waiters[0].cancelled()
    assert not read.done()  # the read goes on for the others
    read.set_result(7)
    await _settled(*waiters[1:])
    assert [w.result() for w in waiters[1:]] == [7, 7]
    assert shared.wait() is read  # once done, a caller awaits the read itself: nothing left to cancel
    assert await shared.wait() == 7


async def test_a_failed_or_cancelled_read_reaches_every_waiter() -> None:
    loop = asyncio.get_running_loop()
    failing: asyncio.Future[int] = loop.create_future()
    cancelled: asyncio.Future[int] = loop.create_future()
    first, second = Shared(failing), Shared(cancelled)
    failed = [asyncio.ensure_future(_await(first)) for _ in range(2)]
    gone = [asyncio.ensure_future(_await(second)) for _ in range(2)]
    await _started(failed + gone)
    failing.set_exception(LookupError("the store is away"))
    cancelled.cancel()
    await _settled(*failed, *gone)
    for waiter in failed:
        with pytest.raises(LookupError, match="the store is away"):
            waiter.result()
    assert all(w.cancelled() for w in gone)


async def _await(shared: Shared[int]) -> int:
    return await shared.wait()


async def _started(tasks: list[asyncio.Future[int]]) -> None:
    """Until every task is waiting on its own future (each has run its first step)."""
    ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon(ready.set_result, None)
    await ready
    assert not any(t.done() for t in tasks)
