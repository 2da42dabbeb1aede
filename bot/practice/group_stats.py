"""`/stats channel:`: a study group's last weeks, read from the answers given in its channel.

The group is the channel: its revealed group prompts and the practice run there. Every number comes from
indexed reads of that channel's answers in the window (`bot.store.practice.channel_*`), a few queries per
call whatever the history holds. Weeks are UTC weeks from Monday, like the leaderboard's UTC days.
With `picture`, the same figures are drawn by the member's stats picture code (`stats_picture`).
"""

from __future__ import annotations

import datetime as dt

from bot import charts
from bot.catalog.models import Exam
from bot.catalog.questions import Place
from bot.markup import bold, bullets, code, esc
from bot.markup import channel as channel_ref
from bot.practice import stats_picture, texts
from bot.practice.scoring import domain_scores, group_readiness, passing_mark, scaled_estimate
from bot.replies import Field, Reply
from bot.requests import Identity
from bot.services import Services
from bot.store import practice as store
from bot.store import workspaces as workspace_store
from bot.store.db import reading
from bot.words import plural

WEEKS = 8  # how many weeks the group's stats cover
MOST_MISSED = 5
STEM_WORDS = 12  # how much of a most-missed question's stem is shown


def week_start(now: dt.datetime) -> dt.datetime:
    """Monday 00:00 UTC of the week holding `now`."""
    day = now.astimezone(dt.UTC).date()
    return dt.datetime.combine(day - dt.timedelta(days=day.weekday()), dt.time(), dt.UTC)


async def group_stats(
    svc: Services, identity: Identity, now: dt.datetime, channel: str, exam: Exam | None, *, picture: bool = False
) -> Reply:
    """The group's accuracy per domain against the guide, its weeks, its most-missed questions and a
    readiness range for its target exam (or `exam`, or the exam it answered most), with the counts;
    with `picture`, a PNG of the domains and the weeks shown, from the very same figures."""
    place = Place(identity.platform, identity.workspace)
    where = (identity.platform, identity.workspace, channel)
    first = week_start(now) - dt.timedelta(weeks=WEEKS - 1)
    end = week_start(now) + dt.timedelta(weeks=1)  # the end of this week: everything up to now counts
    async with reading(svc.engine) as conn:
        target = await workspace_store.get_target(conn, *where)
        if exam is None and target is not None:
            exam = svc.catalog.exam(target.exam)
        if exam is None:
            codes = [e.code for e in svc.catalog.current_exams]
            answered = await store.channel_exams(conn, *where, codes, first, end)
            exam = svc.catalog.exam(answered[0][0]) if answered else None
        if exam is None:
            return _empty(channel)
        tallies = await store.channel_domains(conn, *where, exam.code, first, end)
        weeks = [
            (start, await store.channel_span(conn, *where, exam.code, start, start + dt.timedelta(weeks=1)))
            for start in (first + dt.timedelta(weeks=i) for i in range(WEEKS))
        ]
        whole = await store.channel_span(conn, *where, exam.code, first, end)
        missed = await store.channel_most_missed(conn, *where, exam.code, first, end, MOST_MISSED)
        stems = {qid: await svc.questions.find(conn, place, qid) for qid, _n, _m in missed}
    if not whole.answered:
        return _empty(channel, exam.code)
    scores = domain_scores(exam, tallies)
    fields = [
        Field(
            "Answered",
            f"{plural(whole.answered, 'answer')} by {plural(whole.members, 'member')}, "
            f"{texts.percent(whole.correct / whole.answered)} correct",
            True,
        ),
        Field(
            f"By domain ({exam.code} guide)",
            bullets(
                f"{esc(s.name)} ({s.weight}% of the exam): "
                + (f"{texts.percent(s.share)} of {s.answered}" if s.answered else "no answers yet")
                for s in scores
            ),
        ),
        Field(
            "Weeks",
            bullets(
                f"{start:%a %d %b}: {plural(span.answered, 'answer')}, {plural(span.members, 'active member')}"
                + (f", {texts.percent(span.correct / span.answered)} correct" if span.answered else "")
                for start, span in weeks
            ),
        ),
    ]
    if missed:
        lines = []
        for qid, n, m in missed:
            question = stems.get(qid)
            words = question.stem.split() if question else []
            stem = " ".join(words[:STEM_WORDS]) + ("…" if len(words) > STEM_WORDS else "")
            lines.append(f"{code(qid)} {esc(stem)}: missed {m} of {n}")
        fields.append(Field("Most missed", bullets(lines)))
    ready = group_readiness(scores)
    if ready is not None:
        passing = passing_mark(exam)
        low, high = scaled_estimate(ready.low, passing), scaled_estimate(ready.high, passing)
        aim = f"the group's target, {target.exam_date.isoformat()}" if target and target.exam == exam.code else None
        fields.append(
            Field(
                "Readiness (estimate)",
                f"{code(exam.code)}"
                + (f" ({aim})" if aim else "")
                + f": {bold(f'{texts.percent(ready.low)} to {texts.percent(ready.high)}')} correct, "
                f"a scaled score of about {low} to {high} (passing is {passing}); resting on "
                f"{plural(ready.answered, 'answer')} from {plural(whole.members, 'member')} covering "
                f"{ready.domains_covered} of {plural(ready.domains_total, 'domain')}. Domains with few answers "
                "count near the group's average, which widens the range.",
            )
        )
    footer = f"The last {WEEKS} UTC weeks, from {first:%a %d %b}: group prompts once revealed, and practice here."
    attached = None
    if picture:
        bars = tuple(charts.WeekBar(start.date(), span.answered, span.correct) for start, span in weeks)
        attached = await stats_picture.attachment("Study group stats", exam, tallies, bars, name="group-stats")
    return Reply(
        title="Group stats",
        text=f"The study group in {channel_ref(channel)}, {code(exam.code)}.",
        fields=tuple(fields),
        footer=footer,
        ephemeral=True,
        attachment=attached,
    )


def _empty(channel: str, exam: str | None = None) -> Reply:
    scope = f" {exam} questions" if exam else ""
    return Reply(
        title="No answers yet",
        text=f"Nobody has answered{scope} in {channel_ref(channel)} in the last {WEEKS} weeks. "
        "Scheduled prompts count once they are revealed: `/studyadmin schedule add`.",
        ephemeral=True,
    )
