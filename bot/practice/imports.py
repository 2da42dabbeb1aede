"""A workspace's own question bank: YAML (the `content/questions` format) or CSV, all or nothing.

The whole text is validated before anything is written, with the same rules as `studybot content
check` (`check_bank`), and every problem is reported with its line (YAML) or row (CSV). Then it is
imported in one transaction: "append" adds new questions and updates ones with the same id;
"replace" first removes the workspace's questions for that exam.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any, Literal

import yaml
from pydantic import ValidationError
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.catalog import Catalog, load_catalog
from bot.catalog.loader import _line_of as line_of  # the loader's YAML-node → line mapping, shared
from bot.catalog.loader import check_bank
from bot.catalog.models import QuestionBank
from bot.catalog.questions import Place
from bot.errors import UserError
from bot.practice.questions import LETTERS
from bot.settings import Settings
from bot.store.schema import workspace_questions
from bot.words import plural

Mode = Literal["append", "replace"]
MAX_ID = 40  # ids travel in answer buttons, which hold 100 characters in all
MAX_NESTING = 32  # levels of YAML lists and mappings in a bank import
CSV_COLUMNS = ("exam", "id", "domain", "difficulty", "type", "choose", "stem", "correct", "links")


class ImportRejected(UserError):
    """The bank did not validate; nothing was imported."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:20]
        more = f"\n…and {len(problems) - 20} more." if len(problems) > 20 else ""
        super().__init__(
            f"Nothing was imported: {plural(len(problems), 'problem')}.\n" + "\n".join(shown) + more,
            "Fix every row listed and import the whole file again.",
        )
        self.problems = problems


@dataclass(frozen=True, slots=True)
class ImportResult:
    exam: str
    mode: Mode
    added: int
    updated: int
    removed: int
    total: int

    def summary(self) -> str:
        if self.mode == "replace":
            return (
                f"Replaced this workspace's {self.exam} bank: removed {self.removed}, "
                f"imported {self.added + self.updated}; it now holds {plural(self.total, 'question')}."
            )
        return (
            f"Appended to this workspace's {self.exam} bank: {self.added} new, {self.updated} updated; "
            f"it now holds {plural(self.total, 'question')}."
        )


def parse_bank(text: str, catalog: Catalog, *, today: dt.date) -> QuestionBank:
    """Validate a bank from YAML or CSV text; raises ImportRejected listing every problem."""
    stripped = text.strip()
    if not stripped:
        raise ImportRejected(["the bank is empty"])
    first = stripped.splitlines()[0].casefold().replace(" ", "")
    if first.startswith("exam,") or first.startswith('"exam",'):
        return _from_csv(stripped, catalog, today)
    return _from_yaml(stripped, catalog)


def _validate(data: Any, catalog: Catalog, where: Any) -> QuestionBank:
    """`where(question index or None, field path)` names the line or row for a message."""
    problems: list[str] = []
    try:
        bank = QuestionBank.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown field"
            problems.append(f"{where(loc)}: {' → '.join(str(p) for p in loc) or 'bank'}: {message}")
        raise ImportRejected(problems) from None
    shipped = {q.id for bank_ in catalog.questions.values() for q in bank_}
    seen: set[str] = set()

    def report(index: int, field: str, message: str) -> None:
        problems.append(f"{where(('questions', index, field))}: {message}")

    for index, q in enumerate(bank.questions):
        if q.id in shipped:
            report(index, "id", f"question id {q.id} is already a shipped question; choose another id")
        if len(q.id) > MAX_ID:
            report(index, "id", f"question id {q.id} is longer than {MAX_ID} characters")
    check_bank(bank, catalog.exams, seen, report)
    if problems:
        raise ImportRejected(problems)
    return bank


class NestingLimited(yaml.SafeLoader):
    """SafeLoader that refuses YAML nested deeper than MAX_NESTING as a YAML error with its line.

    PyYAML composes nodes recursively, so `[[[[…]]]]` 1,500 deep would be a RecursionError (an internal
    error); a bank is about six levels deep.
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


def _from_yaml(text: str, catalog: Catalog) -> QuestionBank:
    try:
        node = yaml.compose(text, Loader=NestingLimited)
        data = yaml.load(text, Loader=NestingLimited)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ImportRejected(
            [f"line {mark.line + 1 if mark else 1}: not valid YAML: {getattr(exc, 'problem', exc)}"]
        ) from None
    if not isinstance(data, dict):
        raise ImportRejected(["line 1: expected `exam:` and `questions:`, or a CSV with a header row"])
    return _validate(data, catalog, lambda loc: f"line {line_of(node, loc) or 1}")


def _from_csv(text: str, catalog: Catalog, today: dt.date) -> QuestionBank:
    """One question per row: exam,id,domain,difficulty,type,choose,stem,option_a…option_f,
    explanation_a…explanation_f,correct (letters, "A" or "A C"),links (space-separated)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().casefold() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in (*CSV_COLUMNS, "option_a", "explanation_a") if c not in header]
    if missing:
        raise ImportRejected([f"row 1: missing {'column' if len(missing) == 1 else 'columns'}: {', '.join(missing)}"])
    problems: list[str] = []
    exams: set[str] = set()
    questions: list[dict[str, Any]] = []
    rows: list[int] = []
    for record in reader:
        row_number = reader.line_num
        get = {k: (v or "").strip() for k, v in record.items() if k is not None}
        exams.add(get.get("exam", ""))
        correct = set(get.get("correct", "").upper().replace(",", " ").split())
        options = []
        for letter in LETTERS:
            option_text = get.get(f"option_{letter.casefold()}", "")
            if not option_text:
                continue
            options.append(
                {
                    "text": option_text,
                    "correct": letter in correct,
                    "explanation": get.get(f"explanation_{letter.casefold()}", ""),
                }
            )
        try:
            choose = int(get.get("choose") or 1)
        except ValueError:
            problems.append(f"row {row_number}: choose must be a whole number")
            choose = 1
        questions.append(
            {
                "id": get.get("id", ""),
                "domain": get.get("domain", ""),
                "difficulty": get.get("difficulty", ""),
                "type": get.get("type") or "single",
                "choose": choose,
                "stem": get.get("stem", ""),
                "options": options,
                "links": get.get("links", "").split(),
                "written_for": get.get("exam", ""),
                "checked": (get.get("checked") or today.isoformat()),
            }
        )
        rows.append(row_number)
    if not questions:
        raise ImportRejected(["row 2: the CSV has a header but no questions"])
    if len(exams) != 1:
        problems.append(f"row 2: every row must name the same exam (found {', '.join(sorted(exams))})")
    if problems:
        raise ImportRejected(problems)

    def where(loc: tuple[Any, ...]) -> str:
        if len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int) and loc[1] < len(rows):
            return f"row {rows[loc[1]]}"
        return "row 2"

    return _validate({"exam": exams.pop(), "questions": questions}, catalog, where)


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
    existing = set(
        (
            await conn.execute(
                select(workspace_questions.c.question_id).where(
                    (workspace_questions.c.platform == place.platform)
                    & (workspace_questions.c.workspace == place.workspace)
                )
            )
        ).scalars()
    )
    added = updated = 0
    for q in bank.questions:
        values = {
            "exam": bank.exam,
            "domain": q.domain,
            "difficulty": q.difficulty,
            "body": json.dumps(q.model_dump(mode="json"), ensure_ascii=False),
            "imported_at": now,
            "imported_by": by[:200],
        }
        if q.id in existing:
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
    return ImportResult(bank.exam, mode, added, updated, removed, int(total))


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
