"""Errata with consequences: members report a question, moderators decide, and what was graded follows.

A report is one row per member and question; enough of them from different members (the workspace's
threshold, 3 unless a moderator changes it) suspend the question in that workspace, which takes it out
of `QuestionIndex.pool` (practice, mocks and scheduled prompts) until a decision closes the reports.
A decision never edits the shipped YAML: it writes the workspace's overlay (`question_overlays`), which
`QuestionIndex.find` and `pool` apply, and stores the overlay before and after, so a reversal restores
exactly what was. A changed key grades every stored answer to the question in the workspace again,
rebuilds the affected members' aggregates (`store.practice.recount`) and review cards (replayed from
their answers, as the writer graded them), and leaves a notice for each member's next `/stats` and for
the next reveal in every channel that was asked the question. Every step is in the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.actions import ActionId
from bot.catalog.models import Question
from bot.catalog.questions import Place, QuestionIndex
from bot.errors import Conflict, InvalidOption, NotFound
from bot.markup import bold, code, esc
from bot.practice.questions import LETTERS, grade, in_words
from bot.practice.review import grade as review_grade
from bot.practice.review import make_scheduler
from bot.replies import Button, FormRequest
from bot.requests import Identity
from bot.services import Services
from bot.store import audit as audit_store
from bot.store import deliveries as outbox
from bot.store import errata as store
from bot.store import practice as practice_store
from bot.store.db import reading
from bot.words import plural

REPORT = "er"  # the Report button under verdicts, reviews and reveals
REASONS = {
    "wrong-key": "the key is wrong",
    "two-right": "two answers are defensible",
    "outdated": "a service or fact is outdated",
    "unclear": "the wording is unclear",
    "typo": "a typo",
}
KINDS = ("dismiss", "fix", "key", "retire", "reverse")
MAX_NOTE = 500
MAX_LINK = 300
MAX_TEXT = 1000
SHOWN_ANSWERS = 5  # regraded answers a member's notice lists one by one
SOURCE_WORDS = {
    "practice": "your practice answer",
    "review": "your review",
    "mock": "your mock answer",
    "group": "your answer to the channel's prompt",
}


@lru_cache(maxsize=4096)
def report_button(question_id: str, label: str = "Report") -> Button:
    """The Report button a verdict, review or reveal carries; it leads to `/report` for this question."""
    return Button(label, ActionId(REPORT, (question_id,)).encode())


def report_form(question_id: str) -> FormRequest:
    """The `/report` form with the question filled in: a modal on Discord and Slack."""
    return FormRequest(("report",), (("question", question_id),), f"Report {question_id}"[:45])


def _place(identity: Identity) -> Place:
    return Place(identity.platform, identity.workspace)


async def _question(conn: AsyncConnection, svc: Services, place: Place, question_id: str) -> Question:
    question = await svc.questions.find(conn, place, question_id.strip())
    if question is None:
        raise NotFound(
            f"There is no question {code(question_id[:100])} here.",
            "The id is in the footer of every question, verdict and reveal.",
        )
    return question


def _exam_of(svc: Services, question: Question) -> str:
    return svc.questions.exam_of(question.id) or question.written_for


def check_link(link: str | None) -> str | None:
    """A documentation link as given, or None; anything but one https:// address is refused."""
    if link is None or not link.strip():
        return None
    link = link.strip()
    if not link.startswith("https://") or len(link) > MAX_LINK or any(c.isspace() for c in link):
        raise InvalidOption(
            "`link` must be one https:// address, like https://docs.aws.amazon.com/….",
            "Nothing was reported; try again with the address alone, or without a link.",
        )
    return link


# -- reports -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filed:
    question_id: str
    reporters: int
    threshold: int
    suspended_now: bool


async def file_report(
    svc: Services,
    identity: Identity,
    now: dt.datetime,
    question_id: str,
    reason: str,
    note: str | None,
    link: str | None,
) -> Filed:
    """Store one member's report; raises a UserError (and stores nothing) for a second report or bad input."""
    if reason not in REASONS:
        raise InvalidOption(f"{code(reason[:30])} is not a reason.", "Pick one of: " + ", ".join(REASONS) + ".")
    link = check_link(link)
    note = (note or "").strip()[:MAX_NOTE] or None
    place = _place(identity)
    async with svc.engine.begin() as conn:
        question = await _question(conn, svc, place, question_id)
        await store.lock_question(conn, identity.platform, identity.workspace, question.id)
        report_id = await store.add_report(
            conn,
            platform=identity.platform,
            workspace=identity.workspace,
            question_id=question.id,
            exam=_exam_of(svc, question),
            user_id=identity.user_id,
            user_name=identity.user_name,
            reason=reason,
            note=note,
            link=link,
            now=now,
        )
        if report_id is None:
            raise Conflict(
                f"You have already reported {code(question.id)}; one report each is counted.",
                "The moderators see your report with everyone else's.",
            )
        reporters = await store.open_reporters(conn, identity.platform, identity.workspace, question.id)
        limit = await store.threshold(conn, identity.platform, identity.workspace)
        after = {"reason": reason, "note": note, "link": link, "open reports": reporters}
        await _audit(conn, identity, now, "report.filed", question.id, None, after)
        suspended_now = reporters == limit
        if suspended_now:
            await _audit(conn, identity, now, "question.suspended", question.id, None, {"open reports": reporters})
    return Filed(question.id, reporters, limit, suspended_now)


async def _audit(
    conn: AsyncConnection, identity: Identity, now: dt.datetime, action: str, target: str, before: object, after: object
) -> None:
    await audit_store.audit(
        conn,
        platform=identity.platform,
        workspace=identity.workspace,
        actor_id=identity.user_id,
        actor_name=identity.user_name,
        action=action,
        target=target,
        before=before,
        after=after,
        now=now,
    )


# -- the moderators' queue -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueItem:
    question: Question | None
    question_id: str
    exam: str
    reports: list[store.Report]
    decisions: list[store.Decision]
    answers: dict[int, int]  # option index → how many answers chose it (multiple choices count each)
    answered: int
    suspended: bool

    @property
    def open(self) -> bool:
        return any(r.decision_id is None for r in self.reports)


async def queue(svc: Services, place: Place, status: str) -> tuple[list[QueueItem], int]:
    """The reported questions of a workspace (open, decided or all), most reported first; and the threshold."""
    async with reading(svc.engine) as conn:
        every = await store.reports(conn, place.platform, place.workspace)
        held = await store.suspended(conn, place.platform, place.workspace)
        limit = await store.threshold(conn, place.platform, place.workspace)
        by_question: dict[str, list[store.Report]] = {}
        for report in every:
            by_question.setdefault(report.question_id, []).append(report)
        wanted = [
            qid
            for qid, rs in by_question.items()
            if status == "all" or (status == "open") == any(r.decision_id is None for r in rs)
        ]
        ruled = await store.decisions(conn, place.platform, place.workspace, wanted) if wanted else []
        items = []
        for qid in wanted:
            question = await svc.questions.find(conn, place, qid)
            chosen = await practice_store.chosen_counts(conn, place.platform, place.workspace, qid)
            counts: dict[int, int] = {}
            for text, n in chosen.items():
                for c in set(text):
                    counts[int(c)] = counts.get(int(c), 0) + n
            items.append(
                QueueItem(
                    question,
                    qid,
                    by_question[qid][0].exam,
                    by_question[qid],
                    [d for d in ruled if d.question_id == qid],
                    counts,
                    sum(chosen.values()),
                    qid in held,
                )
            )
    items.sort(key=lambda i: (-sum(r.decision_id is None for r in i.reports), i.question_id))
    return items, limit


# -- decisions -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decided:
    kind: str
    question_id: str
    closed: int
    regraded: int  # answers whose verdict changed
    members: int  # members whose answers changed
    summary: str


def _body(question: Question) -> dict[str, Any]:
    return question.model_dump(mode="json")


def _letters(question: Question) -> str:
    return "".join(LETTERS[i] for i in question.correct_indexes)


def _with_key(question: Question, key: str) -> Question:
    if question.type not in ("single", "multiple"):
        raise InvalidOption(
            f"{code(question.id)} is an {question.type} question: its key is the order it is written in.",
            "Fix its text instead (`decision:fix`), or retire it.",
        )
    letters = key.strip().upper()
    positions = sorted({LETTERS.find(c) for c in letters})
    if not letters or any(p < 0 or p >= len(question.options) for p in positions) or len(positions) != len(letters):
        shown = LETTERS[: len(question.options)]
        raise InvalidOption(
            f"`key` must be letters of the options as the question is written ({', '.join(shown)}), "
            f"each once, not {code(key[:10])}.",
            "For a question with two answers, give both: `key:BD`.",
        )
    if question.type == "single" and len(positions) != 1:
        raise InvalidOption(f"{code(question.id)} has one answer; give one letter in `key`.", None)
    if list(positions) == list(question.correct_indexes):
        raise InvalidOption(f"{letters} is already the key of {code(question.id)}; nothing was changed.", None)
    body = _body(question)
    for i, option in enumerate(body["options"]):
        option["correct"] = i in positions
    if question.type == "multiple":
        body["choose"] = len(positions)
    return _validated(body)


def _validated(body: dict[str, Any]) -> Question:
    try:
        return Question.model_validate(body)
    except ValueError as exc:
        first = str(exc).splitlines()[1:3]
        raise InvalidOption(
            "That change would make the question invalid: " + esc(" ".join(s.strip() for s in first)[:200]) + ".",
            "Nothing was changed.",
        ) from None


def _with_text(question: Question, part: str, text: str) -> Question:
    part = part.strip()
    text = text.strip()
    if not text:
        raise InvalidOption("Give the new wording in `text`.", 'For example `part:stem text:"Which service …"`.')
    body = _body(question)
    letter, _, what = part.upper().partition("-")
    if part.casefold() == "stem":
        body["stem"] = text
    elif len(letter) == 1 and 0 <= LETTERS.find(letter) < len(question.options) and what in ("", "WHY"):
        body["options"][LETTERS.find(letter)]["explanation" if what else "text"] = text
    else:
        shown = ", ".join(LETTERS[: len(question.options)])
        raise InvalidOption(
            f"`part` is `stem`, an option's letter ({shown}) for its text, or a letter and `-why` for its "
            f"explanation (`A-why`), not {code(part[:20])}.",
            None,
        )
    return _validated(body)


async def decide(
    svc: Services,
    identity: Identity,
    now: dt.datetime,
    question_id: str,
    kind: str,
    *,
    key: str | None = None,
    part: str | None = None,
    text: str | None = None,
    note: str | None = None,
) -> Decided:
    """One moderator decision, all of it in one transaction: overlay, reports closed, re-scoring, audit."""
    if kind not in KINDS:
        raise InvalidOption(f"{code(kind[:20])} is not a decision.", "Decide with one of: " + ", ".join(KINDS) + ".")
    place = _place(identity)
    note = (note or "").strip()[:MAX_NOTE] or None
    async with svc.engine.begin() as conn:
        await store.lock_question(conn, place.platform, place.workspace, question_id.strip())
        current = await _question(conn, svc, place, question_id)
        qid = current.id
        exam = _exam_of(svc, current)
        before = await store.overlay(conn, place.platform, place.workspace, qid)
        open_count = await store.open_reporters(conn, place.platform, place.workspace, qid)
        reverses: int | None = None
        old_question, new_question = current, current
        if kind == "reverse":
            undone = await store.last_standing(conn, place.platform, place.workspace, qid)
            if undone is None:
                raise NotFound(f"There is no decision on {code(qid)} to reverse.", None)
            reverses = undone.id
            restored = undone.before
            after = (
                None
                if restored is None
                else store.Overlay(qid, restored["exam"], json.dumps(restored["body"]), bool(restored["retired"]))
            )
            if after is None:
                await store.drop_overlay(conn, place.platform, place.workspace, qid)
                shipped = svc.questions.get(qid)
                found = shipped or await svc.questions.find(conn, place, qid)
                assert found is not None
                new_question = found
            else:
                await store.put_overlay(conn, place.platform, place.workspace, after, now)
                new_question = Question.model_validate(json.loads(after.body))
        else:
            if kind == "dismiss" and not open_count:
                raise NotFound(f"{code(qid)} has no open reports to dismiss.", "`/studyadmin reports` lists them.")
            if kind == "retire" and before is not None and before.retired:
                raise Conflict(f"{code(qid)} is already retired here.", "Reverse that decision to bring it back.")
            if kind == "key":
                new_question = _with_key(current, key or "")
            elif kind == "fix":
                new_question = _with_text(current, part or "", text or "")
            retired = kind == "retire" or (before is not None and before.retired)
            after = before if kind == "dismiss" else store.Overlay(qid, exam, json.dumps(_body(new_question)), retired)
            if after is not None and after is not before:
                await store.put_overlay(conn, place.platform, place.workspace, after, now)
        decision_id = await store.add_decision(
            conn,
            platform=place.platform,
            workspace=place.workspace,
            question_id=qid,
            exam=exam,
            kind=kind,
            before=before,
            after=after,
            note=note,
            actor_id=identity.user_id,
            actor_name=identity.user_name,
            now=now,
            reverses=reverses,
        )
        if reverses is not None:
            closed = -await store.reopen_reports(conn, reverses)
        else:
            closed = await store.close_reports(conn, place.platform, place.workspace, qid, decision_id)
        regraded = members = 0
        key_changed = old_question.correct_indexes != new_question.correct_indexes
        if key_changed:
            regraded, members = await rescore(
                conn, svc, place, exam, old_question, new_question, decision_id, note, now
            )
        summary = _summary(kind, old_question, new_question, part)
        audit_after: dict[str, object] = {"decision": summary, "reports closed": max(closed, 0)}
        if closed < 0:
            audit_after = {"decision": summary, "reports reopened": -closed}
        if key_changed:
            audit_after["answers regraded"] = regraded
            audit_after["members affected"] = members
        if note:
            audit_after["note"] = note
        audit_before = {"key": _letters(old_question), "retired": bool(before and before.retired)}
        await _audit(conn, identity, now, f"question.{kind}", qid, audit_before, audit_after)
    svc.questions.forget(place)
    return Decided(kind, qid, closed, regraded, members, summary)


def _summary(kind: str, old: Question, new: Question, part: str | None) -> str:
    if kind == "key":
        return f"key changed from {in_words(_letters(old))} to {in_words(_letters(new))}"
    if kind == "fix":
        return f"wording fixed ({(part or '').strip()})"
    if kind == "retire":
        return "retired"
    if kind == "dismiss":
        return "reports dismissed"
    if old.correct_indexes != new.correct_indexes:
        return f"reversed: key back from {in_words(_letters(old))} to {in_words(_letters(new))}"
    return "reversed"


async def rescore(
    conn: AsyncConnection,
    svc: Services,
    place: Place,
    exam: str,
    old: Question,
    new: Question,
    decision_id: int,
    note: str | None,
    now: dt.datetime,
) -> tuple[int, int]:
    """Grade every stored answer to the question in the workspace again with the new key; rebuild the
    affected members' aggregates and review cards; leave them and the channels that were asked it a
    notice. Returns (answers whose verdict changed, members affected)."""
    answers = await practice_store.answers_to(conn, place.platform, place.workspace, new.id)
    flips: dict[bool, list[int]] = {True: [], False: []}
    changed: dict[int, list[tuple[bool, str, dt.datetime]]] = {}
    by_member: dict[int, list[tuple[bool, dt.datetime]]] = {}
    for answer_id, member_id, chosen, correct, at, source in answers:
        ok = grade(new, chosen)
        if ok != bool(correct):
            flips[ok].append(answer_id)
            changed.setdefault(member_id, []).append((ok, source, at))
        by_member.setdefault(member_id, []).append((ok, at))
    for value, ids in flips.items():
        await practice_store.set_correct(conn, ids, value)
    members = sorted(changed)
    await practice_store.recount(conn, members)
    scheduler = make_scheduler()
    for member_id in members:
        state = None
        for ok, at in by_member[member_id]:
            state = review_grade(scheduler, 0, state, ok, at)
        assert state is not None
        await practice_store.put_card(conn, member_id, new.id, exam, state.as_row())
    key = in_words(_letters(new))
    why = f" ({esc(note)})" if note else ""
    rows: list[dict[str, Any]] = []
    for member_id, flipped in changed.items():
        right = sum(ok for ok, _s, _at in flipped)
        wrong = len(flipped) - right
        parts = ([f"{right} now correct"] if right else []) + ([f"{wrong} now wrong"] if wrong else [])
        which = "; ".join(
            f"{SOURCE_WORDS.get(source, source)} on {at:%d %b}: now {'correct' if ok else 'wrong'}"
            for ok, source, at in flipped[:SHOWN_ANSWERS]
        )
        more = f"; and {len(flipped) - SHOWN_ANSWERS} more" if len(flipped) > SHOWN_ANSWERS else ""
        rows.append(
            {
                "decision_id": decision_id,
                "member_id": member_id,
                "platform": place.platform,
                "workspace": place.workspace,
                "channel": None,
                "text": f"{code(new.id)}: a moderator changed its key to {bold(key)}{why}. "
                f"{plural(len(flipped), 'answer')} of yours graded again, {', '.join(parts)} ({which}{more}).",
                "created_at": now,
            }
        )
    for channel in await outbox.channels_asked(conn, place.platform, place.workspace, new.id):
        rows.append(
            {
                "decision_id": decision_id,
                "member_id": None,
                "platform": place.platform,
                "workspace": place.workspace,
                "channel": channel,
                "text": f"Correction: {code(new.id)}, asked here before, had the wrong key. "
                f"The answer is {bold(key)}{why}; everyone's answers to it were graded again.",
                "created_at": now,
            }
        )
    await store.add_notices(conn, rows)
    return sum(len(v) for v in flips.values()), len(members)


async def threshold(svc: Services, identity: Identity, now: dt.datetime, value: int | None) -> tuple[int, int]:
    """(before, after) of the workspace's suspension threshold; `value` None only reads it."""
    async with svc.engine.begin() as conn:
        before = await store.threshold(conn, identity.platform, identity.workspace)
        if value is None or value == before:
            return before, before
        await store.set_threshold(conn, identity.platform, identity.workspace, value, now)
        await _audit(conn, identity, now, "report.threshold", "errata", before, value)
    return before, value


# -- the overlay as a patch for upstream -----------------------------------------------------------

PATCH_FORMAT = "studybot-errata"


def _changes(shipped: Any, fixed: Any, where: str = "") -> dict[str, dict[str, Any]]:
    """Field path → {from, to} for every value the overlay changed (`options[1].correct`)."""
    found: dict[str, dict[str, Any]] = {}
    if isinstance(shipped, dict) and isinstance(fixed, dict):
        for name in sorted(set(shipped) | set(fixed)):
            found.update(_changes(shipped.get(name), fixed.get(name), f"{where}.{name}" if where else name))
    elif isinstance(shipped, list) and isinstance(fixed, list) and len(shipped) == len(fixed):
        for i, (a, b) in enumerate(zip(shipped, fixed, strict=True)):
            found.update(_changes(a, b, f"{where}[{i}]"))
    elif shipped != fixed:
        found[where] = {"from": shipped, "to": fixed}
    return found


async def export_patch(
    engine: AsyncEngine, shipped_questions: QuestionIndex, platform: str, workspace: str, now: dt.datetime
) -> dict[str, Any]:
    """A workspace's overlay of shipped questions as a patch the project can take upstream: per question
    its bank file, what changed (from → to), whether it is retired, the decisions behind it, and the
    question as the workspace now asks it. A workspace's own imported questions are not shipped, so
    they are left out."""
    async with reading(engine) as conn:
        fixed = await store.overlays(conn, platform, workspace)
        ruled = await store.decisions(conn, platform, workspace, [o.question_id for o in fixed]) if fixed else []
    questions = []
    for overlay in fixed:
        shipped = shipped_questions.get(overlay.question_id)
        if shipped is None:
            continue
        body = json.loads(overlay.body)
        questions.append(
            {
                "id": overlay.question_id,
                "exam": overlay.exam,
                "file": f"content/questions/{overlay.exam}.yaml",
                "retired": overlay.retired,
                "changes": _changes(_body(shipped), body),
                "decisions": [
                    {
                        "kind": d.kind,
                        "note": d.note,
                        "by": d.decided_by_name,
                        "at": d.decided_at.isoformat(),
                        **({"reversed": True} if d.reversed_by else {}),
                    }
                    for d in ruled
                    if d.question_id == overlay.question_id
                ],
                "question": body,
            }
        )
    return {
        "format": PATCH_FORMAT,
        "version": 1,
        "platform": platform,
        "workspace": workspace,
        "exported_at": now.isoformat(),
        "questions": questions,
    }
