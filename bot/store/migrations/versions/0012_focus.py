"""Aimed prompts (issue 18): a schedule's focus, why each prompt's domain was drawn, who may see a channel's
stats, and an index that reads one channel's answers in a time window.

Revision ID: 0012_focus
Revises: 0011_seasons
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_focus"
down_revision = "0011_seasons"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.add_column(sa.Column("focus", sa.String(16), nullable=False, server_default="weighted"))
    with op.batch_alter_table("schedule_deliveries") as batch:
        batch.add_column(sa.Column("focus_note", sa.Text(), nullable=True))
    with op.batch_alter_table("workspace_settings") as batch:
        batch.add_column(sa.Column("group_stats_members", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_practice_answers_channel", "practice_answers", ["channel", "exam", "answered_at"])


def downgrade() -> None:
    op.drop_index("ix_practice_answers_channel", table_name="practice_answers")
    with op.batch_alter_table("workspace_settings") as batch:
        batch.drop_column("group_stats_members")
    with op.batch_alter_table("schedule_deliveries") as batch:
        batch.drop_column("focus_note")
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("focus")
