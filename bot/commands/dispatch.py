"""`Core.handle`: the one place a request or action becomes a reply.

Lookup, permission, option coercion, logging context and error mapping all happen here, once, for
every platform. This is also the only `except Exception` in the core: a user error becomes an ordinary
reply; anything else is logged once with its traceback and a reference id the member can quote.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random

from bot.actions import ActionId, ActionIdError
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
from bot.store.claims import claim, forget

DELIVERY_MEMORY = dt.timedelta(days=1)  # Slack retries within minutes; a day is generous
FORGET_EVERY = 0.01  # share of new deliveries that also clear out old ones

log = logging.getLogger(__name__)


class Core:
    """The platform-neutral bot. Adapters call `handle` and render what it returns."""

    def __init__(self, services: Services, registry: Registry) -> None:
        self.services = services
        self.registry = registry

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
        """Parse a typed line (console, Slack) and handle it; parse errors become replies too."""
        if identity.problem is not None:  # an id the store cannot hold: refused before any lookup
            return error_reply(identity.problem, BOUNDS_HINT)
        with log_context(platform=identity.platform, workspace=identity.workspace, channel=identity.channel):
            try:
                visible = self.registry.visible_top_level(await self.is_moderator(identity))
                parsed = parse_line(line, self.registry, visible=visible)
            except UserError as exc:
                return error_reply(exc.message, exc.hint)
            except Exception:
                return self._internal_error("parse")
        return await self.handle(Request(identity, parsed.path, parsed.options, delivery_id=delivery_id))

    @observed
    async def handle(self, message: Request | Action) -> Reply:
        identity = message.identity
        if message.problem is not None:
            return error_reply(message.problem, BOUNDS_HINT)
        now = message.now or self.services.clock.now()
        moderator = self.services.moderators.known(identity)
        if moderator is None:
            moderator = await self.is_moderator(identity)
        message = dataclasses.replace(message, now=now, moderator=moderator)
        name = message.command_name if isinstance(message, Request) else message.action_id.split(":", 1)[0]
        with log_context(
            platform=identity.platform,
            workspace=identity.workspace,
            channel=identity.channel,
            user=identity.user_id,
            command=name,
        ):
            try:
                if message.delivery_id and not await self._first_delivery(message, now):
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

    async def _first_delivery(self, message: Request | Action, now: dt.datetime) -> bool:
        """A platform delivery id (Slack trigger, a retried event) is handled once per workspace, across
        restarts and processes: its claim is stored, and claims older than a day are forgotten."""
        ident = message.identity
        key = f"delivery:{ident.platform}:{ident.workspace}:{message.delivery_id}"[:200]
        async with self.services.engine.begin() as conn:
            first = await claim(conn, key, now)
            if first and random.random() < FORGET_EVERY:
                await forget(conn, "delivery:", now - DELIVERY_MEMORY)
        return first

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
