"""One result that many callers on the event loop wait for: a read in flight that a burst shares.

`asyncio.shield(future)` is the usual way to let many tasks await one future without one caller's
cancellation cancelling it for all. It costs each waiter a new future, two closures, two done callbacks
and an extra trip through the event loop when the result arrives. When the moderator list or the errata
overlay of a workspace is read for the first time, every press of a burst waits for that one read, so
the burst paid that price ten thousand times over, twice (issue 13). `Shared` gives each waiter a
plain future of its own and settles them all from one callback: the same guarantees, half the loop
callbacks.
"""

from __future__ import annotations

import asyncio
from typing import Generic, TypeVar

T = TypeVar("T")


class Shared(Generic[T]):
    """`future` as many callers may await it: `wait()` behaves like `asyncio.shield(future)`.

    A caller that is cancelled while waiting cancels only its own future; the shared one runs on and
    the others still get its result. When the shared future fails or is cancelled, every waiter gets
    the same exception or cancellation.
    """

    __slots__ = ("_waiters", "future")

    def __init__(self, future: asyncio.Future[T]) -> None:
        self.future = future
        self._waiters: list[asyncio.Future[T]] = []
        future.add_done_callback(self._settle)

    def wait(self) -> asyncio.Future[T]:
        """A future with the shared result; the shared future itself once it is done (as `shield`
        returns it then: awaiting a done future cannot cancel it)."""
        if self.future.done():
            return self.future
        waiter: asyncio.Future[T] = self.future.get_loop().create_future()
        self._waiters.append(waiter)
        return waiter

    def _settle(self, future: asyncio.Future[T]) -> None:
        waiters, self._waiters = self._waiters, []
        if future.cancelled():
            for waiter in waiters:
                waiter.cancel()
            return
        exc = future.exception()  # retrieved here, as `shield` does, even when no one waits any more
        for waiter in waiters:
            if waiter.done():  # its caller was cancelled
                continue
            if exc is not None:
                waiter.set_exception(exc)
            else:
                waiter.set_result(future.result())
