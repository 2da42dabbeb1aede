"""Errata (issue 17): members' reports on questions, moderators' decisions, each workspace's overlay of
fixed questions, the notices a decision leaves for members and channels, and the suspension threshold.

Revision ID: 0015_errata
Revises: 0014_reviews
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.types import UTCDateTime

revision = "0015_errata"
down_revision = "0014_reviews"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "question_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("question_id", sa.String(100), nullable=False),
        sa.Column("exam", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("user_name", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_question_reports"),
        sa.UniqueConstraint("platform", "workspace", "question_id", "user_id", name="uq_question_reports_member"),
    )
    op.create_index("ix_question_reports_open", "question_reports", ["platform", "workspace", "decision_id"])
    op.create_table(
        "question_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("question_id", sa.String(100), nullable=False),
        sa.Column("exam", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reverses", sa.Integer(), nullable=True),
        sa.Column("reversed_by", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("decided_by_name", sa.String(200), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_question_decisions"),
    )
    op.create_index("ix_question_decisions_question", "question_decisions", ["platform", "workspace", "question_id"])
    op.create_table(
        "question_overlays",
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("question_id", sa.String(100), nullable=False),
        sa.Column("exam", sa.String(16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "workspace", "question_id", name="pk_question_overlays"),
    )
    op.create_table(
        "errata_notices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("shown_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["question_decisions.id"],
            name="fk_errata_notices_decision_id_question_decisions",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name="fk_errata_notices_member_id_members", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_errata_notices"),
    )
    op.create_index("ix_errata_notices_member", "errata_notices", ["member_id", "shown_at"])
    op.create_index("ix_errata_notices_channel", "errata_notices", ["platform", "workspace", "channel", "shown_at"])
    op.create_table(
        "errata_settings",
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "workspace", name="pk_errata_settings"),
    )


def downgrade() -> None:
    op.drop_table("errata_settings")
    op.drop_index("ix_errata_notices_channel", table_name="errata_notices")
    op.drop_index("ix_errata_notices_member", table_name="errata_notices")
    op.drop_table("errata_notices")
    op.drop_table("question_overlays")
    op.drop_index("ix_question_decisions_question", table_name="question_decisions")
    op.drop_table("question_decisions")
    op.drop_index("ix_question_reports_open", table_name="question_reports")
    op.drop_table("question_reports")
