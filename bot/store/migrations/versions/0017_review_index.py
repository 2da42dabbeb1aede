"""The final-mock slice's question ids in an indexed table (issue 17): review reads leave its cards out with
an anti-join on this key instead of a list of 810 bound ids per statement. Filled at start from the
catalog (`bot.store.held_out.sync`), so it is empty here.

Revision ID: 0017_review_index
Revises: 0015_errata
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_review_index"
down_revision = "0015_errata"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "held_out_questions",
        sa.Column("question_id", sa.String(100), nullable=False),
        sa.Column("exam", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("question_id", name="pk_held_out_questions"),
    )


def downgrade() -> None:
    op.drop_table("held_out_questions")
