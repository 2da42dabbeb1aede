"""Seasons: a fresh leaderboard that resets nothing (issue 18).

Revision ID: 0011_seasons
Revises: 0010_member_periods
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.types import UTCDateTime

revision = "0011_seasons"
down_revision = "0010_member_periods"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seasons",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("started_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_seasons"),
    )
    op.create_index("ix_seasons_workspace", "seasons", ["platform", "workspace", "id"])
    op.create_table(
        "season_baselines",
        sa.Column("season_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("exam", sa.String(16), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("season_id", "member_id", "exam", name="pk_season_baselines"),
        sa.ForeignKeyConstraint(
            ["season_id"], ["seasons.id"], name="fk_season_baselines_season_id_seasons", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name="fk_season_baselines_member_id_members", ondelete="CASCADE"
        ),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("season_baselines")
    op.drop_index("ix_seasons_workspace", table_name="seasons")
    op.drop_table("seasons")
