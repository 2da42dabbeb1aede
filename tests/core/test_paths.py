"""`/path` and `/mycerts` through the core, as members type them, on real storage with a fixed clock."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from bot.actions import ActionId
from bot.commands.dispatch import Core
from bot.replies import Reply
from bot.requests import Action
from bot.runtime import Runtime
from bot.store import members as member_store
from bot.store import workspaces as workspace_store
from bot.store.schema import held_certifications, members
from tests.conftest import START, person

ERROR = "That didn't work"
STEP = re.compile(r"^(\d+)\. ([A-Z]{3}-C\d{2}) · ")


def steps(reply: Reply) -> list[tuple[str, str]]:
    """(code, field name) of each step of a plan, in order."""
    out = []
    for field in reply.fields:
        match = STEP.match(field.name)
        if match:
            out.append((match.group(2), field.name))
    return out


def todo(reply: Reply) -> list[str]:
    return [code for code, name in steps(reply) if "(done" not in name]


def field(reply: Reply, name: str) -> str | None:
    return next((f.value for f in reply.fields if f.name == name), None)


async def counts(core: Core) -> tuple[int, int]:
    async with core.services.engine.connect() as conn:
        certs = (await conn.execute(select(func.count()).select_from(held_certifications))).scalar_one()
        people = (await conn.execute(select(func.count()).select_from(members))).scalar_one()
    return certs, people


async def test_path_asks_with_buttons_then_remembers_the_answers(core: Core) -> None:
    asked = await core.handle_line(person(), "/path")
    assert asked.title != ERROR and not steps(asked)
    roles = {ActionId.decode(b.action_id).fields[0]: b for b in asked.buttons}
    assert {"student", "developer", "security", "sales", "manager"} <= set(roles)
    band_question = await core.handle(Action(person(), roles["developer"].action_id))
    assert band_question.replace and len(band_question.buttons) == 4
    one_year = next(b for b in band_question.buttons if ActionId.decode(b.action_id).fields[1] == "some")
    plan = await core.handle(Action(person(), one_year.action_id))
    assert plan.replace and todo(plan)[:2] == ["SAA-C03", "DVA-C02"]
    async with core.services.engine.connect() as conn:
        member = await member_store.find(conn, person())
    assert member is not None and (member.role, member.years) == ("developer", 1)
    again = await core.handle_line(person(), "/path")
    assert not again.buttons and todo(again) == todo(plan)
    profile = await core.handle_line(person(), "/profile")
    assert any(f.name == "Study path" for f in profile.fields)


async def test_a_role_without_experience_asks_only_for_the_band(core: Core) -> None:
    reply = await core.handle_line(person(), "/path role:ops")
    assert len(reply.buttons) == 4 and not steps(reply)
    fields = [ActionId.decode(b.action_id).fields for b in reply.buttons]
    assert all(f[0] == "sysadmin" for f in fields)


async def test_the_four_people_of_the_issue_get_different_sensible_paths(core: Core) -> None:
    lines = {
        "student": "/path role:student years:0",
        "developer": "/path role:developer years:1",
        "security": '/path role:"security engineer" years:6',
        "sales": "/path role:salesperson years:0",
    }
    paths: dict[str, list[str]] = {}
    for user, line in lines.items():
        reply = await core.handle_line(person(user), line)
        assert reply.title != ERROR, reply.text
        paths[user] = todo(reply)
        for code, name in steps(reply):
            value = field(reply, name) or ""
            assert "study hours" in value and "Build alongside" in value, (user, code)
        assert field(reply, "Advice")
    assert len({tuple(p) for p in paths.values()}) == 4
    assert paths["sales"][0] == "CLF-C02"
    assert paths["developer"][0] == "SAA-C03" and "DVA-C02" in paths["developer"]
    assert "SCS-C03" in paths["security"]
    assert paths["student"][0] in {"CLF-C02", "SAA-C03"}


async def test_a_professional_goal_with_one_year_warns_and_puts_associates_first(core: Core) -> None:
    reply = await core.handle_line(person(), '/path role:"solutions architect" years:1 goal:SAP-C02')
    order = todo(reply)
    assert order[-1] == "SAP-C02" and "SAA-C03" in order[:-1]
    warning = field(reply, "Watch out")
    assert warning is not None and "SAP-C02" in warning


async def test_adding_saa_marks_it_done_in_path_and_shows_its_expiry(core: Core) -> None:
    added = await core.handle_line(person(), "/mycerts add exam:SAA-C03 passed:2025-06-01")
    assert added.title == "Added SAA-C03"
    plan = await core.handle_line(person(), "/path role:developer years:1")
    done = [name for code, name in steps(plan) if code == "SAA-C03"]
    assert done and "(done" in done[0] and "SAA-C03" not in todo(plan)
    listed = await core.handle_line(person(), "/mycerts list")
    days = (dt.date(2028, 6, 1) - START.date()).days
    value = listed.fields[0].value
    assert "1 June 2028" in value and f"{days} days left" in value and "renew" in value.lower()


async def test_an_associate_pass_renews_cloud_practitioner_from_its_own_date(core: Core) -> None:
    """The audit's case: CLF held since 2024-01-10, SAA passed 2026-06-01, so CLF runs to 2029-06-01
    (not 2027-01-10, which is what reminders would otherwise have warned about)."""
    await core.handle_line(person(), "/mycerts add exam:CLF-C02 passed:2024-01-10")
    added = await core.handle_line(person(), "/mycerts add exam:SAA-C03 passed:2026-06-01")
    assert "renews `CLF-C02` (now until 1 June 2029)" in added.text
    listed = await core.handle_line(person(), "/mycerts list")
    clf = next(f.value for f in listed.fields if "CLF-C02" in f.name)
    assert "expires **1 June 2029**" in clf and "Renewed by your `SAA-C03` pass on 1 June 2026" in clf, clf


async def test_held_option_overrides_mycerts(core: Core) -> None:
    await core.handle_line(person(), "/mycerts add exam:SAA-C03 passed:2025-06-01")
    reply = await core.handle_line(person(), "/path role:developer years:2 held:none")
    assert todo(reply)[0] == "SAA-C03"
    reply = await core.handle_line(person(), "/path role:developer years:2 held:saa,DVA-C02")
    assert "SAA-C03" not in todo(reply) and "DVA-C02" not in todo(reply)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/mycerts add exam:SAA-C03 passed:2026-12-01", "in the future"),
        ("/mycerts add exam:blockchain-wizard", "don't know an AWS exam"),
        ("/mycerts add exam:SAA-C03 passed:01/06/2025", "not a date"),
        ("/mycerts add exam:SAA-C03 passed:2025-02-30", "not a real day"),
        ("/mycerts add exam:SOA-C02 passed:2025-11-15", "retired"),
        ("/mycerts add exam:AIP-C01 passed:2024-05-01", "first available"),
        ("/mycerts add exam:SAA-C03 passed:2010-01-01", "before AWS Certification began"),
        ("/path role:wizard", "don't know the role"),
        ("/path role:developer years:1 goal:blockchain", "not a goal"),
        ("/path role:developer years:1 held:XYZ-C01", "don't know an AWS exam"),
        ("/path role:developer years:1 goal:MLS-C01", "retired"),
        ("/path role:developer years:-1", "at least"),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(core: Core, line: str, message: str) -> None:
    await core.handle_line(person("grace"), "/mycerts add exam:CLF-C02 passed:2025-01-10")
    before = await counts(core)
    reply = await core.handle_line(person(), line)
    assert reply.title == ERROR and message in reply.text, reply.text
    assert await counts(core) == before


async def test_duplicates_are_refused_and_remove_is_idempotent(core: Core) -> None:
    await core.handle_line(person(), "/mycerts add exam:SAA-C03 passed:2025-06-01")
    before = await counts(core)
    again = await core.handle_line(person(), "/mycerts add exam:saa passed:2025-07-01")
    assert again.title == ERROR and "already" in again.text
    assert await counts(core) == before
    removed = await core.handle_line(person(), "/mycerts remove exam:SAA-C03")
    assert removed.title == "Removed SAA-C03"
    nothing = await core.handle_line(person(), "/mycerts remove exam:SAA-C03")
    assert nothing.title != ERROR and (await counts(core))[0] == before[0] - 1


async def test_a_higher_exam_renews_the_lower_one(core: Core) -> None:
    await core.handle_line(person(), "/mycerts add exam:SAA-C03 passed:2024-01-10")
    reply = await core.handle_line(person(), "/mycerts add exam:SAP-C02 passed:2026-06-01")
    assert "SAA-C03" in reply.text and "1 June 2029" in reply.text
    listed = await core.handle_line(person(), "/mycerts list")
    saa = next(f.value for f in listed.fields if f.name.startswith("SAA-C03"))
    assert "1 June 2029" in saa and "SAP-C02" in saa


async def test_retired_versions_count_and_expired_ones_come_back(core: Core) -> None:
    await core.handle_line(person(), "/mycerts add exam:SOA-C02 passed:2024-03-01")
    await core.handle_line(person(), "/mycerts add exam:SAA-C02 passed:2021-05-01")
    reply = await core.handle_line(person(), "/path role:sysadmin years:3")
    names = dict(steps(reply))
    assert "(done" in names["SOA-C03"] and todo(reply)[0] == "SAA-C03"
    warnings = field(reply, "Watch out") or ""
    assert "SAA-C02" in warnings


async def test_a_channel_group_target_shows_its_countdown(runtime: Runtime) -> None:
    async with runtime.services.engine.begin() as conn:
        target = workspace_store.GroupTarget("SAA-C03", dt.date(2027, 1, 15))
        await workspace_store.put_target(conn, "console", "w1", "study", target, "mod", START)
    core = runtime.core
    here = await core.handle_line(person(channel="study"), "/path role:developer years:1")
    value = field(here, "Group target")
    assert value is not None and f"{(dt.date(2027, 1, 15) - START.date()).days} days" in value and "step 1" in value
    elsewhere = await core.handle_line(person(channel="random"), "/path role:developer years:1")
    assert field(elsewhere, "Group target") is None


async def test_every_example_succeeds_on_a_fresh_database(core: Core) -> None:
    for spec in core.registry:
        if spec.path[0] not in {"path", "mycerts"}:
            continue
        assert spec.examples, spec.name
        for example in spec.examples:
            reply = await core.handle_line(person(moderator=True), example)
            assert reply.title != ERROR, (example, reply.text)


async def test_the_group_target_set_by_moderators_is_read_from_the_store(runtime: Runtime) -> None:
    async with runtime.services.engine.begin() as conn:
        target = workspace_store.GroupTarget("SCS-C03", dt.date(2027, 3, 1))
        await workspace_store.put_target(conn, "console", "w1", "sec", target, "mod", START)
    reply = await runtime.core.handle_line(person(channel="sec"), "/path role:developer years:1")
    value = field(reply, "Group target")
    assert value is not None and "SCS-C03" in value and "not in your path" in value


async def test_people_with_no_it_background_have_a_role_with_its_own_advice(core: Core) -> None:
    asked = await core.handle_line(person(), "/path")
    roles = {ActionId.decode(b.action_id).fields[0]: b for b in asked.buttons}
    assert "career-changer" in roles
    band_question = await core.handle(Action(person(), roles["career-changer"].action_id))
    new = next(b for b in band_question.buttons if ActionId.decode(b.action_id).fields[1] == "new")
    plan = await core.handle(Action(person(), new.action_id))
    assert todo(plan)[0] in {"CLF-C02", "AIF-C01"} and "AIF-C01" in todo(plan)
    advice = field(plan, "Advice") or ""
    assert "AI Practitioner" in advice and "fundamentals" in advice and "project" in advice
    assert "sales" not in advice  # not the advice for business roles
    for words in ("career changer", "none", "other", "Career-Changer"):
        reply = await core.handle_line(person("grace"), f'/path role:"{words}" years:0')
        assert reply.title != ERROR, (words, reply.text)
        async with core.services.engine.connect() as conn:
            member = await member_store.find(conn, person("grace"))
        assert member is not None and member.role == "career-changer", words
        assert todo(reply) == todo(plan)
