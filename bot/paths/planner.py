"""The study-path planner: pure functions from who someone is to an ordered list of exams.

No I/O and no wording beyond what `content/paths/` says: the feature gathers the person (role,
experience, goal, what they hold) and renders the plan; tests call `make_plan` directly with hundreds
of personas. The rules it applies, in order:

1. Start from the role's default path (steps limited to the member's band and goal), or, for a goal that
   names an exam, from that exam plus the role's entry step below it.
2. Add the goal's extra exams, every exam a step builds on, and held certifications that expired. For a
   step that builds on any one of several exams, nothing is added when one is already planned; else the
   one held, the one the role's path names, or the first listed, in that order.
3. Order by level (`level_order`; levels on one rung tie), then by the role's own order; an exam's
   `builds_on` is always of a lower rung, so it always comes first.
4. Mark held exams (or older versions of them) done; cap the steps still to do at the goal's
   `max_steps`, always keeping the exam the goal named.
5. Steps before the recommended experience are marked `later` and warned about; advice is chosen by
   role, band, goal and whether the role is technical.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from bot.catalog.models import Exam
from bot.errors import UserError
from bot.paths.loader import PathRules
from bot.paths.models import Advice, Band, ExamPlan, Goal, Project, Role
from bot.words import plural

LEVEL_LABELS = {
    "foundational": "Foundational",
    "associate": "Associate",
    "professional": "Professional",
    "specialty": "Specialty",
}


class NoCurrentExam(UserError):
    """A goal named a retired exam that has no successor to aim at instead."""


@dataclass(frozen=True, slots=True)
class Person:
    """Who the plan is for. `held` are exam codes held and still valid, any version."""

    role: str
    years: int
    goal: str | None = None
    target: str | None = None  # an exam code the goal names, current or retired
    held: frozenset[str] = frozenset()
    expired: Mapping[str, dt.date] = field(default_factory=dict)  # code → the day it expired
    expiring: Mapping[str, tuple[int, dt.date]] = field(default_factory=dict)  # code → (days left, expiry)


@dataclass(frozen=True, slots=True)
class Step:
    exam: str
    level: str
    status: Literal["done", "todo"]
    reason: str
    hours: int | None = None
    project: Project | None = None
    optional: bool = False
    later: bool = False  # before the experience AWS recommends for it
    held_as: str | None = None  # the older exam version held, when it counts for this one
    is_goal: bool = False


@dataclass(frozen=True, slots=True)
class Note:
    id: str
    text: str
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    role: Role
    band: Band
    years: int
    goal: Goal | None
    target: str | None
    steps: tuple[Step, ...]
    warnings: tuple[Note, ...]
    advice: tuple[Note, ...]
    also_held: tuple[str, ...]  # held exams the path does not mention

    @property
    def todo(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.status == "todo")

    @property
    def done(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.status == "done")


def current_version(code: str, exams: Mapping[str, Exam]) -> str | None:
    """The bookable exam a code stands for today: itself, its successor's successor, or None."""
    seen: set[str] = set()
    exam = exams.get(code)
    while exam is not None and exam.status != "current" and exam.replaced_by and exam.code not in seen:
        seen.add(exam.code)
        exam = exams.get(exam.replaced_by)
    return exam.code if exam is not None and exam.status == "current" else None


def aim(code: str, exams: Mapping[str, Exam]) -> str:
    """The current exam a goal naming `code` aims at; checked before anything is saved.

    Raises:
        NoCurrentExam: when `code` is retired and nothing replaced it.
    """
    target = current_version(code, exams)
    if target is None:
        exam = exams[code]
        raise NoCurrentExam(
            f"{exam.code} is retired and has no successor to aim at.",
            exam.notes or "Pick a current exam as your goal; `/cert` lists them.",
        )
    return target


@dataclass
class _Candidate:
    exam: str
    reason: str
    order: int
    optional: bool = False
    is_goal: bool = False


def _warning(rules: PathRules, warning_id: str, **values: object) -> Note:
    text = rules.warnings[warning_id]
    return Note(warning_id, text.text.format(**values), text.source)


def _project(plan: ExamPlan, role: Role) -> Project:
    for project in plan.projects:
        if role.id in project.roles:
            return project
    return next((p for p in plan.projects if not p.roles), plan.projects[0])


def _pick(options: tuple[str, ...], held: Mapping[str, str], role_order: Mapping[str, int]) -> str:
    """Which exam of an `any_of` choice to plan: one already held, else the role's own, else the first listed."""
    held_option = next((option for option in options if option in held), None)
    if held_option is not None:
        return held_option
    return min(options, key=lambda option: (role_order.get(option, len(role_order)), options.index(option)))


def _applies(advice: Advice, role: Role, band: Band, goal: Goal | None) -> bool:
    return (
        (not advice.roles or role.id in advice.roles)
        and (not advice.bands or band.id in advice.bands)
        and (not advice.goals or (goal is not None and goal.id in advice.goals))
        and (advice.technical is None or advice.technical == role.technical)
    )


def make_plan(person: Person, exams: Mapping[str, Exam], rules: PathRules) -> Plan:
    """The ordered path for `person`, with reasons, estimates, projects, warnings and advice.

    Raises:
        KeyError: for a role id the rules do not define (the feature resolves names first).
        NoCurrentExam: when the goal names a retired exam without a successor.
    """
    role = rules.roles[person.role]
    years = max(0, person.years)
    band = rules.band_for(years)
    goal = rules.goals.get(person.goal) if person.goal else None
    warnings: list[Note] = []

    target = None
    if person.target is not None:
        target = aim(person.target, exams)
        if target != person.target:
            warnings.append(_warning(rules, "goal-retired", exam=person.target, successor=target))

    held: dict[str, str] = {}  # current code → the code actually held
    for code in sorted(person.held):
        current = current_version(code, exams)
        if current is not None and (current not in held or code == current):
            held[current] = code

    role_order = {step.exam: i for i, step in enumerate(role.path)}
    candidates: dict[str, _Candidate] = {}

    def add(code: str, reason: str, *, optional: bool = False, is_goal: bool = False) -> None:
        found = candidates.get(code)
        if found is None:
            order = role_order.get(code, 100 + len(candidates))
            candidates[code] = _Candidate(code, reason, order, optional, is_goal)
        elif is_goal:
            found.is_goal, found.optional = True, False

    steps_for_person = [
        s
        for s in role.path
        if (not s.bands or band.id in s.bands) and (not s.goals or (goal is not None and goal.id in s.goals))
    ]
    if target is not None:
        rank = rules.level_rank(exams[target].level)
        entry = next((s for s in steps_for_person if not s.optional), None)
        if entry is not None and rules.level_rank(exams[entry.exam].level) < rank:
            add(entry.exam, entry.why)
        role_step = next((s for s in role.path if s.exam == target), None)
        add(target, role_step.why if role_step else rules.exams[target].why, is_goal=True)
    else:
        for step in steps_for_person:
            add(step.exam, step.why, optional=step.optional)
        for code in goal.extra_exams if goal else ():
            add(code, rules.exams[code].why)

    for code, day in sorted(person.expired.items()):
        current = current_version(code, exams)
        if current is not None and current not in held:
            warnings.append(_warning(rules, "expired-held", exam=code, expired=day.isoformat()))
            add(current, f"Your {code} certification expired on {day.isoformat()}; take it again to be certified.")
    for code, (days, day) in sorted(person.expiring.items()):
        left = plural(days, "day")
        warnings.append(_warning(rules, "expiring-soon", exam=code, days=left, expires=day.isoformat()))

    pending = list(candidates)
    while pending:  # everything a step builds on, however deep
        code = pending.pop()
        for prerequisite in rules.exams[code].builds_on:
            options = prerequisite.any_of
            if any(option in candidates for option in options):
                continue
            base = _pick(options, held, role_order)
            others = [option for option in options if option != base]
            also = f" or on {' or '.join(others)}" if others else ""
            add(base, f"Comes before {code}, which builds on it{also}. {rules.exams[base].why}")
            pending.append(base)

    ordered = sorted(candidates.values(), key=lambda c: (rules.level_rank(exams[c.exam].level), c.order))
    steps: list[Step] = []
    todo = 0
    for candidate in ordered:
        exam = exams[candidate.exam]
        plan = rules.exams[candidate.exam]
        if candidate.exam in held:
            held_code = held[candidate.exam]
            steps.append(
                Step(
                    candidate.exam,
                    exam.level,
                    "done",
                    candidate.reason,
                    held_as=held_code if held_code != candidate.exam else None,
                    is_goal=candidate.is_goal,
                )
            )
            continue
        if goal is not None and goal.max_steps is not None and todo >= goal.max_steps and not candidate.is_goal:
            continue
        todo += 1
        later = years < plan.min_years
        if later:
            warnings.append(
                _warning(
                    rules,
                    "too-early",
                    exam=candidate.exam,
                    level=LEVEL_LABELS[exam.level],
                    min_years=plan.min_years,
                    years=years,
                )
            )
        steps.append(
            Step(
                candidate.exam,
                exam.level,
                "todo",
                candidate.reason,
                hours=plan.hours[band.id],
                project=_project(plan, role),
                optional=candidate.optional,
                later=later,
                is_goal=candidate.is_goal,
            )
        )
    if todo == 0:
        warnings.append(_warning(rules, "nothing-left"))
    advice = tuple(Note(a.id, a.text, a.source) for a in rules.advice if _applies(a, role, band, goal))
    in_path = {s.exam for s in steps}
    also_held = tuple(sorted(code for current, code in held.items() if current not in in_path))
    also_held += tuple(sorted(c for c in person.held if current_version(c, exams) is None))
    return Plan(role, band, years, goal, target, tuple(steps), tuple(warnings), advice, also_held)
