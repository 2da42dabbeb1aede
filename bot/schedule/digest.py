"""The weekly digest (issue 18): a channel's group and its week, in one message.

A digest schedule is a schedule of kind `digest` (`bot.store.schedules`), so it is claimed, posted,
retried after a crash and paused after failures by the prompts' deliverer (`bot.schedule.deliveries`).
Its claim key names the channel and the ISO week of the run's local date (`digest_key`), so a channel
gets one digest a week whichever schedule fires and however often a pass runs.

The window runs from the channel's last posted digest to this run (`window_start`), so every answer is in
exactly one digest even when a moderator moves the digest to another day or pauses it for a while;
with no digest in the last eight weeks (the first one, or after a long pause) it is the local week
before the run: from the same wall-clock time seven local days earlier, so a week across a DST change
is 167 or 169 hours, never a week shifted by an hour. Every figure is read from the stored answers of
the workspace's members in that window, the same answers `/leaderboard` counts (a group prompt's
answers from its reveal, see `bot.schedule.prompts.feed_practice`), and a digest posted late (a crash,
an outage) still shows the window that ended at its run time.

Names are plain text, never mentions: a digest has no `Reply.mention`, and adapters send every other
text with mentions disabled, so nobody is pinged, whatever their `/notify` settings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.actions import ActionId
from bot.catalog.models import Question
from bot.catalog.questions import Place
from bot.markup import bold, bullets, code, esc
from bot.markup import channel as channel_ref
from bot.practice import texts as practice_texts
from bot.practice.scoring import milestone_reached
from bot.practice.stats import day_marks
from bot.replies import Button, Field, Reply
from bot.schedule.texts import countdown
from bot.services import Services
from bot.store import deliveries as outbox
from bot.store import practice as practice_store
from bot.store import schedules as schedule_store
from bot.store import workspaces as workspace_store
from bot.store.db import reading
from bot.words import plural

TRY = "dg-try"  # a press on the digest's "Try it": (exam code, question id)
TOP = 5  # members named among the week's best
# A digest's window reaches back to the last one at most this far: eight weeks (weeks skipped or paused
# are covered by the next digest), and a day more for a DST change and a late run.
LONGEST = dt.timedelta(weeks=8, days=1)
WEEK = dt.timedelta(days=7)


def digest_key(platform: str, workspace: str, channel: str, fire: dt.datetime, zone: str) -> str:
    """The claim of a channel's digest for the ISO week of the run's local date (at most 34 characters:
    the channel is hashed, since platform, workspace and channel ids together may exceed the key column)."""
    year, week, _ = fire.astimezone(ZoneInfo(zone)).date().isocalendar()
    place = hashlib.sha256(f"{platform}\0{workspace}\0{channel}".encode()).hexdigest()[:20]
    return f"d:{place}:{year}-W{week:02d}"


def window_start(end: dt.datetime, zone: str, last: dt.datetime | None) -> dt.datetime:
    """Where a digest's window begins: at the channel's last digest when there was one in the last
    `LONGEST` (so a digest paused for three weeks covers those weeks when resumed, and one moved to
    another day covers every day since the last once: Monday to Friday gives an eleven-day window,
    Friday to Monday a three-day one), else a week before `end`."""
    if last is not None and end - LONGEST <= last < end:
        return last
    return week_start(end, zone)


def week_start(end: dt.datetime, zone: str) -> dt.datetime:
    """The same wall-clock time seven local days before `end`, in UTC (DST-correct)."""
    tz = ZoneInfo(zone)
    local = end.astimezone(tz)
    wall = local.replace(tzinfo=None) - WEEK
    return wall.replace(tzinfo=tz, fold=local.fold).astimezone(dt.UTC)


@dataclass(frozen=True, slots=True)
class Ranked:
    name: str
    correct: int
    answered: int


@dataclass(frozen=True, slots=True)
class DomainWeek:
    """A domain's answers this week and the week before (0 answered: none)."""

    domain: str
    answered: int
    correct: int
    before_answered: int
    before_correct: int


@dataclass(frozen=True, slots=True)
class Missed:
    question: Question
    exam: str
    answered: int
    wrong: int


@dataclass(frozen=True)
class Digest:
    """Every figure of one digest, before it is worded."""

    channel: str
    start: dt.datetime
    end: dt.datetime
    zone: str
    answered: int
    correct: int
    members: int
    top: tuple[Ranked, ...]
    exam: str | None
    domains: tuple[DomainWeek, ...]
    missed: Missed | None
    milestones: tuple[tuple[str, int], ...]  # (name, days), longest first
    countdown: str | None


async def week_digest(
    conn: AsyncConnection,
    svc: Services,
    platform: str,
    workspace: str,
    channel: str,
    end: dt.datetime,
    zone: str,
) -> Digest:
    """The figures of a channel's group from its last digest (see `window_start`) to `end`, beside the
    window of the same length before it."""
    start = window_start(end, zone, await outbox.last_digest_due(conn, platform, workspace, channel, end))
    weekly = start == week_start(end, zone)
    before = week_start(start, zone) if weekly else start - (end - start)
    week = await practice_store.window_tallies(conn, platform, workspace, start, end)
    previous = await practice_store.window_tallies(conn, platform, workspace, before, start)
    target = await workspace_store.get_target(conn, platform, workspace, channel)
    by_member: dict[int, list[practice_store.WindowTally]] = defaultdict(list)
    for tally in week:
        by_member[tally.member_id].append(tally)
    standings = sorted(
        (
            (sum(t.correct for t in rows), sum(t.answered for t in rows), rows[0].display_name, member_id)
            for member_id, rows in by_member.items()
        ),
        key=lambda s: (-s[0], s[1], s[2], s[3]),
    )  # the order of `/leaderboard`: correct, then fewer tries, then name
    top = tuple(Ranked(name, c, n) for c, n, name, _id in standings[:TOP])

    exam = target.exam if target is not None else _busiest(week)
    domains = _domains(svc, exam, week, previous) if exam else ()

    missed = None
    for missing in await practice_store.question_tallies(conn, platform, workspace, start, end):
        question = await svc.questions.find(conn, Place(platform, workspace), missing.question_id)
        if question is not None:  # a workspace question removed since is skipped
            missed = Missed(question, missing.exam, missing.answered, missing.wrong)
            break

    # A member's local days of the week may begin before `start` (a zone ahead of the schedule's), so
    # anyone who answered in the day before it may have reached a milestone on one of them.
    nearby = await practice_store.window_tallies(conn, platform, workspace, start - dt.timedelta(days=1), end)
    members = {t.member_id: t for t in nearby}
    milestones: list[tuple[str, int]] = []
    for member_id, who in members.items():
        tz = ZoneInfo(who.timezone or svc.settings.default_timezone)
        days = [t.astimezone(tz).date() for t in await day_marks(conn, member_id, tz)]
        reached = milestone_reached(days, start.astimezone(tz).date(), end.astimezone(tz).date())
        if reached is not None:
            milestones.append((who.display_name, reached))
    milestones.sort(key=lambda m: (-m[1], m[0]))

    shown_countdown = None
    if target is not None:
        shown_countdown = countdown(target.exam, target.exam_date, end.astimezone(ZoneInfo(zone)).date())
    return Digest(
        channel,
        start,
        end,
        zone,
        sum(t.answered for t in week),
        sum(t.correct for t in week),
        len(by_member),
        top,
        exam,
        domains,
        missed,
        tuple(milestones),
        shown_countdown,
    )


def _busiest(week: list[practice_store.WindowTally]) -> str | None:
    """Without a group target, the exam the group answered most this week (ties by code)."""
    counts: dict[str, int] = defaultdict(int)
    for tally in week:
        counts[tally.exam] += tally.answered
    return min(counts, key=lambda e: (-counts[e], e)) if counts else None


def _domains(
    svc: Services, exam: str, week: list[practice_store.WindowTally], previous: list[practice_store.WindowTally]
) -> tuple[DomainWeek, ...]:
    """The exam's domains in the guide's order (then any other domain answered), with both weeks."""
    now: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    then: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for tallies, into in ((week, now), (previous, then)):
        for t in tallies:
            if t.exam == exam:
                into[t.domain][0] += t.answered
                into[t.domain][1] += t.correct
    found = svc.catalog.exam(exam)
    order = [d.name for d in found.domains] if found else []
    order += sorted((set(now) | set(then)) - set(order))
    return tuple(
        DomainWeek(name, now[name][0], now[name][1], then[name][0], then[name][1])
        for name in order
        if now.get(name, [0])[0] or then.get(name, [0])[0]
    )


def percent(correct: int, answered: int) -> int:
    """A whole percentage, as shown; a change is the difference of the two shown."""
    return int(f"{correct * 100 / answered:.0f}")


def domain_line(d: DomainWeek) -> str:
    if not d.answered:
        return f"{esc(d.domain)}: no answers this week (last week {percent(d.before_correct, d.before_answered)}%)"
    now = percent(d.correct, d.answered)
    line = f"{esc(d.domain)}: {bold(f'{now}%')} of {d.answered}"
    if not d.before_answered:
        return f"{line} (no answers the week before)"
    earlier = percent(d.before_correct, d.before_answered)
    change = now - earlier
    if change == 0:
        return f"{line} (the same as the week before)"
    way = "up" if change > 0 else "down"
    return f"{line} ({way} {plural(abs(change), 'point')} from {earlier}%)"


def try_button(exam: str, question_id: str) -> Button:
    return Button("Try it", ActionId(TRY, (exam, question_id)).encode(), "primary")


def digest_reply(d: Digest) -> Reply:
    start, end = d.start.astimezone(ZoneInfo(d.zone)), d.end.astimezone(ZoneInfo(d.zone))
    span = f"{start:%a %d %b %H:%M} to {end:%a %d %b %H:%M} {end.tzname()}"
    weekly = d.start == week_start(d.end, d.zone)
    opening = "The week in" if weekly else "Since the last digest in"
    lines = [f"{opening} {channel_ref(d.channel)}: {span}."]
    if d.countdown:
        lines.append(d.countdown)
    if not d.answered:
        lines.append(f"No answers {'this week' if weekly else 'since then'}. `/practice` to start the next one.")
        return Reply(title="Weekly digest", text="\n".join(lines))
    lines.append(
        f"{plural(d.members, 'member')} answered {plural(d.answered, 'question')}, "
        f"{practice_texts.percent(d.correct / d.answered)} correct."
    )
    fields = [
        Field(
            "Most correct answers",
            "\n".join(
                f"{rank}. {bold(esc(r.name))}: {r.correct} correct of {r.answered}"
                for rank, r in enumerate(d.top, start=1)
            ),
        )
    ]
    if d.exam and d.domains:
        fields.append(Field(f"{d.exam} domains", bullets(domain_line(x) for x in d.domains)))
    buttons: tuple[Button, ...] = ()
    if d.missed is not None:
        m = d.missed
        stem = m.question.stem if len(m.question.stem) <= 160 else m.question.stem[:157].rstrip() + "…"
        fields.append(
            Field(
                "Most missed",
                f"{code(m.question.id)} ({code(m.exam)}): missed {m.wrong} of {plural(m.answered, 'time')}.\n"
                f"{esc(stem)}",
            )
        )
        buttons = (try_button(m.exam, m.question.id),)
    if d.milestones:
        fields.append(
            Field("Streak milestones", bullets(f"{esc(name)}: {days}-day streak" for name, days in d.milestones))
        )
    return Reply(title="Weekly digest", text="\n".join(lines), fields=tuple(fields), buttons=buttons)


async def build_digest(svc: Services, delivery_id: int) -> Reply:
    """The digest a claimed delivery posts: the week that ended at its run time."""
    async with reading(svc.engine) as conn:
        row = await outbox.get(conn, delivery_id)
        if row is None:
            raise LookupError(f"no delivery {delivery_id}")
        schedule = await schedule_store.get(conn, row.schedule_id) if row.schedule_id else None
        zone = schedule.timezone if schedule else svc.settings.default_timezone
        digest = await week_digest(conn, svc, row.platform, row.workspace, row.channel, row.due_at, zone)
    return digest_reply(digest)
