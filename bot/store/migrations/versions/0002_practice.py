"""Practice engine: attempts, answers, review cards, mock exams, workspace question banks.

Revision ID: 0002_practice
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.store.types import UTCDateTime

revision = "0002_practice"
down_revision = "0001"
branch_labels = None
depends_on = None


def _member_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["member_id"], ["members.id"], ondelete="CASCADE", name=f"fk_{table}_member_id_members"
    )


def upgrade() -> None:
    op.create_table(
        "mock_exams",
        sa.Column("id", sa.Integer(), autoincrement=True),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("exam", sa.String(16), nullable=False),
        sa.Column("question_count", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("ended_by", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_mock_exams"),
        _member_fk("mock_exams"),
    )
    op.create_index("ix_mock_exams_member", "mock_exams", ["member_id", "finished_at"])
    op.create_table(
        "practice_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(100), nullable=False),
        sa.Column("exam", sa.String(16), nullable=False),
        sa.Column("domain", sa.String(200), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("mock_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("option_order", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_practice_attempts"),
        _member_fk("practice_attempts"),
        sa.ForeignKeyConstraint(
            ["mock_id"], ["mock_exams.id"], ondelete="CASCADE", name="fk_practice_attempts_mock_id_mock_exams"
        ),
    )
    op.create_index("ix_practice_attempts_member", "practice_attempts", ["member_id", "created_at"])
    op.create_index("ix_practice_attempts_mock", "practice_attempts", ["mock_id", "position"])
    op.create_table(
        "practice_answers",
        sa.Column("id", sa.Integer(), autoincrement=True),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(100), nullable=False),
        sa.Column("exam", sa.String(16), nullable=False),
        sa.Column("domain", sa.String(200), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("chosen", sa.String(16), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_practice_answers"),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["practice_attempts.id"],
            ondelete="CASCADE",
            name="fk_practice_answers_attempt_id_practice_attempts",
        ),
        _member_fk("practice_answers"),
        sa.UniqueConstraint("attempt_id", name="uq_practice_answers_attempt"),
    )
    op.create_index("ix_practice_answers_member", "practice_answers", ["member_id", "answered_at"])
    op.create_index("ix_practice_answers_time", "practice_answers", ["answered_at"])
    op.create_table(
        "review_cards",
        sa.Column("id", sa.Integer(), autoincrement=True),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(100), nullable=False),
        sa.Column("exam", sa.String(16), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("stability", sa.Float(), nullable=True),
        sa.Column("difficulty", sa.Float(), nullable=True),
        sa.Column("due", UTCDateTime(), nullable=False),
        sa.Column("last_review", UTCDateTime(), nullable=True),
        sa.Column("reviews", sa.Integer(), nullable=False),
        sa.Column("lapses", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_review_cards"),
        _member_fk("review_cards"),
        sa.UniqueConstraint("member_id", "question_id", name="uq_review_cards_member_question"),
    )
    op.create_index("ix_review_cards_due", "review_cards", ["member_id", "due"])
    op.create_table(
        "workspace_questions",
        sa.Column("id", sa.Integer(), autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("question_id", sa.String(100), nullable=False),
        sa.Column("exam", sa.String(16), nullable=False),
        sa.Column("domain", sa.String(200), nullable=False),
        sa.Column("difficulty", sa.String(16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.Column("imported_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_workspace_questions"),
        sa.UniqueConstraint("platform", "workspace", "question_id", name="uq_workspace_questions_question"),
    )
    op.create_index("ix_workspace_questions_exam", "workspace_questions", ["platform", "workspace", "exam"])


def downgrade() -> None:
    op.drop_index("ix_workspace_questions_exam", table_name="workspace_questions")
    op.drop_table("workspace_questions")
    op.drop_index("ix_review_cards_due", table_name="review_cards")
    op.drop_table("review_cards")
    op.drop_index("ix_practice_answers_time", table_name="practice_answers")
    op.drop_index("ix_practice_answers_member", table_name="practice_answers")
    op.drop_table("practice_answers")
    op.drop_index("ix_practice_attempts_mock", table_name="practice_attempts")
    op.drop_index("ix_practice_attempts_member", table_name="practice_attempts")
    op.drop_table("practice_attempts")
    op.drop_index("ix_mock_exams_member", table_name="mock_exams")
    op.drop_table("mock_exams")
