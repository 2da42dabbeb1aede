"""What handlers may use: every resource the composition root built, as typed fields.

`bot.runtime.Runtime` is the one place that builds a `Services`. A feature that needs something new
adds a field here and builds it there, so a missing dependency is a type error, not a feature that
silently switches itself off.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.catalog import Catalog
from bot.catalog.ask import AskEngine
from bot.catalog.questions import QuestionIndex
from bot.clock import Clock
from bot.metrics import Metrics
from bot.paths.context import PathContext
from bot.practice.writer import AnswerWriter
from bot.schedule.ports import Posters, ScheduleControl
from bot.settings import Settings
from bot.store.moderators import ModeratorCache


@dataclass(frozen=True)
class Ownership:
    """Which workspaces' scheduled posts are this process's to claim, when several processes split a
    platform between them (Discord's gateway shards): a predicate on (platform, workspace).

    A platform without a rule is served whole by every process, and claims alone keep each delivery
    once. With a rule, a delivery in a workspace another process serves is left to that process.
    """

    rules: Mapping[str, Callable[[str], bool]] = field(default_factory=dict)
    """By platform name: whether a workspace of that platform is served here."""

    def __call__(self, platform: str, workspace: str) -> bool:
        rule = self.rules.get(platform)
        return rule is None or rule(workspace)

    @property
    def everything(self) -> bool:
        """True when this process serves every workspace, so nothing need be filtered."""
        return not self.rules


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    catalog: Catalog
    clock: Clock
    questions: QuestionIndex
    """Every question by id: the shipped banks in memory, a workspace's own from the store."""
    ask: AskEngine
    paths: PathContext
    """Study-path rules and which exams renew which."""
    writer: AnswerWriter
    """The one group-commit writer of practice answers."""
    posters: Posters
    """The platforms this process is connected to; filled as each adapter connects."""
    moderators: ModeratorCache
    metrics: Metrics | None
    """What this process counts for `/metrics`; None when it serves no metrics (no health port), so
    nothing is counted that no one can read."""
    owns: Ownership
    """Whose deliveries this process claims (its Discord shards' guilds); everything when unsharded."""
    schedule: ScheduleControl = field(init=False)
    """The scheduler's controls (change notifications, previews); set by the runtime right after."""
