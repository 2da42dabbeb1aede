"""The Discord adapter: slash commands, buttons and a REST `Poster`, generated from the declarations."""

from __future__ import annotations

from adapters.discord.client import DiscordAdapter
from adapters.discord.poster import DiscordPoster
from adapters.discord.render import RenderedMessage, render, render_one

__all__ = ["DiscordAdapter", "DiscordPoster", "RenderedMessage", "render", "render_one"]
