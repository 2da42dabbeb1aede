"""Table definitions. Migrations in `migrations/versions` create exactly these; a test keeps them equal."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from bot.store.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Every identity is namespaced by platform and workspace: Discord guild 42 and Slack team 42 are
# different places, and so are their users.
members = Table(
    "members",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("display_name", String(200), nullable=False),
    Column("timezone", String(64), nullable=True),
    Column("target_exam", String(16), nullable=True),
    Column("role", String(32), nullable=True),
    Column("years", Integer, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("platform", "workspace", "user_id", name="uq_members_identity"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("actor_name", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False),
    Column("before", Text, nullable=True),
    Column("after", Text, nullable=True),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_audit_log_place", "platform", "workspace", "at"),
)

# A claimed key is how every "at most once" in studybot is kept: a button pressed twice, an Events API
# retry, a prompt due in two processes. Whoever inserts the key first does the work.
claims = Table(
    "claims",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("claimed_at", UTCDateTime(), nullable=False),
    Column("result", Text, nullable=True),
)

member_fk = ForeignKey("members.id", ondelete="CASCADE")
