"""Per-member totals for each calendar week and month: `/leaderboard period:week|month` (issue 14).

The rolling windows added up a row per member and day, so a busy week read seven times the members;
these rows are one per member, period and exam, kept by the answer writer beside the other aggregates
and filled here from the daily rows (which hold every answer since migration 0006).

Revision ID: 0010_member_periods
Revises: 0009_mock_flags
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_member_periods"
down_revision = "0009_mock_flags"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_periods",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("exam", sa.String(16), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("member_id", "period", "starts", "exam", name="pk_member_periods"),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name="fk_member_periods_member_id_members", ondelete="CASCADE"
        ),
        sqlite_with_rowid=False,
    )
    if op.get_bind().dialect.name == "postgresql":
        week, month = "date_trunc('week', day)::date", "date_trunc('month', day)::date"
    else:  # SQLite stores a Date as "YYYY-MM-DD"; %w is 0 on Sunday, so Monday is (w + 6) % 7 days back
        week = "date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days')"
        month = "date(day, 'start of month')"
    for period, starts in (("week", week), ("month", month)):
        op.execute(
            "INSERT INTO member_periods (member_id, period, starts, exam, answered, correct) "
            f"SELECT member_id, '{period}', {starts}, exam, sum(answered), sum(correct) "
            f"FROM member_days GROUP BY member_id, {starts}, exam"
        )


def downgrade() -> None:
    op.drop_table("member_periods")
