"""How group prompts and reveals read; the wording lives here so it is reviewed in one place."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.actions import ActionId
from bot.catalog.models import Question
from bot.markup import bold, code, esc
from bot.markup import channel as channel_ref
from bot.practice import texts as practice_texts
from bot.practice.questions import LETTERS, in_words
from bot.replies import Button, Reply, Select, SelectOption
from bot.words import plural

PRESS = "gp"  # a press on a group prompt: (delivery id, letter)
PRESS_SELECT = "gps"  # the menu of a "choose N" group prompt: (delivery id,)
RIGHT_LIST = 10


@dataclass(frozen=True, slots=True)
class PromptView:
    """Everything a prompt message shows; rebuilt from the store for every edit."""

    delivery_id: int
    exam: str
    domain: str
    question: Question
    answered: int
    reveal_at: dt.datetime | None
    timezone: str
    countdown: str | None = None
    closed: bool = False


def letters(chosen: str) -> str:
    """Stored indexes ("23") as the letters of the written order, in words ("C and D")."""
    return in_words("".join(LETTERS[int(i)] for i in sorted(chosen)))


def countdown(exam: str, exam_date: dt.date, today: dt.date) -> str:
    days = (exam_date - today).days
    if days > 1:
        return f"{bold(f'{days} days')} until the group's {code(exam)} exam ({exam_date.isoformat()})."
    if days == 1:
        return f"{bold('Tomorrow')}: the group's {code(exam)} exam. Good luck!"
    if days == 0:
        return f"{bold('Today')}: the group's {code(exam)} exam. Good luck!"
    return f"The group's {code(exam)} exam was on {exam_date.isoformat()}."


def prompt_reply(view: PromptView) -> Reply:
    q = view.question
    lines = [f"{code(view.exam)} · {esc(view.domain)} · {q.difficulty}"]
    if view.countdown:
        lines.append(view.countdown)
    lines += ["", practice_texts.question_text(q, practice_texts.written_order(q))]
    answered = f"{view.answered} answered"
    if view.closed:
        return Reply(
            title="Question of the day (closed)",
            text="\n".join(lines),
            footer=f"{answered}. The answer is revealed below.",
        )
    when = ""
    if view.reveal_at is not None:
        local = view.reveal_at.astimezone(ZoneInfo(view.timezone))
        when = f" The answer is revealed {local:%a %H:%M} ({view.timezone})."
    footer = f"{answered}. Your answer is private and you can change it until the reveal.{when}"
    select = None
    if q.type == "single":
        buttons = tuple(
            Button(LETTERS[i], ActionId(PRESS, (str(view.delivery_id), LETTERS[i])).encode(), "primary")
            for i in range(len(q.options))
        )
    else:
        select = Select(
            ActionId(PRESS_SELECT, (str(view.delivery_id),)).encode(),
            tuple(SelectOption(LETTERS[i], LETTERS[i], o.text[:100]) for i, o in enumerate(q.options)),
            placeholder=f"Choose {q.choose} options",
            min_values=q.choose,
            max_values=q.choose,
        )
        buttons = (Button("Submit", ActionId(PRESS, (str(view.delivery_id), "")).encode(), "primary"),)
    return Reply(title="Question of the day", text="\n".join(lines), buttons=buttons, select=select, footer=footer)


def recorded_reply(chosen: str, change: str) -> Reply:
    """`change` is "new", "changed" or "same" (a press of the answer already given)."""
    verb = {"new": "Recorded", "changed": "Changed to", "same": "Your answer is still"}[change]
    return Reply(
        text=f"{verb} {bold(letters(chosen))}. You can change it until the reveal.",
        ephemeral=True,
    )


def reveal_reply(exam: str, question: Question, answers: list[tuple[str, str]], note: str | None = None) -> Reply:
    """The answer, every option's explanation, how the group split, the trap, and who got it right.

    `answers` are (display name, chosen indexes) pairs; only the names of those who were right appear.
    `note` says which domain the prompt came from and why its schedule's focus drew it.
    """
    total = len(answers)
    right = "".join(str(i) for i in question.correct_indexes)
    shares: Counter[int] = Counter(int(i) for _name, chosen in answers for i in chosen)
    picks: Counter[str] = Counter(chosen for _name, chosen in answers)
    lines = [f"{code(exam)} · {bold('Answer: ' + letters(right))}", *([esc(note)] if note else [])]
    lines += ["", esc(question.stem), ""]
    notes = [
        f"({shares[i] * 100 // total}% of answers, {plural(shares[i], 'member')})" if total else ""
        for i in range(len(question.options))
    ]
    lines.append(practice_texts.explanations(question, practice_texts.written_order(question), notes=notes))
    lines.append("")
    if not total:
        lines.append("Nobody answered this time.")
        return Reply(title="Answer revealed", text="\n".join(lines))
    correct_names = [name for name, chosen in answers if chosen == right]
    lines.append(f"{bold(str(total))} answered; {len(correct_names)} got it right.")
    wrong = [(n, c) for c, n in picks.items() if c != right]
    if wrong:
        count, chosen = max(wrong, key=lambda pair: (pair[0], [-int(x) for x in pair[1]]))
        why = " ".join(
            esc(_strip_verdict(question.options[int(i)].explanation))
            for i in chosen
            if not question.options[int(i)].correct
        )
        lines.append(f"Most picked wrong answer: {bold(letters(chosen))} ({count} of {total}). Why it's wrong: {why}")
    if correct_names:
        shown = ", ".join(esc(n) for n in sorted(correct_names, key=str.casefold)[:RIGHT_LIST])
        more = len(correct_names) - RIGHT_LIST
        lines.append(f"Got it right: {shown}" + (f" and {more} more." if more > 0 else "."))
    return Reply(title="Answer revealed", text="\n".join(lines))


def _strip_verdict(explanation: str) -> str:
    """Explanations start with "Wrong." for the member who chose it; after "why it's wrong" that repeats."""
    head, _, rest = explanation.partition(" ")
    return rest if head.casefold().strip(".") in ("wrong", "incorrect") and rest else explanation


def paused_dm(schedule_id: int, channel: str, reason: str) -> Reply:
    return Reply(
        title="A study schedule was paused",
        text=f"Schedule {bold('#' + str(schedule_id))} for channel {channel_ref(channel)} kept failing and is paused: "
        f"{esc(reason)}\nFix the channel or the bot's permissions there, then run "
        f"`/studyadmin schedule resume id:{schedule_id}`.",
    )
