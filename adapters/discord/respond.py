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
import io
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import discord

from adapters.discord.components import build_view
from adapters.discord.render import RenderedMessage, render
from bot.replies import Reply, as_delivered

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


def file_of(reply: Reply) -> discord.File | None:
    """The reply's attachment as a file of a multipart request, its alt text as the description."""
    attached = reply.attachment
    if attached is None:
        return None
    return discord.File(io.BytesIO(attached.content), filename=attached.filename, description=attached.alt_text or None)


def shown(reply: Reply) -> tuple[tuple[RenderedMessage, ...], discord.File | None]:
    """The messages that show `reply` and the file the first of them carries (the caption, if any,
    in place of the text the file repeats)."""
    return render(as_delivered(reply)), file_of(reply)


def _with_file(kwargs: dict[str, Any], file: discord.File | None, *, edit: bool = False) -> dict[str, Any]:
    """`kwargs` for a send (`file`) or an edit (`attachments`, which replaces what the message had)."""
    if file is not None and edit:
        kwargs["attachments"] = [file]
    elif file is not None:
        kwargs["file"] = file
    return kwargs


Send = Callable[[tuple[RenderedMessage, ...], discord.File | None], Awaitable[Any]]


def _too_large(exc: discord.HTTPException) -> bool:
    return exc.status == 413 or exc.code == 40005


async def _first(reply: Reply, send: Send) -> tuple[RenderedMessage, ...]:
    """Send the start of `reply` with its file, and return the messages sent; when Discord refuses the
    file as too large (413), send the reply as text instead, which holds what the file holds."""
    messages, file = shown(reply)
    try:
        await send(messages, file)
    except discord.HTTPException as exc:
        if file is None or not _too_large(exc):
            raise
        assert reply.attachment is not None
        log.warning("discord refused %s as too large (%d bytes); sending it as text", reply.attachment.filename,
                    len(reply.attachment.content))  # fmt: skip
        messages = render(reply)
        await send(messages, None)
    return messages


async def _follow(
    interaction: discord.Interaction,
    messages: Sequence[RenderedMessage],
    ephemeral: bool,
    file: discord.File | None = None,
) -> None:
    for n, message in enumerate(messages):
        await interaction.followup.send(
            ephemeral=ephemeral, **_with_file(send_kwargs(message), file if n == 0 else None)
        )


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
            messages = await _first(
                reply,
                lambda m, f: interaction.response.send_message(
                    ephemeral=reply.ephemeral, **_with_file(send_kwargs(m[0]), f)
                ),
            )
            await _follow(interaction, messages[1:], reply.ephemeral)
            log.debug("answered in %.1f ms", (time.perf_counter() - started) * 1000)
            return False
        await interaction.response.defer(ephemeral=True, thinking=True)
        log.debug("deferred after %.1f ms", (time.perf_counter() - started) * 1000)
        reply = await task
        if reply.ephemeral:
            messages = await _first(
                reply, lambda m, f: interaction.edit_original_response(**_with_file(edit_kwargs(m[0]), f, edit=True))
            )
            await _follow(interaction, messages[1:], True)
        else:
            await interaction.edit_original_response(
                content=PUBLIC_AFTER_DEFER_NOTE, embeds=[], view=None, allowed_mentions=NO_MENTIONS
            )
            await _first(reply, lambda m, f: _follow(interaction, m, False, f))
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
            if reply.replace:
                messages = await _first(
                    reply, lambda m, f: interaction.response.edit_message(**_with_file(edit_kwargs(m[0]), f, edit=True))
                )
            else:
                messages = await _first(
                    reply,
                    lambda m, f: interaction.response.send_message(
                        ephemeral=reply.ephemeral, **_with_file(send_kwargs(m[0]), f)
                    ),
                )
            await _follow(interaction, messages[1:], reply.ephemeral)
            return False
        await interaction.response.defer()
        reply = await task
        if reply.replace:
            messages = await _first(
                reply, lambda m, f: interaction.edit_original_response(**_with_file(edit_kwargs(m[0]), f, edit=True))
            )
            await _follow(interaction, messages[1:], reply.ephemeral)
        else:
            await _first(reply, lambda m, f: _follow(interaction, m, reply.ephemeral, f))
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
