"""Weekly digests (issue 18): a schedule is of a kind, `prompt` (every schedule so far) or `digest`.

A digest schedule is a schedule row like a prompt's, so it is claimed, posted, retried after a crash,
paused after failures and woken for by the same machinery; its posts are rows of kind `digest` in the
same outbox.

Revision ID: 0013_digest
Revises: 0012_focus
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_digest"
down_revision = "0012_focus"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="prompt"))


def downgrade() -> None:
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("kind")
