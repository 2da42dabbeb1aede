"""A reply's file on Slack: uploaded with the external upload flow, then the reply names where it went.

`files_upload_v2` does Slack's three steps: `files.getUploadURLExternal` (a URL and a file id), the
bytes posted to that URL, and `files.completeUploadExternal`, which shares the file in a channel. Slack
cannot attach a file to an ephemeral message, and a member's data export or stats are for the member
alone, so a private reply's file goes to the member's direct messages with the app (`conversations.open`)
and the private reply says so; a public reply's file is shared in its channel. Without `files:write`
(an app installed before it was asked for), with uploads turned off in the workspace or with Slack out
of reach, the reply is sent as it is: its text holds what the file holds.
"""

from __future__ import annotations

import dataclasses
import logging

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.markup import code
from bot.replies import Reply, as_delivered

log = logging.getLogger(__name__)

UNREACHABLE = (aiohttp.ClientError, TimeoutError)


async def deliver_file(client: AsyncWebClient, reply: Reply, channel: str, user: str) -> Reply:
    """Upload `reply`'s attachment, then the reply to show beside it; `reply` itself when it has no
    attachment or the upload failed (logged with Slack's reason)."""
    attached = reply.attachment
    if attached is None:
        return reply
    try:
        target = channel
        if reply.ephemeral:
            opened = await client.conversations_open(users=user)
            target = str(opened["channel"]["id"])
        await client.files_upload_v2(
            channel=target,
            file=attached.content,
            filename=attached.filename,
            title=attached.filename,
            alt_txt=attached.alt_text or None,
            request_file_info=False,  # what files.info would say is not needed, nor its files:read
        )
    except (SlackApiError, SlackRequestError, *UNREACHABLE) as exc:  # a refused upload URL: SlackRequestError
        reason = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
        log.warning("slack: could not upload %s (%s); sending it as text", attached.filename, reason)
        return dataclasses.replace(reply, attachment=None)
    return beside_file(reply, elsewhere=target != channel)


def beside_file(reply: Reply, *, elsewhere: bool) -> Reply:
    """The reply as shown once its file was uploaded: the caption, if any, in place of the text, and
    where the file went when that is `elsewhere` than the reply's channel (the member's DMs)."""
    shown = dataclasses.replace(as_delivered(reply), attachment=None)
    if not elsewhere or reply.attachment is None:
        return shown
    note = f"I sent {code(reply.attachment.filename)} to our direct messages."
    return dataclasses.replace(shown, text=f"{shown.text}\n{note}" if shown.text else note)
