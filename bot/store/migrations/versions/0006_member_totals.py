"""Aggregates kept as answers land: all-time totals, daily counts and each question's latest answer.

Filled here from the stored attempts and answers, so an existing database shows the same leaderboard,
`/stats` and `/practice` picks after the upgrade as before it (issue 14).

Revision ID: 0006_member_totals
Revises: 0005_delivery_indexes
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.types import UTCDateTime

revision = "0006_member_totals"
down_revision = "0005_delivery_indexes"
branch_labels = None
depends_on = None


def _member_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["member_id"], ["members.id"], ondelete="CASCADE", name=f"fk_{table}_member_id_members"
    )


def upgrade() -> None:
    op.create_table(
        "member_totals",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("exam", sa.String(16), nullable=False),
        sa.Column("domain", sa.String(200), nullable=False),
        sa.Column("served", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("member_id", "exam", "domain", name="pk_member_totals"),
        _member_fk("member_totals"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "member_days",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("exam", sa.String(16), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.Column("first_at", UTCDateTime(), nullable=False),
        sa.Column("last_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("member_id", "day", "exam", name="pk_member_days"),
        _member_fk("member_days"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "member_questions",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("exam", sa.String(16), nullable=False),
        sa.Column("question_id", sa.String(100), nullable=False),
        sa.Column("last_at", UTCDateTime(), nullable=False),
        sa.Column("last_correct", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("member_id", "exam", "question_id", name="pk_member_questions"),
        _member_fk("member_questions"),
        sqlite_with_rowid=False,
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    # SQLite keeps times as UTC text "YYYY-MM-DD HH:MM:SS.ffffff", PostgreSQL as timestamptz.
    day = "(answered_at AT TIME ZONE 'UTC')::date" if postgres else "substr(answered_at, 1, 10)"
    ok = "CASE WHEN correct THEN 1 ELSE 0 END"
    # Per exam and domain; the served counts go on each member's every-exam row ('', '').
    op.execute(
        "INSERT INTO member_totals (member_id, exam, domain, served, answered, correct) "
        f"SELECT member_id, exam, domain, 0, count(*), sum({ok}) FROM practice_answers GROUP BY member_id, exam, domain"
    )
    op.execute(
        "INSERT INTO member_totals (member_id, exam, domain, served, answered, correct) "
        "SELECT member_id, '', '', count(*), 0, 0 FROM practice_attempts GROUP BY member_id"
    )
    op.execute(
        "INSERT INTO member_days (member_id, day, exam, answered, correct, first_at, last_at) "
        f"SELECT member_id, {day}, exam, count(*), sum({ok}), min(answered_at), max(answered_at) "
        f"FROM practice_answers GROUP BY member_id, {day}, exam"
    )
    # The latest answer per question: the greatest (answered_at, id), as the answer log orders them.
    op.execute(
        "INSERT INTO member_questions (member_id, exam, question_id, last_at, last_correct) "
        "SELECT member_id, exam, question_id, answered_at, correct FROM ("
        "SELECT member_id, exam, question_id, answered_at, correct, row_number() OVER ("
        "PARTITION BY member_id, exam, question_id ORDER BY answered_at DESC, id DESC) AS place "
        "FROM practice_answers) latest WHERE place = 1"
    )


def downgrade() -> None:
    op.drop_table("member_questions")
    op.drop_table("member_days")
    op.drop_table("member_totals")
