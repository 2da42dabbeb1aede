"""What handlers may use: the resources the composition root built, passed in explicitly."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import Catalog
from bot.clock import Clock
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.commands.registry import Registry


@dataclass
class Services:
    """Built once by `bot.runtime.Runtime`; features keep their own helpers in `extras`."""

    settings: Settings
    engine: AsyncEngine
    catalog: Catalog
    clock: Clock
    registry: Registry
    extras: dict[str, Any] = field(default_factory=dict)
