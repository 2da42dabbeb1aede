"""Issue 18 through the real Bolt app and the fake Slack: a `focus:weakest` schedule's reveal says where its
prompt came from and why, and `/study stats channel:` shows the group to moderators (and members once
allowed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from adapters.slack import SlackAdapter
from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.store.schema import practice_answers, schedule_deliveries, schedules
from tests.adapters.slack.conftest import ADMIN, CHANNEL, MEMBER, Chat, buttons, menu, menu_state, shown, title
from tests.fakes.slack_server import FakeSlack

ADD = f"schedule add channel:<#{CHANNEL}|study> exam:SAA-C03 preset:daily-9am timezone:UTC focus:weakest"
MEMBERS = {MEMBER: "Ada", ADMIN: "Boss", "U0CY": "Cy"}


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


@pytest.fixture
def posting(slack_runtime: Runtime, http_slack: SlackAdapter, fake_slack: FakeSlack) -> Runtime:
    slack_runtime.services.posters.add(http_slack.poster)
    for user, name in MEMBERS.items():
        if user not in fake_slack.users:
            fake_slack.add_user(user, name)
    return slack_runtime


async def test_weakest_schedule_reveal_and_group_stats_through_slack(
    chat: Chat, posting: Runtime, fake_slack: FakeSlack, clock: FixedClock, catalog: Catalog
) -> None:
    clock.set(at("2026-11-30T08:00:00+00:00"))
    added = await chat.command(ADD, command="/studyadmin", user=ADMIN)
    assert title(added) == "Schedule added" and "focus on the group's weakest domains" in shown(added)
    async with posting.services.engine.connect() as conn:
        assert (await conn.execute(select(schedules.c.focus))).scalar_one() == "weakest"

    for day in range(3):
        clock.set(at("2026-11-30T09:00:00+00:00") + dt.timedelta(days=day))
        assert (await posting.schedule.deliver_due()).prompts == 1
        prompt = dict(fake_slack.calls("api", "chat.postMessage")[-1].body)
        async with posting.services.engine.connect() as conn:
            question_id, ts = (
                await conn.execute(
                    select(schedule_deliveries.c.question_id, schedule_deliveries.c.message_id)
                    .where(schedule_deliveries.c.kind == "prompt")
                    .order_by(schedule_deliveries.c.id.desc())
                )
            ).first()  # type: ignore[misc]
        question = catalog.question(question_id)
        assert question is not None
        wrong = [i for i in range(len(question.options)) if i not in question.correct_indexes][: question.choose]
        letters = "".join("ABCDEF"[i] for i in wrong)  # everybody misses, so the figures are known

        async def press(
            user: str, body: dict[str, Any] = prompt, letters: str = letters, ts: str = ts
        ) -> dict[str, Any]:
            where = {"message_ts": ts, "ephemeral": False}
            options = menu(body)
            if options is None:
                return await chat.press(buttons(body)[letters], user=user, **where)
            picked = [o for o in options["options"] if o["value"] in letters]
            return await chat.press(buttons(body)["Submit"], user=user, state=menu_state(options, picked), **where)

        for user in MEMBERS:
            assert shown(await press(user)).startswith("Recorded *")
        clock.set(clock.now() + dt.timedelta(hours=12))
        assert (await posting.schedule.deliver_due()).reveals == 1
        reveal = dict(fake_slack.calls("api", "chat.postMessage")[-1].body)
        assert title(reveal) == "Answer revealed"
        text = shown(reveal)
        assert f"From {question.domain}: " in text, text
        if day == 0:
            assert "the group has no answers in the last 30 days yet, so domains follow the guide" in text

    # The last reveal's figures are the stored answers of its domain before its prompt.
    async with posting.services.engine.connect() as conn:
        stored = (await conn.execute(select(practice_answers.c.domain, practice_answers.c.correct))).all()
    assert len(stored) == 9 and not any(correct for _d, correct in stored)

    refused = await chat.command(f"stats channel:<#{CHANNEL}|study>", user=MEMBER)
    assert "Only moderators can use" in shown(refused) and refused["response_type"] == "ephemeral"
    seen = await chat.command(f"stats channel:<#{CHANNEL}|study>", user=ADMIN)
    assert title(seen) == "Group stats" and seen["response_type"] == "ephemeral"
    assert f"<#{CHANNEL}>" in shown(seen) and "9 answers by 3 members, 0% correct" in shown(seen)
    assert "Readiness (estimate)" in shown(seen) and "resting on 9 answers from 3 members" in shown(seen)
    allowed = await chat.command("settings group_stats:members", command="/studyadmin", user=ADMIN)
    assert "Saved." in shown(allowed) and "members and moderators" in shown(allowed)
    member_view = await chat.command(f"stats channel:<#{CHANNEL}|study>", user=MEMBER)
    assert title(member_view) == "Group stats"
