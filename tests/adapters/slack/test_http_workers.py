"""Slack over HTTP behind a load balancer (issue 19): two stateless workers on one database.

Each worker is a whole studybot (its own `Runtime`, engine and pool) serving the real Bolt app over
HTTP; the test is the balancer, choosing which worker gets each signed request, and Slack (it signs
with its own HMAC code, in conftest). A replay, a retry and a restarted worker are all handled once,
because what a worker let through is claimed in the shared database, not kept in its memory.
SQLite file by default; PostgreSQL too when `STUDYBOT_TEST_POSTGRES_URL` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from adapters.slack import SlackAdapter
from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.replies import Reply
from bot.requests import Action, Identity, Request
from bot.runtime import Runtime
from bot.store.schema import practice_answers, practice_attempts
from tests.adapters.slack.conftest import SlackDeliveries, buttons, mention_event, menu, slack_settings
from tests.conftest import START
from tests.fakes.observed import ObservedCore
from tests.fakes.slack_server import FakeSlack

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


@dataclass
class CountedCore(ObservedCore):
    """The real core, observed, with a way to wait for replies: Bolt runs listeners after the ack."""

    answered: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def handle_line(self, identity: Identity, line: str, *, delivery_id: str | None = None) -> Reply:
        reply = await super().handle_line(identity, line, delivery_id=delivery_id)
        async with self.answered:
            self.answered.notify_all()
        return reply

    async def handle(self, message: Request | Action) -> Reply:
        reply = await super().handle(message)
        async with self.answered:
            self.answered.notify_all()
        return reply

    async def replied(self, count: int) -> list[bool]:
        """Once `count` replies were given: which of them were repeats, in order."""
        async with self.answered:
            await asyncio.wait_for(self.answered.wait_for(lambda: len(self.replies) >= count), 5)
        return [reply.duplicate for reply in self.replies]


@dataclass
class Worker:
    runtime: Runtime
    core: CountedCore
    adapter: SlackAdapter
    slack: SlackDeliveries
    events: list[str] = field(default_factory=list)
    event_seen: asyncio.Event = field(default_factory=asyncio.Event)


class Balancer:
    """Starts and stops workers on one database and hands each request to the worker the test names."""

    def __init__(self, url: str, tmp_path: Path, fake: FakeSlack, catalog: Catalog, session: aiohttp.ClientSession):
        self.settings = slack_settings(tmp_path, STUDYBOT_DATABASE_URL=url)
        self.fake = fake
        self.catalog = catalog
        self.session = session
        self.clock = FixedClock(START)

    @contextlib.asynccontextmanager
    async def worker(self) -> AsyncIterator[Worker]:
        async with Runtime(self.settings, clock=self.clock, catalog=self.catalog) as rt:
            core = CountedCore(rt.core)
            adapter = SlackAdapter(
                core,  # type: ignore[arg-type]
                self.settings,
                http=True,
                port=0,
                host="127.0.0.1",
                base_url=self.fake.base_url,
            )
            async with adapter:
                worker = Worker(rt, core, adapter, SlackDeliveries(self.session, adapter.url, self.fake))

                async def on_mention(body: dict[str, Any]) -> None:  # test-only; studybot subscribes to none
                    worker.events.append(body["event_id"])
                    worker.event_seen.set()

                adapter.app.event("app_mention")(on_mention)
                yield worker

    async def barrier(self, worker: Worker) -> None:
        """A later command answered by `worker`: everything it acknowledged before has finished."""
        _, key = await worker.slack.command("help")
        await self.fake.wait_response(key)


@pytest.fixture
async def balancer(
    database_url: str, tmp_path: Path, fake_slack: FakeSlack, catalog: Catalog
) -> AsyncIterator[Balancer]:
    async with aiohttp.ClientSession() as session:
        yield Balancer(database_url, tmp_path, fake_slack, catalog, session)


async def attempts(worker: Worker) -> int:
    """Questions served: each handled `/study practice` serves one."""
    async with worker.runtime.services.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(practice_attempts))).scalar_one())


async def answers(worker: Worker) -> int:
    """Answers recorded: each handled press records one before its verdict is sent (the writer commits first)."""
    async with worker.runtime.services.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(practice_answers))).scalar_one())


async def test_a_request_replayed_to_another_worker_is_refused_there(balancer: Balancer, fake_slack: FakeSlack) -> None:
    async with balancer.worker() as a, balancer.worker() as b:
        body, key = a.slack.command_body("practice exam:SAA-C03")
        first = await a.slack.send(body)
        assert first.status == 200
        await fake_slack.wait_response(key)
        assert await attempts(a) == 1

        replayed = await b.slack.send(body, headers=first.headers)  # byte for byte, to the other worker
        assert replayed.status == 401
        await balancer.barrier(b)
        assert [line for _, line in b.core.lines] == ["/help"] and b.core.replies[0].title  # only the barrier
        assert len(fake_slack.responses_for(key)) == 1
        assert await attempts(b) == 1


async def test_a_retry_of_a_command_or_a_press_is_acknowledged_and_runs_nowhere_else(
    balancer: Balancer, fake_slack: FakeSlack
) -> None:
    async with balancer.worker() as a, balancer.worker() as b:
        body, key = a.slack.command_body("practice exam:SAA-C03")
        assert (await a.slack.send(body)).status == 200
        question = await fake_slack.wait_response(key)
        # Slack's retry: the same trigger, signed afresh a few seconds later, and the balancer picks B.
        again = await b.slack.send(body, timestamp=int(time.time()) + 3, extra_headers=RETRY)
        assert again.status == 200 and again.text == ""  # acknowledged, so Slack stops retrying
        await balancer.barrier(b)
        assert sorted(await b.core.replied(2)) == [False, True]  # the barrier, and the retry: a repeat
        assert sorted(line for _, line in b.core.lines) == ["/help", "/practice exam:SAA-C03"]
        assert len(fake_slack.responses_for(key)) == 1
        assert await attempts(a) == 1

        served = dict(question.body)
        for _ in range(30):  # a single-answer question, so that one press answers it
            if menu(served) is None:
                break
            _, key = await a.slack.command("practice exam:SAA-C03")
            served = dict((await fake_slack.wait_response(key)).body)
        choice = next(iter(buttons(served).values()))
        press_body, press_key = a.slack.action_body(choice)
        assert (await a.slack.send(press_body)).status == 200
        verdict = await fake_slack.wait_response(press_key)
        assert verdict.body["blocks"][0]["text"]["text"] in ("Correct", "Not quite")
        again = await b.slack.send(press_body, timestamp=int(time.time()) + 3, extra_headers=RETRY)
        assert again.status == 200
        await balancer.barrier(b)
        assert sorted((await b.core.replied(4))[2:]) == [False, True]  # the barrier, and the press: a repeat
        assert [action.action_id for action in b.core.actions] == [choice["value"]]
        assert len(fake_slack.responses_for(press_key)) == 1
        assert await answers(b) == 1


async def test_an_events_api_retry_runs_on_one_worker_only(balancer: Balancer) -> None:
    async with balancer.worker() as a, balancer.worker() as b:
        json_type = "application/json"
        assert (await a.slack.send(mention_event("Ev1"), content_type=json_type)).status == 200
        for n, worker in enumerate((b, a), start=1):  # Slack signs each retry afresh, seconds apart
            later = int(time.time()) + 3 * n
            sent = await worker.slack.send(
                mention_event("Ev1"), content_type=json_type, extra_headers=RETRY, timestamp=later
            )
            assert sent.status == 200
        # A retry whose first delivery never arrived anywhere is a first delivery.
        assert (await b.slack.send(mention_event("Ev2"), content_type=json_type, extra_headers=RETRY)).status == 200
        await asyncio.wait_for(b.event_seen.wait(), 5)
        await balancer.barrier(a)
        await balancer.barrier(b)
        assert a.events == ["Ev1"] and b.events == ["Ev2"]


async def test_a_restarted_worker_still_refuses_the_replay(balancer: Balancer, fake_slack: FakeSlack) -> None:
    body, key = "", ""
    headers: dict[str, str] = {}
    async with balancer.worker() as a:
        body, key = a.slack.command_body("practice exam:SAA-C03")
        first = await a.slack.send(body)
        assert first.status == 200
        await fake_slack.wait_response(key)
        headers = first.headers
    async with balancer.worker() as restarted:  # a new process: new engine, new pool, empty memory
        refused = await restarted.slack.send(body, headers=headers)
        assert refused.status == 401
        retry = await restarted.slack.send(body, timestamp=int(time.time()) + 3, extra_headers=RETRY)
        assert retry.status == 200
        await balancer.barrier(restarted)
        assert sorted(await restarted.core.replied(2)) == [False, True]
        assert len(fake_slack.responses_for(key)) == 1
        assert await attempts(restarted) == 1
