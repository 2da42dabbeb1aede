"""A workspace's own question bank: YAML (the `content/questions` format) or CSV, all or nothing.

The whole text is validated before anything is written, with the same rules as `studybot content
check` (`check_bank`), and every problem is reported with its line (YAML) or row (CSV). Then it is
imported in one transaction: "append" adds new questions and updates ones with the same id;
"replace" first removes the workspace's questions for that exam.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from pydantic import ValidationError
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.catalog import Catalog, load_catalog
from bot.catalog.loader import _line_of as line_of  # the loader's YAML-node → line mapping, shared
from bot.catalog.loader import check_bank
from bot.catalog.models import Option, Question, QuestionBank
from bot.catalog.questions import Place
from bot.errors import UserError
from bot.markup import esc
from bot.practice.questions import LETTERS
from bot.settings import Settings
from bot.store.schema import workspace_questions
from bot.words import plural

Mode = Literal["append", "replace"]
MAX_ID = 40  # ids travel in answer buttons, which hold 100 characters in all
MAX_NESTING = 32  # levels of YAML lists and mappings in a bank import
CSV_COLUMNS = ("exam", "id", "domain", "difficulty", "type", "choose", "stem", "correct", "links")


SHOWN_PROBLEMS = 15  # a reply stays readable; the rest are counted


class ImportRejected(UserError):
    """The bank did not validate; nothing was imported. `problems` holds every one, each starting
    with its place ("line 7, question 2:" for YAML, "row 3:" for CSV)."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:SHOWN_PROBLEMS]
        hidden = len(problems) - len(shown)
        more = f"\n…and {hidden} more." if hidden else ""
        super().__init__(
            f"Nothing was imported: {plural(len(problems), 'problem')}.\n"
            + "\n".join(f"- {esc(p)}" for p in shown)
            + more,
            "Fix every problem listed and import the whole file again.",
        )
        self.problems = problems


@dataclass(frozen=True, slots=True)
class ImportResult:
    exam: str
    mode: Mode
    added: int
    updated: int
    removed: int
    total: int  # the workspace's own questions for the exam, after the import
    unchanged: int = 0  # rows of the file identical to what was stored: nothing written for them

    def summary(self) -> str:
        """What changed, in the group's own questions (the shipped bank is never touched by an import)."""
        own = f"the group now has {plural(self.total, 'question')} of its own for {self.exam}."
        if self.mode == "replace":
            return (
                f"Replaced this workspace's {self.exam} bank: removed {self.removed}, "
                f"imported {self.added + self.updated}; {own}"
            )
        same = f" ({self.unchanged} unchanged)" if self.unchanged else ""
        return f"Appended to this workspace's {self.exam} bank: {self.added} new, {self.updated} updated{same}; {own}"


def parse_bank(text: str, catalog: Catalog, *, today: dt.date) -> QuestionBank:
    """Validate a bank from YAML or CSV text; raises ImportRejected listing every problem."""
    stripped = text.strip()
    if not stripped:
        raise ImportRejected(["the bank is empty"])
    first = stripped.splitlines()[0].casefold().replace(" ", "")
    if first.startswith("exam,") or first.startswith('"exam",'):
        return _from_csv(stripped, catalog, today)
    return _from_yaml(stripped, catalog)


# -- what a moderator reads instead of the validator's wording ----------------------------------------


@dataclass(frozen=True, slots=True)
class _Seen:
    """A question as the cross-checks read it, taken from the raw text: checked even when the
    question itself failed validation, so one pass finds every problem."""

    id: str
    domain: str
    written_for: str


@dataclass(frozen=True, slots=True)
class _Raw:
    exam: str
    questions: tuple[_Seen, ...]


Where = Callable[[int | None, tuple[Any, ...]], str]
"""`where(question index or None for the bank, field path in that question)` → "line 7, question 2"."""


def _field(loc: tuple[Any, ...]) -> str:
    """("options", 1, "explanation") → "option B: explanation"; ("links", 0) → "link 1"."""
    words: list[str] = []
    index = 0
    while index < len(loc):
        key = loc[index]
        after = loc[index + 1] if index + 1 < len(loc) else None
        if key == "options" and isinstance(after, int):
            words.append(f"option {LETTERS[after] if after < len(LETTERS) else after + 1}")
            index += 2
        elif key == "links" and isinstance(after, int):
            words.append(f"link {after + 1}")
            index += 2
        else:
            words.append(str(key))
            index += 1
    return ": ".join(words)


def _shown(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:39] + "…")


def _say(error: Mapping[str, Any], known: Sequence[str]) -> str:
    """One pydantic error in the words of someone who wrote the file, not of the validator."""
    loc = tuple(error["loc"])
    field = _field(loc) or "the question"
    last = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind == "missing":
        return f"{field} is missing"
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(last, known, n=1)
        return f"{field} is not a field I know" + (f" (did you mean {close[0]}?)" if close else "")
    if kind == "string_too_short":
        if not str(value or "").strip():
            return f"{field} is empty"
        return f"{field} is too short: at least {ctx.get('min_length')} characters"
    if kind == "string_too_long":
        return f"{field} is too long: {len(str(value))} characters, at most {ctx.get('max_length')}"
    if kind in ("too_short", "too_long"):
        # What was written, not what survived validation (pydantic counts only the options that passed).
        count = len(value) if isinstance(value, list | tuple) else ctx.get("actual_length", 0)
        if last == "options":
            return f"has {plural(count, 'option')}; a question needs 4 to 6 (ordering and matching 3 to 6)"
        if last == "links":
            return "links is empty: give at least one documentation link"
        if last == "questions":
            return "questions is empty: give at least one question"
        bound = "at least" if kind == "too_short" else "at most"
        return f"{field} has {count}; it needs {bound} {ctx.get('min_length' if kind == 'too_short' else 'max_length')}"
    if kind == "literal_error":
        return f"{field} must be {ctx.get('expected', 'one of the allowed words')}, not {_shown(value)}"
    if kind.startswith("bool_"):
        return f"{field} must be true or false, not {_shown(value)}"
    if kind.startswith("int_"):
        return f"{field} must be a whole number, not {_shown(value)}"
    if kind.startswith("date_"):
        return f"{field} must be a date like 2026-11-23, not {_shown(value)}"
    if kind == "string_type":
        return f"{field} must be text, not {_shown(value)}"
    if kind in ("tuple_type", "list_type"):
        return f"{field} must be a list"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        if last == "options" or (len(loc) >= 2 and loc[-2] == "options"):
            return f"{field} needs text and explanation (and correct: true on the right one), not {_shown(value)}"
        return f"{field} must be a set of fields, not {_shown(value)}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{field}: {message[:1].lower()}{message[1:]}" if loc else message


_QUESTION_FIELDS = tuple(Question.model_fields)
_OPTION_FIELDS = tuple(Option.model_fields)


_STAND_INS: dict[str, Any] = {
    "id": "stand-in",
    "domain": "stand-in",
    "difficulty": "easy",
    "type": "single",
    "choose": 1,
    "stem": "a stand-in stem, long enough",
    "links": ["https://docs.aws.amazon.com/"],
    "written_for": "stand-in",
    "checked": "2000-01-01",
    "checked_by": None,
}
_OPTION_STAND_INS: dict[str, Any] = {"text": None, "correct": False, "explanation": "a stand-in explanation"}


def _whole_question_errors(raw: dict[str, Any], errors: list[Any]) -> list[Any]:
    """The whole-question checks (how many options, how many correct, repeats) that pydantic skips
    once a field has failed: run again with each failed field stood in for by a valid value, so they
    are found in the same pass. Nothing when the options themselves cannot be stood in for."""
    fixed = dict(raw)
    options = [dict(o) if isinstance(o, dict) else None for o in raw.get("options") or []]
    for error in errors:
        loc = tuple(error["loc"])
        extra = error["type"] == "extra_forbidden"
        if len(loc) == 1 and extra:
            fixed.pop(loc[0], None)
        elif loc and loc[0] in _STAND_INS and len(loc) <= 2:
            fixed[loc[0]] = _STAND_INS[loc[0]]
        elif len(loc) == 3 and loc[0] == "options" and isinstance(loc[1], int) and loc[1] < len(options):
            option, field = options[loc[1]], str(loc[2])
            if option is None or (field not in _OPTION_STAND_INS and not extra):
                return []
            if extra:
                option.pop(field, None)
            else:
                option[field] = _OPTION_STAND_INS[field] or f"stand-in option {loc[1] + 1}"
        else:
            return []  # the options list itself is wrong: what it would hold is anyone's guess
    fixed["options"] = options
    try:
        Question.model_validate(fixed)
    except ValidationError as again:
        return [e for e in again.errors() if not e["loc"]]
    return []


_PLACE = re.compile(r"^(?:line|row) (\d+)")


def _place(problem: str) -> int:
    found = _PLACE.match(problem)
    return int(found.group(1)) if found else 0


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _validate(
    exam: Any,
    raw_questions: Any,
    catalog: Catalog,
    where: Where,
    problems: list[str],
    quiet: Mapping[int, str] | None = None,
) -> QuestionBank:
    """Validate every question on its own and cross-check all of them, then raise every problem at once.

    `problems` may already hold what the caller found (CSV cells); `quiet[i]` names a word whose
    model-level message for question i repeats a problem already reported.
    """

    def report(index: int | None, loc: tuple[Any, ...], message: str) -> None:
        problems.append(f"{where(index, loc)}: {message}")

    if not isinstance(exam, str) or not exam.strip():
        report(None, ("exam",), "exam is missing: name the exam these questions are for, like exam: SAA-C03")
        exam = ""
    if not isinstance(raw_questions, list) or not raw_questions:
        report(None, ("questions",), "questions is missing or empty: give at least one question")
        raw_questions = []
    valid: list[Question] = []
    seen: list[_Seen] = []
    for index, raw in enumerate(raw_questions):
        if not isinstance(raw, dict):
            report(index, (), f"question {index + 1} must be a set of fields (id, domain, stem, options, …)")
            continue
        seen.append(_Seen(_text(raw.get("id")), _text(raw.get("domain")), _text(raw.get("written_for"))))
        try:
            valid.append(Question.model_validate(raw))
        except ValidationError as exc:
            errors = exc.errors()
            hushed = (quiet or {}).get(index, "\0")
            if any(e["loc"][-1:] == ("correct",) for e in errors):
                hushed = "correct"  # `correct: Z` is reported; "needs exactly one correct option" would repeat it
            for error in [*errors, *_whole_question_errors(raw, errors)]:
                loc = tuple(error["loc"])
                known = _OPTION_FIELDS if "options" in loc[:1] and len(loc) > 2 else _QUESTION_FIELDS
                message = _say(error, known)
                if not loc and hushed in message:
                    continue
                report(index, loc, message)
    shipped = {q.id for bank_ in catalog.questions.values() for q in bank_}
    positions = [i for i, raw in enumerate(raw_questions) if isinstance(raw, dict)]
    for position, q in zip(positions, seen, strict=True):
        if not q.id:
            continue
        if q.id in shipped:
            report(position, ("id",), f"question id {q.id} is already a shipped question; choose another id")
        if len(q.id) > MAX_ID:
            report(position, ("id",), f"question id {q.id} is longer than {MAX_ID} characters")

    def cross(index: int, field: str, message: str) -> None:
        if field == "exam":
            report(None, ("exam",), message)
        else:
            report(positions[index], (field,), message)

    check_bank(_Raw(exam.strip(), tuple(seen)), catalog.exams, set(), cross)
    if problems:
        raise ImportRejected(sorted(problems, key=_place))  # stable: in file order, then as found
    return QuestionBank(exam=exam.strip(), questions=tuple(valid))


class NestingLimited(yaml.SafeLoader):
    """SafeLoader for a moderator's bank: what PyYAML would raise as a plain Python error (an internal
    error) becomes a YAML error with its line, like any other.

    PyYAML composes nodes recursively, so `[[[[…]]]]` 1,500 deep would be a RecursionError: nesting
    deeper than MAX_NESTING is refused (a bank is about six levels deep). A date that looks like one
    but does not exist (`checked: 2026-02-30`) raised ValueError from `datetime.date`.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_NESTING} levels deep", mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_yaml_timestamp(self, node: Any) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            problem = f"{node.value} is not a real date ({exc})"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None


NestingLimited.add_constructor("tag:yaml.org,2002:timestamp", NestingLimited.construct_yaml_timestamp)


# PyYAML's reasons, as a moderator who edits a bank by hand reads them; the first that matches wins.
_YAML_PROBLEMS = (
    ("'\\t'", "a tab is used to indent; indent with spaces"),
    ("<stream end>", "the file ends where a value was expected (a list or field left unfinished)"),
    ("end of stream", "a quote is opened and never closed"),
    ("mapping values are not allowed", "a colon is where a value should be; put text with a colon in quotes"),
    ("could not find expected ':'", "a field has no colon after its name"),
    ("expected <block end>", "this line is not indented like the lines above it"),
    ("did not find expected", "this line is not indented like the lines above it"),
    ("found duplicate anchor", "an anchor (&name) is used twice"),
    ("undefined alias", "an alias (*name) names no anchor"),
)


def yaml_problem(reason: str) -> str:
    """PyYAML's reason for refusing a file ("expected the node content, but found '<stream end>'") in
    plain words ("the file ends where a value was expected"); its own words only when none fits."""
    return next((plain for key, plain in _YAML_PROBLEMS if key in reason), f"it cannot be read ({reason})")


def _from_yaml(text: str, catalog: Catalog) -> QuestionBank:
    try:
        # Parsed once: the node tree (for line numbers) and the data built from it, as the content
        # loader does; composing and then loading again took twice as long (16 s for a megabyte).
        loader = NestingLimited(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ImportRejected(
            [f"line {mark.line + 1 if mark else 1}: not valid YAML: {yaml_problem(str(getattr(exc, 'problem', exc)))}"]
        ) from None
    if not isinstance(data, dict):
        raise ImportRejected(
            ["line 1: a question bank starts with exam: and questions:, or is a CSV with a header row"]
        )

    def where(index: int | None, loc: tuple[Any, ...]) -> str:
        if index is None:
            return f"line {line_of(node, loc) or 1}"
        return f"line {line_of(node, ('questions', index, *loc)) or 1}, question {index + 1}"

    problems = [
        f"line {line_of(node, (key,)) or 1}: {key} is not a field of a bank (it has exam and questions)"
        for key in data
        if key not in ("exam", "questions")
    ]
    return _validate(data.get("exam"), data.get("questions"), catalog, where, problems)


def _from_csv(text: str, catalog: Catalog, today: dt.date) -> QuestionBank:
    """One question per row: exam,id,domain,difficulty,type,choose,stem,option_a…option_f,
    explanation_a…explanation_f,correct (letters, "A" or "A C"),links (space-separated).

    Rows are counted as a spreadsheet shows them: the header is row 1, the first question row 2."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().casefold() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in (*CSV_COLUMNS, "option_a", "explanation_a") if c not in header]
    if missing:
        raise ImportRejected([f"row 1: missing {'column' if len(missing) == 1 else 'columns'}: {', '.join(missing)}"])
    problems: list[str] = []
    quiet: dict[int, str] = {}
    bank_exam = ""
    questions: list[dict[str, Any]] = []
    for index, record in enumerate(reader):
        row = f"row {index + 2}"
        get = {k: (v or "").strip() for k, v in record.items() if isinstance(k, str)}
        exam = get.get("exam", "").upper()
        if not exam:
            problems.append(f"{row}: exam is empty: name the exam, like SAA-C03")
        elif not bank_exam:
            bank_exam = exam
        elif exam != bank_exam:
            problems.append(f"{row}: this row is for {exam}, the rows above for {bank_exam}; import one exam at a time")
        options = []
        present: list[str] = []
        for letter in LETTERS:
            option_text = get.get(f"option_{letter.casefold()}", "")
            explanation = get.get(f"explanation_{letter.casefold()}", "")
            if not option_text:
                if explanation:
                    problems.append(f"{row}: explanation_{letter.casefold()} has no option_{letter.casefold()}")
                continue
            present.append(letter)
            options.append({"text": option_text, "correct": False, "explanation": explanation})
        kind = get.get("type") or "single"
        correct = get.get("correct", "").upper().replace(",", " ").split()
        for letter in correct:
            if letter in present:
                options[present.index(letter)]["correct"] = True
            else:
                given = f"options {present[0]} to {present[-1]}" if present else "no options"
                problems.append(f"{row}: correct: {letter} is not an option of this row (it has {given})")
                quiet[index] = "correct"
        if not correct and kind in ("single", "multiple"):
            problems.append(f"{row}: correct is empty: give the letter of the right option, like A")
            quiet[index] = "correct"
        try:
            choose = int(get.get("choose") or 1)
        except ValueError:
            problems.append(f"{row}: choose must be a whole number, not {_shown(get.get('choose'))}")
            choose = 1
        questions.append(
            {
                "id": get.get("id", ""),
                "domain": get.get("domain", ""),
                "difficulty": get.get("difficulty", ""),
                "type": kind,
                "choose": choose,
                "stem": get.get("stem", ""),
                "options": options,
                "links": get.get("links", "").split(),
                "written_for": bank_exam or exam,
                "checked": (get.get("checked") or today.isoformat()),
            }
        )
    if not questions:
        raise ImportRejected(["row 2: the CSV has a header but no questions"])

    def where(index: int | None, loc: tuple[Any, ...]) -> str:
        return f"row {2 if index is None else index + 2}"

    return _validate(bank_exam, questions, catalog, where, problems, quiet)


async def store_bank(
    conn: AsyncConnection, place: Place, bank: QuestionBank, mode: Mode, by: str, now: dt.datetime
) -> ImportResult:
    """Write a validated bank; the caller's transaction makes it all or nothing."""
    scope = (
        (workspace_questions.c.platform == place.platform)
        & (workspace_questions.c.workspace == place.workspace)
        & (workspace_questions.c.exam == bank.exam)
    )
    removed = 0
    if mode == "replace":
        removed = (await conn.execute(delete(workspace_questions).where(scope))).rowcount or 0
    stored = await conn.execute(
        select(
            workspace_questions.c.question_id,
            workspace_questions.c.exam,
            workspace_questions.c.domain,
            workspace_questions.c.difficulty,
            workspace_questions.c.body,
        ).where(
            (workspace_questions.c.platform == place.platform) & (workspace_questions.c.workspace == place.workspace)
        )
    )
    existing = {row.question_id: (row.exam, row.domain, row.difficulty, row.body) for row in stored}
    added = updated = unchanged = 0
    for q in bank.questions:
        values = {
            "exam": bank.exam,
            "domain": q.domain,
            "difficulty": q.difficulty,
            "body": json.dumps(q.model_dump(mode="json"), ensure_ascii=False),
            "imported_at": now,
            "imported_by": by[:200],
        }
        if existing.get(q.id) == (values["exam"], values["domain"], values["difficulty"], values["body"]):
            unchanged += 1  # the same question again: its import time and author stay as they were
        elif q.id in existing:
            await conn.execute(
                update(workspace_questions)
                .where(
                    (workspace_questions.c.platform == place.platform)
                    & (workspace_questions.c.workspace == place.workspace)
                    & (workspace_questions.c.question_id == q.id)
                )
                .values(**values)
            )
            updated += 1
        else:
            await conn.execute(
                insert(workspace_questions).values(
                    platform=place.platform, workspace=place.workspace, question_id=q.id, **values
                )
            )
            added += 1
    total = (await conn.execute(select(func.count()).select_from(workspace_questions).where(scope))).scalar_one()
    return ImportResult(bank.exam, mode, added, updated, removed, int(total), unchanged)


async def import_text(settings: Settings, text: str, platform: str, workspace: str, mode: Mode) -> ImportResult:
    """`studybot content import`: validate, migrate the database if needed, import in one transaction."""
    from bot.store import create_engine, upgrade

    catalog = load_catalog(settings.content_dir)
    now = dt.datetime.now(dt.UTC)
    bank = parse_bank(text, catalog, today=now.date())
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            return await store_bank(conn, Place(platform, workspace), bank, mode, "studybot content import", now)
    finally:
        await engine.dispose()
