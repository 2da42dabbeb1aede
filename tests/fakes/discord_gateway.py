"""The gateway of the fake Discord: the websocket session discord.py keeps open, one per shard.

This layer of `FakeDiscord` (see `discord_server`) sits on `DiscordRest` and serves `/gateway`: it
says HELLO, answers IDENTIFY with READY and a GUILD_CREATE for each guild on that shard (or closes
with 4004 on a wrong token, 4010 on a shard id outside its count), acknowledges heartbeats, answers
RESUME with RESUMED, and sends events with increasing sequence numbers (`_send`). A guild is on
shard `(guild id >> 22) % shard count`, Discord's rule: its GUILD_CREATE, CHANNEL_CREATEs and
interactions go only to a session of that shard. A channel made while the bot is connected reaches it as
CHANNEL_CREATE (`create_channel`). Tests wait for sessions with `wait_identified`. It lives apart so
the session protocol can be read without the REST routes or the interaction rules.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord_rest import DiscordRest
from tests.fakes.discord_transport import _now


@dataclass
class Gate:
    """One gateway connection (one shard)."""

    ws: web.WebSocketResponse
    shard_id: int = 0
    shard_count: int = 1
    seq: int = 0
    identified: asyncio.Event = field(default_factory=asyncio.Event)


class DiscordGateway(DiscordRest):
    """The `/gateway` websocket sessions (`gates`) and the events sent on them."""

    def __init__(self, *, token: str, shards: int) -> None:
        super().__init__(token=token, shards=shards)
        self.gates: list[Gate] = []

    async def __aexit__(self, *exc: object) -> None:
        for gate in self.gates:
            await gate.ws.close()
        await super().__aexit__(*exc)

    async def create_channel(self, name: str, guild_id: int | None = None) -> int:
        """A channel made while the bot is connected: Discord tells it with CHANNEL_CREATE."""
        channel_id = self.add_channel(name, guild_id)
        guild = int(self.channels[channel_id]["guild_id"])
        for gate in self.gates:
            if gate.identified.is_set() and self._shard_of(guild, gate.shard_count) == gate.shard_id:
                await self._send(gate, "CHANNEL_CREATE", self.channels[channel_id])
        return channel_id

    # -- gateway -------------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        gate = Gate(ws)
        self.gates.append(gate)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}})
        try:
            async for frame in ws:
                if frame.type is not WSMsgType.TEXT:
                    continue
                message = json.loads(frame.data)
                op = message.get("op")
                if op == 1:
                    await ws.send_json({"op": 11})
                elif op == 2:
                    await self._identify(gate, message["d"])
                elif op == 6:
                    await self._send(gate, "RESUMED", {})
        finally:
            self.gates.remove(gate)
            self._poke()
        return ws

    async def _send(self, gate: Gate, event: str, data: Mapping[str, Any]) -> None:
        gate.seq += 1
        await gate.ws.send_json({"op": 0, "t": event, "s": gate.seq, "d": data})

    def _shard_of(self, guild_id: int, count: int) -> int:
        return (guild_id >> 22) % count

    async def _identify(self, gate: Gate, data: Mapping[str, Any]) -> None:
        if data.get("token") != self.token:
            await gate.ws.close(code=4004, message=b"Authentication failed.")
            return
        shard_id, shard_count = data.get("shard") or (0, 1)
        if not 0 <= shard_id < shard_count:
            await gate.ws.close(code=4010, message=b"Invalid shard.")  # Discord's close for such a shard
            return
        gate.shard_id, gate.shard_count = shard_id, shard_count
        mine = [g for g in self.guilds if self._shard_of(g, gate.shard_count) == gate.shard_id]
        await self._send(
            gate,
            "READY",
            {
                "v": 10,
                "user": self.bot,
                "guilds": [{"id": str(g), "unavailable": True} for g in mine],
                "session_id": f"session-{gate.shard_id}",
                "resume_gateway_url": self.gateway_url,
                "application": {"id": str(self.app_id), "flags": 0},
                "shard": [gate.shard_id, gate.shard_count],
            },
        )
        for guild_id in mine:
            await self._send(gate, "GUILD_CREATE", self._guild_payload(guild_id))
        gate.identified.set()
        self._poke()

    def _guild_payload(self, guild_id: int) -> dict[str, Any]:
        guild = self.guilds[guild_id]
        bot_member = self._bot_member(guild_id)
        return {
            "id": str(guild_id),
            "name": guild["name"],
            "icon": None,
            "owner_id": str(self.users["mod"].id) if "mod" in self.users else self.bot["id"],
            "roles": guild["roles"],
            "emojis": [],
            "stickers": [],
            "features": [],
            "member_count": 2,
            "members": [bot_member],
            "channels": [self.channels[c] for c in guild["channels_by_name"].values()],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "unavailable": False,
            "large": False,
            "joined_at": _now(),
            "preferred_locale": "en-US",
            "premium_tier": 0,
            "system_channel_flags": 0,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "afk_timeout": 300,
            "description": None,
        }

    async def wait_identified(self, count: int = 1, *, within: float = 5.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while sum(g.identified.is_set() for g in self.gates) < count:
            if loop.time() > deadline:
                raise TimeoutError(f"{count} gateway session(s) did not identify")
            waiter = asyncio.ensure_future(self._pulse.wait())
            try:
                await asyncio.wait({waiter}, timeout=deadline - loop.time())
            finally:
                waiter.cancel()
