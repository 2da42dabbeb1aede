"""Loading and cross-checking `content/paths/` for `studybot content check` and for `/path`.

The three files are validated by their schemas (with file:line errors, through the catalog's own YAML
loader) and then against the exam catalog: paths may name current exams only, every current exam needs
a plan, projects must name real exam-guide domains and together cover all of them, and an exam may only
build on or renew exams of a lower level (each exam of an `any_of` choice included).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

from bot.catalog.loader import ExtraLoader, _line_of, _load, _Problems
from bot.catalog.models import Exam
from bot.errors import ContentError
from bot.paths.models import (
    Advice,
    Band,
    ExamPlan,
    ExamsFile,
    Goal,
    Role,
    RolesFile,
    RulesFile,
    WarningText,
)
from bot.paths.names import normalize

NAME = "paths"
FILES = ("roles.yaml", "rules.yaml", "exams.yaml")
Report = Callable[[Path, int | None, str], None]


@dataclass(frozen=True)
class PathRules:
    """Everything the planner reads, validated; lookups by id and by accepted spelling."""

    roles: dict[str, Role]
    bands: tuple[Band, ...]
    goals: dict[str, Goal]
    level_ranks: dict[str, int]  # level → rung; Professional and Specialty may share one
    exams: dict[str, ExamPlan]
    warnings: dict[str, WarningText]
    advice: tuple[Advice, ...]
    role_names: dict[str, str]
    goal_names: dict[str, str]

    def band_for(self, years: int) -> Band:
        return next(b for b in self.bands if b.contains(years))

    def band(self, band_id: str) -> Band | None:
        return next((b for b in self.bands if b.id == band_id), None)

    def level_rank(self, level: str) -> int:
        return self.level_ranks[level]


class _Reporter:
    """Lets the catalog's `_load` report through the callback an `ExtraLoader` is given."""

    def __init__(self, report: Report) -> None:
        self.add = report


def load_rules(root: Path, exams: dict[str, Exam], report: Report) -> PathRules | None:
    """Load `root/paths/*.yaml`; every problem goes to `report`, and None comes back if there were any."""
    folder = root / "paths"
    problems = cast(_Problems, _Reporter(report))
    found: list[str] = []

    def fail(path: Path, node: yaml.Node | None, loc: Iterable[Any], message: str) -> None:
        found.append(message)
        report(path, _line_of(node, loc), message)

    for extra in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        if extra.name not in FILES:
            fail(extra, None, (), f"unknown paths file; expected one of {', '.join(FILES)}")
    loaded: dict[str, tuple[Any, yaml.Node | None]] = {}
    for name, model in (("roles.yaml", RolesFile), ("rules.yaml", RulesFile), ("exams.yaml", ExamsFile)):
        path = folder / name
        if not path.is_file():
            fail(path, None, (), f"missing: /path needs {name}")
            continue
        value, node = _load(path, model, problems)
        if value is None:
            found.append("schema")
        loaded[name] = (value, node)
    if found or len(loaded) < len(FILES):
        return None

    roles_file, roles_node = cast(tuple[RolesFile, yaml.Node], loaded["roles.yaml"])
    rules_file, rules_node = cast(tuple[RulesFile, yaml.Node], loaded["rules.yaml"])
    exams_file, exams_node = cast(tuple[ExamsFile, yaml.Node], loaded["exams.yaml"])
    roles_path, rules_path, exams_path = (folder / n for n in FILES)
    band_ids = {b.id for b in rules_file.bands}
    goal_ids = {g.id for g in rules_file.goals}
    role_ids = {r.id for r in roles_file.roles}
    rank = rules_file.level_ranks

    def current(code: str, path: Path, node: yaml.Node, loc: tuple[Any, ...]) -> Exam | None:
        exam = exams.get(code)
        if exam is None:
            fail(path, node, loc, f"unknown exam {code}")
        elif exam.status != "current":
            successor = f"; use {exam.replaced_by}" if exam.replaced_by else ""
            fail(path, node, loc, f"{code} is retired and paths name current exams only{successor}")
            return None
        return exam

    plans: dict[str, ExamPlan] = {}
    for i, plan in enumerate(exams_file.exams):
        at = ("exams", i)
        exam = current(plan.exam, exams_path, exams_node, (*at, "exam"))
        if plan.exam in plans:
            fail(exams_path, exams_node, (*at, "exam"), f"{plan.exam} has two plans")
        plans[plan.exam] = plan
        if exam is None:
            continue
        if set(plan.hours) != band_ids:
            fail(exams_path, exams_node, (*at, "hours"), f"hours must give exactly the bands {sorted(band_ids)}")
        lower: list[tuple[str, tuple[Any, ...], str]] = [
            ("builds_on", (*at, "builds_on", k, "any_of", m), code)
            for k, prerequisite in enumerate(plan.builds_on)
            for m, code in enumerate(prerequisite.any_of)
        ]
        lower += [("renews", (*at, "renews", k), code) for k, code in enumerate(plan.renews)]
        for key, loc, code in lower:
            other = current(code, exams_path, exams_node, loc)
            if other is not None and rank[other.level] >= rank[exam.level]:
                fail(exams_path, exams_node, loc, f"{key} {code} must be of a lower level than {exam.code}")
        covered: set[str] = set()
        for j, project in enumerate(plan.projects):
            for name in project.domains:
                if exam.domain(name) is None:
                    fail(
                        exams_path,
                        exams_node,
                        (*at, "projects", j, "domains"),
                        f"{name!r} is not a domain of {exam.code}",
                    )
                covered.add(name.casefold())
            for role_ref in project.roles:
                if role_ref not in role_ids:
                    fail(exams_path, exams_node, (*at, "projects", j, "roles"), f"unknown role {role_ref}")
        uncovered = [d.name for d in exam.domains if d.name.casefold() not in covered]
        if uncovered:
            fail(exams_path, exams_node, (*at, "projects"), f"no project for the domains {uncovered} of {exam.code}")
    for exam in exams.values():
        if exam.status == "current" and exam.code not in plans:
            fail(exams_path, exams_node, ("exams",), f"current exam {exam.code} has no plan")

    role_names: dict[str, str] = {}
    for i, role in enumerate(roles_file.roles):
        at = ("roles", i)
        if role.id in role_names.values():
            fail(roles_path, roles_node, (*at, "id"), f"role {role.id} is defined twice")
        for name in (role.id, role.label, *role.aliases):
            key = normalize(name)
            if role_names.get(key, role.id) != role.id:
                fail(roles_path, roles_node, (*at, "aliases"), f"{name!r} also names role {role_names[key]}")
            role_names[key] = role.id
        seen: set[str] = set()
        for j, step in enumerate(role.path):
            where = (*at, "path", j)
            current(step.exam, roles_path, roles_node, (*where, "exam"))
            if step.exam not in plans and step.exam in exams:
                fail(roles_path, roles_node, (*where, "exam"), f"{step.exam} has no plan in exams.yaml")
            if step.exam in seen:
                fail(roles_path, roles_node, (*where, "exam"), f"{step.exam} is twice in the path of {role.id}")
            seen.add(step.exam)
            for band_ref in step.bands:
                if band_ref not in band_ids:
                    fail(roles_path, roles_node, (*where, "bands"), f"unknown band {band_ref}")
            for goal_ref in step.goals:
                if goal_ref not in goal_ids:
                    fail(roles_path, roles_node, (*where, "goals"), f"unknown goal {goal_ref}")

    goal_names: dict[str, str] = {}
    for i, goal in enumerate(rules_file.goals):
        at = ("goals", i)
        for name in (goal.id, goal.label, *goal.aliases):
            key = normalize(name)
            if goal_names.get(key, goal.id) != goal.id:
                fail(rules_path, rules_node, (*at, "aliases"), f"{name!r} also names goal {goal_names[key]}")
            goal_names[key] = goal.id
        for code in goal.extra_exams:
            current(code, rules_path, rules_node, (*at, "extra_exams"))
    advice_ids: set[str] = set()
    for i, advice in enumerate(rules_file.advice):
        at = ("advice", i)
        if advice.id in advice_ids:
            fail(rules_path, rules_node, (*at, "id"), f"advice {advice.id} is defined twice")
        advice_ids.add(advice.id)
        for key, known in (("roles", role_ids), ("bands", band_ids), ("goals", goal_ids)):
            for value in getattr(advice, key):
                if value not in known:
                    fail(rules_path, rules_node, (*at, key), f"unknown {key[:-1]} {value}")
    if found:
        return None
    return PathRules(
        roles={r.id: r for r in roles_file.roles},
        bands=rules_file.bands,
        goals={g.id: g for g in rules_file.goals},
        level_ranks=rules_file.level_ranks,
        exams=plans,
        warnings={w.id: w for w in rules_file.warnings},
        advice=rules_file.advice,
        role_names=role_names,
        goal_names=goal_names,
    )


def load_checked(root: Path, exams: dict[str, Exam]) -> PathRules:
    """The rules, or a `ContentError` listing every problem; for features loading at start-up."""
    problems: list[str] = []

    def report(path: Path, line: int | None, message: str) -> None:
        where = path.relative_to(root) if path.is_relative_to(root) else path
        problems.append(f"{where}:{line or 1}: {message}")

    rules = load_rules(root, exams, report)
    if rules is None:
        raise ContentError(problems or ["paths: could not be loaded"])
    return rules


LOADER = ExtraLoader(NAME, load_rules)
