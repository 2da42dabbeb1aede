"""Held certifications: what members hold, from `/mycerts`, for expiry dates, reminders and `/path`.

Revision ID: 0004_certifications
Revises: 0003_schedules
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.types import UTCDateTime

revision = "0004_certifications"
down_revision = "0003_schedules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "held_certifications",
        sa.Column("id", sa.Integer(), autoincrement=True),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("exam", sa.String(16), nullable=False),
        sa.Column("passed_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_held_certifications"),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], ondelete="CASCADE", name="fk_held_certifications_member_id_members"
        ),
        sa.UniqueConstraint("member_id", "exam", name="uq_held_certifications_member_exam"),
    )
    op.create_index("ix_held_certifications_expiry", "held_certifications", ["expires_on"])


def downgrade() -> None:
    op.drop_index("ix_held_certifications_expiry", table_name="held_certifications")
    op.drop_table("held_certifications")
