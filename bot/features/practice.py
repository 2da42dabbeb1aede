"""`/practice`, `/review`, `/mock`, `/stats`, `/leaderboard` and the buttons they put under replies."""

from __future__ import annotations

import datetime as dt

from bot.actions import ActionId
from bot.commands.registry import Registry
from bot.commands.spec import ActionSpec, Choice, CommandSpec, DeliveryJob, Options, OptionSpec, OptionType
from bot.errors import NotAModerator, StaleAction
from bot.features import review_plan
from bot.features.choices import EXAM_CODES
from bot.practice import due, group_stats, mock_run, review_dm, stats
from bot.practice.engine import (
    ANSWER,
    ANSWER_SELECT,
    NEXT_PRACTICE,
    NEXT_REVIEW,
    answer_job,
    decode_press,
    next_practice_button,
    next_review_button,
    partial_sequence,
    practice_question,
    pressed_question,
    record,
    resolve_exam,
    sequence_step_reply,
    settled,
    verdict_text,
)
from bot.practice.errata import report_button
from bot.practice.mocks import MAX_QUESTIONS
from bot.practice.texts import until
from bot.practice.writer import FINAL
from bot.replies import Button, Reply
from bot.requests import Action, Identity, Request
from bot.services import Services
from bot.store import members as member_store
from bot.store import workspaces as workspace_store
from bot.store.db import reading

DIFFICULTIES = (Choice("easy", "easy"), Choice("medium", "medium"), Choice("hard", "hard"))
PERIODS = (Choice("week", "week"), Choice("month", "month"), Choice("all", "all"), Choice("season", "season"))
ON_OFF = (Choice("on", "on"), Choice("off", "off"))


async def _default_exam(svc: Services, identity: Identity) -> str | None:
    """The member's target exam, else the channel's group target (`/studyadmin group target`)."""
    async with reading(svc.engine) as conn:
        member = await member_store.find(conn, identity)
        if member is not None and member.target_exam:
            return member.target_exam
        target = await workspace_store.get_target(conn, identity.platform, identity.workspace, identity.channel)
    return target.exam if target is not None else None


def _pick_exam(svc: Services) -> Reply:
    """No exam known yet: offer the exams that have questions."""
    exams = [e for e in sorted(svc.catalog.current_exams, key=lambda e: e.code) if svc.catalog.questions.get(e.code)]
    buttons = tuple(Button(e.code, ActionId(NEXT_PRACTICE, (e.code, "0", "")).encode()) for e in exams[:25])
    return Reply(
        title="Which exam?",
        text="Pick the exam to practise for, or type `/practice exam:SAA-C03`. "
        "A target exam in your profile makes it the default.",
        buttons=buttons,
        ephemeral=True,
    )


async def practice_command(req: Request, opts: Options, svc: Services) -> Reply:
    code = opts.get("exam") or await _default_exam(svc, req.identity)
    if code is None:
        return _pick_exam(svc)
    exam = resolve_exam(svc, code)
    return await practice_question(svc, req.identity, req.at, exam, opts.get("domain"), opts.get("difficulty"))


async def next_practice_pressed(action: Action, aid: ActionId, svc: Services) -> Reply:
    exam = resolve_exam(svc, aid.field(0))
    number = int(aid.field(1)) if aid.field(1).isdigit() else 0
    domain = exam.domains[number - 1].name if 1 <= number <= len(exam.domains) else None
    return await practice_question(svc, action.identity, action.at, exam, domain, aid.field(2) or None)


async def answer_pressed(action: Action, aid: ActionId, svc: Services) -> Reply:
    """The hot path of the bench: every step that cannot wait is plain code, and the only awaits are
    the rare workspace-question lookup and the writer's commit."""
    now = action.at
    assert now is not None
    press = decode_press(action, aid)
    question = await pressed_question(svc, action.identity, press.question_id)
    picked = partial_sequence(press, question)
    if picked is not None:
        return sequence_step_reply(press, question, picked)
    job, chosen = answer_job(action, press, question)
    outcome = await record(svc, job)
    chosen = settled(outcome, chosen)
    if outcome.source in ("mock", FINAL) and outcome.mock_id is not None:
        # In a mock the verdict waits for the report; the member goes straight to the next question.
        return await mock_run.after_answer(
            svc, action.identity, outcome.mock_id, now, expired=outcome.status == "expired"
        )
    correct = bool(outcome.correct)
    note = None
    if outcome.status == "recorded" and outcome.due is not None:
        note = f"This question comes back in /review {until(outcome.due, now)}."
    # Filters of the original /practice are not in the button id (it must stay under 100 characters),
    # so "Next question" continues with the same exam.
    button = next_review_button(None) if outcome.source == "review" else next_practice_button(outcome.exam or "", 0, "")
    return Reply(
        title="Correct" if correct else "Not quite",
        text=verdict_text(question, press.order, chosen, correct, again=outcome.status == "duplicate", due_note=note),
        buttons=(button, report_button(question.id)),
        ephemeral=True,
        replace=True,
        footer=question.id,
    )


async def review_command(req: Request, opts: Options, svc: Services) -> Reply:
    action = opts.get("action") or (
        "settings" if {"cap", "dm", "quiet"} & set(opts) else "break" if {"from", "to"} & set(opts) else "next"
    )
    if action == "settings":
        return await review_plan.settings(req, opts, svc)
    if action == "break":
        return await review_plan.take_break(req, opts, svc)
    if action == "resume":
        return await review_plan.resume(req, opts, svc)
    exam = resolve_exam(svc, opts["exam"]) if "exam" in opts else None
    return await due.next_review(svc, req.identity, req.at, exam)


async def next_review_pressed(action: Action, aid: ActionId, svc: Services) -> Reply:
    exam = resolve_exam(svc, aid.field(0)) if aid.field(0) else None
    return await due.next_review(svc, action.identity, action.at, exam)


async def mock_command(req: Request, opts: Options, svc: Services) -> Reply:
    exam = resolve_exam(svc, opts["exam"])
    return await mock_run.start_or_resume(
        svc, req.identity, req.at, exam, opts.get("questions"), opts.get("minutes"), final=bool(opts.get("final"))
    )


async def end_mock_pressed(action: Action, aid: ActionId, svc: Services) -> Reply:
    if not aid.field(0).isdigit():
        raise StaleAction("That button is damaged.", "Use `/mock` to see your mock.")
    return await mock_run.end_now(svc, action.identity, int(aid.field(0)), action.at)


def _number(aid: ActionId, index: int) -> int:
    """A numeric field of a mock button; a damaged one is a friendly error, not a crash."""
    raw = aid.field(index)
    if not raw.isdigit():
        raise StaleAction("That button is damaged.", "Use `/mock` to see your mock.")
    return int(raw)


async def mock_answer_pressed(action: Action, aid: ActionId, svc: Services) -> Reply:
    return await mock_run.answer(svc, action, aid)


async def mock_flag_pressed(action: Action, aid: ActionId, svc: Services) -> Reply:
    assert action.at is not None
    return await mock_run.flag(svc, action.identity, _number(aid, 0), action.at)


async def mock_review_pressed(action: Action, aid: ActionId, svc: Services) -> Reply:
    assert action.at is not None
    return await mock_run.review(svc, action.identity, _number(aid, 0), action.at)


async def mock_jump_pressed(action: Action, aid: ActionId, svc: Services) -> Reply:
    assert action.at is not None
    return await mock_run.jump(svc, action.identity, _number(aid, 0), _number(aid, 1), action.at)


async def mock_submit_pressed(action: Action, aid: ActionId, svc: Services) -> Reply:
    assert action.at is not None
    return await mock_run.submit(svc, action.identity, _number(aid, 0), aid.field(1) == "1", action.at)


async def mock_page_pressed(action: Action, aid: ActionId, svc: Services) -> Reply:
    return await mock_run.report_page(svc, action.identity, _number(aid, 0), _number(aid, 1))


async def stats_command(req: Request, opts: Options, svc: Services) -> Reply:
    exam = resolve_exam(svc, opts["exam"]) if "exam" in opts else None
    picture = bool(opts.get("picture", False))
    if "channel" in opts:
        if not req.moderator:
            async with reading(svc.engine) as conn:
                settings = await workspace_store.get_settings(conn, req.identity.platform, req.identity.workspace)
            if not settings.group_stats_members:
                raise NotAModerator("stats channel:")  # unless a moderator set `group_stats:members`
        return await group_stats.group_stats(svc, req.identity, req.at, opts["channel"], exam, picture=picture)
    return await stats.stats(svc, req.identity, req.at, exam, picture=picture)


async def leaderboard_command(req: Request, opts: Options, svc: Services) -> Reply:
    exam = resolve_exam(svc, opts["exam"]) if "exam" in opts else None
    return await stats.board(svc, req.identity, req.at, opts.get("period", "week"), exam)


async def send_review_dms(svc: Services, now: dt.datetime) -> int:
    """The delivery run's share for reviews: the opt-in DM when reviews are due."""
    return await review_dm.deliver_review_dms(svc, svc.posters, now)


def _exam_option(required: bool = False) -> OptionSpec:
    return OptionSpec(
        "exam", OptionType.STRING, "Exam code, like SAA-C03", required=required, choices_source=EXAM_CODES
    )


def register(registry: Registry) -> None:
    registry.delivery_job(DeliveryJob("review reminders", send_review_dms))
    registry.command(
        CommandSpec(
            ("practice",),
            "Answer one practice question, explained option by option",
            practice_command,
            options=(
                _exam_option(),
                OptionSpec("domain", OptionType.STRING, "An exam-guide domain, by name or number", max_length=100),
                OptionSpec("difficulty", OptionType.STRING, "easy, medium or hard", choices=DIFFICULTIES),
            ),
            examples=(
                "/practice",
                "/practice exam:SAA-C03",
                "/practice exam:SAA-C03 domain:2 difficulty:medium",
                '/practice exam:CLF-C02 domain:"Cloud Concepts"',
            ),
        )
    )
    registry.command(
        CommandSpec(
            ("review",),
            "Meet the questions you are due to see again (spaced repetition)",
            review_command,
            options=(
                OptionSpec(
                    "action",
                    OptionType.STRING,
                    "next (default), settings, break or resume",
                    choices=tuple(Choice(a, a) for a in ("next", "settings", "break", "resume")),
                ),
                _exam_option(),
                OptionSpec("from", OptionType.STRING, "First day of a break, YYYY-MM-DD", max_length=20),
                OptionSpec("to", OptionType.STRING, "Last day of a break, YYYY-MM-DD", max_length=20),
                OptionSpec("cap", OptionType.INTEGER, "Reviews a day at most (default 50)", min_value=5, max_value=500),
                OptionSpec("dm", OptionType.STRING, "A DM when reviews are due, once a day: on or off", choices=ON_OFF),
                OptionSpec("quiet", OptionType.STRING, "Hours with no DM, like 22-7", max_length=10),
            ),
            examples=(
                "/review",
                "/review exam:SAA-C03",
                "/review settings cap:30 dm:on quiet:22-7",
                "/review break from:2026-12-24 to:2027-01-02",
                "/review resume",
            ),
        )
    )
    registry.command(
        CommandSpec(
            ("mock",),
            "Take a timed practice exam drawn to the exam guide's domain weights",
            mock_command,
            options=(
                _exam_option(required=True),
                OptionSpec("questions", OptionType.INTEGER, "How many questions", min_value=1, max_value=MAX_QUESTIONS),
                OptionSpec("minutes", OptionType.INTEGER, "Time allowed, in minutes", min_value=1, max_value=240),
                OptionSpec("final", OptionType.BOOLEAN, "A final: held-out questions you have never met, full length"),
            ),
            examples=(
                "/mock exam:SAA-C03 questions:10",
                "/mock exam:CLF-C02 questions:5 minutes:10",
                "/mock exam:SAA-C03 final:true",
            ),
        )
    )
    registry.command(
        CommandSpec(
            ("stats",),
            "Your answers, accuracy, streak, due reviews and readiness; a channel's group with channel:",
            stats_command,
            options=(
                _exam_option(),
                OptionSpec("channel", OptionType.CHANNEL, "A study group's channel (moderators; members if allowed)"),
                OptionSpec("picture", OptionType.BOOLEAN, "Attach a picture of one exam's domains and the last weeks"),
            ),
            examples=(
                "/stats",
                "/stats exam:SAA-C03",
                "/stats exam:SAA-C03 picture:true",
                "/stats channel:#study",
                "/stats channel:#study picture:true",
            ),
        )
    )
    registry.command(
        CommandSpec(
            ("leaderboard",),
            "Top members here by correct answers",
            leaderboard_command,
            options=(
                OptionSpec(
                    "period", OptionType.STRING, "this week (default), this month, all time or season", choices=PERIODS
                ),
                _exam_option(),
            ),
            examples=("/leaderboard", "/leaderboard period:all exam:SAA-C03", "/leaderboard period:season"),
        )
    )
    registry.action(ActionSpec(ANSWER, answer_pressed))
    registry.action(ActionSpec(ANSWER_SELECT, answer_pressed))
    registry.action(ActionSpec(NEXT_PRACTICE, next_practice_pressed))
    registry.action(ActionSpec(NEXT_REVIEW, next_review_pressed))
    registry.action(ActionSpec(mock_run.END_MOCK, end_mock_pressed))
    registry.action(ActionSpec(mock_run.MOCK_ANSWER, mock_answer_pressed))
    registry.action(ActionSpec(mock_run.MOCK_FLAG, mock_flag_pressed))
    registry.action(ActionSpec(mock_run.MOCK_REVIEW, mock_review_pressed))
    registry.action(ActionSpec(mock_run.MOCK_JUMP, mock_jump_pressed))
    registry.action(ActionSpec(mock_run.MOCK_SUBMIT, mock_submit_pressed))
    registry.action(ActionSpec(mock_run.MOCK_PAGE, mock_page_pressed))
