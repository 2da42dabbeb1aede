"""The Slack adapter: slash commands and buttons in, Block Kit out, through a Bolt `AsyncApp`.

`adapters.slack.render.render(reply)` is the renderer; it is not re-exported here, so that
`adapters.slack.render` stays the module.
"""

from __future__ import annotations

from adapters.slack.app import SlackAdapter
from adapters.slack.poster import SlackPoster
from adapters.slack.render import RenderError

__all__ = ["RenderError", "SlackAdapter", "SlackPoster"]
