"""The planner on the real content: properties of the plans personas get, never their wording."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from bot.catalog import Catalog
from bot.paths.loader import PathRules, load_checked
from bot.paths.planner import NoCurrentExam, Person, Plan, current_version, make_plan

ASSOCIATES = {"SAA-C03", "DVA-C02", "SOA-C03", "DEA-C01", "MLA-C01"}
BUSINESS = {"sales", "manager"}


@pytest.fixture(scope="module")
def rules(catalog: Catalog) -> PathRules:
    return load_checked(catalog.root, catalog.exams)


def plan_for(catalog: Catalog, rules: PathRules, person: Person) -> Plan:
    return make_plan(person, catalog.exams, rules)


def check_invariants(catalog: Catalog, rules: PathRules, person: Person, plan: Plan) -> None:
    """What must hold for every persona, whatever the role, experience, goal or holdings."""
    exams = catalog.exams
    codes = [s.exam for s in plan.steps]
    assert len(codes) == len(set(codes)), "an exam appears once"
    held_current = {current_version(c, exams) for c in person.held}
    for step in plan.steps:
        assert exams[step.exam].status == "current", f"{step.exam} is retired"
        if step.exam in held_current:
            assert step.status == "done", f"held {step.exam} suggested again"
    ranks = [rules.level_rank(exams[c].level) for c in codes]
    assert ranks == sorted(ranks), f"levels out of order: {codes}"
    for index, step in enumerate(plan.steps):
        for prerequisite in rules.exams[step.exam].builds_on:
            options = prerequisite.any_of
            planned = [codes.index(o) for o in options if o in codes]
            if planned:
                assert min(planned) < index, f"{options} must come before {step.exam}"
            elif step.status == "todo":
                assert set(options) & held_current, f"{step.exam} builds on {options}: none planned or held"
    warned = {w.text for w in plan.warnings if w.id == "too-early"}
    for step in plan.todo:
        plan_rules = rules.exams[step.exam]
        assert step.hours is not None and step.hours > 0 and step.reason
        assert step.project is not None
        assert {d.casefold() for d in step.project.domains} <= {d.name.casefold() for d in exams[step.exam].domains}
        assert step.later == (person.years < plan_rules.min_years)
        if step.later:
            assert any(step.exam in text for text in warned), f"no warning for early {step.exam}"
    for step in plan.done:
        assert step.hours is None
    if not plan.todo:
        assert any(w.id == "nothing-left" for w in plan.warnings)
    if plan.goal is not None and plan.goal.max_steps is not None:
        assert len(plan.todo) <= plan.goal.max_steps + (1 if plan.target else 0)


# (role, years, goal, held) → what the first step to do must be, and what else must be true.
PERSONAS: list[tuple[str, int, str | None, tuple[str, ...], str]] = [
    ("student", 0, None, (), "CLF-C02"),
    ("student", 0, "first-job", (), "CLF-C02"),
    ("student", 1, None, (), "SAA-C03"),
    ("student", 0, None, ("CLF-C02",), "SAA-C03"),
    ("developer", 0, None, (), "SAA-C03"),
    ("developer", 1, None, (), "SAA-C03"),
    ("developer", 1, "first-job", (), "SAA-C03"),
    ("developer", 3, "promotion", ("SAA-C03",), "DVA-C02"),
    ("developer", 6, "breadth", ("SAA-C03", "DVA-C02"), "SOA-C03"),
    ("architect", 1, None, (), "SAA-C03"),
    ("architect", 4, None, ("SAA-C03", "SOA-C03"), "SAP-C02"),
    ("architect", 8, "promotion", ("SAA-C02",), "SOA-C03"),  # the older SAA version counts as the current one
    ("sysadmin", 0, None, (), "SAA-C03"),
    ("sysadmin", 2, None, ("SOA-C02",), "SAA-C03"),
    ("sysadmin", 5, "promotion", ("SAA-C03", "SOA-C03"), "DOP-C02"),  # DOP-C02 needs DVA-C02 *or* SOA-C03
    ("devops", 1, None, (), "SAA-C03"),
    ("devops", 3, None, ("SAA-C03",), "SOA-C03"),
    ("data-engineer", 0, "switch-career", (), "SAA-C03"),
    ("data-engineer", 3, None, ("SAA-C03",), "DEA-C01"),
    ("ml-engineer", 0, None, (), "AIF-C01"),
    ("ml-engineer", 2, None, ("SAA-C03",), "MLA-C01"),
    ("security", 0, None, (), "SAA-C03"),
    ("security", 6, None, (), "SAA-C03"),
    ("security", 6, None, ("SAA-C03",), "SCS-C03"),
    ("networking", 1, None, (), "SAA-C03"),
    ("networking", 7, None, ("SAA-C03",), "ANS-C01"),
    ("sales", 0, None, (), "CLF-C02"),
    ("sales", 2, "switch-career", ("CLF-C02",), "AIF-C01"),
    ("manager", 0, None, (), "CLF-C02"),
    ("manager", 10, "promotion", ("CLF-C02", "AIF-C01"), "SAA-C03"),
    ("career-changer", 0, None, (), "CLF-C02"),
    ("career-changer", 0, "switch-career", ("CLF-C02",), "AIF-C01"),
    ("career-changer", 1, "first-job", ("AIF-C01",), "CLF-C02"),
]


@pytest.mark.parametrize(("role", "years", "goal", "held", "first"), PERSONAS)
def test_personas_get_a_sensible_first_step(
    catalog: Catalog, rules: PathRules, role: str, years: int, goal: str | None, held: tuple[str, ...], first: str
) -> None:
    person = Person(role, years, goal, held=frozenset(held))
    plan = plan_for(catalog, rules, person)
    check_invariants(catalog, rules, person, plan)
    assert plan.todo[0].exam == first, [s.exam for s in plan.todo]


def test_personas_cover_every_role_and_band(rules: PathRules) -> None:
    assert len(PERSONAS) >= 25
    assert {p[0] for p in PERSONAS} == set(rules.roles)
    assert {rules.band_for(p[1]).id for p in PERSONAS} == {b.id for b in rules.bands}


@pytest.mark.parametrize("role", ["student", "developer", "architect", "sysadmin", "devops", "data-engineer",
                                  "ml-engineer", "security", "networking", "sales", "manager",
                                  "career-changer"])  # fmt: skip
def test_every_role_band_and_goal_combination_keeps_the_invariants(
    catalog: Catalog, rules: PathRules, role: str
) -> None:
    goals: list[str | None] = [None, *rules.goals]
    holdings = [(), ("SAA-C03",), ("CLF-C02", "SOA-C02"), ("SAA-C03", "DVA-C02", "SOA-C03", "SCS-C02")]
    for band, goal, held in itertools.product(rules.bands, goals, holdings):
        person = Person(role, band.min_years, goal, held=frozenset(held))
        check_invariants(catalog, rules, person, plan_for(catalog, rules, person))
    for target in [e.code for e in catalog.current_exams]:
        for band in rules.bands:
            person = Person(role, band.min_years, target=target)
            plan = plan_for(catalog, rules, person)
            check_invariants(catalog, rules, person, plan)
            assert plan.steps[-1].exam == target and plan.steps[-1].is_goal


def test_technical_people_start_at_an_associate_and_business_roles_at_foundational(
    catalog: Catalog, rules: PathRules
) -> None:
    for role, band in itertools.product(rules.roles.values(), rules.bands):
        plan = plan_for(catalog, rules, Person(role.id, band.min_years))
        first = plan.todo[0]
        if not role.technical:
            assert first.exam == "CLF-C02"
            if role.id in BUSINESS:
                assert all(s.optional for s in plan.todo if s.level != "foundational"), "associates are optional"
        elif band.id != "new":
            assert first.exam == "SAA-C03", (role.id, band.id)
        else:
            assert first.exam == "SAA-C03" or first.optional, (role.id, first.exam)


def test_a_professional_goal_under_two_years_warns_and_puts_associates_first(
    catalog: Catalog, rules: PathRules
) -> None:
    for target in ("SAP-C02", "DOP-C02", "AIP-C01"):
        for years in (0, 1):
            plan = plan_for(catalog, rules, Person("developer", years, target=target))
            goal_step = plan.steps[-1]
            assert goal_step.exam == target and goal_step.later
            assert any(w.id == "too-early" and target in w.text for w in plan.warnings)
            assert any(s.level == "associate" for s in plan.steps[:-1]), [s.exam for s in plan.steps]
        seasoned = plan_for(catalog, rules, Person("developer", 3, target=target))
        assert not any(w.id == "too-early" for w in seasoned.warnings)


def test_entry_level_developers_hear_that_projects_weigh_more_than_the_badge(
    catalog: Catalog, rules: PathRules
) -> None:
    for role, years in itertools.product(("developer", "student"), (0, 1)):
        assert "projects-over-badges" in {a.id for a in plan_for(catalog, rules, Person(role, years)).advice}
    for role, years in (("developer", 3), ("security", 0), ("sales", 0)):
        assert "projects-over-badges" not in {a.id for a in plan_for(catalog, rules, Person(role, years)).advice}
    business = plan_for(catalog, rules, Person("sales", 0)).advice
    assert "foundational-for-business" in {a.id for a in business}


def test_held_exams_are_done_including_older_versions(catalog: Catalog, rules: PathRules) -> None:
    plan = plan_for(catalog, rules, Person("sysadmin", 3, held=frozenset({"SOA-C02", "SAA-C03"})))
    done = {s.exam: s.held_as for s in plan.done}
    assert done == {"SAA-C03": None, "SOA-C03": "SOA-C02"}
    assert all(s.exam not in done for s in plan.todo)
    retired_only = plan_for(catalog, rules, Person("ml-engineer", 3, held=frozenset({"MLS-C01"})))
    assert "MLS-C01" in retired_only.also_held
    everything = frozenset(e.code for e in catalog.current_exams)
    finished = plan_for(catalog, rules, Person("architect", 9, held=everything))
    assert not finished.todo and any(w.id == "nothing-left" for w in finished.warnings)


def test_retired_goals_aim_at_the_successor_or_are_refused(catalog: Catalog, rules: PathRules) -> None:
    plan = plan_for(catalog, rules, Person("security", 4, target="SCS-C02"))
    assert plan.target == "SCS-C03" and plan.steps[-1].exam == "SCS-C03"
    assert any(w.id == "goal-retired" for w in plan.warnings)
    with pytest.raises(NoCurrentExam):
        plan_for(catalog, rules, Person("ml-engineer", 4, target="MLS-C01"))


def test_goals_shape_the_path(catalog: Catalog, rules: PathRules) -> None:
    first_job = plan_for(catalog, rules, Person("devops", 0, "first-job"))
    assert len(first_job.todo) <= 2
    breadth = plan_for(catalog, rules, Person("security", 3, "breadth"))
    assert ASSOCIATES <= {s.exam for s in breadth.steps}
    assert set(rules.goals["breadth"].extra_exams) == ASSOCIATES
    plain = plan_for(catalog, rules, Person("security", 3))
    assert "DVA-C02" not in {s.exam for s in plain.steps}


def test_estimates_shrink_with_experience(catalog: Catalog, rules: PathRules) -> None:
    for plan_rules in rules.exams.values():
        hours = [plan_rules.hours[b.id] for b in rules.bands]
        assert hours == sorted(hours, reverse=True), plan_rules.exam


def test_expired_and_expiring_certifications_come_back_with_warnings(catalog: Catalog, rules: PathRules) -> None:
    person = Person(
        "developer",
        3,
        held=frozenset({"DVA-C02"}),
        expired={"SAA-C03": dt.date(2026, 1, 1)},
        expiring={"DVA-C02": (20, dt.date(2026, 12, 13))},
    )
    plan = plan_for(catalog, rules, person)
    assert plan.todo[0].exam == "SAA-C03"
    assert {"expired-held", "expiring-soon"} <= {w.id for w in plan.warnings}


def test_the_four_people_of_the_issue_get_different_paths_with_reasons(catalog: Catalog, rules: PathRules) -> None:
    people = {
        "student": Person("student", 0),
        "developer": Person("developer", 1),
        "security": Person("security", 6),
        "sales": Person("sales", 0),
    }
    plans = {name: plan_for(catalog, rules, p) for name, p in people.items()}
    shapes = {tuple(s.exam for s in plan.todo) for plan in plans.values()}
    assert len(shapes) == 4
    for plan in plans.values():
        assert all(len(s.reason) > 20 and s.project is not None for s in plan.todo)
    assert "SCS-C03" in {s.exam for s in plans["security"].todo}
    assert "DVA-C02" in {s.exam for s in plans["developer"].todo}
    assert plans["sales"].todo[0].exam == "CLF-C02"


def test_devops_professional_builds_on_either_associate(catalog: Catalog, rules: PathRules) -> None:
    developer = [s.exam for s in plan_for(catalog, rules, Person("developer", 3)).steps]
    assert "DOP-C02" in developer and "DVA-C02" in developer and "SOA-C03" not in developer
    operator = [s.exam for s in plan_for(catalog, rules, Person("sysadmin", 3, target="DOP-C02")).steps]
    assert operator[-1] == "DOP-C02" and "SOA-C03" in operator and "DVA-C02" not in operator
    # One held Associate is enough, whatever the role's own path would have picked.
    holder = plan_for(catalog, rules, Person("developer", 3, target="DOP-C02", held=frozenset({"SOA-C03"})))
    assert {s.exam: s.status for s in holder.steps if s.exam in {"DVA-C02", "SOA-C03"}} == {"SOA-C03": "done"}
    # With neither held nor in the role's path, the first option listed is planned, with the other named.
    security = plan_for(catalog, rules, Person("security", 3, target="DOP-C02"))
    (base,) = [s for s in security.steps if s.exam in {"DVA-C02", "SOA-C03"}]
    assert base.exam == "DVA-C02" and "SOA-C03" in base.reason


def test_generative_ai_professional_does_not_need_the_ml_engineer_associate(catalog: Catalog, rules: PathRules) -> None:
    assert not rules.exams["AIP-C01"].builds_on
    for role in ("developer", "architect", "student"):
        plan = plan_for(catalog, rules, Person(role, 3, target="AIP-C01"))
        assert plan.steps[-1].exam == "AIP-C01" and "MLA-C01" not in {s.exam for s in plan.steps}


@pytest.mark.parametrize(("exam", "role", "years", "later"), [
    ("ANS-C01", "networking", 3, True), ("ANS-C01", "networking", 5, False),
    ("SCS-C03", "security", 2, True), ("SCS-C03", "security", 3, False),
])  # fmt: skip
def test_specialties_follow_the_experience_aws_recommends(
    catalog: Catalog, rules: PathRules, exam: str, role: str, years: int, later: bool
) -> None:
    assert (rules.exams["ANS-C01"].min_years, rules.exams["SCS-C03"].min_years) == (5, 3)
    plan = plan_for(catalog, rules, Person(role, years, held=frozenset({"SAA-C03"})))
    step = next(s for s in plan.todo if s.exam == exam)
    assert step.later == later
    assert any(w.id == "too-early" and exam in w.text for w in plan.warnings) == later


def test_professional_and_specialty_share_a_rung(catalog: Catalog, rules: PathRules) -> None:
    assert rules.level_rank("professional") == rules.level_rank("specialty") > rules.level_rank("associate")
    # An architect's own Professional comes before a Specialty that came back because it expired.
    person = Person("architect", 4, held=frozenset({"SAA-C03", "SOA-C03"}), expired={"SCS-C03": dt.date(2026, 3, 1)})
    todo = [s.exam for s in plan_for(catalog, rules, person).todo]
    assert todo.index("SAP-C02") < todo.index("SCS-C03")
    advice = {a.id for a in plan_for(catalog, rules, Person("developer", 3, "promotion")).advice}
    assert "no-fixed-order" in advice and "associates-before-professional" not in advice


def test_career_changers_start_at_foundational_with_fundamentals_and_projects(
    catalog: Catalog, rules: PathRules
) -> None:
    for name in ("career changer", "none", "other"):
        assert rules.role_names[name] == "career-changer"
    for band in rules.bands:
        plan = plan_for(catalog, rules, Person("career-changer", band.min_years))
        assert [s.exam for s in plan.todo] == ["CLF-C02", "AIF-C01", "SAA-C03"]
        assert plan.todo[1].optional and not plan.todo[2].optional
        advice = {a.id for a in plan.advice}
        assert {"fundamentals-first", "build-while-switching"} <= advice
        assert "foundational-for-business" not in advice
