"""Product features; each module declares its commands through `register(registry)`."""

from __future__ import annotations

from bot.catalog.loader import ExtraLoader
from bot.commands.registry import Registry
from bot.features import (
    admin,
    admin_config,
    admin_group,
    banks,
    certs,
    choices,
    digests,
    errata,
    group_prompts,
    help,
    mycerts,
    notify,
    paths,
    practice,
    profile,
    seasons,
)
from bot.paths import loader as paths_content

FEATURES = (
    choices,
    help,
    certs,
    profile,
    notify,
    admin_group,
    practice,
    banks,
    mycerts,
    paths,
    admin,
    admin_config,
    digests,
    group_prompts,
    seasons,
    errata,
)
# Feature content beyond exams, FAQ and questions (study paths, …), checked by `content check`.
EXTRA_LOADERS: tuple[ExtraLoader, ...] = (paths_content.LOADER,)


def build_registry() -> Registry:
    registry = Registry()
    for feature in FEATURES:
        feature.register(registry)
    return registry


__all__ = ["EXTRA_LOADERS", "FEATURES", "build_registry"]
