"""Issue 10 through the real Bolt app, the real Slack Poster and the fake Slack.

A moderator sets up a weekday 9:00 schedule with slash commands; the scheduler's delivery (what
`studybot schedule deliver-due` runs) posts through `SlackPoster` into the fake channel; members
answer with presses on that channel message; the count is edited in place; the reveal follows.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from adapters.slack import SlackAdapter
from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.schedule.ratelimit import LIMITS, RateLimiter
from bot.store.schema import audit_log, prompt_answers, schedule_deliveries, schedules
from tests.adapters.slack.conftest import (
    ADMIN,
    CHANNEL,
    MEMBER,
    Chat,
    buttons,
    menu,
    menu_state,
    shown,
    title,
)
from tests.fakes.slack_server import FakeSlack, Record
from tests.fakes.time import VirtualTime

ADD = "schedule add channel:<#{channel}|{name}> exam:SAA-C03 preset:weekdays-9am timezone:Europe/Berlin"
GROUP = "S0STUDY"
MEMBERS = {MEMBER: "Ada", ADMIN: "Boss", "U0CY": "Cy", "U0DEE": "Dee"}


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


def posts(fake: FakeSlack) -> list[Record]:
    return fake.calls("api", "chat.postMessage")


def footer(body: dict[str, Any]) -> str:
    return "\n".join(e["text"] for b in body["blocks"] if b["type"] == "context" for e in b["elements"])


async def rows(runtime: Runtime, table: Any) -> int:
    async with runtime.services.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


@pytest.fixture
def paced() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
def posting(slack_runtime: Runtime, http_slack: SlackAdapter, fake_slack: FakeSlack, paced: VirtualTime) -> Runtime:
    """The runtime with the adapter's real Poster in place, as `studybot run` wires it."""
    slack_runtime.services.posters.add(http_slack.poster)
    limiters = slack_runtime.schedule.sender.limiters
    limiters["slack"] = RateLimiter(LIMITS["slack"], clock=paced.clock, sleep=paced.sleep)
    for user, name in MEMBERS.items():
        if user not in fake_slack.users:
            fake_slack.add_user(user, name)
    return slack_runtime


async def test_weekday_prompt_presses_count_reveal_and_no_doubles(
    chat: Chat, posting: Runtime, fake_slack: FakeSlack, clock: FixedClock, catalog: Catalog, paced: VirtualTime
) -> None:
    clock.set(at("2026-11-27T12:00:00+01:00"))  # a Friday
    # The moderator picks the user group from Slack's autocomplete; Slack sends it as <!subteam^…>.
    settings = await chat.command(
        f"settings mention_role:<!subteam^{GROUP}|@study-group>", command="/studyadmin", user=ADMIN
    )
    assert "Saved." in shown(settings) and f"`{GROUP}`" in shown(settings)
    added = await chat.command(ADD.format(channel=CHANNEL, name="study"), command="/studyadmin", user=ADMIN)
    assert title(added) == "Schedule added" and added["response_type"] == "ephemeral"
    assert "Mon 30 Nov 2026 09:00 CET" in shown(added) and f"<#{CHANNEL}>" in shown(added)  # the channel as a link
    assert fake_slack.calls("api", "conversations.info")[-1].body["channel"] == CHANNEL

    refused = await chat.command("schedule pause id:1", command="/studyadmin", user=MEMBER)
    assert "Only moderators" in shown(refused) and refused["response_type"] == "ephemeral"
    assert await rows(posting, audit_log) == 2  # the settings change and the schedule; the refusal wrote nothing

    clock.set(at("2026-11-29T09:00:00+01:00"))  # Sunday: nothing
    assert (await posting.schedule.deliver_due()).prompts == 0 and posts(fake_slack) == []

    clock.set(at("2026-11-30T09:00:00+01:00"))  # Monday 9:00
    assert (await posting.schedule.deliver_due()).prompts == 1
    (posted,) = posts(fake_slack)
    prompt = dict(posted.body)
    assert prompt["channel"] == CHANNEL and title(prompt) == "Question of the day"
    assert prompt["blocks"][1]["text"]["text"].startswith(f"<!subteam^{GROUP}> `SAA-C03`")  # the one ping
    assert prompt["text"].startswith(f"<!subteam^{GROUP}> Question of the day")
    assert json.dumps(prompt).count("<!") == 2 and "<!channel>" not in json.dumps(prompt)
    assert footer(prompt).startswith("0 answered.") and "change it until the reveal" in footer(prompt)
    async with posting.services.engine.connect() as conn:
        question_id, ts = (
            await conn.execute(select(schedule_deliveries.c.question_id, schedule_deliveries.c.message_id))
        ).one()
    question = catalog.question(question_id)
    assert question is not None
    right = "".join("ABCDEF"[i] for i in question.correct_indexes)
    if question.type == "single":
        assert list(buttons(prompt)) == list("ABCDEF"[: len(question.options)])
    else:
        assert menu(prompt) is not None and list(buttons(prompt)) == ["Submit"]
    assert (await posting.schedule.deliver_due()).prompts == 0 and len(posts(fake_slack)) == 1  # twice: once

    async def press(user: str, letters: str) -> dict[str, Any]:
        where = {"message_ts": ts, "ephemeral": False}
        options = menu(prompt)
        if options is None:
            return await chat.press(buttons(prompt)[letters], user=user, **where)
        picked = [o for o in options["options"] if o["value"] in letters]
        return await chat.press(buttons(prompt)["Submit"], user=user, state=menu_state(options, picked), **where)

    clock.set(at("2026-11-30T09:05:00+01:00"))
    offered = "ABCDEF"[: len(question.options)]
    wrong = next(c for c in offered if c not in right)
    other = wrong if question.type == "single" else right[:-1] + wrong
    for user in MEMBERS:
        answered = await press(user, right if user != "U0DEE" else other)
        assert answered["response_type"] == "ephemeral" and answered["replace_original"] is False
        assert shown(answered).startswith("Recorded *") and "You can change it until the reveal." in shown(answered)
    changed = await press("U0DEE", right)  # a change of mind before the reveal
    assert shown(changed).startswith("Changed to *")
    changed = await press("U0DEE", other)
    await posting.schedule.counts.flush()
    update = fake_slack.calls("api", "chat.update")[-1].body
    assert update["channel"] == CHANNEL and update["ts"] == ts
    assert footer(dict(update)).startswith("4 answered.")
    assert update["blocks"][1]["text"]["text"].startswith(f"<!subteam^{GROUP}> ")  # the edit keeps the one mention
    assert not any(name in json.dumps(update) for name in MEMBERS.values())  # nobody's answer is shown
    assert await rows(posting, prompt_answers) == 4

    clock.set(at("2026-11-30T21:00:00+01:00"))  # 12 hours later: the reveal
    counts = await posting.schedule.deliver_due()
    assert (counts.prompts, counts.reveals) == (0, 1)
    reveal = dict(posts(fake_slack)[-1].body)
    assert reveal["channel"] == CHANNEL and title(reveal) == "Answer revealed"
    text = shown(reveal)
    assert f"*Answer: {right}*" in text and "*4* answered; 3 got it right." in text
    for name in ("Ada", "Boss", "Cy"):
        assert name in text
    assert "Dee" not in text  # only the names of those who were right
    for option in question.options:
        assert option.explanation.split(" ", 1)[-1][:25].replace("&", "&amp;") in text.replace("\\", "")
    closed = fake_slack.calls("api", "chat.update")[-1].body
    assert closed["ts"] == ts and title(dict(closed)) == "Question of the day (closed)"
    assert buttons(dict(closed)) == {} and "subteam" not in json.dumps(closed)

    assert (await posting.schedule.deliver_due()).as_json() == {
        "prompts": 0,
        "reveals": 0,
        "reminders": 0,
        "digests": 0,
        "skipped": 0,
    }
    assert len(posts(fake_slack)) == 2  # one prompt, one reveal
    late = await press(MEMBER, right)
    assert "revealed" in shown(late) and late["response_type"] == "ephemeral"
    # Every post and edit in the channel went through the limiter: at most one a second (virtual seconds).
    sent = len(posts(fake_slack)) + len(fake_slack.calls("api", "chat.update"))
    assert paced.now >= (sent - 1) * 0.96, (paced.now, sent)
    assert fake_slack.calls("unknown") == []


@pytest.mark.parametrize(
    ("setup", "says"),
    [
        ({"member": False}, "/invite @studybot"),
        ({"member": True, "archived": True}, "archived"),
        (None, "pick the channel with #"),
    ],
)
async def test_schedule_add_is_refused_for_a_channel_the_bot_cannot_post_in(
    chat: Chat, posting: Runtime, fake_slack: FakeSlack, setup: dict[str, bool] | None, says: str
) -> None:
    if setup is not None:
        fake_slack.add_channel("C0RANDOM", "random", **setup)
    refused = await chat.command(ADD.format(channel="C0RANDOM", name="random"), command="/studyadmin", user=ADMIN)
    assert title(refused) == "That didn't work" and refused["response_type"] == "ephemeral"
    assert "I can't post in <#C0RANDOM>" in shown(refused) and says in shown(refused)
    assert fake_slack.calls("api", "conversations.info")[-1].body["channel"] == "C0RANDOM"
    assert await rows(posting, schedules) == 0 and await rows(posting, audit_log) == 0  # nothing saved
    assert "No schedules yet" in shown(await chat.command("schedule list", command="/studyadmin", user=ADMIN))
    assert posts(fake_slack) == []
