"""Can the bot post in a channel? Discord's permission arithmetic, on the payloads REST returns.

`DiscordPoster.check_channel` fetches the channel, the guild's roles and the bot's own member; this
module computes the bot's permissions there the way Discord documents it: `@everyone`, plus the bot's
roles, Administrator short-circuits, then the channel's overwrites for `@everyone`, for the bot's
roles together, and for the bot itself. A post needs View Channel, Send Messages (Send Messages in
Threads in a thread, whose overwrites are its parent's) and Embed Links (prompts are embeds).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

ADMINISTRATOR = 1 << 3
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 64) - 1

TEXT_CHANNELS = {0, 2, 5, 13}  # text, voice (its text chat), announcement, stage
THREADS = {10, 11, 12}  # announcement thread, public thread, private thread
NAMES = {
    VIEW_CHANNEL: "View Channel",
    SEND_MESSAGES: "Send Messages",
    SEND_MESSAGES_IN_THREADS: "Send Messages in Threads",
    EMBED_LINKS: "Embed Links",
}
ROLE_OVERWRITE = 0
MEMBER_OVERWRITE = 1


def channel_permissions(
    guild_id: int,
    roles: Iterable[Mapping[str, Any]],
    member_roles: Iterable[str | int],
    member_id: int,
    overwrites: Iterable[Mapping[str, Any]],
) -> int:
    """A member's permission bits in one channel, from raw role and overwrite payloads."""
    held = {str(r) for r in member_roles} - {str(guild_id)}
    by_id = {str(r["id"]): int(r["permissions"]) for r in roles}
    bits = by_id.get(str(guild_id), 0)
    for role_id in held:
        bits |= by_id.get(role_id, 0)
    if bits & ADMINISTRATOR:
        return ALL_PERMISSIONS
    found = {str(o["id"]): o for o in overwrites}
    everyone = found.get(str(guild_id))
    if everyone is not None:
        bits = (bits & ~int(everyone["deny"])) | int(everyone["allow"])
    allow = deny = 0
    for role_id in held:
        overwrite = found.get(role_id)
        if overwrite is not None and int(overwrite["type"]) == ROLE_OVERWRITE:
            allow |= int(overwrite["allow"])
            deny |= int(overwrite["deny"])
    bits = (bits & ~deny) | allow
    own = found.get(str(member_id))
    if own is not None and int(own["type"]) == MEMBER_OVERWRITE:
        bits = (bits & ~int(own["deny"])) | int(own["allow"])
    return bits


def missing(bits: int, needed: Sequence[int]) -> list[str]:
    """The names of the needed permissions that `bits` lacks, in Discord's own wording."""
    if not bits & VIEW_CHANNEL:
        return [NAMES[VIEW_CHANNEL]]  # without it Discord denies everything else in the channel
    return [NAMES[n] for n in needed if not bits & n]


def needed_in(kind: int) -> tuple[int, ...] | None:
    """The permissions a post needs in a channel of type `kind`; None where no message can be posted."""
    if kind in THREADS:
        return (VIEW_CHANNEL, SEND_MESSAGES_IN_THREADS, EMBED_LINKS)
    if kind in TEXT_CHANNELS:
        return (VIEW_CHANNEL, SEND_MESSAGES, EMBED_LINKS)
    return None  # a category, forum, media or directory channel
