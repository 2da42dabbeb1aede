"""Reviews that fit a life and an honest final mock (issue 17): review plans, and a final flag on mocks.

Revision ID: 0014_reviews
Revises: 0013_digest
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.types import UTCDateTime

revision = "0014_reviews"
down_revision = "0013_digest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mock_exams") as batch:
        batch.add_column(sa.Column("final", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "review_plans",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("daily_cap", sa.Integer(), nullable=True),
        sa.Column("due_dm", sa.Boolean(), nullable=False),
        sa.Column("quiet_from", sa.Integer(), nullable=True),
        sa.Column("quiet_to", sa.Integer(), nullable=True),
        sa.Column("break_from", sa.Date(), nullable=True),
        sa.Column("break_to", sa.Date(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name="fk_review_plans_member_id_members", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("member_id", name="pk_review_plans"),
    )


def downgrade() -> None:
    op.drop_table("review_plans")
    with op.batch_alter_table("mock_exams") as batch:
        batch.drop_column("final")
