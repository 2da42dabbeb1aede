"""Product features; each module declares its commands through `register(registry)`."""

from __future__ import annotations

from bot.catalog.loader import ExtraLoader
from bot.commands.registry import Registry
from bot.features import choices, help, profile

FEATURES = (choices, help, profile)
# Feature content beyond exams, FAQ and questions (study paths, …), checked by `content check`.
EXTRA_LOADERS: tuple[ExtraLoader, ...] = ()


def build_registry() -> Registry:
    registry = Registry()
    for feature in FEATURES:
        feature.register(registry)
    return registry


__all__ = ["EXTRA_LOADERS", "FEATURES", "build_registry"]
