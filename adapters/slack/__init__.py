"""The Slack adapter: slash commands and buttons in, Block Kit out, through a Bolt `AsyncApp`."""

from __future__ import annotations

from adapters.slack.app import SlackAdapter
from adapters.slack.poster import SlackPoster
from adapters.slack.render import RenderError, render

__all__ = ["RenderError", "SlackAdapter", "SlackPoster", "render"]
