"""An index on `member_periods` by period: `/leaderboard period:week|month` finds the period's rows by it
(issue 14).

The board looks the rows up by (period, first day), which the primary key (member, period, first day,
exam) cannot serve: SQLite went member by member through the workspace, but PostgreSQL read the whole
table, every week and month ever kept, to find this week's (120,000 rows for one week's 198 at
1,000,000 stored answers). With the index it reads the period's rows only, whatever the history holds.
On PostgreSQL the totals ride along in the index (`INCLUDE`), so the rows need not be fetched.

Revision ID: 0018_period_rank
Revises: 0017_review_index
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0018_period_rank"
down_revision = "0017_review_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_member_periods_period",
        "member_periods",
        ["period", "starts", "exam", "member_id"],
        postgresql_include=["answered", "correct"],
    )


def downgrade() -> None:
    op.drop_index("ix_member_periods_period", table_name="member_periods")
