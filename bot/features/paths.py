"""`/path`: what to take next, in order, with reasons, estimates, a project per exam and advice.

The planning is `bot.paths.planner.make_plan`; this module gathers the person (options first, then the
member's profile and `/mycerts`), asks with buttons for what is missing (role, then experience), saves
the answers in the profile, and renders the plan.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.actions import ActionId, ActionIdError
from bot.commands.parse import suggest
from bot.commands.registry import Registry
from bot.commands.spec import ActionSpec, Choice, CommandSpec, Options, OptionSpec, OptionType, ProfileSection
from bot.errors import InvalidOption, StaleAction
from bot.features.mycerts import held_of, member_today, resolve_any_exam
from bot.markup import bold, bullets, code, esc, italic, literal_with_code
from bot.paths.expiry import expiries
from bot.paths.loader import PathRules
from bot.paths.names import lookup
from bot.paths.planner import LEVEL_LABELS, Person, Plan, Step, aim, make_plan
from bot.replies import Button, Field, Reply
from bot.requests import Action, Identity, Request
from bot.services import Services
from bot.store import certifications as cert_store
from bot.store import members as member_store
from bot.store import workspaces as workspace_store
from bot.store.db import reading
from bot.words import plural

ROLE_PICKED = "path-role"
BAND_PICKED = "path-band"
ROLES_SOURCE = "path_roles"
GOALS_SOURCE = "path_goals"
EXPIRING_DAYS = 90
MAX_YEARS = 60


# -- reading what the member typed ---------------------------------------------------------------


def resolve_role(rules: PathRules, text: str) -> str:
    found = lookup(text, rules.role_names)
    if found is not None:
        return found
    hint = suggest(text, sorted(rules.roles))
    shown = ", ".join(code(r) for r in rules.roles)
    raise InvalidOption(
        f"I don't know the role {code(text[:40])}.",
        (f"Did you mean {code(hint)}? " if hint else "") + f"Roles: {shown}.",
    )


def resolve_goal(svc: Services, rules: PathRules, text: str) -> tuple[str | None, str | None]:
    """A goal id, or an exam code to reach (retired codes too: the planner names the successor)."""
    found = lookup(text, rules.goal_names)
    if found is not None:
        return found, None
    match = svc.ask.resolver.resolve(text)
    if match.exam is not None:
        aim(match.exam.code, svc.catalog.exams)  # a retired exam with no successor is refused here
        return None, match.exam.code
    goals = ", ".join(code(g) for g in rules.goals)
    if match.candidates:
        names = ", ".join(code(e.code) for e in match.candidates)
        raise InvalidOption(f"{code(text[:40])} could be several exams: {names}.", "Give the exam code as the goal.")
    raise InvalidOption(f"{code(text[:40])} is not a goal or an exam I know.", f"Goals: {goals}, or an exam code.")


def parse_held(svc: Services, text: str) -> frozenset[str]:
    """Comma-separated codes or names; `none` means "nothing", overriding `/mycerts`."""
    if text.strip().casefold() in {"none", "nothing", "-"}:
        return frozenset()
    return frozenset(resolve_any_exam(svc, part).code for part in text.split(",") if part.strip())


# -- asking with buttons -----------------------------------------------------------------------


def _carry(goal: str | None, held: frozenset[str] | None) -> tuple[str, str]:
    """Goal and held codes as action-id fields ("" = not given; "-" = given as nothing)."""
    return goal or "", ("-" if held == frozenset() else ".".join(sorted(held))) if held is not None else ""


def _uncarry(goal: str, held: str) -> tuple[str | None, frozenset[str] | None]:
    if held == "-":
        return goal or None, frozenset()
    return goal or None, frozenset(held.split(".")) if held else None


def _encode(kind: str, fields: tuple[str, ...]) -> str:
    """The id, dropping the held codes when they do not fit: `/mycerts` is then used instead."""
    try:
        return ActionId(kind, fields).encode()
    except ActionIdError:
        return ActionId(kind, (*fields[:-1], "")).encode()


def ask_role(rules: PathRules, goal: str | None, held: frozenset[str] | None) -> Reply:
    carry = _carry(goal, held)
    buttons = tuple(Button(r.label, _encode(ROLE_PICKED, (r.id, *carry))) for r in rules.roles.values())
    return Reply(
        title="Which best describes you?",
        text="Pick your role and I'll plan your AWS certifications. Your answer is saved in your profile; "
        "change it any time with `/path role:<role>`.",
        buttons=buttons[:25],
        ephemeral=True,
    )


def ask_band(rules: PathRules, role_id: str, goal: str | None, held: frozenset[str] | None) -> Reply:
    carry = _carry(goal, held)
    buttons = tuple(Button(b.label, _encode(BAND_PICKED, (role_id, b.id, *carry))) for b in rules.bands)
    return Reply(
        title="How much hands-on cloud experience do you have?",
        text=f"Role: {bold(rules.roles[role_id].label)}. Count real work with AWS or another cloud, "
        "not study time. Saved in your profile too; change it with `/path years:<n>`.",
        buttons=buttons,
        ephemeral=True,
    )


# -- the plan ----------------------------------------------------------------------------------


async def _group_target(svc: Services, identity: Identity) -> tuple[str, dt.date] | None:
    """The channel's target from `/studyadmin group target`."""
    async with reading(svc.engine) as conn:
        target = await workspace_store.get_target(conn, identity.platform, identity.workspace, identity.channel)
    return (target.exam, target.exam_date) if target is not None else None


def _step_field(number: int, step: Step, svc: Services) -> Field:
    exam = svc.catalog.exams[step.exam]
    tags = [t for t, on in (("your goal", step.is_goal), ("optional", step.optional), ("later", step.later)) if on]
    if step.status == "done":
        tags = ["done", *tags]
    name = f"{number}. {exam.code} · {exam.short_name}" + (f" ({', '.join(tags)})" if tags else "")
    if step.status == "done":
        held = f" (as {code(step.held_as)})" if step.held_as else ""
        return Field(name, f"Done: you hold it{held}. {esc(LEVEL_LABELS[step.level])} level.")
    lines = [esc(step.reason), f"About {bold(f'{step.hours} study hours')} ({esc(LEVEL_LABELS[step.level])})."]
    if step.project is not None:
        lines.append(f"Build alongside: {bold(step.project.title)}: {esc(step.project.build)}")
    return Field(name, "\n".join(lines))


def _note(text: str, source: str | None) -> str:
    return literal_with_code(text) + (f" {italic('(' + source + ')')}" if source else "")


def plan_reply(
    svc: Services, plan: Plan, *, target: tuple[str, dt.date] | None, today: dt.date, held_from: str, replace: bool
) -> Reply:
    fields = [_step_field(i, s, svc) for i, s in enumerate(plan.steps, start=1)]
    if plan.also_held:
        fields.append(Field("Also held", ", ".join(code(c) for c in plan.also_held)))
    if target is not None:
        exam_code, day = target
        days = (day - today).days
        when = f"{plural(days, 'day')} to go" if days > 0 else ("today" if days == 0 else f"{plural(-days, 'day')} ago")
        in_path = next((i for i, s in enumerate(plan.steps, start=1) if s.exam == exam_code), None)
        step = plan.steps[in_path - 1] if in_path else None
        relation = (
            "you already hold it."
            if step is not None and step.status == "done"
            else f"it is step {in_path} of your path."
            if in_path
            else f"it is not in your path; `/path goal:{exam_code}` plans towards it."
        )
        fields.append(
            Field("Group target", f"This channel aims at {code(exam_code)} on {day:%-d %B %Y} ({when}); {relation}")
        )
    if plan.warnings:
        fields.append(Field("Watch out", bullets(_note(w.text, w.source) for w in plan.warnings)))
    if plan.advice:
        fields.append(Field("Advice", bullets(_note(a.text, a.source) for a in plan.advice)))
    hours = sum(s.hours or 0 for s in plan.todo)
    goal = f" Goal: {esc(plan.goal.label)}." if plan.goal else ""
    if plan.target:
        goal = f" Goal: {code(plan.target)}."
    ahead = (
        f"{plural(len(plan.todo), 'exam')} to go, roughly {plural(hours, 'study hour')} in all."
        if plan.todo
        else "Your path is complete: you hold every exam on it."
    )
    text = f"{ahead}{goal} Held exams come from {held_from}. Change your answers with `/path role:<role> years:<n>`."
    return Reply(
        title=f"Study path: {plan.role.label}, {plan.band.label[0].lower()}{plan.band.label[1:]}",
        text=text,
        fields=tuple(fields[:25]),
        footer="Hours are rough estimates for studying alongside work; projects make the knowledge stick.",
        ephemeral=True,
        replace=replace,
    )


async def build_plan(
    svc: Services,
    identity: Identity,
    now: dt.datetime,
    *,
    role: str,
    years: int,
    goal: str | None,
    target: str | None,
    held: frozenset[str] | None,
    replace: bool = False,
) -> Reply:
    rules = svc.paths.rules
    async with reading(svc.engine) as conn:
        member = await member_store.find(conn, identity)
        rows = await cert_store.for_member(conn, member.id) if member else []
    today = member_today(svc, member, now)
    expired: dict[str, dt.date] = {}
    expiring: dict[str, tuple[int, dt.date]] = {}
    if held is None:
        dates = expiries(held_of(rows), svc.paths.renewing, svc.catalog.exams)
        active = frozenset(r.exam for r in rows if not dates[r.exam].expired(today))
        for r in rows:
            expiry = dates[r.exam]
            if expiry.expired(today):
                expired[r.exam] = expiry.expires_on
            elif expiry.days_left(today) <= EXPIRING_DAYS:
                expiring[r.exam] = (expiry.days_left(today), expiry.expires_on)
        held_from = "your `/mycerts`" if rows else "your `/mycerts` (none yet)"
    else:
        active, held_from = held, "the `held` option"
    person = Person(role, years, goal, target, active, expired, expiring)
    plan = make_plan(person, svc.catalog.exams, rules)
    group = await _group_target(svc, identity)
    return plan_reply(svc, plan, target=group, today=today, held_from=held_from, replace=replace)


async def path_command(req: Request, opts: Options, svc: Services) -> Reply:
    rules = svc.paths.rules
    role = resolve_role(rules, opts["role"]) if "role" in opts else None
    years: int | None = opts.get("years")
    goal, target = resolve_goal(svc, rules, opts["goal"]) if "goal" in opts else (None, None)
    held = parse_held(svc, opts["held"]) if "held" in opts else None
    async with svc.engine.begin() as conn:
        member = await member_store.ensure(conn, req.identity, req.at)
        changes = {k: v for k, v in (("role", role), ("years", years)) if v is not None}
        if changes:
            await member_store.update_profile(conn, member.id, req.at, **changes)
    role = role or (member.role if member.role in rules.roles else None)
    years = years if years is not None else member.years
    goal_field = goal or target
    if role is None:
        return ask_role(rules, goal_field, held)
    if years is None:
        return ask_band(rules, role, goal_field, held)
    return await build_plan(svc, req.identity, req.at, role=role, years=years, goal=goal, target=target, held=held)


async def _after_press(
    action: Action, svc: Services, role: str, years: int | None, goal_field: str, held_field: str
) -> Reply:
    rules = svc.paths.rules
    goal_text, held = _uncarry(goal_field, held_field)
    goal, target = (goal_text, None) if goal_text in rules.goals else (None, goal_text)
    if target is not None and target not in svc.catalog.exams:
        target = None
    async with svc.engine.begin() as conn:
        member = await member_store.ensure(conn, action.identity, action.at)
        changes: dict[str, object] = {"role": role}
        if years is not None:
            changes["years"] = years
        await member_store.update_profile(conn, member.id, action.at, **changes)
    years = years if years is not None else member.years
    if years is None:
        return dataclasses.replace(ask_band(rules, role, goal_text, held), replace=True)
    return await build_plan(
        svc, action.identity, action.at, role=role, years=years, goal=goal, target=target, held=held, replace=True
    )


async def role_pressed(action: Action, aid: ActionId, svc: Services) -> Reply:
    rules = svc.paths.rules
    role = aid.field(0)
    if role not in rules.roles:
        raise StaleAction("That role is no longer offered.", "Type `/path` for the current roles.")
    return await _after_press(action, svc, role, None, aid.field(1), aid.field(2))


async def band_pressed(action: Action, aid: ActionId, svc: Services) -> Reply:
    rules = svc.paths.rules
    role, band = aid.field(0), rules.band(aid.field(1))
    if role not in rules.roles or band is None:
        raise StaleAction("That choice is no longer offered.", "Type `/path` to start again.")
    return await _after_press(action, svc, role, band.store_years, aid.field(2), aid.field(3))


# -- declarations ------------------------------------------------------------------------------


def role_choices(svc: Services, partial: str) -> list[Choice]:
    typed = partial.strip().casefold()
    roles = svc.paths.rules.roles.values()
    return [
        Choice(r.label, r.id)
        for r in roles
        if not typed or typed in f"{r.id} {r.label} {' '.join(r.aliases)}".casefold()
    ][:25]


def goal_choices(svc: Services, partial: str) -> list[Choice]:
    typed = partial.strip().casefold()
    out = [
        Choice(g.label, g.id)
        for g in svc.paths.rules.goals.values()
        if not typed or typed in f"{g.id} {g.label}".casefold()
    ]
    for exam in sorted(svc.catalog.current_exams, key=lambda e: e.code):
        if not typed or typed in f"{exam.code} {exam.short_name}".casefold():
            out.append(Choice(f"{exam.code} – {exam.short_name}"[:100], exam.code))
    return out[:25]


async def profile_answers(req: Request, member: member_store.Member, svc: Services) -> list[Field]:
    """The answers `/path` remembers, shown in `/profile`."""
    role = svc.paths.rules.roles.get(member.role or "")
    if role is None:
        return []
    years = "experience not given" if member.years is None else f"{plural(member.years, 'year')} hands-on"
    return [Field("Study path", f"{esc(role.label)}, {years} (`/path` to see it)", True)]


def register(registry: Registry) -> None:
    registry.profile_section(ProfileSection("study path", profile_answers))
    registry.choice_source(ROLES_SOURCE, role_choices)
    registry.choice_source(GOALS_SOURCE, goal_choices)
    registry.command(
        CommandSpec(
            ("path",),
            "Your personal order of AWS exams, with reasons, hours and projects",
            path_command,
            options=(
                OptionSpec(
                    "role",
                    OptionType.STRING,
                    "What you do: developer, ops, student, sales, …",
                    choices_source=ROLES_SOURCE,
                    max_length=60,
                ),
                OptionSpec(
                    "years", OptionType.INTEGER, "Years of hands-on cloud experience", min_value=0, max_value=MAX_YEARS
                ),
                OptionSpec(
                    "goal",
                    OptionType.STRING,
                    "first-job, switch-career, promotion, breadth, or an exam",
                    choices_source=GOALS_SOURCE,
                    max_length=100,
                ),
                OptionSpec(
                    "held", OptionType.STRING, "Exams you hold, comma-separated (default: /mycerts)", max_length=200
                ),
            ),
            examples=(
                "/path",
                "/path role:student years:0",
                "/path role:developer years:1",
                "/path role:security years:6",
                "/path role:sales",
                '/path role:"solutions architect" years:1 goal:SAP-C02 held:CLF-C02',
            ),
        )
    )
    registry.action(ActionSpec(ROLE_PICKED, role_pressed))
    registry.action(ActionSpec(BAND_PICKED, band_pressed))
