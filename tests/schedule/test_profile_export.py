"""`/profile export` through the core: everything stored about a member, and exactly what `/profile delete`
deletes (the same list of tables), on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.replies import Reply
from bot.requests import Action
from bot.store.members import member_tables
from bot.store.schema import members, prompt_answers
from tests.conftest import person
from tests.practice.test_flows import practice_single
from tests.schedule.conftest import FakePoster, at, open_runtime

MOD = person("mo", moderator=True)
ADD = "/studyadmin schedule add channel:#study exam:SAA-C03 preset:weekdays-9am timezone:Europe/Berlin"


def exported(reply: Reply) -> dict:  # type: ignore[type-arg]
    """The JSON back from the reply: every line after the first is one JSON line as code."""
    lines = reply.text.split("\n")[1:]
    assert all(line.startswith("`") and line.endswith("`") for line in lines)
    return json.loads("\n".join(line[1:-1] for line in lines))  # type: ignore[no-any-return]


async def _counts(conn, member_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    counts = {}
    for table in member_tables():
        (owner,) = [fk.parent for fk in table.foreign_keys if fk.column is members.c.id]
        query = select(func.count()).select_from(table).where(owner == member_id)
        counts[table.name] = (await conn.execute(query)).scalar_one()
    return counts


async def test_export_holds_everything_stored_and_delete_removes_exactly_that(
    database_url: str, catalog: Catalog
) -> None:
    clock = FixedClock(at("2026-11-29T12:00:00+01:00"))
    poster = FakePoster()
    ada = person("ada")
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        core = rt.core
        assert (await core.handle_line(MOD, ADD)).title == "Schedule added"
        await core.handle_line(MOD, "/studyadmin moderators add who:@ada")
        clock.set(at("2026-11-30T09:00:30+01:00"))
        await rt.schedule.deliver_due()
        prompt = poster.posts[0][2]
        button = prompt.buttons[0].action_id
        values = (prompt.select.options[0].value, prompt.select.options[1].value) if prompt.select else ()
        assert (await core.handle(Action(ada, button, values=values))).title != "That didn't work"
        assert (await core.handle(Action(person("grace"), button, values=values))).title != "That didn't work"
        await core.handle_line(ada, "/profile timezone:Europe/Berlin")
        await core.handle_line(ada, "/mycerts add exam:SAA-C03 passed:2025-06-01")
        await core.handle_line(person("grace"), "/mycerts add exam:CLF-C02 passed:2025-06-01")
        question = await practice_single(core, ada)
        assert (await core.handle(Action(ada, question.buttons[0].action_id))).title in ("Correct", "Not quite")
        await core.handle_line(ada, "/notify snooze:7d expiry_reminders:off")

        reply = await core.handle_line(ada, "/profile export")
        assert reply.ephemeral and reply.title == "Everything studybot stores about you"
        data = exported(reply)
        async with rt.services.engine.connect() as conn:
            ada_id = (await conn.execute(select(members.c.id).where(members.c.user_id == "ada"))).scalar_one()
            before = await _counts(conn, ada_id)
        stored = data["stored"]
        names = {"members", "group prompt answers", *(t.name for t in member_tables())}
        assert set(stored) == names  # every table deletion empties, and nothing else
        assert {name: len(stored[name]) for name in before} == before  # all of ada's rows, no one else's
        for table in ("held_certifications", "practice_attempts", "practice_answers", "notify_settings"):
            assert stored[table], table
        assert all(row["member_id"] == ada_id for t in member_tables() for row in stored[t.name])
        assert [row["exam"] for row in stored["held_certifications"]] == ["SAA-C03"]
        assert stored["members"][0]["timezone"] == "Europe/Berlin"
        assert stored["notify_settings"][0]["expiry_reminders"] is False
        assert stored["notify_settings"][0]["snooze_until"].startswith("2026-12-07T08:00:30")
        assert [row["user_id"] for row in stored["group prompt answers"]] == ["ada"]
        assert [(e["action"], e["target"]) for e in data["audit_entries"]] == [("moderators.add", "ada")]
        assert data["who"] == {"platform": "console", "workspace": "w1", "user_id": "ada"}

        asked = await core.handle_line(ada, "/profile delete")
        await core.handle(Action(ada, asked.buttons[0].action_id))
        async with rt.services.engine.connect() as conn:
            after = await _counts(conn, ada_id)
            answers = (await conn.execute(select(prompt_answers.c.user_id))).scalars().all()
        assert set(after.values()) == {0} and answers == ["grace"]
        again = exported(await core.handle_line(ada, "/profile export"))
        assert again["stored"] == {"group prompt answers": []}  # nothing left, and the export created nothing
        assert len(again["audit_entries"]) == 1  # the workspace's history is kept, as the export said
        async with rt.services.engine.connect() as conn:
            assert (await conn.execute(select(members.c.id).where(members.c.user_id == "ada"))).first() is None


async def test_export_refuses_a_timezone_beside_it(database_url: str, catalog: Catalog) -> None:
    clock = FixedClock(at("2026-11-29T12:00:00+01:00"))
    async with open_runtime(database_url, clock, catalog, FakePoster()) as rt:
        reply = await rt.core.handle_line(person(), "/profile export timezone:Europe/Berlin")
        assert reply.title == "That didn't work" and "not both" in reply.text
        async with rt.services.engine.connect() as conn:
            assert (await conn.execute(select(members))).first() is None
