"""Answering an interaction within Discord's 3 seconds, and sending what `render` produced.

Discord invalidates an interaction that gets no response within 3 s. A fast command is answered
directly once the core returns. A command declared `slow`, or any command or press the core has not
finished after `defer_after` seconds (a safety net), is deferred first and followed up.

Deferring fixes ephemerality before the reply is known, so a deferred command defers privately (the
"thinking…" line is seen only by the member): a private reply then replaces it, while a public reply
turns it into a one-line note and is posted as a public follow-up, which Discord treats as a new
message once the deferred one has been edited. A deferred press uses DEFERRED_UPDATE_MESSAGE, which
shows nothing, and then edits the pressed message (`Reply.replace`) or follows up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import discord

from adapters.discord.components import build_view
from adapters.discord.render import RenderedMessage, render
from bot.replies import Reply

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
PUBLIC_AFTER_DEFER_NOTE = "Posted below."


def allowed_mentions(message: RenderedMessage) -> discord.AllowedMentions:
    """Mentions off, except the one role a scheduled channel post was rendered to ping."""
    if message.mention is None:
        return NO_MENTIONS
    return discord.AllowedMentions(
        everyone=False, users=False, roles=[discord.Object(id=int(message.mention))], replied_user=False
    )


def send_kwargs(message: RenderedMessage) -> dict[str, Any]:
    """Keyword arguments for discord.py's send methods; mentions off but a channel post's own role."""
    kwargs: dict[str, Any] = {
        "embeds": [discord.Embed.from_dict(dict(e)) for e in message.embeds],
        "allowed_mentions": allowed_mentions(message),
    }
    if message.content is not None:
        kwargs["content"] = message.content
    view = build_view(message.components)
    if view is not None:
        kwargs["view"] = view
    return kwargs


def edit_kwargs(message: RenderedMessage) -> dict[str, Any]:
    """Keyword arguments for discord.py's edit methods: every part given, so nothing stale remains.

    Edits never allow a ping, not even a post's own role mention: the text keeps showing the role,
    and a count updated on every press can never notify anyone again.
    """
    return {
        "content": message.content,
        "embeds": [discord.Embed.from_dict(dict(e)) for e in message.embeds],
        "view": build_view(message.components),
        "allowed_mentions": NO_MENTIONS,
    }


async def _follow(interaction: discord.Interaction, messages: Sequence[RenderedMessage], ephemeral: bool) -> None:
    for message in messages:
        await interaction.followup.send(ephemeral=ephemeral, **send_kwargs(message))


def _retrieve(task: asyncio.Future[Reply]) -> None:
    """Keep a core task that outlives a failed answer from warning "exception never retrieved"."""
    if not task.cancelled():
        task.exception()


Sleep = Callable[[float], Awaitable[None]]


async def _wait(task: asyncio.Future[Reply], seconds: float, sleep: Sleep) -> bool:
    """Whether `task` finished before `sleep(seconds)` did; the sleep is injected so tests decide
    when the deadline passes instead of racing a real clock."""
    timer: asyncio.Future[None] = asyncio.ensure_future(sleep(seconds))
    try:
        racing: list[asyncio.Future[Any]] = [task, timer]
        await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
    finally:
        timer.cancel()
    return task.done()


async def answer_command(
    interaction: discord.Interaction,
    work: Coroutine[Any, Any, Reply],
    *,
    slow: bool,
    defer_after: float,
    sleep: Sleep = asyncio.sleep,
) -> bool:
    """Answer a slash command with the core's reply; returns whether it had to defer."""
    started = time.perf_counter()
    task: asyncio.Future[Reply] = asyncio.ensure_future(work)
    try:
        if not slow and await _wait(task, defer_after, sleep):
            reply = task.result()
            messages = render(reply)
            await interaction.response.send_message(ephemeral=reply.ephemeral, **send_kwargs(messages[0]))
            await _follow(interaction, messages[1:], reply.ephemeral)
            log.debug("answered in %.1f ms", (time.perf_counter() - started) * 1000)
            return False
        await interaction.response.defer(ephemeral=True, thinking=True)
        log.debug("deferred after %.1f ms", (time.perf_counter() - started) * 1000)
        reply = await task
        messages = render(reply)
        if reply.ephemeral:
            await interaction.edit_original_response(**edit_kwargs(messages[0]))
            await _follow(interaction, messages[1:], True)
        else:
            await interaction.edit_original_response(
                content=PUBLIC_AFTER_DEFER_NOTE, embeds=[], view=None, allowed_mentions=NO_MENTIONS
            )
            await _follow(interaction, messages, False)
        return True
    except BaseException:
        task.add_done_callback(_retrieve)
        raise


async def answer_component(
    interaction: discord.Interaction,
    work: Coroutine[Any, Any, Reply],
    *,
    defer_after: float,
    sleep: Sleep = asyncio.sleep,
    open_form: Callable[[Reply], Awaitable[bool]] | None = None,
) -> bool:
    """Answer a button press or select choice; returns whether it had to defer. A reply asking for a
    form is answered with its modal by `open_form` when it came in time (a modal must be the first
    answer); once deferred, its text, which says what to type, is sent instead."""
    task: asyncio.Future[Reply] = asyncio.ensure_future(work)
    try:
        if await _wait(task, defer_after, sleep):
            reply = task.result()
            if reply.form is not None and open_form is not None and await open_form(reply):
                return False
            messages = render(reply)
            if reply.replace:
                await interaction.response.edit_message(**edit_kwargs(messages[0]))
            else:
                await interaction.response.send_message(ephemeral=reply.ephemeral, **send_kwargs(messages[0]))
            await _follow(interaction, messages[1:], reply.ephemeral)
            return False
        await interaction.response.defer()
        reply = await task
        messages = render(reply)
        if reply.replace:
            await interaction.edit_original_response(**edit_kwargs(messages[0]))
            await _follow(interaction, messages[1:], reply.ephemeral)
        else:
            await _follow(interaction, messages, reply.ephemeral)
        return True
    except BaseException:
        task.add_done_callback(_retrieve)
        raise


async def apologise(interaction: discord.Interaction, reply: Reply) -> None:
    """Send an error reply on whichever channel is still open for this interaction."""
    message = render(reply)[0]
    if interaction.response.is_done():
        await interaction.followup.send(ephemeral=True, **send_kwargs(message))
    else:
        await interaction.response.send_message(ephemeral=True, **send_kwargs(message))
