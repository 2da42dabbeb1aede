"""`/report` and the moderators' errata queue: `/studyadmin reports`, `… report decide`, `… report threshold`.

The Report button under a verdict, review or reveal leads to `/report` for its question: a form on
Discord and Slack, the line to type (and one button per reason) in the console. The work is in
`bot.practice.errata`; this module declares the commands and words their replies.
"""

from __future__ import annotations

from bot.actions import ActionId
from bot.catalog.questions import Place
from bot.commands.registry import Registry
from bot.commands.spec import ActionSpec, Choice, CommandSpec, GroupSpec, Options, OptionSpec, OptionType, Permission
from bot.errors import StaleAction
from bot.features import admin_group
from bot.markup import bullets, code, esc, link
from bot.practice import errata
from bot.practice.questions import LETTERS
from bot.replies import Button, Field, Reply
from bot.requests import Action, Request
from bot.services import Services
from bot.words import plural

REASON_CHOICES = tuple(Choice(name, name) for name in errata.REASONS)
STATUSES = (Choice("open", "open"), Choice("decided", "decided"), Choice("all", "all"))
DECISIONS = tuple(Choice(kind, kind) for kind in errata.KINDS)
REPORT_AS = "erc"  # a reason button: report with that reason and no note
DECIDE = "ed"  # a moderator's one-press decision (dismiss, retire) from the queue
SHOWN = 8  # questions shown in one queue reply
EXAMPLE_ID = "saa-c03-001"
REASON_WORDS = {
    "wrong-key": "Wrong key",
    "two-right": "Two answers defensible",
    "outdated": "Outdated service or fact",
    "unclear": "Unclear wording",
    "typo": "Typo",
}


def _filed_reply(filed: errata.Filed) -> Reply:
    text = f"Thanks: your report on {code(filed.question_id)} is with the moderators."
    if filed.reporters >= filed.threshold:
        text += (
            f" {plural(filed.reporters, 'member')} reported it, so it is paused here (no practice, mocks "
            "or scheduled prompts) until a moderator decides."
        )
    return Reply(title="Report sent", text=text, ephemeral=True)


async def report_command(req: Request, opts: Options, svc: Services) -> Reply:
    filed = await errata.file_report(
        svc, req.identity, req.at, opts["question"], opts["reason"], opts.get("note"), opts.get("link")
    )
    return _filed_reply(filed)


def _report_prompt(question_id: str) -> Reply:
    reasons = "; ".join(f"{code(k)} {esc(v)}" for k, v in errata.REASONS.items())
    buttons = tuple(Button(REASON_WORDS[k], ActionId(REPORT_AS, (question_id, k)).encode()) for k in errata.REASONS)
    return Reply(
        title="Report a question",
        text=f"What is wrong with {code(question_id)}? Press a reason, or type "
        f'`/report question:{question_id} reason:wrong-key note:"…" link:https://…` to add a note and a '
        f"documentation link. Reasons: {reasons}.",
        buttons=buttons,
        ephemeral=True,
        form=errata.report_form(question_id),
    )


async def report_pressed(action: Action, aid: ActionId, svc: Services) -> Reply:
    return _report_prompt(aid.field(0))


async def reason_pressed(action: Action, aid: ActionId, svc: Services) -> Reply:
    assert action.at is not None
    filed = await errata.file_report(svc, action.identity, action.at, aid.field(0), aid.field(1), None, None)
    return _filed_reply(filed)


# -- the queue -------------------------------------------------------------------------------------


def _answers_line(item: errata.QueueItem) -> str:
    question = item.question
    if question is None:
        return "The question is no longer in any bank."
    keys = set(question.correct_indexes)
    # Letters as the question is written (members see their own shuffled order); `key:` takes these.
    options = "\n".join(
        f"{LETTERS[i]}. {esc(o.text if len(o.text) <= 70 else o.text[:69] + '…')}" + (" (key)" if i in keys else "")
        for i, o in enumerate(question.options)
    )
    if not item.answered:
        return f"{options}\nNobody here has answered it yet."
    parts = [f"{LETTERS[i]} {item.answers.get(i, 0)}" for i in range(len(question.options))]
    return f"{options}\nHow {plural(item.answered, 'answer')} here chose: " + " · ".join(parts)


def _report_line(report: errata.store.Report) -> str:
    line = f"{esc(report.user_name)}: {esc(errata.REASONS.get(report.reason, report.reason))}"
    if report.note:
        line += f" ({esc(report.note)})"
    if report.link:
        line += " · " + link("documentation", report.link)
    return line + ("" if report.decision_id is None else " · decided")


def _item_field(item: errata.QueueItem) -> Field:
    state = "suspended" if item.suspended else ("open" if item.open else "decided")
    stem = esc(item.question.stem[:160]) if item.question else ""
    lines = [stem, _answers_line(item), bullets(_report_line(r) for r in item.reports)]
    for d in item.decisions:
        note = f" ({esc(d.note)})" if d.note else ""
        undone = " · reversed" if d.reversed_by else ""
        lines.append(f"Decided {d.decided_at:%Y-%m-%d} by {esc(d.decided_by_name)}: {code(d.kind)}{note}{undone}")
    return Field(f"{item.question_id} · {item.exam} · {state}", "\n".join(line for line in lines if line))


async def reports_command(req: Request, opts: Options, svc: Services) -> Reply:
    status = opts.get("status", "open")
    items, limit = await errata.queue(svc, Place(req.identity.platform, req.identity.workspace), status)
    if not items:
        words = {"open": "No open reports", "decided": "No decided reports", "all": "No reports"}[status]
        return Reply(title="Reports", text=f"{words} here yet.", ephemeral=True)
    shown = items[:SHOWN]
    buttons: list[Button] = []
    for item in shown:
        if item.open and len(buttons) < 20:
            buttons.append(
                Button(f"Dismiss {item.question_id}"[:80], ActionId(DECIDE, (item.question_id, "dismiss")).encode())
            )
            buttons.append(
                Button(
                    f"Retire {item.question_id}"[:80], ActionId(DECIDE, (item.question_id, "retire")).encode(), "danger"
                )
            )
    more = f" The first {len(shown)} of {len(items)} are shown." if len(items) > len(shown) else ""
    return Reply(
        title=f"Reports · {status}",
        text=f"{plural(len(items), 'question')} with reports; {plural(limit, 'report')} from different members "
        f"suspend a question until you decide.{more} Decide with "
        "`/studyadmin report decide question:<id>` and `decision:key` with the new `key:B`, "
        '`decision:fix` with `part:stem` and `text:"…"`, or `decision:dismiss`, `decision:retire` or '
        "`decision:reverse`.",
        fields=tuple(_item_field(i) for i in shown),
        buttons=tuple(buttons),
        ephemeral=True,
    )


def _decided_reply(done: errata.Decided) -> Reply:
    text = f"{code(done.question_id)}: {esc(done.summary)}."
    if done.closed > 0:
        text += f" {plural(done.closed, 'report')} closed."
    elif done.closed < 0:
        text += f" {plural(-done.closed, 'report')} open again."
    if done.regraded:
        text += (
            f" {plural(done.regraded, 'answer')} of {plural(done.members, 'member')} graded again; "
            "their stats, reviews and the leaderboard follow."
        )
    return Reply(title="Decision recorded", text=text, ephemeral=True)


async def decide_command(req: Request, opts: Options, svc: Services) -> Reply:
    done = await errata.decide(
        svc,
        req.identity,
        req.at,
        opts["question"],
        opts["decision"],
        key=opts.get("key"),
        part=opts.get("part"),
        text=opts.get("text"),
        note=opts.get("note"),
    )
    return _decided_reply(done)


async def decide_pressed(action: Action, aid: ActionId, svc: Services) -> Reply:
    assert action.at is not None
    if aid.field(1) not in ("dismiss", "retire"):
        raise StaleAction("That button is damaged.", "Use `/studyadmin reports` for a fresh list.")
    return _decided_reply(await errata.decide(svc, action.identity, action.at, aid.field(0), aid.field(1)))


async def threshold_command(req: Request, opts: Options, svc: Services) -> Reply:
    before, after = await errata.threshold(svc, req.identity, req.at, opts.get("reports"))
    if before == after:
        text = f"A question is suspended here after {plural(after, 'report')} from different members."
    else:
        text = (
            f"A question is now suspended here after {plural(after, 'report')} from different members (was {before})."
        )
    return Reply(title="Report threshold", text=text, ephemeral=True)


def register(registry: Registry) -> None:
    admin_group.register(registry)
    mod = Permission.MODERATOR
    registry.command(
        CommandSpec(
            ("report",),
            "Report a problem with a question: a wrong key, two right answers, outdated facts",
            report_command,
            options=(
                OptionSpec(
                    "question", OptionType.STRING, "The question's id, from its footer", required=True, max_length=100
                ),
                OptionSpec("reason", OptionType.STRING, "What is wrong", required=True, choices=REASON_CHOICES),
                OptionSpec(
                    "note", OptionType.STRING, "What you noticed, in a sentence or two", max_length=errata.MAX_NOTE
                ),
                OptionSpec("link", OptionType.STRING, "A documentation link that shows it", max_length=errata.MAX_LINK),
            ),
            examples=(
                f'/report question:{EXAMPLE_ID} reason:outdated note:"The console calls this differently now" '
                "link:https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZ.html",
            ),
        )
    )
    registry.command(
        CommandSpec(
            ("studyadmin", "reports"),
            "Reported questions: how members answered them and every report",
            reports_command,
            permission=mod,
            options=(OptionSpec("status", OptionType.STRING, "open (default), decided or all", choices=STATUSES),),
            examples=("/studyadmin reports", "/studyadmin reports status:all"),
        )
    )
    registry.group(GroupSpec(("studyadmin", "report"), "Decide on reported questions", mod))
    registry.command(
        CommandSpec(
            ("studyadmin", "report", "decide"),
            "Dismiss the reports, fix the text, change the key, retire the question, or reverse",
            decide_command,
            permission=mod,
            options=(
                OptionSpec("question", OptionType.STRING, "The question's id", required=True, max_length=100),
                OptionSpec("decision", OptionType.STRING, "What to do", required=True, choices=DECISIONS),
                OptionSpec("key", OptionType.STRING, "The new key as written: B, or BD for two", max_length=6),
                OptionSpec("part", OptionType.STRING, "What to fix: stem, an option's letter, or A-why", max_length=8),
                OptionSpec("text", OptionType.STRING, "The new wording", max_length=errata.MAX_TEXT),
                OptionSpec(
                    "note", OptionType.STRING, "Why, for the members and the audit log", max_length=errata.MAX_NOTE
                ),
            ),
            examples=(f'/studyadmin report decide question:{EXAMPLE_ID} decision:dismiss note:"The key is right"',),
        )
    )
    registry.command(
        CommandSpec(
            ("studyadmin", "report", "threshold"),
            "How many members' reports suspend a question until you decide",
            threshold_command,
            permission=mod,
            options=(
                OptionSpec("reports", OptionType.INTEGER, "Reports from different members", min_value=2, max_value=50),
            ),
            examples=("/studyadmin report threshold reports:3",),
        )
    )
    registry.action(ActionSpec(errata.REPORT, report_pressed))
    registry.action(ActionSpec(REPORT_AS, reason_pressed))
    registry.action(ActionSpec(DECIDE, decide_pressed, permission=mod))
