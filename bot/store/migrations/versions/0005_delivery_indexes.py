"""Indexes for every query a delivery pass runs, so an idle pass costs what is due, not all history.

Revision ID: 0005_delivery_indexes
Revises: 0004_certifications
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0005_delivery_indexes"
down_revision = "0004_certifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Reveals join a prompt to its reveal row by prompt_id; without an index that join is quadratic.
    op.create_index("ix_schedule_deliveries_prompt", "schedule_deliveries", ["prompt_id"])
    # Stale claims are found by state and claim time.
    op.create_index("ix_schedule_deliveries_claims", "schedule_deliveries", ["state", "claimed_at"])


def downgrade() -> None:
    op.drop_index("ix_schedule_deliveries_claims", "schedule_deliveries")
    op.drop_index("ix_schedule_deliveries_prompt", "schedule_deliveries")
