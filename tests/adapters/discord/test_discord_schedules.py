"""Issue 10 through real discord.py, the real `DiscordPoster` and the fake Discord.

A moderator sets up a weekday 9:00 prompt with slash commands; the scheduler's delivery (what
`studybot schedule deliver-due` runs) posts it through the Poster into the fake channel; members
answer with buttons; the count is edited on the message; the reveal follows through the Poster.
Time is the runtime's fixed clock, set by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from adapters.discord.client import DiscordAdapter
from adapters.discord.render import EPHEMERAL
from bot.catalog import Catalog
from bot.catalog.models import Question
from bot.clock import FixedClock
from bot.replies import Reply
from bot.runtime import Runtime
from bot.schedule.deliveries import nonce_for
from bot.schedule.ports import PostResult
from bot.schedule.ratelimit import LIMITS, RateLimiter
from bot.store.schema import schedule_deliveries, schedules
from tests.adapters.discord import screen
from tests.adapters.discord.conftest import close_adapter, open_adapter
from tests.fakes.discord_server import SEND_MESSAGES, FakeDiscord, Recorded
from tests.fakes.time import VirtualTime

ERROR = "That didn't work"
WEEKDAYS = {"exam": "SAA-C03", "preset": "weekdays-9am", "timezone": "Europe/Berlin"}
SUNDAY = dt.datetime.fromisoformat("2026-11-22T12:00:00+01:00")
MONDAY_9 = dt.datetime.fromisoformat("2026-11-23T09:00:00+01:00")


@pytest.fixture
async def study_group(runtime: Runtime, fake: FakeDiscord, synced: None) -> AsyncIterator[tuple[DiscordAdapter, str]]:
    """An adapter in a server with a "Study Group" role, registered as the scheduler's Discord poster.

    The scheduler keeps Discord's real limits (5 requests per 5 s in a channel), on virtual time.
    """
    role = fake.add_role("Study Group")  # before connecting, so the guild the client caches has it
    adapter = await open_adapter(runtime, fake)
    runtime.services.posters.add(adapter.poster)
    virtual = VirtualTime()
    runtime.schedule.sender.limiters["discord"] = RateLimiter(
        LIMITS["discord"], clock=virtual.clock, sleep=virtual.sleep
    )
    try:
        yield adapter, role
    finally:
        await runtime.schedule.counts.flush()  # as serving does: count edits finish before the client closes
        await close_adapter(fake, adapter)


async def ask(fake: FakeDiscord, command: str, options: dict[str, Any] | None = None, user: str = "mod") -> dict:
    return fake.message_of(await fake.wait_for_callback(await fake.slash(command, options, user=user)))


def channel_posts(fake: FakeDiscord, channel: int, after: int = 0) -> list[Recorded]:
    path = f"/channels/{channel}/messages"
    return [r for r in fake.requests[after:] if r.method == "POST" and r.path == path and r.status == 200]


async def prompt_row(runtime: Runtime) -> dict[str, Any]:
    async with runtime.services.engine.connect() as conn:
        stmt = select(schedule_deliveries).where(schedule_deliveries.c.kind == "prompt")
        return dict((await conn.execute(stmt)).mappings().one())


async def choose(fake: FakeDiscord, message: dict[str, Any], letters: str, user: str) -> Recorded:
    """Answer a group prompt: the letter's button, or the menu for a "choose N" question."""
    menu = screen.select(message)
    if menu is not None:
        press = await fake.press(message["id"], menu["custom_id"], user=user, values=list(letters))
    else:
        press = await fake.press(message["id"], screen.button(message, letters)["custom_id"], user=user)
    return await fake.wait_for_callback(press)


def right_and_wrong(question: Question) -> tuple[str, str]:
    right = "".join(screen.LETTERS[i] for i in question.correct_indexes)
    others = [letter for letter in screen.LETTERS[: len(question.options)] if letter not in right]
    wrong = "".join(others[: len(right)])
    return right, wrong


async def test_a_weekday_prompt_from_schedule_to_reveal(
    runtime: Runtime,
    fake: FakeDiscord,
    study_group: tuple[DiscordAdapter, str],
    clock: FixedClock,
    catalog: Catalog,
) -> None:
    _adapter, role = study_group
    study = fake.channel_id
    clock.set(SUNDAY)
    saved = await ask(fake, "studyadmin settings", {"mention_role": "Study Group"})
    assert role in screen.text(saved)
    added = await ask(fake, "studyadmin schedule add", {"channel": "study", **WEEKDAYS})
    assert screen.title(added) == "Schedule added" and "Mon 23 Nov 2026 09:00 CET" in screen.text(added)
    assert any(r.method == "GET" and r.path == f"/channels/{study}" for r in fake.requests)  # the access check

    refused = await ask(fake, "studyadmin schedule add", {"channel": "study", **WEEKDAYS}, user="ada")
    assert refused["flags"] & EPHEMERAL and "Only moderators" in screen.text(refused)
    assert "1 schedule here" in screen.text(await ask(fake, "studyadmin schedule list"))

    # Monday 9:00 in Berlin: the delivery posts the prompt through the real Poster.
    clock.set(MONDAY_9)
    mark = len(fake.requests)
    assert (await runtime.schedule.deliver_due()).prompts == 1
    (post,) = channel_posts(fake, study, mark)
    row = await prompt_row(runtime)
    body = post.json
    assert body["nonce"] == nonce_for(row["key"]) and body["enforce_nonce"] is True
    assert body["content"] == f"<@&{role}>"
    assert body["allowed_mentions"] == {"parse": [], "roles": [int(role)]}  # that role, nobody else
    prompt = fake.messages[int(row["message_id"])]
    assert prompt["mention_roles"] == [role] and prompt["mentions"] == [] and not prompt["mention_everyone"]
    assert screen.title(prompt) == "Question of the day"
    assert screen.footer(prompt).startswith("0 answered. Your answer is private")
    question = catalog.question(row["question_id"])
    assert question is not None
    if question.type == "single":
        assert screen.labels(prompt) == list(screen.LETTERS[: len(question.options)])
    else:
        assert screen.labels(prompt) == ["Submit"] and screen.select(prompt) is not None

    mark = len(fake.requests)
    assert (await runtime.schedule.deliver_due()).prompts == 0  # delivering twice posts nothing twice
    assert channel_posts(fake, study, mark) == []

    # Members answer privately; one changes their mind.
    right, wrong = right_and_wrong(question)
    for user, letters in (("ada", right), ("grace", right)):
        callback = await choose(fake, prompt, letters, user)
        assert callback.json["type"] == 4 and callback.json["data"]["flags"] & EPHEMERAL
        assert f"Recorded **{letters}**. You can change it until the reveal." in screen.text(callback.json["data"])
    changed = await choose(fake, prompt, wrong, "grace")
    assert "Changed to" in screen.text(changed.json["data"])
    await runtime.schedule.counts.flush()
    edit = await fake.wait_for(
        lambda r: r.method == "PATCH" and r.path.endswith(f"/messages/{prompt['id']}") and "2 answered" in str(r.json)
    )
    assert edit.path == f"/channels/{study}/messages/{prompt['id']}"
    assert edit.json["allowed_mentions"] == {"parse": []}  # an edit pings nobody, the role included
    assert screen.footer(prompt).startswith("2 answered") and prompt["content"] == f"<@&{role}>"
    assert "Ada" not in screen.text(prompt) and "Grace" not in screen.text(prompt)  # never who answered what

    # Twelve hours later the reveal is posted with the group's results, and the prompt is closed.
    clock.set(MONDAY_9 + dt.timedelta(hours=12))
    mark = len(fake.requests)
    counts = await runtime.schedule.deliver_due()
    assert (counts.prompts, counts.reveals) == (0, 1)
    (reveal_post,) = channel_posts(fake, study, mark)
    assert reveal_post.json["allowed_mentions"] == {"parse": []} and not reveal_post.json.get("content")
    reveal = fake.messages[max(fake.messages)]
    shown = screen.text(reveal).replace("*", "")
    assert screen.title(reveal) == "Answer revealed" and f"Answer: {right}" in shown
    assert "2 answered; 1 got it right." in shown and "Got it right: Ada." in shown
    assert f"Most picked wrong answer: {wrong} (1 of 2)" in shown
    for option in question.options:
        assert option.text[:40] in shown
    closed = fake.messages[int(prompt["id"])]
    assert screen.title(closed) == "Question of the day (closed)" and closed["components"] == []

    mark = len(fake.requests)
    assert (await runtime.schedule.deliver_due()).as_json() == {
        "prompts": 0,
        "reveals": 0,
        "reminders": 0,
        "digests": 0,
        "skipped": 0,
    }
    assert channel_posts(fake, study, mark) == []


async def test_schedule_add_for_a_channel_the_bot_cannot_post_in_is_refused(
    runtime: Runtime, fake: FakeDiscord, study_group: tuple[DiscordAdapter, str], clock: FixedClock
) -> None:
    announcements = await fake.create_channel("announcements")
    fake.overwrite(announcements, fake.guild_id, deny=SEND_MESSAGES)  # @everyone may read, not write
    staff = await fake.create_channel("staff")
    fake.forbidden_channels.add(staff)  # the bot cannot even see it
    cases = {
        "announcements": "the bot lacks Send Messages in #announcements",
        "staff": "the bot cannot see that channel",
    }
    for channel, reason in cases.items():
        refused = await ask(fake, "studyadmin schedule add", {"channel": channel, **WEEKDAYS})
        assert refused["flags"] & EPHEMERAL and screen.title(refused) == ERROR
        assert "I can't post in" in screen.text(refused) and reason in screen.text(refused), screen.text(refused)
        assert "give it permission to send messages" in screen.text(refused)
    async with runtime.services.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(schedules))).scalar_one() == 0
    assert "No schedules yet" in screen.text(await ask(fake, "studyadmin schedule list"))
    assert not [r for r in fake.requests if r.method == "POST" and r.path.startswith("/channels/")]

    # Allowed back in (the bot's own role may write there): the same command now works.
    bot_role = fake.add_role("Studybot")
    fake.bot_roles[fake.guild_id] = [bot_role]
    fake.overwrite(announcements, bot_role, allow=SEND_MESSAGES)
    added = await ask(fake, "studyadmin schedule add", {"channel": "announcements", **WEEKDAYS})
    assert screen.title(added) == "Schedule added"


class DiesAfterPosting:
    """The real Poster, in a process that dies right after Discord accepted the post."""

    platform = "discord"

    def __init__(self, real: Any) -> None:
        self.real = real

    async def post(self, workspace: str, channel: str, reply: Reply, *, nonce: str | None = None) -> PostResult:
        await self.real.post(workspace, channel, reply, nonce=nonce)
        raise ConnectionAbortedError("the process died before recording the post")


async def test_a_post_retried_after_a_crash_is_dropped_by_its_nonce(
    runtime: Runtime, fake: FakeDiscord, study_group: tuple[DiscordAdapter, str], clock: FixedClock
) -> None:
    adapter, _role = study_group
    clock.set(SUNDAY)
    await ask(fake, "studyadmin schedule add", {"channel": "study", **WEEKDAYS})
    clock.set(MONDAY_9)
    runtime.services.posters.add(DiesAfterPosting(adapter.poster))
    with pytest.raises(ConnectionAbortedError):
        await runtime.schedule.deliver_due()
    row = await prompt_row(runtime)
    assert row["state"] == "claimed" and row["message_id"] is None  # posted, but nobody knows

    # Back up three minutes later: the stale claim is taken over and posted again with the same nonce.
    runtime.services.posters.add(adapter.poster)
    clock.set(MONDAY_9 + dt.timedelta(minutes=3))
    assert (await runtime.schedule.deliver_due()).prompts == 1
    first, retried = channel_posts(fake, fake.channel_id)
    assert first.json["nonce"] == retried.json["nonce"] == nonce_for(row["key"])
    assert retried.json["enforce_nonce"] is True
    in_channel = [m for m in fake.messages.values() if "nonce" in m]
    assert len(in_channel) == 1  # Discord dropped the duplicate and returned the first message
    assert (await prompt_row(runtime))["message_id"] == in_channel[0]["id"]
