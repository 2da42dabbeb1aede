"""The OAuth2 invite URL: exactly the scopes and permissions studybot needs, and no more.

Scopes: `bot` (a bot user in the server) and `applications.commands` (its slash commands).
Permissions, each for a reason (docs/discord.md repeats them for server admins):

- View Channel: see the channels it is asked to post in (schedules, reveals).
- Send Messages: post scheduled questions, reveals and reminders through the Poster. Answers to
  slash commands and button presses are interaction responses and need no permission at all.
- Send Messages in Threads: the same inside threads, where study groups often talk.
- Embed Links: replies are embeds (titles, fields); without it Discord drops them.
- Attach Files: `/profile export` and the `/stats` picture are files attached to the reply, which
  Discord checks against the app's permissions in the channel like embeds.
- Read Message History: reply to and edit its earlier posts (a reveal follows its question) in
  channels whose history is otherwise hidden from the bot.

Not needed: Administrator, Manage Messages, Mention Everyone (mentions are always disabled), and
no privileged intents (message content, members, presences).
"""

from __future__ import annotations

import discord

SCOPES = ("bot", "applications.commands")


def bot_permissions() -> discord.Permissions:
    return discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        embed_links=True,
        attach_files=True,
        read_message_history=True,
    )


def invite_url(client_id: int | str) -> str:
    return discord.utils.oauth_url(client_id, permissions=bot_permissions(), scopes=SCOPES)
