"""Table definitions. Migrations in `migrations/versions` create exactly these; a test keeps them equal."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
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

# -- practice (issue 8) ----------------------------------------------------------------------------
# Everything a member does in practice hangs off `members.id` with ON DELETE CASCADE, so deleting a
# profile deletes its attempts, answers, review cards and mocks in the same statement.

mock_exams = Table(
    "mock_exams",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("exam", String(16), nullable=False),
    Column("question_count", Integer, nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ends_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    Column("ended_by", String(16), nullable=True),  # completed | timeout | stopped
    Index("ix_mock_exams_member", "member_id", "finished_at"),
    # A final mock (issue 17): drawn from the held-out slice of the shipped bank, its attempts' source "final".
    Column("final", Boolean, nullable=False, server_default=false()),
)

# One question served to one member: by /practice, /review or a mock. Its id travels in the answer
# buttons, so a press days later (or after a restart) still finds what was asked and in which order.
practice_attempts = Table(
    "practice_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("question_id", String(100), nullable=False),
    Column("exam", String(16), nullable=False),
    Column("domain", String(200), nullable=False),
    Column("source", String(16), nullable=False),  # practice | review | mock
    Column("mock_id", Integer, ForeignKey("mock_exams.id", ondelete="CASCADE"), nullable=True),
    Column("position", Integer, nullable=True),
    Column("option_order", String(16), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("closed_at", UTCDateTime(), nullable=True),
    # A mock's answers wait here until it is submitted, so they can change while time remains (issue 17).
    Column("flagged", Boolean, nullable=False, server_default=false()),
    Column("pending", String(16), nullable=True),  # original option indexes, as practice_answers.chosen
    Column("pending_at", UTCDateTime(), nullable=True),
    Index("ix_practice_attempts_member", "member_id", "created_at"),
    Index("ix_practice_attempts_mock", "mock_id", "position"),
)

# The unique attempt id is what makes a double press, or the same press delivered twice, record once.
# These rows are also the review log FSRS could be optimised from (correct → Good, wrong → Again).
practice_answers = Table(
    "practice_answers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("attempt_id", Integer, ForeignKey("practice_attempts.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("question_id", String(100), nullable=False),
    Column("exam", String(16), nullable=False),
    Column("domain", String(200), nullable=False),
    Column("source", String(16), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("chosen", String(16), nullable=False),  # original option indexes, "02" for the first and third
    Column("correct", Boolean, nullable=False),
    Column("answered_at", UTCDateTime(), nullable=False),
    UniqueConstraint("attempt_id", name="uq_practice_answers_attempt"),
    Index("ix_practice_answers_member", "member_id", "answered_at"),
    Index("ix_practice_answers_time", "answered_at"),
    # One channel's answers in a time window: what a `focus:weakest` schedule and `/stats channel:` read.
    Index("ix_practice_answers_channel", "channel", "exam", "answered_at"),
)

# FSRS card state as columns (not a JSON blob) so "due cards first" is an indexed query.
review_cards = Table(
    "review_cards",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("question_id", String(100), nullable=False),
    Column("exam", String(16), nullable=False),
    Column("state", Integer, nullable=False),
    Column("step", Integer, nullable=True),
    Column("stability", Float, nullable=True),
    Column("difficulty", Float, nullable=True),
    Column("due", UTCDateTime(), nullable=False),
    Column("last_review", UTCDateTime(), nullable=True),
    Column("reviews", Integer, nullable=False),
    Column("lapses", Integer, nullable=False),
    UniqueConstraint("member_id", "question_id", name="uq_review_cards_member_question"),
    Index("ix_review_cards_due", "member_id", "due"),
)

# The final-mock slice of every shipped bank (issue 17), as the running catalog holds it: written at start
# by `bot.store.held_out.sync` from `QuestionIndex`, which stays the one answer to which questions are held
# out. Review reads leave those cards out by an anti-join on this key instead of binding the 810 ids as
# parameters in every statement (PostgreSQL's generic plan rebuilt that list for every card it compared).
held_out_questions = Table(
    "held_out_questions",
    metadata,
    Column("question_id", String(100), primary_key=True),
    Column("exam", String(16), nullable=False),
)

# -- aggregates (issue 14) -------------------------------------------------------------------------
# Kept by the answer writer in the same transaction as the answers they count (bot/practice/writer.py),
# so `/leaderboard`, `/stats` and `/practice` read a few rows per member instead of every answer ever
# stored. Migration 0006 fills them from the stored answers; `practice_answers` stays the record.

# All-time totals of one member per exam and domain; a member's row for exam "" and domain "" counts
# the questions served (`served`), on no other row.
member_totals = Table(
    "member_totals",
    metadata,
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("exam", String(16), primary_key=True),
    Column("domain", String(200), primary_key=True),
    Column("served", Integer, nullable=False),
    Column("answered", Integer, nullable=False),
    Column("correct", Integer, nullable=False),
    sqlite_with_rowid=False,
)

# Daily counts of one member per exam, the day in UTC; a rolling leaderboard window adds up its whole
# days and counts only the answers of its first, partial day. The first and last answer times say on
# which local days a member was active, whatever their timezone (for streaks).
member_days = Table(
    "member_days",
    metadata,
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("exam", String(16), primary_key=True),
    Column("answered", Integer, nullable=False),
    Column("correct", Integer, nullable=False),
    Column("first_at", UTCDateTime(), nullable=False),
    Column("last_at", UTCDateTime(), nullable=False),
    sqlite_with_rowid=False,
)

# Per member, calendar period (the UTC week from Monday, or the UTC month, named by its first day) and
# exam: what `/leaderboard period:week|month` reads, one row per active member, however many answers.
# The board finds them by period (migration 0018): through the key alone PostgreSQL read every period kept.
member_periods = Table(
    "member_periods",
    metadata,
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("period", String(8), primary_key=True),  # "week" | "month"
    Column("starts", Date, primary_key=True),
    Column("exam", String(16), primary_key=True),
    Column("answered", Integer, nullable=False),
    Column("correct", Integer, nullable=False),
    Index(
        "ix_member_periods_period", "period", "starts", "exam", "member_id", postgresql_include=["answered", "correct"]
    ),
    sqlite_with_rowid=False,
)

# A member's latest answer to each question, per exam: what `/practice` and `/mock` pick by.
member_questions = Table(
    "member_questions",
    metadata,
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("exam", String(16), primary_key=True),
    Column("question_id", String(100), primary_key=True),
    Column("last_at", UTCDateTime(), nullable=False),
    Column("last_correct", Boolean, nullable=False),
    sqlite_with_rowid=False,
)

# A workspace's own questions, imported by its moderators; `body` is the validated question as JSON.
workspace_questions = Table(
    "workspace_questions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("question_id", String(100), nullable=False),
    Column("exam", String(16), nullable=False),
    Column("domain", String(200), nullable=False),
    Column("difficulty", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("imported_at", UTCDateTime(), nullable=False),
    Column("imported_by", String(200), nullable=False),
    UniqueConstraint("platform", "workspace", "question_id", name="uq_workspace_questions_question"),
    Index("ix_workspace_questions_exam", "platform", "workspace", "exam"),
)

# -- schedules (issue 10) --------------------------------------------------------------------------
# Schedules are the source of truth; APScheduler is rebuilt from them. A delivery row is the claim:
# its unique `key` (schedule + local date + wall-clock time for prompts) is inserted before anything
# is posted, so a second process, a restart or APScheduler's double fire in a repeated hour loses.

schedules = Table(
    "schedules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("exam", String(16), nullable=False),
    Column("cron", String(100), nullable=False),  # crontab(5) as the moderator wrote it
    Column("timezone", String(64), nullable=False),
    Column("reveal_minutes", Integer, nullable=False),
    Column("domain", String(200), nullable=True),
    Column("difficulty", String(16), nullable=True),
    Column("paused", Boolean, nullable=False),
    Column("pause_reason", Text, nullable=True),
    Column("failures", Integer, nullable=False),
    Column("active_from", UTCDateTime(), nullable=False),  # occurrences before this are never delivered
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # weakest | weighted | even: how a prompt's domain is drawn when `domain` is not set (issue 18)
    Column("focus", String(16), nullable=False, server_default="weighted"),
    # prompt | digest (issue 18): a digest posts the group's week on a weekly cron; exam and reveal unused
    Column("kind", String(16), nullable=False, server_default="prompt"),
    Index("ix_schedules_place", "platform", "workspace", "channel"),
)

schedule_deliveries = Table(
    "schedule_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(120), nullable=False),
    Column("kind", String(16), nullable=False),  # prompt | reveal | digest
    Column("schedule_id", Integer, ForeignKey("schedules.id", ondelete="SET NULL"), nullable=True),
    Column("prompt_id", Integer, ForeignKey("schedule_deliveries.id", ondelete="CASCADE"), nullable=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("exam", String(16), nullable=False),
    Column("question_id", String(100), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("state", String(16), nullable=False),  # claimed | posted | failed | skipped
    Column("nonce", String(25), nullable=False),
    Column("message_id", String(100), nullable=True),
    Column("claimed_at", UTCDateTime(), nullable=False),
    Column("posted_at", UTCDateTime(), nullable=True),
    Column("reveal_at", UTCDateTime(), nullable=True),
    Column("detail", Text, nullable=True),
    Column("focus_note", Text, nullable=True),  # a prompt's domain and why it was drawn, for its reveal
    UniqueConstraint("key", name="uq_schedule_deliveries_key"),
    Index("ix_schedule_deliveries_due", "kind", "state", "reveal_at"),
    Index("ix_schedule_deliveries_channel", "platform", "workspace", "channel", "due_at"),
    Index("ix_schedule_deliveries_schedule", "schedule_id", "due_at"),
    Index("ix_schedule_deliveries_prompt", "prompt_id"),
    Index("ix_schedule_deliveries_claims", "state", "claimed_at"),
)

# A member's current answer to a group prompt; changeable until the reveal, never shown per member.
prompt_answers = Table(
    "prompt_answers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("delivery_id", Integer, ForeignKey("schedule_deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("user_name", String(200), nullable=False),
    Column("chosen", String(16), nullable=False),  # original option indexes, "02"
    Column("answered_at", UTCDateTime(), nullable=False),
    UniqueConstraint("delivery_id", "user_id", name="uq_prompt_answers_member"),
)

# Configured moderators: a user id or a role / user-group id, on top of the platform's own admins.
moderators = Table(
    "moderators",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("subject", String(100), nullable=False),
    Column("added_by", String(64), nullable=False),
    Column("added_at", UTCDateTime(), nullable=False),
    UniqueConstraint("platform", "workspace", "subject", name="uq_moderators_subject"),
)

workspace_settings = Table(
    "workspace_settings",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("workspace", String(64), primary_key=True),
    Column("timezone", String(64), nullable=True),
    Column("reveal_minutes", Integer, nullable=True),
    Column("mention_role", String(100), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    # Whether members (not only moderators) may see `/stats channel:` (issue 18).
    Column("group_stats_members", Boolean, nullable=False, server_default=false()),
)

group_targets = Table(
    "group_targets",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("workspace", String(64), primary_key=True),
    Column("channel", String(64), primary_key=True),
    Column("exam", String(16), nullable=False),
    Column("exam_date", Date, nullable=False),
    Column("set_by", String(64), nullable=False),
    Column("set_at", UTCDateTime(), nullable=False),
)

# -- held certifications (issue 7) -----------------------------------------------------------------
# What a member holds, from `/mycerts`. `expires_on` is the pass date plus the exam's validity, kept as
# a column so expiry reminders are an indexed query; a higher exam that renews this one is applied when
# reading (see bot/paths/expiry.py). Deleting the member deletes these rows through the cascade.

held_certifications = Table(
    "held_certifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("exam", String(16), nullable=False),
    Column("passed_on", Date, nullable=False),
    Column("expires_on", Date, nullable=False),
    Column("added_at", UTCDateTime(), nullable=False),
    UniqueConstraint("member_id", "exam", name="uq_held_certifications_member_exam"),
    Index("ix_held_certifications_expiry", "expires_on"),
)

# -- installations (issue 19) ------------------------------------------------------------------------
# One row per workspace (or enterprise) that installed the app through "Add to Slack" (OAuth), holding
# the bot token that workspace granted. The token is encrypted (Fernet, key from STUDYBOT_TOKEN_KEY)
# before it is written, so a copied database or backup holds no usable token. `enterprise` and
# `workspace` are "" when absent (an org-wide install has no workspace), so both can be in the key.

installations = Table(
    "installations",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("enterprise", String(64), primary_key=True),
    Column("workspace", String(64), primary_key=True),
    Column("app_id", String(64), nullable=True),
    Column("bot_token", Text, nullable=False),  # Fernet ciphertext, never the token itself
    Column("bot_id", String(64), nullable=True),
    Column("bot_user_id", String(64), nullable=True),
    Column("scopes", Text, nullable=False),  # comma-separated, as the platform grants them
    Column("installer", String(64), nullable=True),
    Column("is_enterprise_install", Boolean, nullable=False),
    Column("installed_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# -- notification settings (issue 18) --------------------------------------------------------------
# What a member wants to get: one row per member, absent meaning "everything on, no snooze". Each kind
# is a flag; `snooze_until` silences all of them at once until that instant. A message held back by a
# setting is written to `notify_skips` once per (member, kind, ref), so nothing is dropped unseen and a
# snoozed expiry reminder can be sent when the snooze ends. Both cascade from the member.

notify_settings = Table(
    "notify_settings",
    metadata,
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("role_ping", Boolean, nullable=False),
    Column("review_dms", Boolean, nullable=False),
    Column("expiry_reminders", Boolean, nullable=False),
    Column("digest_mentions", Boolean, nullable=False),
    Column("snooze_until", UTCDateTime(), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
)

notify_skips = Table(
    "notify_skips",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("ref", String(200), nullable=False),
    Column("reason", String(16), nullable=False),  # "off" or "snoozed"
    Column("skipped_at", UTCDateTime(), nullable=False),
    UniqueConstraint("member_id", "kind", "ref", name="uq_notify_skips_member"),
)

# -- seasons (issue 18) ------------------------------------------------------------------------------
# A season is a fresh leaderboard that resets nothing: starting one stores each member's all-time
# totals per exam at that moment (`season_baselines`), and the season's standings are the totals now
# less those. The newest season of a workspace is the current one; older ones stay as history.

seasons = Table(
    "seasons",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("name", String(100), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("started_by", String(64), nullable=False),
    Index("ix_seasons_workspace", "platform", "workspace", "id"),
)

season_baselines = Table(
    "season_baselines",
    metadata,
    Column("season_id", Integer, ForeignKey("seasons.id", ondelete="CASCADE"), primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("exam", String(16), primary_key=True),
    Column("answered", Integer, nullable=False),
    Column("correct", Integer, nullable=False),
    sqlite_with_rowid=False,
)

# -- review plans (issue 17) -----------------------------------------------------------------------
# How a member's reviews fit their life: a daily cap (NULL: the default), an opt-in DM when reviews are
# due with a quiet-hours window (local hours, start inclusive, end exclusive), and a break during which
# reviews pause. One row per member, absent meaning "the defaults, no DM, no break"; the day a due DM
# was last sent is kept as a claim (see bot/practice/review_dm.py), not here.

review_plans = Table(
    "review_plans",
    metadata,
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    Column("daily_cap", Integer, nullable=True),
    Column("due_dm", Boolean, nullable=False),
    Column("quiet_from", Integer, nullable=True),  # local hour 0-23
    Column("quiet_to", Integer, nullable=True),
    Column("break_from", Date, nullable=True),
    Column("break_to", Date, nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
)


# -- errata (issue 17) -----------------------------------------------------------------------------
# A member's report on a question, a moderator's decision on it, and the workspace's overlay of the
# questions it fixed: the shipped YAML stays as released, the overlay is what this workspace is asked.
# Reports are keyed by user id like group-prompt answers: they are the workspace's record of a
# question, kept when a profile is deleted. A decision stores the state before it, so its reversal
# (itself a decision) restores exactly that.

question_reports = Table(
    "question_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("question_id", String(100), nullable=False),
    Column("exam", String(16), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("user_name", String(200), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("note", Text, nullable=True),
    Column("link", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("decision_id", Integer, nullable=True),  # the decision that closed it; NULL while open
    UniqueConstraint("platform", "workspace", "question_id", "user_id", name="uq_question_reports_member"),
    Index("ix_question_reports_open", "platform", "workspace", "decision_id"),
)

question_decisions = Table(
    "question_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("question_id", String(100), nullable=False),
    Column("exam", String(16), nullable=False),
    Column("kind", String(16), nullable=False),  # dismiss | fix | key | retire | reverse
    Column("before", Text, nullable=True),  # the overlay row before, as JSON; NULL when there was none
    Column("after", Text, nullable=True),  # the overlay row after, as JSON
    Column("note", Text, nullable=True),
    Column("reverses", Integer, nullable=True),  # for a reversal: the decision it undid
    Column("reversed_by", Integer, nullable=True),
    Column("decided_by", String(64), nullable=False),
    Column("decided_by_name", String(200), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=False),
    Index("ix_question_decisions_question", "platform", "workspace", "question_id"),
)

question_overlays = Table(
    "question_overlays",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("workspace", String(64), primary_key=True),
    Column("question_id", String(100), primary_key=True),
    Column("exam", String(16), nullable=False),
    Column("body", Text, nullable=False),  # the question as this workspace asks it, as JSON
    Column("retired", Boolean, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# What a decision changed for someone, said once: a member's next `/stats` (answers regraded), a
# channel's next reveal (a question it saw was corrected). `shown_at` is set when it has been said.
errata_notices = Table(
    "errata_notices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("decision_id", Integer, ForeignKey("question_decisions.id", ondelete="CASCADE"), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=True),
    Column("platform", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("channel", String(64), nullable=True),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("shown_at", UTCDateTime(), nullable=True),
    Index("ix_errata_notices_member", "member_id", "shown_at"),
    Index("ix_errata_notices_channel", "platform", "workspace", "channel", "shown_at"),
)

errata_settings = Table(
    "errata_settings",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("workspace", String(64), primary_key=True),
    Column("threshold", Integer, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)
