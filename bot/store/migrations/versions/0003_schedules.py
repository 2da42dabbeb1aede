"""Schedules: scheduled prompts and reveals, group answers, moderators, workspace settings, targets.

Revision ID: 0003_schedules
Revises: 0002_practice
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.types import UTCDateTime

revision = "0003_schedules"
down_revision = "0002_practice"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("exam", sa.String(16), nullable=False),
        sa.Column("cron", sa.String(100), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("reveal_minutes", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(200), nullable=True),
        sa.Column("difficulty", sa.String(16), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("pause_reason", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("active_from", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedules"),
    )
    op.create_index("ix_schedules_place", "schedules", ["platform", "workspace", "channel"])
    op.create_table(
        "schedule_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("prompt_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("exam", sa.String(16), nullable=False),
        sa.Column("question_id", sa.String(100), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("nonce", sa.String(25), nullable=False),
        sa.Column("message_id", sa.String(100), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=True),
        sa.Column("reveal_at", UTCDateTime(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_schedule_deliveries"),
        sa.UniqueConstraint("key", name="uq_schedule_deliveries_key"),
        sa.ForeignKeyConstraint(
            ["schedule_id"], ["schedules.id"], ondelete="SET NULL", name="fk_schedule_deliveries_schedule_id_schedules"
        ),
        sa.ForeignKeyConstraint(
            ["prompt_id"],
            ["schedule_deliveries.id"],
            ondelete="CASCADE",
            name="fk_schedule_deliveries_prompt_id_schedule_deliveries",
        ),
    )
    op.create_index("ix_schedule_deliveries_due", "schedule_deliveries", ["kind", "state", "reveal_at"])
    op.create_index(
        "ix_schedule_deliveries_channel", "schedule_deliveries", ["platform", "workspace", "channel", "due_at"]
    )
    op.create_index("ix_schedule_deliveries_schedule", "schedule_deliveries", ["schedule_id", "due_at"])
    op.create_table(
        "prompt_answers",
        sa.Column("id", sa.Integer(), autoincrement=True),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("user_name", sa.String(200), nullable=False),
        sa.Column("chosen", sa.String(16), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_prompt_answers"),
        sa.UniqueConstraint("delivery_id", "user_id", name="uq_prompt_answers_member"),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["schedule_deliveries.id"],
            ondelete="CASCADE",
            name="fk_prompt_answers_delivery_id_schedule_deliveries",
        ),
    )
    op.create_table(
        "moderators",
        sa.Column("id", sa.Integer(), autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("added_by", sa.String(64), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_moderators"),
        sa.UniqueConstraint("platform", "workspace", "subject", name="uq_moderators_subject"),
    )
    op.create_table(
        "workspace_settings",
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("reveal_minutes", sa.Integer(), nullable=True),
        sa.Column("mention_role", sa.String(100), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "workspace", name="pk_workspace_settings"),
    )
    op.create_table(
        "group_targets",
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("exam", sa.String(16), nullable=False),
        sa.Column("exam_date", sa.Date(), nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "workspace", "channel", name="pk_group_targets"),
    )


def downgrade() -> None:
    op.drop_table("group_targets")
    op.drop_table("workspace_settings")
    op.drop_table("moderators")
    op.drop_table("prompt_answers")
    op.drop_index("ix_schedule_deliveries_schedule", table_name="schedule_deliveries")
    op.drop_index("ix_schedule_deliveries_channel", table_name="schedule_deliveries")
    op.drop_index("ix_schedule_deliveries_due", table_name="schedule_deliveries")
    op.drop_table("schedule_deliveries")
    op.drop_index("ix_schedules_place", table_name="schedules")
    op.drop_table("schedules")
