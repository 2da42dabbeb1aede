"""Notification settings and skipped notifications: `/notify` and its snooze (issue 18).

Revision ID: 0008_notify
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.types import UTCDateTime

revision = "0008_notify"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_settings",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("role_ping", sa.Boolean(), nullable=False),
        sa.Column("review_dms", sa.Boolean(), nullable=False),
        sa.Column("expiry_reminders", sa.Boolean(), nullable=False),
        sa.Column("digest_mentions", sa.Boolean(), nullable=False),
        sa.Column("snooze_until", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name="fk_notify_settings_member_id_members", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("member_id", name="pk_notify_settings"),
    )
    op.create_table(
        "notify_skips",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("ref", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("skipped_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name="fk_notify_skips_member_id_members", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notify_skips"),
        sa.UniqueConstraint("member_id", "kind", "ref", name="uq_notify_skips_member"),
    )


def downgrade() -> None:
    op.drop_table("notify_skips")
    op.drop_table("notify_settings")
