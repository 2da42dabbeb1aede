"""Comparing what discord.py sent with what `render` said it should send."""

from __future__ import annotations

from typing import Any

from adapters.discord.render import EPHEMERAL, render
from bot.replies import Reply, as_delivered

_COMPONENT_KEYS = ("type", "style", "label", "custom_id", "placeholder", "min_values", "max_values", "options")


def _component(component: dict[str, Any]) -> dict[str, Any]:
    if component.get("type") == 1:
        return {"type": 1, "components": [_component(c) for c in component["components"]]}
    out = {k: component[k] for k in _COMPONENT_KEYS if k in component}
    if "options" in out:
        out["options"] = [
            {k: o[k] for k in ("label", "value", "description") if o.get(k) is not None} for o in out["options"]
        ]
    return out


def _embed(embed: dict[str, Any]) -> dict[str, Any]:
    # discord.py adds `flags: 0` to every embed; Discord ignores it.
    return {k: v for k, v in embed.items() if not (k == "flags" and v == 0)}


def sent(body: dict[str, Any]) -> dict[str, Any]:
    """A message body as discord.py sent it, reduced to the keys `RenderedMessage.payload` has."""
    out: dict[str, Any] = {
        "embeds": [_embed(e) for e in body.get("embeds") or []],
        "components": [_component(c) for c in body.get("components") or []],
        "allowed_mentions": body.get("allowed_mentions"),
    }
    if body.get("content") is not None:
        out["content"] = body["content"]
    if int(body.get("flags") or 0) & EPHEMERAL:
        out["flags"] = EPHEMERAL
    return out


def expected(reply: Reply) -> list[dict[str, Any]]:
    """Every message body the renderer makes of `reply`, with its ephemeral flag (beside its file, a
    reply shows its attachment's caption, if any, in place of the text)."""
    return [dict(m.payload(ephemeral=reply.ephemeral)) for m in render(as_delivered(reply))]
