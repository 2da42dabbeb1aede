"""`Core.handle`: the one place a request or action becomes a reply.

Lookup, permission, option coercion, logging context and error mapping all happen here, once, for
every platform. This is also the only `except Exception` in the core: a user error becomes an ordinary
reply; anything else is logged once with its traceback and a reference id the member can quote.
(`DeliveryLedger` also catches, only to hand a failed claim to every request that waited on it.)

A platform delivery id (`Request.delivery_id`, `Action.delivery_id`) is handled once per platform and
workspace, across restarts and processes: `DeliveryLedger` claims it in the store before anything runs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import itertools
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.actions import ActionId, ActionIdError
from bot.clock import Clock
from bot.commands.options import coerce_options
from bot.commands.parse import parse_line
from bot.commands.registry import Registry
from bot.commands.spec import Choice, Permission
from bot.errors import NotAModerator, StaleAction, UnknownCommand, UserError, new_reference
from bot.log import log_context
from bot.markup import code
from bot.metrics import observed
from bot.replies import Reply, error_reply, internal_error_reply
from bot.requests import BOUNDS_HINT, Action, Identity, Request
from bot.services import Services
from bot.store.claims import KEY_LENGTH, SqliteClaims, claim_many, forget
from bot.store.db import sqlite_path

DELIVERY_PREFIX = "delivery:"
# Slack's last Events API retry comes about five minutes after the first delivery, and Bolt refuses a
# signed request more than five minutes off; an hour outlasts both with room for clock skew.
DELIVERY_MEMORY = dt.timedelta(hours=1)
PRUNE_EVERY = dt.timedelta(minutes=10)  # how often a process forgets the ids older than the memory
BATCH_MAX = 1_000  # ids per claim transaction: in a burst, the first presses go on while later ones are claimed
PRUNE_CHUNK = 2_000  # ids forgotten per transaction, so pruning never holds the write lock for long

log = logging.getLogger(__name__)


class DeliveryLedger:
    """Which platform deliveries were handled already, as claims in the store, so every worker behind a
    load balancer and every restart agrees (issue 14 and 19); an id is remembered for `DELIVERY_MEMORY`.

    Claims are batched: every id asked about while one batch is in flight goes into the next one (up
    to `BATCH_MAX`), one short transaction each: on PostgreSQL an `INSERT … ON CONFLICT DO NOTHING
    RETURNING`, on a SQLite file `SqliteClaims` on the loop's thread, as the answer writer does. A claim
    of its own per press cost the answer burst 86% of its throughput (6,400 → 880 answers/s, one
    transaction per press competing with the answer writer for SQLite's write lock; 18 s of CPU for
    10,000 presses). Batched, `bench/practice_answers.py --only burst --delivery-ids` costs about 2.0 s
    of CPU against 1.8-1.9 s without ids (medians of 6 alternating runs, same session, busy machine).

    Expired ids are forgotten lazily, at most every `PRUNE_EVERY` per process, in chunks, after a batch
    has been answered, so the table holds about an hour of deliveries.

    Adapters pass the ids their platform can deliver twice: Slack's trigger ids (a retry, or a request a
    load balancer sends to a second worker), and through `Core.first_delivery` request signatures and
    Events API event ids. Discord delivers each interaction once and accepts only one answer to it, so
    its adapter passes none, and its presses pay no claim.
    """

    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        path = sqlite_path(engine.url.render_as_string(hide_password=False))
        self._sqlite = SqliteClaims(path) if path is not None else None
        self._pending: dict[str, tuple[dt.datetime, list[asyncio.Future[bool]]]] = {}
        self._flushing: asyncio.Task[None] | None = None
        self._next_prune: dt.datetime | None = None
        self.batches = 0
        """Claim transactions committed so far (for tests and benchmarks)."""

    @staticmethod
    def key(platform: str, workspace: str, delivery_id: str) -> str:
        """The claim key; one that would not fit the column is hashed whole (cutting it could make two
        different ids collide, and a collision would drop a genuine delivery as a duplicate)."""
        key = f"{DELIVERY_PREFIX}{platform}:{workspace}:{delivery_id}"
        if len(key) > KEY_LENGTH:
            key = f"{DELIVERY_PREFIX}{platform}:#{hashlib.sha256(key.encode()).hexdigest()}"
        return key

    async def first(self, platform: str, workspace: str, delivery_id: str, now: dt.datetime) -> bool:
        """True for the first delivery of this id in this workspace; False for every repeat, whether
        it comes to this process, another one, or after a restart. Raises if the store cannot be reached."""
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        key = self.key(platform, workspace, delivery_id)
        entry = self._pending.get(key)
        if entry is None:
            self._pending[key] = (now, [waiter])
        else:
            entry[1].append(waiter)  # the same id twice in one batch: only the first waiter wins
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush(), name="delivery-claims")
        return await waiter

    async def settled(self) -> None:
        """Wait for the claims and the pruning in flight (a reply can come before its batch's pruning
        is done); for shutdown and tests."""
        while self._flushing is not None:
            await asyncio.shield(self._flushing)

    async def close(self) -> None:
        """At shutdown, before the engine closes: let the claims in flight finish, then close the
        SQLite connection of the claim batches (a later claim would open it again)."""
        await self.settled()
        if self._sqlite is not None:
            self._sqlite.close()

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch = dict(itertools.islice(self._pending.items(), BATCH_MAX))
                for key in batch:
                    del self._pending[key]
                rows = [(key, at) for key, (at, _) in batch.items()]
                try:
                    if self._sqlite is not None:
                        won = await self._sqlite.claim_many(rows)
                    else:
                        async with self._engine.begin() as conn:
                            won = await claim_many(conn, rows)
                except BaseException as exc:
                    _fail(batch, exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                self.batches += 1
                for key, (_at, waiters) in batch.items():
                    first = key in won
                    for waiter in waiters:
                        if not waiter.done():
                            waiter.set_result(first)
                        first = False
                await self._prune_if_due()
        except BaseException as exc:  # cancelled at shutdown: nobody may wait forever
            _fail(self._pending, exc)
            self._pending = {}
            raise
        finally:
            self._flushing = None

    async def _prune_if_due(self) -> None:
        now = self._clock.now()
        if self._next_prune is not None and now < self._next_prune:
            return
        self._next_prune = now + PRUNE_EVERY
        before = now - DELIVERY_MEMORY
        try:
            while True:
                async with self._engine.begin() as conn:
                    dropped = await forget(conn, DELIVERY_PREFIX, before, limit=PRUNE_CHUNK)
                if dropped < PRUNE_CHUNK:
                    return
        except Exception:
            # Forgetting is housekeeping: a failure must not fail the presses; the next prune retries.
            log.warning("forgetting delivery ids older than %s failed", before, exc_info=True)


def _fail(batch: dict[str, tuple[dt.datetime, list[asyncio.Future[bool]]]], exc: BaseException) -> None:
    for _at, waiters in batch.values():
        for waiter in waiters:
            if waiter.done():
                continue
            if isinstance(exc, Exception):
                waiter.set_exception(exc)
            else:
                waiter.cancel()


class Core:
    """The platform-neutral bot. Adapters call `handle` and render what it returns."""

    def __init__(self, services: Services, registry: Registry) -> None:
        self.services = services
        self.registry = registry
        self.deliveries = DeliveryLedger(services.engine, services.clock)

    async def first_delivery(
        self, platform: str, workspace: str, delivery_id: str, now: dt.datetime | None = None
    ) -> bool:
        """Whether this platform delivery id is new in this workspace, claiming it if so (see
        `DeliveryLedger`). Adapters ask it for deliveries that never become a request, such as a
        signed HTTP request or an Events API event; `handle` asks it for every `delivery_id`."""
        return await self.deliveries.first(platform, workspace, delivery_id, now or self.services.clock.now())

    async def is_moderator(self, identity: Identity) -> bool:
        """Platform-granted moderators (Manage Server, Slack admins, the local console user) or configured ones."""
        return await self.services.moderators.is_moderator(identity)

    def complete(self, source: str, partial: str) -> list[Choice]:
        """Up to 25 choices from a named source for what the member has typed so far (autocomplete)."""
        fn = self.registry.sources.get(source)
        if fn is None:
            return []
        return fn(self.services, partial)[:25]

    async def handle_line(self, identity: Identity, line: str, *, delivery_id: str | None = None) -> Reply:
        """Parse a typed line (console, Slack) and handle it; parse errors become replies too, once per
        delivery id like every other reply."""
        if identity.problem is not None:  # an id the store cannot hold: refused before any lookup
            return error_reply(identity.problem, BOUNDS_HINT)
        with log_context(platform=identity.platform, workspace=identity.workspace, channel=identity.channel):
            try:
                visible = self.registry.visible_top_level(await self.is_moderator(identity))
                parsed = parse_line(line, self.registry, visible=visible)
            except UserError as exc:
                refused = error_reply(exc.message, exc.hint)
            except Exception:
                return self._internal_error("parse")
            else:
                return await self.handle(Request(identity, parsed.path, parsed.options, delivery_id=delivery_id))
            try:
                if delivery_id and not await self.first_delivery(identity.platform, identity.workspace, delivery_id):
                    return Reply(duplicate=True)  # a repeat of a mistyped line: explained the first time
            except Exception:
                return self._internal_error("parse")
            return refused

    @observed
    async def handle(self, message: Request | Action) -> Reply:
        identity = message.identity
        if message.problem is not None:
            return error_reply(message.problem, BOUNDS_HINT)
        now = message.now or self.services.clock.now()
        moderator = self.services.moderators.known(identity)
        if moderator is None:
            moderator = await self.is_moderator(identity)
        message = message.stamped(now, moderator)
        name = message.command_name if isinstance(message, Request) else message.action_id.split(":", 1)[0]
        with log_context(
            platform=identity.platform,
            workspace=identity.workspace,
            channel=identity.channel,
            user=identity.user_id,
            command=name,
        ):
            try:
                if message.delivery_id and not await self.first_delivery(
                    identity.platform, identity.workspace, message.delivery_id, now
                ):
                    log.info("duplicate delivery %s ignored", message.delivery_id)
                    return Reply(duplicate=True)
                if isinstance(message, Request):
                    reply = await self._run_command(message)
                else:
                    reply = await self._run_action(message)
                log.info("handled")
                return reply
            except UserError as exc:
                log.info("refused: %s", exc.message)
                return error_reply(exc.message, exc.hint)
            except Exception:
                return self._internal_error(name)

    def _internal_error(self, name: str) -> Reply:
        ref = new_reference()
        with log_context(ref=ref):
            log.exception("internal error while handling %s", name, extra={"ref": ref})
        return internal_error_reply(ref)

    async def _run_command(self, request: Request) -> Reply:
        spec = self.registry.commands.get(request.command)
        if spec is None:
            raise UnknownCommand(f"There is no command {code('/' + request.command_name)}.", "Type `/help`.")
        if spec.permission is Permission.MODERATOR and not request.moderator:
            raise NotAModerator(spec.name)
        options = coerce_options(spec, request.options)
        return await spec.handler(request, options, self.services)

    async def _run_action(self, action: Action) -> Reply:
        try:
            action_id = ActionId.decode(action.action_id)
        except ActionIdError:
            raise StaleAction("That button is not one of mine, or it is from an old version.", None) from None
        spec = self.registry.actions.get(action_id.kind)
        if spec is None:
            raise StaleAction("That button no longer does anything.", "Run the command again for fresh buttons.")
        if spec.permission is Permission.MODERATOR and not action.moderator:
            raise NotAModerator(action_id.kind)
        try:
            return await spec.handler(action, action_id, self.services)
        except ActionIdError:
            raise StaleAction("That button is damaged or out of date.", "Run the command again.") from None
