"""Schemas for `content/paths/`: roles, experience bands, goals, warnings, advice and per-exam plans.

Like the rest of the content, every model forbids unknown keys and is frozen, so a typo fails
`studybot content check` instead of quietly dropping a rule. Limits on text lengths keep one plan
inside what a Discord embed or a Slack section can show without splitting.
"""

from __future__ import annotations

import string
from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.catalog.models import SLUG, Level, Strict

BandId = str
WarningId = Literal["too-early", "goal-retired", "expired-held", "expiring-soon", "nothing-left"]

# The placeholders each warning may use; the planner fills exactly these.
WARNING_FIELDS: dict[str, frozenset[str]] = {
    "too-early": frozenset({"exam", "level", "min_years", "years"}),
    "goal-retired": frozenset({"exam", "successor"}),
    "expired-held": frozenset({"exam", "expired"}),
    "expiring-soon": frozenset({"exam", "days", "expires"}),
    "nothing-left": frozenset(),
}


def _slug(value: str, what: str) -> str:
    if not SLUG.match(value):
        raise ValueError(f"{what} {value!r} must be lower-case words joined by hyphens")
    return value


class RoleStep(Strict):
    """One exam in a role's default path."""

    exam: str
    why: str = Field(min_length=20, max_length=300)
    bands: tuple[BandId, ...] = ()
    goals: tuple[str, ...] = ()
    optional: bool = False


class Role(Strict):
    id: str
    label: str = Field(min_length=2, max_length=40)
    # How a sentence names the people in the role ("For someone new to IT or changing careers, ..."):
    # a label such as "New to IT / career changer" reads as a button, not as words in a sentence.
    who: str = Field(min_length=3, max_length=60)
    aliases: tuple[str, ...] = ()
    technical: bool
    summary: str = Field(min_length=10, max_length=200)
    path: tuple[RoleStep, ...] = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _slug(value, "role id")


class RolesFile(Strict):
    roles: tuple[Role, ...] = Field(min_length=1)


class Band(Strict):
    """An experience band: the buttons `/path` offers and the estimate column it reads."""

    id: str
    label: str = Field(min_length=2, max_length=40)
    min_years: int = Field(ge=0)
    max_years: int | None = Field(default=None, ge=0)
    store_years: int = Field(ge=0)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _slug(value, "band id")

    @model_validator(mode="after")
    def _inside(self) -> Band:
        if self.max_years is not None and self.max_years < self.min_years:
            raise ValueError(f"band {self.id}: max_years is below min_years")
        if not self.contains(self.store_years):
            raise ValueError(f"band {self.id}: store_years {self.store_years} is outside the band")
        return self

    def contains(self, years: int) -> bool:
        return years >= self.min_years and (self.max_years is None or years <= self.max_years)


class Goal(Strict):
    id: str
    label: str = Field(min_length=2, max_length=40)
    aliases: tuple[str, ...] = ()
    max_steps: int | None = Field(default=None, ge=1)
    extra_exams: tuple[str, ...] = ()

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _slug(value, "goal id")


class WarningText(Strict):
    id: WarningId
    text: str = Field(min_length=10, max_length=400)
    source: str | None = None

    @model_validator(mode="after")
    def _placeholders(self) -> WarningText:
        used = {name for _, name, _, _ in string.Formatter().parse(self.text) if name}
        unknown = used - WARNING_FIELDS[self.id]
        if unknown:
            allowed = ", ".join(sorted(WARNING_FIELDS[self.id])) or "none"
            raise ValueError(f"warning {self.id} uses {sorted(unknown)}; it may use: {allowed}")
        return self


class Advice(Strict):
    """Shown when every condition given matches; an empty condition matches everyone."""

    id: str
    text: str = Field(min_length=20, max_length=500)
    source: str | None = None
    roles: tuple[str, ...] = ()
    bands: tuple[BandId, ...] = ()
    goals: tuple[str, ...] = ()
    technical: bool | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        return _slug(value, "advice id")


class RulesFile(Strict):
    # Each entry is a level, or a list of levels that share a rung (neither comes before the other).
    level_order: tuple[Level | tuple[Level, ...], ...]
    bands: tuple[Band, ...] = Field(min_length=1)
    goals: tuple[Goal, ...] = Field(min_length=1)
    warnings: tuple[WarningText, ...]
    advice: tuple[Advice, ...] = ()

    @property
    def level_ranks(self) -> dict[str, int]:
        """Level → its rung in `level_order`; levels sharing a rung share a rank."""
        return {
            level: rank
            for rank, rung in enumerate(self.level_order)
            for level in ((rung,) if isinstance(rung, str) else rung)
        }

    @model_validator(mode="after")
    def _complete(self) -> RulesFile:
        named = [level for rung in self.level_order for level in ((rung,) if isinstance(rung, str) else rung)]
        if sorted(named) != sorted({"foundational", "associate", "specialty", "professional"}):
            raise ValueError("level_order must name each of the four levels once")
        for before, after in zip(self.bands, self.bands[1:], strict=False):
            if before.max_years is None or after.min_years != before.max_years + 1:
                raise ValueError(f"band {after.id} must start the year after band {before.id} ends")
        if self.bands[0].min_years != 0 or self.bands[-1].max_years is not None:
            raise ValueError("bands must start at 0 years and the last must have no max_years")
        missing = set(WARNING_FIELDS) - {w.id for w in self.warnings}
        if missing:
            raise ValueError(f"warnings missing: {sorted(missing)}")
        return self


class Project(Strict):
    title: str = Field(min_length=5, max_length=80)
    build: str = Field(min_length=40, max_length=420)
    domains: tuple[str, ...] = Field(min_length=1)
    roles: tuple[str, ...] = ()


class Prerequisite(Strict):
    """What a plan builds on: one exam (`SAA-C03`), or any one of several (`{any_of: [DVA-C02, SOA-C03]}`).

    A bare code is read as a choice of one, so the planner and the checks see a single shape.
    """

    any_of: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _bare_code(cls, value: object) -> object:
        return {"any_of": (value,)} if isinstance(value, str) else value

    @field_validator("any_of")
    @classmethod
    def _distinct(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("names an exam twice")
        return value


class ExamPlan(Strict):
    """What `/path` knows about one current exam beyond the fact sheet."""

    exam: str
    why: str = Field(min_length=20, max_length=300)
    hours: dict[BandId, int]
    min_years: int = Field(default=0, ge=0)
    builds_on: tuple[Prerequisite, ...] = ()
    renews: tuple[str, ...] = ()
    projects: tuple[Project, ...] = Field(min_length=1)

    @field_validator("hours")
    @classmethod
    def _positive(cls, value: dict[str, int]) -> dict[str, int]:
        for band, hours in value.items():
            if not 1 <= hours <= 1000:
                raise ValueError(f"hours for {band} must be between 1 and 1000")
        return value


class ExamsFile(Strict):
    exams: tuple[ExamPlan, ...] = Field(min_length=1)
