"""Issue 17's errata through the real Bolt app in HTTP mode and the fake Slack: the Report button under a
verdict opens the `/report` modal, two more members report by command, the question is suspended, a
moderator changes its key, and the member's `/study stats` follows."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.catalog import Catalog
from bot.runtime import Runtime
from bot.store.schema import practice_answers, question_reports
from tests.adapters.slack.conftest import ADMIN, MEMBER, Chat, buttons, shown
from tests.adapters.slack.test_bank_modal import posted_text, submit
from tests.adapters.slack.test_slack_flow_practice import answer, served, single


async def open_report(chat: Chat, verdict: dict[str, Any], question_id: str) -> dict[str, Any]:
    """Press a verdict's Report button as the member: the `/report` modal it opens, with the question
    already given and the reason, note and link to fill in."""
    fake = chat.fake
    before = len(fake.views)
    sent, _key = await chat.deliveries.press(buttons(verdict)["Report"], user=MEMBER)
    assert sent.status == 200
    await fake.wait_for(lambda r: r.kind == "api" and r.name == "views.open" and len(fake.views) > before)
    view: dict[str, Any] = list(fake.views.values())[-1]
    inputs = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert inputs == ["choice:reason", "text:note", "text:link"]
    assert json.loads(view["private_metadata"])["typed"] == {"question": question_id}
    return view


async def test_report_modal_suspension_and_key_change_through_slack(
    chat: Chat, catalog: Catalog, slack_runtime: Runtime
) -> None:
    fake = chat.fake
    body = await single(chat)
    question, _order = served(catalog, body)
    verdict = await answer(chat, catalog, body, right=False)
    assert "Report" in buttons(verdict)
    assert "0 correct of 1" in shown(await chat.command("leaderboard period:all", user=MEMBER))

    view = await open_report(chat, verdict, question.id)

    # `submit` answers as the moderator's user id; the reporter here is that user.
    said = posted_text(
        await submit(
            chat.deliveries,
            fake,
            view,
            {"choice:reason": "wrong-key", "text:note": "B is right", "text:link": "https://docs.aws.amazon.com/x"},
        )
    )
    assert "Thanks: your report on" in said and question.id in said
    for user in ("U0BOB", MEMBER):
        reply = await chat.command(f"report question:{question.id} reason:wrong-key", user=user)
        assert "Report sent" in shown(reply) or "Thanks" in shown(reply)
    assert "paused here" in shown(reply)
    again = await chat.command(f"report question:{question.id} reason:typo", user=MEMBER)
    assert "already reported" in shown(again)
    async with slack_runtime.services.engine.connect() as conn:
        rows = (await conn.execute(select(question_reports.c.user_id, question_reports.c.note))).all()
    assert sorted(rows) == sorted([(ADMIN, "B is right"), ("U0BOB", None), (MEMBER, None)])

    queue = await chat.command("reports", command="/studyadmin", user=ADMIN)
    assert question.id in shown(queue) and "suspended" in shown(queue)
    async with slack_runtime.services.engine.connect() as conn:
        chosen = (await conn.execute(select(practice_answers.c.chosen))).scalar_one()
    key = "ABCDEF"[int(chosen)]  # what the member answered becomes the key
    decided = await chat.command(
        f"report decide question:{question.id} decision:key key:{key}", command="/studyadmin", user=ADMIN
    )
    assert "Decision recorded" in shown(decided) or "graded again" in shown(decided), shown(decided)

    stats = shown(await chat.command("stats", user=MEMBER))
    assert question.id in stats and "changed its key" in stats and "1 now correct" in stats
    assert "100% correct" in stats
    assert "1 correct of 1" in shown(await chat.command("leaderboard period:all", user=MEMBER))
    audit = shown(await chat.command("audit limit:10", command="/studyadmin", user=ADMIN))
    assert audit.count("report.filed") == 3 and "question.suspended" in audit and "question.key" in audit
