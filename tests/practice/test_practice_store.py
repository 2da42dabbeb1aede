"""Answer recording and workspace banks on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select

from bot.catalog import Catalog
from bot.catalog.questions import Place, workspace_bank
from bot.practice.imports import ImportRejected, parse_bank, store_bank
from bot.practice.review import make_scheduler
from bot.practice.writer import AnswerJob, AnswerWriter, commit_jobs
from bot.store import create_engine, upgrade
from bot.store import members as member_store
from bot.store import practice as store
from bot.store.schema import practice_answers, review_cards
from tests.conftest import START, person


def job(attempt: int, user: str = "ada", *, correct: bool = True, at: dt.datetime = START) -> AnswerJob:
    return AnswerJob(attempt, "console", "w1", user, "saa-c03-001", "0123", "0" if correct else "1", correct, at)


async def served(conn, user: str = "ada") -> int:  # type: ignore[no-untyped-def]
    member = await member_store.ensure(conn, person(user), START)
    return await store.create_attempt(
        conn,
        member_id=member.id,
        question_id="saa-c03-001",
        exam="SAA-C03",
        domain="Design Secure Architectures",
        source="practice",
        option_order="0123",
        channel="c1",
        now=START,
    )


async def test_the_writer_records_each_attempt_once_and_moves_the_card(database_url: str) -> None:
    engine = create_engine(database_url)
    writer = AnswerWriter(engine)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            first, second = await served(conn), await served(conn)
            theirs = await served(conn, "bob")
        await writer.start()
        outcomes = await asyncio.gather(
            writer.record(job(first, correct=False)),
            writer.record(job(first)),  # the same press delivered twice, in one batch
            writer.record(job(theirs)),  # pressed by someone else
            writer.record(job(999)),
        )
        assert [o.status for o in outcomes] == ["recorded", "duplicate", "not_yours", "unknown"]
        assert outcomes[1].correct is False  # the stored answer, not the second press
        later = START + dt.timedelta(minutes=30)
        again = await writer.record(job(second, at=later))
        assert again.status == "recorded" and again.due is not None and again.due > later + dt.timedelta(hours=12)
        assert (await writer.record(job(first))).status == "duplicate"
        await writer.stop()
        with pytest.raises(RuntimeError, match="stopped"):
            await writer.record(job(second))
        async with engine.connect() as conn:
            assert (await conn.execute(select(func.count()).select_from(practice_answers))).scalar_one() == 2
            card = (await conn.execute(select(review_cards))).mappings().one()
        assert card["reviews"] == 2 and card["due"].tzinfo is dt.UTC and card["state"] == 2
    finally:
        await writer.stop()
        await engine.dispose()


async def test_commit_without_a_running_writer_and_closed_attempts(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            attempt = await served(conn)
            member = await member_store.find(conn, person())
            assert member is not None
            mock_id = await store.create_mock(conn, member.id, "SAA-C03", 1, 1, START)
            mock_attempt = await store.create_attempt(
                conn,
                member_id=member.id,
                question_id="saa-c03-001",
                exam="SAA-C03",
                domain="Design Secure Architectures",
                source="mock",
                option_order="0123",
                channel="c1",
                now=START,
                mock_id=mock_id,
                position=1,
            )
        late = START + dt.timedelta(minutes=2)
        out = await commit_jobs(engine, [job(attempt), job(mock_attempt, at=late)], make_scheduler())
        assert [o.status for o in out] == ["recorded", "expired"]
        async with engine.begin() as conn:
            assert await store.finish_mock(conn, mock_id, late, "timeout")
            assert not await store.finish_mock(conn, mock_id, late, "timeout")
        out = await commit_jobs(engine, [job(mock_attempt, at=late)], make_scheduler())
        assert out[0].status == "closed"
    finally:
        await engine.dispose()


YAML_BANK = """exam: SAA-C03
questions:
  - id: team-q-1
    domain: Design Secure Architectures
    difficulty: easy
    stem: Which service issues temporary credentials to an EC2 instance?
    options:
      - {text: An instance profile role, correct: true, explanation: Right. It hands out rotating credentials.}
      - {text: An IAM user access key, explanation: Wrong. That is a long-term credential.}
      - {text: A key pair, explanation: Wrong. Key pairs are for SSH logins.}
      - {text: A security group, explanation: Wrong. It filters network traffic only.}
    links: [https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html]
    written_for: SAA-C03
    checked: 2026-11-23
"""


async def test_bank_import_is_all_or_nothing_and_says_append_or_replace(database_url: str, catalog: Catalog) -> None:
    engine = create_engine(database_url)
    place = Place("console", "w1")
    try:
        await upgrade(engine)
        bank = parse_bank(YAML_BANK, catalog, today=START.date())
        async with engine.begin() as conn:
            result = await store_bank(conn, place, bank, "append", "Ada", START)
        assert (result.added, result.total) == (1, 1) and "Appended" in result.summary()
        async with engine.begin() as conn:
            result = await store_bank(conn, place, bank, "append", "Ada", START)
        assert (result.added, result.updated, result.unchanged, result.total) == (0, 0, 1, 1)  # the same bank again
        second = parse_bank(YAML_BANK.replace("team-q-1", "team-q-2"), catalog, today=START.date())
        async with engine.begin() as conn:
            result = await store_bank(conn, place, second, "replace", "Ada", START)
        assert (result.removed, result.added, result.total) == (1, 1, 1) and "Replaced" in result.summary()
        with pytest.raises(RuntimeError):
            async with engine.begin() as conn:
                await store_bank(conn, place, bank, "append", "Ada", START)
                raise RuntimeError("half way")
        async with engine.connect() as conn:
            assert [q.id for q in await workspace_bank(conn, place, "SAA-C03")] == ["team-q-2"]
            assert await workspace_bank(conn, Place("discord", "w1")) == []
    finally:
        await engine.dispose()


def test_bank_errors_name_their_line_or_row(catalog: Catalog) -> None:
    broken = YAML_BANK.replace("domain: Design Secure Architectures", "domain: Cooking").replace(
        "id: team-q-1", "id: saa-c03-001"
    )
    with pytest.raises(ImportRejected) as caught:
        parse_bank(broken, catalog, today=START.date())
    problems = caught.value.problems
    assert any(p.startswith("line 3, question 1:") and "shipped question" in p for p in problems), problems
    assert any(p.startswith("line 4, question 1:") and "not a domain of SAA-C03" in p for p in problems), problems
    header = (
        "exam,id,domain,difficulty,type,choose,stem,option_a,explanation_a,option_b,explanation_b,"
        "option_c,explanation_c,option_d,explanation_d,correct,links"
    )
    good = (
        "SAA-C03,team-c-1,Design Secure Architectures,easy,single,1,Which service issues temporary credentials?,"
        "Instance profile,Right. Rotating credentials.,Access key,Wrong. Long-term key.,Key pair,Wrong. SSH only.,"
        "Security group,Wrong. Network only.,A,https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles.html"
    )
    bank = parse_bank(f"{header}\n{good}\n", catalog, today=START.date())
    assert bank.questions[0].correct_indexes == (0,) and bank.questions[0].checked == START.date()
    bad = good.replace("team-c-1", "team-c-2").replace(",A,https", ",A B,https")
    with pytest.raises(ImportRejected) as caught:
        parse_bank(f"{header}\n{good}\n{bad}\n", catalog, today=START.date())
    assert all(p.startswith("row 3:") for p in caught.value.problems), caught.value.problems
    with pytest.raises(ImportRejected, match="not valid YAML"):
        parse_bank("exam: [", catalog, today=START.date())
