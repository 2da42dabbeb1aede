"""The interaction rules of the fake Discord: slash commands, autocomplete, component presses and their answers.

This top layer of `FakeDiscord` (see `discord_server`) sits on `DiscordGateway`. It builds and
dispatches INTERACTION_CREATE the way the Discord client would (`slash`, `autocomplete`, `press`):
options are built and type-checked from the commands the bot actually synced, and a press must name
a component that is on the message. It serves the token routes that answer an interaction (the
callback and the webhook follow-ups and `@original` edits, which carry no Authorization header) and
enforces the rules an adapter can break there: a callback after `deadline` seconds (3 on Discord) is
"Unknown interaction" (10062), a second callback is "already acknowledged" (40060), and the first
follow-up after a deferred "thinking" response edits that response, keeping its ephemerality. It
lives apart so these rules can be read without the REST model or the gateway protocol.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.discord_gateway import DiscordGateway
from tests.fakes.discord_rest import EVERYONE_PERMISSIONS, LOADING
from tests.fakes.discord_transport import RECORDED, Recorded, Upload, _api_path, _json

EPHEMERAL = 1 << 6
ATTACHMENTS = "ephemeral-attachments"  # the CDN path Discord serves a slash command's attached files under


@dataclass(frozen=True)
class FakeFile:
    """A file a member attaches to an ATTACHMENT option (type 11); `size` is what Discord reports,
    the length of `data` unless a test says otherwise; a `gone` file is named in the interaction but
    its CDN URL answers 404 (deleted or expired)."""

    filename: str
    data: bytes
    content_type: str = "text/plain; charset=utf-8"
    size: int | None = None
    gone: bool = False


@dataclass
class InteractionState:
    """One dispatched interaction and what the bot has answered so far."""

    payload: dict[str, Any]
    created: float
    callback: dict[str, Any] | None = None
    original_id: int | None = None
    loading: bool = False  # deferred with "thinking" and not yet edited
    component_message_id: int | None = None
    modal: dict[str, Any] | None = None  # the modal this interaction was answered with (callback type 9)


def modal_problems(modal: Mapping[str, Any]) -> list[str]:
    """Where a modal breaks Discord's rules (the ones the API enforces), in words."""
    problems: list[str] = []
    if not 1 <= len(str(modal.get("custom_id") or "")) <= 100:
        problems.append("a modal's custom_id is 1 to 100 characters")
    if not 1 <= len(str(modal.get("title") or "")) <= 45:
        problems.append("a modal's title is 1 to 45 characters")
    components = modal.get("components") or []
    if not 1 <= len(components) <= 5:
        problems.append("a modal holds 1 to 5 components")
    for label in components:
        field = label.get("component") or {}
        if label.get("type") != 18 or field.get("type") not in (3, 4):
            problems.append("each modal component here is a label holding a text input or a string select")
            continue
        if not 1 <= len(str(label.get("label") or "")) <= 45:
            problems.append("a label's text is 1 to 45 characters")
        if field.get("type") == 4 and field.get("label"):
            problems.append("a text input inside a label has no label of its own")
        if field.get("type") == 3 and not 1 <= len(field.get("options") or []) <= 25:
            problems.append("a select holds 1 to 25 options")
    return problems


class DiscordInteractions(DiscordGateway):
    """Interactions dispatched to the bot (`interactions`) and the callback and webhook routes that answer them."""

    def __init__(self, *, token: str, deadline: float, shards: int) -> None:
        super().__init__(token=token, shards=shards)
        self.deadline = deadline
        self.interactions: dict[int, InteractionState] = {}
        self.dispatch_times: dict[int, float] = {}
        self.files: dict[int, FakeFile] = {}  # attachments the CDN serves, by id

    # -- waiting -------------------------------------------------------------------------------

    async def wait_for_callback(self, interaction: Mapping[str, Any], *, within: float = 5.0) -> Recorded:
        path = f"/interactions/{interaction['id']}/{interaction['token']}/callback"
        return await self.wait_for(lambda r: r.path == path, within=within)

    async def wait_for_webhook(
        self, interaction: Mapping[str, Any], method: str = "POST", *, within: float = 5.0, after: int = 0
    ) -> Recorded:
        prefix = f"/webhooks/{self.app_id}/{interaction['token']}"
        return await self.wait_for(
            lambda r: r.method == method and r.path.startswith(prefix), within=within, after=after
        )

    def callbacks_for(self, interaction: Mapping[str, Any]) -> list[Recorded]:
        path = f"/interactions/{interaction['id']}/{interaction['token']}/callback"
        return [r for r in self.requests if r.path == path]

    def webhook_requests(self, interaction: Mapping[str, Any]) -> list[Recorded]:
        prefix = f"/webhooks/{self.app_id}/{interaction['token']}"
        return [r for r in self.requests if r.path.startswith(prefix)]

    # -- interactions: callbacks and webhooks -------------------------------------------------------

    async def _route(self, request: web.Request) -> web.StreamResponse:
        path = _api_path(request)
        body = request[RECORDED].json
        method = request.method
        parts = path.strip("/").split("/")

        # Interaction and webhook-token routes carry no Authorization header.
        files = request[RECORDED].files
        if method == "POST" and len(parts) == 4 and parts[0] == "interactions" and parts[3] == "callback":
            return self._callback(int(parts[1]), parts[2], body, files)
        if parts[:2] == ["webhooks", str(self.app_id)] and len(parts) >= 3:
            return self._webhook(method, parts[2], parts[3:], body, files)
        if method == "GET" and len(parts) == 4 and parts[0] == ATTACHMENTS:
            return self._cdn(parts)
        if method == "GET" and len(parts) == 4 and parts[0] == "attachments":
            return self._sent_file(parts)
        return await super()._route(request)

    def _cdn(self, parts: list[str]) -> web.Response:
        """The CDN: an attachment's bytes at `/ephemeral-attachments/<channel>/<id>/<filename>`, no
        Authorization needed (the URL is the secret); 404 once the file is gone."""
        found = self.files.get(int(parts[2])) if parts[2].isdigit() else None
        if found is None or found.filename != parts[3]:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=found.data, headers={"Content-Type": found.content_type})

    def _sent_file(self, parts: list[str]) -> web.Response:
        """The CDN URL of a file a message carries: `/attachments/<channel>/<id>/<filename>`."""
        found = self.uploaded.get(int(parts[2])) if parts[2].isdigit() else None
        stored = next((a for m in self.messages.values() for a in m["attachments"] if a["id"] == parts[2]), None)
        if found is None or stored is None or stored["filename"] != parts[3]:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=found.data, headers={"Content-Type": stored["content_type"]})

    def _callback(self, interaction_id: int, token: str, body: Any, files: list[Upload]) -> web.Response:
        state = self.interactions.get(interaction_id)
        if state is None or state.payload["token"] != token:
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        if time.perf_counter() - state.created > self.deadline:
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        if state.callback is not None:
            return _json({"message": "Interaction has already been acknowledged.", "code": 40060}, 400)
        state.callback = body
        kind = body["type"]
        data = body.get("data") or {}
        channel_id = int(state.payload["channel_id"])
        interaction = {"id": str(interaction_id), "type": state.payload["type"]}
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 5):
            flags = int(data.get("flags") or 0) & EPHEMERAL
            if kind == 5:
                flags |= LOADING
                state.loading = True
            message = self._new_message(
                channel_id, data if kind == 4 else {}, flags=flags, webhook=True, files=files if kind == 4 else ()
            )
            state.original_id = int(message["id"])
            resource["message"] = message
            interaction.update(
                response_message_id=message["id"],
                response_message_loading=kind == 5,
                response_message_ephemeral=bool(flags & EPHEMERAL),
            )
        elif kind == 9:
            problems = modal_problems(data)
            if state.payload["type"] == 5:
                problems.append("a modal submission cannot be answered with another modal")
            if problems:
                state.callback = None
                errors = {"data": {"_errors": [{"code": "MODAL_INVALID", "message": p} for p in problems]}}
                return _json({"message": "Invalid Form Body", "code": 50035, "errors": errors}, 400)
            state.modal = data
        elif kind in (6, 7):
            message_id = state.component_message_id
            if message_id is None:
                return _json({"message": "Invalid callback for this interaction", "code": 40043}, 400)
            state.original_id = message_id
            message = self.messages[message_id]
            if kind == 7:
                self._edit(message, data, files)
            resource["message"] = message
            interaction.update(response_message_id=str(message_id))
        return _json({"interaction": interaction, "resource": resource})

    def _state_for_token(self, token: str) -> InteractionState | None:
        return next((s for s in self.interactions.values() if s.payload["token"] == token), None)

    def _webhook(self, method: str, token: str, rest: list[str], body: Any, files: list[Upload]) -> web.Response:
        state = self._state_for_token(token)
        if state is None or state.callback is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        channel_id = int(state.payload["channel_id"])
        if not rest and method == "POST":
            if state.loading and state.original_id is not None:
                # Discord: the first follow-up after a deferred "thinking" response edits that response,
                # which keeps the ephemerality chosen when deferring.
                state.loading = False
                return _json(self._edit(self.messages[state.original_id], body, files))
            flags = int(body.get("flags") or 0) & EPHEMERAL
            return _json(self._new_message(channel_id, body, flags=flags, webhook=True, files=files))
        if len(rest) == 2 and rest[0] == "messages":
            target = state.original_id if rest[1] == "@original" else int(rest[1])
            message = self.messages.get(target) if target is not None else None
            if target is None or message is None:
                return _json({"message": "Unknown Message", "code": 10008}, 404)
            if method == "GET":
                return _json(message)
            if method == "PATCH":
                if target == state.original_id:
                    state.loading = False
                return _json(self._edit(message, body, files))
            if method == "DELETE":
                del self.messages[target]
                return web.Response(status=204)
        return _json({"message": "404: Not Found", "code": 0}, 404)

    # -- building interactions -------------------------------------------------------------------------

    def _envelope(self, kind: int, data: dict[str, Any], user: str, channel_id: int) -> dict[str, Any]:
        who = self.users[user]
        channel = self.channels[channel_id]
        interaction_id = self._snowflake()
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.app_id),
            "type": kind,
            "data": data,
            "channel_id": str(channel_id),
            "channel": channel,
            "token": f"token-{interaction_id}",
            "version": 1,
            "app_permissions": str(EVERYONE_PERMISSIONS),
            "locale": "en-US",
            "attachment_size_limit": 8 << 20,
            "entitlements": [],
            "entitlement_sku_ids": [],
        }
        guild = channel.get("guild_id")
        if guild is not None:
            payload.update(
                guild_id=guild,
                member=self._member(who, int(guild)),
                guild_locale="en-US",
                context=0,
                guild={"id": guild, "locale": "en-US", "features": []},
                authorizing_integration_owners={"0": guild},
            )
        else:
            payload.update(user=who.payload(), context=1, authorizing_integration_owners={"1": str(who.id)})
        return payload

    async def _deliver(self, payload: dict[str, Any], *, component_message: int | None = None) -> dict[str, Any]:
        guild = payload.get("guild_id")
        gate = next(
            (
                g
                for g in self.gates
                if g.identified.is_set() and (guild is None or self._shard_of(int(guild), g.shard_count) == g.shard_id)
            ),
            None,
        )
        if gate is None:
            raise AssertionError("no identified gateway session serves this guild")
        state = InteractionState(payload, time.perf_counter(), component_message_id=component_message)
        self.interactions[int(payload["id"])] = state
        self.dispatch_times[int(payload["id"])] = state.created
        await self._send(gate, "INTERACTION_CREATE", payload)
        return payload

    def _schema(self, path: tuple[str, ...], guild_id: int | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The synced command and the options of the (sub)command at `path`."""
        pool = list(self.guild_commands.get(guild_id, [])) if guild_id is not None else []
        pool += self.global_commands
        top = next((c for c in pool if c["name"] == path[0]), None)
        if top is None:
            raise AssertionError(f"/{path[0]} was never synced; the client cannot offer it")
        options: list[dict[str, Any]] = top.get("options") or []
        for word in path[1:]:
            node = next((o for o in options if o["name"] == word and o["type"] in (1, 2)), None)
            if node is None:
                raise AssertionError(f"/{' '.join(path)} was never synced")
            options = node.get("options") or []
        return top, options

    def _resolve(self, kind: int, value: Any, resolved: dict[str, dict[str, Any]], guild_id: int) -> str:
        if kind == 7:
            channel_id = self.guilds[guild_id]["channels_by_name"].get(str(value), value)
            channel = self.channels[int(channel_id)]
            resolved.setdefault("channels", {})[str(channel_id)] = {
                "id": str(channel_id),
                "name": channel["name"],
                "type": channel["type"],
                "permissions": str(EVERYONE_PERMISSIONS),
                "guild_id": str(guild_id),
            }
            return str(channel_id)
        if kind in (6, 9) and str(value) in self.users:
            user = self.users[str(value)]
            resolved.setdefault("users", {})[str(user.id)] = user.payload()
            member = {k: v for k, v in self._member(user, guild_id).items() if k != "user"}
            resolved.setdefault("members", {})[str(user.id)] = member
            return str(user.id)
        if kind in (8, 9):
            role = next(
                (r for r in self.guilds[guild_id]["roles"] if r["name"] == value or r["id"] == str(value)), None
            )
            if role is not None:
                resolved.setdefault("roles", {})[role["id"]] = role
                return str(role["id"])
        if kind == 11 and isinstance(value, FakeFile):
            # The client uploads the file first; the interaction names it and `resolved` describes it.
            file_id = self._snowflake()
            if not value.gone:
                self.files[file_id] = value
            channel = next(iter(self.channels))
            resolved.setdefault("attachments", {})[str(file_id)] = {
                "id": str(file_id),
                "filename": value.filename,
                "size": len(value.data) if value.size is None else value.size,
                "url": f"http://127.0.0.1:{self.port}/{ATTACHMENTS}/{channel}/{file_id}/{value.filename}",
                "proxy_url": f"http://127.0.0.1:{self.port}/{ATTACHMENTS}/{channel}/{file_id}/{value.filename}",
                "content_type": value.content_type,
                "ephemeral": True,
            }
            return str(file_id)
        raise AssertionError(f"cannot resolve {value!r} for an option of type {kind}")

    def _typed(self, spec: Mapping[str, Any], value: Any, resolved: dict[str, Any], guild_id: int) -> Any:
        kind = spec["type"]
        name = spec["name"]
        if kind == 3:
            if not isinstance(value, str):
                raise AssertionError(f"option {name} takes a string, not {value!r}")
            if "max_length" in spec and len(value) > spec["max_length"]:
                raise AssertionError(f"option {name} is at most {spec['max_length']} characters (client-side rule)")
        elif kind == 4:
            if not isinstance(value, int) or isinstance(value, bool):
                raise AssertionError(f"option {name} takes an integer, not {value!r}")
        elif kind == 10:
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise AssertionError(f"option {name} takes a number, not {value!r}")
        elif kind == 5:
            if not isinstance(value, bool):
                raise AssertionError(f"option {name} takes true or false, not {value!r}")
        else:
            return self._resolve(kind, value, resolved, guild_id)
        if spec.get("choices") and value not in [c["value"] for c in spec["choices"]]:
            raise AssertionError(f"option {name} must be one of its choices, not {value!r}")
        for bound, check in (("min_value", lambda a, b: a >= b), ("max_value", lambda a, b: a <= b)):
            if bound in spec and kind in (4, 10) and not check(value, spec[bound]):
                raise AssertionError(f"option {name} breaks its {bound} (client-side rule)")
        return value

    def _command_data(
        self, command: str, options: Mapping[str, Any], guild_id: int, focused: str | None = None
    ) -> dict[str, Any]:
        path = tuple(command.split())
        top, schema = self._schema(path, guild_id)
        resolved: dict[str, Any] = {}
        given: list[dict[str, Any]] = []
        names = {o["name"] for o in schema}
        unknown = set(options) - names
        if unknown:
            raise AssertionError(f"/{command} has no option(s) {sorted(unknown)}")
        for spec in schema:
            if spec["name"] == focused:
                given.append(
                    {"name": spec["name"], "type": spec["type"], "value": str(options[spec["name"]]), "focused": True}
                )
            elif spec["name"] in options:
                value = self._typed(spec, options[spec["name"]], resolved, guild_id)
                given.append({"name": spec["name"], "type": spec["type"], "value": value})
            elif spec.get("required") and focused is None:
                raise AssertionError(f"/{command} needs option {spec['name']}")
        for depth in range(len(path) - 1, 0, -1):
            kind = 1 if depth == len(path) - 1 else 2
            given = [{"name": path[depth], "type": kind, "options": given}]
        data: dict[str, Any] = {"id": top["id"], "name": path[0], "type": 1, "options": given}
        if top.get("guild_id"):
            data["guild_id"] = top["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    async def slash(
        self,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: str = "ada",
        channel: int | None = None,
    ) -> dict[str, Any]:
        """Dispatch `/command` with typed options, as the Discord client would after checking them."""
        channel_id = channel or self.channel_id
        guild_id = int(self.channels[channel_id]["guild_id"])
        data = self._command_data(command, options or {}, guild_id)
        return await self._deliver(self._envelope(2, data, user, channel_id))

    async def autocomplete(
        self, command: str, focused: str, current: str, options: Mapping[str, Any] | None = None, *, user: str = "ada"
    ) -> dict[str, Any]:
        """Dispatch an autocomplete request for option `focused`, with `current` typed so far."""
        guild_id = int(self.channels[self.channel_id]["guild_id"])
        data = self._command_data(command, {**(options or {}), focused: current}, guild_id, focused=focused)
        return await self._deliver(self._envelope(4, data, user, self.channel_id))

    async def press(
        self, message_id: int | str, custom_id: str, *, user: str = "ada", values: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """Press a button (or choose in a select) that is on a message the bot sent."""
        message = self.messages.get(int(message_id))
        if message is None:
            raise AssertionError(f"there is no message {message_id}")
        component = next(
            (
                c
                for row in message.get("components", [])
                for c in row.get("components", [])
                if c.get("custom_id") == custom_id
            ),
            None,
        )
        if component is None:
            raise AssertionError(f"message {message_id} has no component {custom_id!r}")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] == 3:
            chosen = list(values or ())
            allowed = {o["value"] for o in component["options"]}
            if not set(chosen) <= allowed or not component["min_values"] <= len(chosen) <= component["max_values"]:
                raise AssertionError(f"the client would not allow choosing {chosen}")
            data["values"] = chosen
        payload = self._envelope(3, data, user, int(message["channel_id"]))
        payload["message"] = message
        return await self._deliver(payload, component_message=int(message_id))

    async def submit_modal(
        self, interaction: Mapping[str, Any], values: Mapping[str, str], *, user: str = "ada"
    ) -> dict[str, Any]:
        """Submit the modal `interaction` was answered with, having filled `values` (custom id → text, or
        a select's value). Discord's client refuses what a member could not submit: a required field
        left empty, a value no menu offers, more text than a field takes; so does this."""
        state = self.interactions[int(interaction["id"])]
        if state.modal is None:
            raise AssertionError("that interaction was not answered with a modal")
        unknown = set(values) - {label["component"]["custom_id"] for label in state.modal["components"]}
        if unknown:
            raise AssertionError(f"the modal has no field {sorted(unknown)}")
        submitted: list[dict[str, Any]] = []
        for n, label in enumerate(state.modal["components"], start=1):
            field = label["component"]
            given = values.get(field["custom_id"])
            if not given and field.get("required", True):
                raise AssertionError(f"Discord would not submit the modal with {field['custom_id']} empty")
            if field["type"] == 4:
                if given and len(given) > field.get("max_length", 4000):
                    raise AssertionError(f"{field['custom_id']} takes at most {field['max_length']} characters")
                inner: dict[str, Any] = {"type": 4, "id": n * 2, "custom_id": field["custom_id"], "value": given or ""}
            else:
                if given and given not in {o["value"] for o in field["options"]}:
                    raise AssertionError(f"{field['custom_id']} has no option {given!r}")
                inner = {"type": 3, "id": n * 2, "custom_id": field["custom_id"], "values": [given] if given else []}
            submitted.append({"type": 18, "id": n * 2 - 1, "component": inner})
        data = {"custom_id": state.modal["custom_id"], "components": submitted}
        return await self._deliver(self._envelope(5, data, user, int(state.payload["channel_id"])))

    def message_of(self, recorded: Recorded) -> dict[str, Any]:
        """The stored message a callback or webhook request produced or changed."""
        state = next(
            (s for s in self.interactions.values() if recorded.path.startswith(f"/interactions/{s.payload['id']}/")),
            None,
        )
        if state is not None and state.original_id is not None:
            return self.messages[state.original_id]
        raise AssertionError(f"no message for {recorded.path}")
