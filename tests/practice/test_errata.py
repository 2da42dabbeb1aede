"""Issue 17's errata, as console members and a moderator would do it, through `Core.handle_line`.

Real SQLite (and PostgreSQL where reachable), the real content, a fixed clock; a restart is a new
`Runtime` on the same database. Three members answer a scheduled prompt, report it, it leaves the next
prompts, a moderator changes its key, and `/stats`, the leaderboard, review cards, the next reveal and
the audit log all follow.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import yaml
from click.testing import CliRunner
from sqlalchemy import select

from bot.catalog import Catalog
from bot.catalog.models import Question
from bot.catalog.questions import Place
from bot.cli import main
from bot.clock import FixedClock
from bot.commands.dispatch import Core
from bot.replies import Reply
from bot.requests import Action
from bot.runtime import Runtime
from bot.store.schema import members, practice_answers, review_cards, schedule_deliveries
from tests.conftest import make_settings, person
from tests.fakes.posters import FakePoster
from tests.practice.test_flows import practice_single
from tests.schedule.conftest import at, open_runtime

MOD = person("mo", moderator=True)
ADA, BOB, CY = person("ada"), person("bob"), person("cy")
# Five single-answer questions match this schedule, so the sixth prompt would ask the first again.
ADD = (
    '/studyadmin schedule add channel:#study exam:SAA-C03 cron:"0 * * * *" timezone:UTC reveal_after:30m '
    'domain:"Design Resilient Architectures" difficulty:easy'
)
ERROR = "That didn't work"


async def _prompt_questions(rt: Runtime) -> list[str]:
    async with rt.services.engine.connect() as conn:
        rows = await conn.execute(
            select(schedule_deliveries.c.question_id)
            .where(schedule_deliveries.c.kind == "prompt")
            .order_by(schedule_deliveries.c.id)
        )
        return list(rows.scalars())


def _field(reply: Reply, name: str) -> str:
    return next((f.value for f in reply.fields if f.name == name), "")


def _wrong_letter(question: Question) -> str:
    return "ABCDEF"[next(i for i, o in enumerate(question.options) if not o.correct)]


async def _deliver_at(rt: Runtime, clock: FixedClock, when: str) -> None:
    clock.set(at(when))
    await rt.schedule.deliver_due()


async def _card_due(rt: Runtime, user: str, question_id: str) -> dt.datetime:
    async with rt.services.engine.connect() as conn:
        row = await conn.execute(
            select(review_cards.c.due)
            .select_from(review_cards.join(members, members.c.id == review_cards.c.member_id))
            .where((members.c.user_id == user) & (review_cards.c.question_id == question_id))
        )
        return row.scalar_one()


async def test_three_reports_suspend_then_a_key_change_regrades_everything(database_url: str, catalog: Catalog) -> None:
    clock = FixedClock(at("2026-11-23T08:00:00+00:00"))
    poster = FakePoster()
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        core = rt.core
        added = await core.handle_line(MOD, ADD)
        assert added.title == "Schedule added", added.text

        await _deliver_at(rt, clock, "2026-11-23T09:00:00+00:00")
        prompt = poster.posts[-1][2]
        qid = (await _prompt_questions(rt))[0]
        question = catalog.question(qid)
        assert question is not None and question.type == "single"
        right = "ABCDEF"[question.correct_indexes[0]]
        wrong = _wrong_letter(question)
        clock.set(at("2026-11-23T09:05:00+00:00"))
        for who, letter in ((ADA, right), (BOB, wrong), (CY, wrong)):
            button = next(b for b in prompt.buttons if b.label == letter)
            await core.handle(Action(who, button.action_id))
        await _deliver_at(rt, clock, "2026-11-23T09:30:00+00:00")  # the reveal feeds their practice
        reveal = poster.posts[-1][2]
        assert reveal.title == "Answer revealed" and any(b.label == "Report" for b in reveal.buttons)
        assert "100% correct" in _field(await core.handle_line(ADA, "/stats"), "Answered")
        assert "0% correct" in _field(await core.handle_line(BOB, "/stats"), "Answered")
        board = await core.handle_line(ADA, "/leaderboard period:all")
        assert board.text.index("Ada") < board.text.index("Bob"), board.text

        # The Report button leads to /report for this question; in the console, the line to type.
        asked = await core.handle(Action(ADA, next(b for b in reveal.buttons if b.label == "Report").action_id))
        assert f"/report question:{qid}" in asked.text and asked.form is not None
        assert dict(asked.form.fixed) == {"question": qid}

        clock.set(at("2026-11-23T09:40:00+00:00"))
        first = await core.handle_line(
            BOB, f'/report question:{qid} reason:wrong-key note:"{wrong} is right" link:https://docs.aws.amazon.com/x'
        )
        assert first.title == "Report sent" and "paused" not in first.text
        again = await core.handle_line(BOB, f"/report question:{qid} reason:typo")
        assert again.title == ERROR and "already reported" in again.text
        bad_link = await core.handle_line(ADA, f"/report question:{qid} reason:typo link:ftp://example.com")
        assert bad_link.title == ERROR and "https://" in bad_link.text
        unknown = await core.handle_line(ADA, "/report question:no-such-question reason:typo")
        assert unknown.title == ERROR
        second = await core.handle_line(CY, f"/report question:{qid} reason:wrong-key")
        assert "paused" not in second.text  # two reports never suspend
        third = await core.handle_line(ADA, f"/report question:{qid} reason:two-right")
        assert "3 members reported it, so it is paused here" in third.text

        queue = await core.handle_line(MOD, "/studyadmin reports")
        field = next(f for f in queue.fields if f.name.startswith(qid))
        assert "suspended" in field.name
        chose = next(line for line in field.value.splitlines() if line.startswith("How 3 answers here chose: "))
        counts = dict(part.split(" ") for part in chose.split(": ", 1)[1].split(" · "))
        assert counts[right] == "1" and counts[wrong] == "2" and sum(map(int, counts.values())) == 3, chose
        assert f"{right}. {question.options['ABCDEF'.index(right)].text[:30]}" in field.value.replace("\\", "")
        assert field.value.count("(key)") == 1
        assert field.value.count("\n- ") == 3 and "Bob: the key is wrong" in field.value

        # Suspended: the next prompts never ask it, though five prompts later it would be asked again.
        for hour in range(10, 15):
            await _deliver_at(rt, clock, f"2026-11-23T{hour}:00:00+00:00")
        asked_after = (await _prompt_questions(rt))[1:]
        assert len(asked_after) == 5 and qid not in asked_after
        for _ in range(8):
            served = await core.handle_line(
                person("dan"), '/practice exam:SAA-C03 domain:"Design Resilient Architectures" difficulty:easy'
            )
            assert qid not in (served.footer or "")

        clock.set(at("2026-11-23T14:40:00+00:00"))
        bob_due_before = await _card_due(rt, "bob", qid)
        refused = await core.handle_line(BOB, f"/studyadmin report decide question:{qid} decision:key key:{wrong}")
        assert refused.title == ERROR
        bad_key = await core.handle_line(MOD, f"/studyadmin report decide question:{qid} decision:key key:{right}")
        assert bad_key.title == ERROR and "already the key" in bad_key.text
        decided = await core.handle_line(
            MOD, f'/studyadmin report decide question:{qid} decision:key key:{wrong} note:"the docs changed"'
        )
        assert decided.title == "Decision recorded", decided.text
        assert "3 reports closed" in decided.text and "3 answers of 3 members graded again" in decided.text

        bob_stats = await core.handle_line(BOB, "/stats")
        assert "100% correct" in _field(bob_stats, "Answered")
        note = _field(bob_stats, "Corrected since you last looked")
        assert qid in note and f"changed its key to {wrong}" in note.replace("*", "") and "1 now correct" in note
        assert "your answer to the channel's prompt on 23 Nov: now correct" in note, note
        assert _field(await core.handle_line(BOB, "/stats"), "Corrected since you last looked") == ""  # once
        ada_stats = await core.handle_line(ADA, "/stats")
        assert "0% correct" in _field(ada_stats, "Answered") and "1 now wrong" in _field(
            ada_stats, "Corrected since you last looked"
        )
        board = await core.handle_line(ADA, "/leaderboard period:all")
        assert board.text.index("Bob") < board.text.index("Ada"), board.text
        assert await _card_due(rt, "bob", qid) > bob_due_before  # re-graded Good: due later

        # The next reveal in the channel that was asked it says it was corrected, once.
        before = len(poster.posts)
        for when in ("15:00", "15:30", "16:00", "16:30"):
            await _deliver_at(rt, clock, f"2026-11-23T{when}:00+00:00")
        reveals = [p[2] for p in poster.posts[before:] if p[2].title == "Answer revealed"]
        assert len(reveals) == 3
        assert "Correction:" in reveals[0].text and qid in reveals[0].text
        assert not any("Correction:" in r.text for r in reveals[1:])
        # Decided, it is asked again (the least recently asked), with its new key.
        assert (await _prompt_questions(rt))[6] == qid
        assert f"Answer: {wrong}" in reveals[1].text

        audit = await core.handle_line(MOD, "/studyadmin audit limit:20")
        assert audit.text.count("report.filed") == 3
        assert "question.suspended" in audit.text and "question.key" in audit.text

    # State survives a restart: the overlay, the regraded answers, the notices said once.
    async with open_runtime(database_url, clock, catalog, poster) as rt:
        core = rt.core
        bob_stats = await core.handle_line(BOB, "/stats")
        assert "100% correct" in _field(bob_stats, "Answered")
        assert _field(bob_stats, "Corrected since you last looked") == ""
        async with rt.services.engine.connect() as conn:
            graded = dict(
                (
                    await conn.execute(
                        select(practice_answers.c.chosen, practice_answers.c.correct).where(
                            practice_answers.c.question_id == qid
                        )
                    )
                ).all()
            )
        assert graded == {str("ABCDEF".index(right)): False, str("ABCDEF".index(wrong)): True}
        queue = await core.handle_line(MOD, "/studyadmin reports status:decided")
        assert any(f.name.startswith(qid) and "decided" in f.name for f in queue.fields)


async def test_threshold_fix_retire_and_reversal_keep_everything(core: Core) -> None:
    qid = "saa-c03-005"  # a question practice may serve (not in the final-mock slice)
    STEM = "A corrected stem that reads well enough."
    low = await core.handle_line(MOD, "/studyadmin report threshold reports:1")
    assert low.title == ERROR  # one report never suspends
    set_two = await core.handle_line(MOD, "/studyadmin report threshold reports:2")
    assert "after 2 reports" in set_two.text and "was 3" in set_two.text
    await core.handle_line(ADA, f"/report question:{qid} reason:typo")
    filed = await core.handle_line(BOB, f"/report question:{qid} reason:unclear")
    assert "2 members reported it, so it is paused here" in filed.text
    async with core.services.engine.connect() as conn:
        pool = await core.services.questions.pool(conn, Place("console", "w1"), "SAA-C03")
    assert qid not in {q.id for q in pool}

    fixed = await core.handle_line(
        MOD,
        f'/studyadmin report decide question:{qid} decision:fix part:stem text:"{STEM}"',
    )
    assert fixed.title == "Decision recorded" and "2 reports closed" in fixed.text
    async with core.services.engine.connect() as conn:
        found = await core.services.questions.find(conn, Place("console", "w1"), qid)
        elsewhere = await core.services.questions.find(conn, Place("console", "w2"), qid)
        pool = await core.services.questions.pool(conn, Place("console", "w1"), "SAA-C03")
    assert found is not None and found.stem == "A corrected stem that reads well enough."
    assert elsewhere is not None and elsewhere.stem != found.stem  # the shipped question stays as released
    assert qid in {q.id for q in pool}  # decided: served again

    retired = await core.handle_line(MOD, f"/studyadmin report decide question:{qid} decision:retire")
    assert retired.title == "Decision recorded"
    async with core.services.engine.connect() as conn:
        pool = await core.services.questions.pool(conn, Place("console", "w1"), "SAA-C03")
    assert qid not in {q.id for q in pool}
    undone = await core.handle_line(MOD, f"/studyadmin report decide question:{qid} decision:reverse")
    assert undone.title == "Decision recorded"
    async with core.services.engine.connect() as conn:
        pool = await core.services.questions.pool(conn, Place("console", "w1"), "SAA-C03")
        back = await core.services.questions.find(conn, Place("console", "w1"), qid)
    assert qid in {q.id for q in pool} and back is not None and back.stem == "A corrected stem that reads well enough."
    queue = await core.handle_line(MOD, "/studyadmin reports status:all")
    field = next(f for f in queue.fields if f.name.startswith(qid))
    assert "`fix`" in field.value and "`retire`" in field.value and "reversed" in field.value
    audit = await core.handle_line(MOD, "/studyadmin audit limit:20")
    for action in ("report.threshold", "question.suspended", "question.fix", "question.retire", "question.reverse"):
        assert action in audit.text
    nothing = await core.handle_line(MOD, f"/studyadmin report decide question:{qid} decision:dismiss")
    assert nothing.title == ERROR and "no open reports" in nothing.text


async def test_errata_export_writes_the_overlay_as_a_patch(
    sqlite_url: str, clock: FixedClock, catalog: Catalog, tmp_path: Path
) -> None:
    qid = "saa-c03-006"  # a question practice may serve (not in the final-mock slice)
    shipped = catalog.question(qid)
    assert shipped is not None
    old_key = "ABCDEF"[shipped.correct_indexes[0]]
    new_key = next(c for c in "ABCD" if c != old_key)
    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=catalog) as rt:
        done = await rt.core.handle_line(
            MOD, f'/studyadmin report decide question:{qid} decision:key key:{new_key} note:"per the FAQ"'
        )
        assert done.title == "Decision recorded", done.text
        other = await rt.core.handle_line(MOD, "/studyadmin report decide question:saa-c03-003 decision:retire")
        assert other.title == "Decision recorded"
    out = tmp_path / "errata.yaml"
    result = await asyncio.to_thread(  # the CLI runs its own event loop
        CliRunner().invoke,
        main,
        ["content", "errata", "export", "--workspace", "w1", str(out)],
        env={"STUDYBOT_DATABASE_URL": sqlite_url},
    )
    assert result.exit_code == 0, result.output
    assert "(2 questions)" in result.output
    patch = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert patch["format"] == "studybot-errata" and patch["workspace"] == "w1"
    first = next(q for q in patch["questions"] if q["id"] == qid)
    assert first["file"] == "content/questions/SAA-C03.yaml" and first["retired"] is False
    old, new = "ABCDEF".index(old_key), "ABCDEF".index(new_key)
    assert first["changes"] == {
        f"options[{old}].correct": {"from": True, "to": False},
        f"options[{new}].correct": {"from": False, "to": True},
    }
    assert first["decisions"][0]["kind"] == "key" and first["decisions"][0]["note"] == "per the FAQ"
    retired = next(q for q in patch["questions"] if q["id"] == "saa-c03-003")
    assert retired["retired"] is True and retired["changes"] == {}
    assert catalog.question(qid) == shipped  # the shipped question stays as released


async def test_a_retired_or_suspended_question_leaves_the_final_mock(core: Core) -> None:
    """A final mock is a mock: what a workspace retired or suspended is not drawn there either."""
    place = Place("console", "w1")
    async with core.services.engine.connect() as conn:
        held = [q.id for q in await core.services.questions.final_pool(conn, place, "SAA-C03")]
    retired, suspended = held[0], held[1]
    decided = await core.handle_line(MOD, f"/studyadmin report decide question:{retired} decision:retire")
    assert decided.title == "Decision recorded", decided.text
    assert (await core.handle_line(MOD, "/studyadmin report threshold reports:2")).title != "That didn't work"
    for who in ("ada", "bob"):
        reported = await core.handle_line(person(who), f"/report question:{suspended} reason:wrong-key")
        assert reported.title != "That didn't work", reported.text
    async with core.services.engine.connect() as conn:
        here = {q.id for q in await core.services.questions.final_pool(conn, place, "SAA-C03")}
        elsewhere = {q.id for q in await core.services.questions.final_pool(conn, Place("console", "w2"), "SAA-C03")}
    assert retired not in here and suspended not in here and len(here) == len(held) - 2
    assert {retired, suspended} <= elsewhere  # another workspace decided nothing


async def test_a_retired_question_leaves_reviews(core: Core, clock: FixedClock) -> None:
    reply = await practice_single(core, ADA)
    qid = reply.buttons[0].action_id.split(":")[3]
    await core.handle(Action(ADA, reply.buttons[0].action_id))
    clock.advance(dt.timedelta(days=30))
    due = await core.handle_line(ADA, "/review")
    assert qid in (due.footer or ""), due
    retired = await core.handle_line(MOD, f"/studyadmin report decide question:{qid} decision:retire")
    assert retired.title == "Decision recorded"
    after = await core.handle_line(ADA, "/review")
    assert qid not in (after.footer or "") and after.title != ERROR


async def test_reports_at_once_suspend_once(database_url: str, clock: FixedClock, catalog: Catalog) -> None:
    qid = "saa-c03-004"
    async with Runtime(make_settings(database_url), clock=clock, catalog=catalog) as rt:
        members = [person(f"m{i}") for i in range(6)]
        replies = await asyncio.gather(
            *(rt.core.handle_line(m, f"/report question:{qid} reason:wrong-key") for m in members)
        )
        assert all(r.title == "Report sent" for r in replies), replies
        assert sum("so it is paused here" in r.text and "3 members" in r.text for r in replies) == 1
        audit = await rt.core.handle_line(MOD, "/studyadmin audit limit:20")
    assert audit.text.count("report.filed") == 6 and audit.text.count("question.suspended") == 1
