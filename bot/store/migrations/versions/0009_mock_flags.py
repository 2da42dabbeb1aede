"""Mock review (issue 17): a flag on each mock question, and the answer it holds until the mock is submitted.

Revision ID: 0009_mock_flags
Revises: 0008_notify
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.types import UTCDateTime

revision = "0009_mock_flags"
down_revision = "0008_notify"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("practice_attempts") as batch:
        batch.add_column(sa.Column("flagged", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("pending", sa.String(16), nullable=True))
        batch.add_column(sa.Column("pending_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("practice_attempts") as batch:
        batch.drop_column("pending_at")
        batch.drop_column("pending")
        batch.drop_column("flagged")
