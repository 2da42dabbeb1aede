"""studybot's platform-neutral core. It never imports discord, slack_bolt or slack_sdk."""

from __future__ import annotations

from bot.actions import ActionId
from bot.replies import Button, Field, Reply, Select, SelectOption
from bot.requests import Action, Identity, Request

__all__ = ["Action", "ActionId", "Button", "Field", "Identity", "Reply", "Request", "Select", "SelectOption"]
