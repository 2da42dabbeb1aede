"""Declaring, parsing and dispatching commands."""

from __future__ import annotations

from bot.commands.dispatch import Core
from bot.commands.registry import RegistrationError, Registry
from bot.commands.spec import (
    ActionSpec,
    Choice,
    CommandSpec,
    GroupSpec,
    OptionSpec,
    OptionType,
    Permission,
)

__all__ = [
    "ActionSpec",
    "Choice",
    "CommandSpec",
    "Core",
    "GroupSpec",
    "OptionSpec",
    "OptionType",
    "Permission",
    "RegistrationError",
    "Registry",
]
