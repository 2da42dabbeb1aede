"""Loading `content/` with errors that name the file and line, for `studybot content check`.

Every file is parsed to a YAML node tree first, so that a pydantic error's location (for example
`questions → 3 → options → 1 → explanation`) can be turned back into the line a contributor edits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.catalog.models import AskConfig, Exam, FaqEntry, FaqFile, Question, QuestionBank
from bot.errors import ContentError

M = TypeVar("M", bound=BaseModel)


def default_content_dir() -> Path:
    """`content/` beside the source tree, or the copy a wheel carries inside the package."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_content", package.parent / "content"):
        if (candidate / "exams").is_dir():
            return candidate
    raise ContentError([f"no content folder found near {package.name}/; set STUDYBOT_CONTENT_DIR"])


@dataclass(frozen=True)
class Catalog:
    """Everything in `content/`, validated and cross-checked."""

    root: Path
    exams: dict[str, Exam]
    faq: tuple[FaqEntry, ...]
    questions: dict[str, tuple[Question, ...]]
    ask: AskConfig
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def current_exams(self) -> list[Exam]:
        return [e for e in self.exams.values() if e.status == "current"]

    def exam(self, code: str) -> Exam | None:
        return self.exams.get(code.upper())

    def question(self, question_id: str) -> Question | None:
        for bank in self.questions.values():
            for q in bank:
                if q.id == question_id:
                    return q
        return None


class _Problems:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.items: list[str] = []

    def add(self, path: Path, line: int | None, message: str) -> None:
        where = path.relative_to(self.root) if path.is_relative_to(self.root) else path
        self.items.append(f"{where}:{line or 1}: {message}")


def _line_of(node: yaml.Node | None, loc: Iterable[Any]) -> int | None:
    if node is None:
        return None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
            if match is None:
                break
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            node = node.value[key]
        else:
            break
    return node.start_mark.line + 1


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed: several times faster


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """Parse once, keeping the node tree (for line numbers) and the plain data built from it."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data


def _load(path: Path, model: type[M], problems: _Problems) -> tuple[M | None, yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
        node, data = _parse(text)
    except UnicodeDecodeError:
        problems.add(path, None, "not UTF-8 text")
        return None, None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.add(path, mark.line + 1 if mark else None, f"not valid YAML: {getattr(exc, 'problem', exc)}")
        return None, None
    if data is None:
        problems.add(path, 1, "the file is empty")
        return None, node
    try:
        return model.model_validate(data), node
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            shown = " → ".join(str(p) for p in loc) or "file"
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown field (check the spelling against the schema)"
            problems.add(path, _line_of(node, loc), f"{shown}: {message}")
        return None, node


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.yaml") if p.is_file()) if folder.is_dir() else []


def load_catalog(root: Path | None = None, *, extra_loaders: Iterable[ExtraLoader] = ()) -> Catalog:
    """Load and cross-check all content.

    Raises:
        ContentError: with every problem found, each as `file:line: message`.
    """
    root = (root or default_content_dir()).resolve()
    problems = _Problems(root)
    exams: dict[str, Exam] = {}
    exam_nodes: dict[str, tuple[Path, yaml.Node | None]] = {}
    for path in _files(root / "exams"):
        exam, node = _load(path, Exam, problems)
        if exam is None:
            continue
        if path.stem != exam.code:
            problems.add(path, _line_of(node, ("code",)), f"file name must be {exam.code}.yaml")
        if exam.code in exams:
            problems.add(path, _line_of(node, ("code",)), f"exam {exam.code} is defined twice")
        exams[exam.code] = exam
        exam_nodes[exam.code] = (path, node)
    if not exams:
        problems.add(root / "exams", None, "no exams found")

    aliases: dict[str, str] = {}
    for code, exam in exams.items():
        path, node = exam_nodes[code]
        for ref_field, refs in (("replaces", exam.replaces), ("replaced_by", (exam.replaced_by,))):
            for ref in refs:
                if ref is not None and ref not in exams:
                    problems.add(path, _line_of(node, (ref_field,)), f"{ref_field} names unknown exam {ref}")
        for alias in exam.aliases:
            key = alias.casefold()
            if key in aliases and aliases[key] != code:
                problems.add(path, _line_of(node, ("aliases",)), f"alias {alias!r} also belongs to {aliases[key]}")
            aliases[key] = code

    faq: list[FaqEntry] = []
    seen_faq: dict[str, Path] = {}
    for path in _files(root / "faq"):
        faq_file, node = _load(path, FaqFile, problems)
        if faq_file is None:
            continue
        for index, entry in enumerate(faq_file.entries):
            if entry.id in seen_faq:
                problems.add(path, _line_of(node, ("entries", index, "id")), f"FAQ id {entry.id} is used twice")
            seen_faq[entry.id] = path
            for code in entry.exams:
                if code not in exams:
                    problems.add(path, _line_of(node, ("entries", index, "exams")), f"unknown exam {code}")
            faq.append(entry)

    questions: dict[str, tuple[Question, ...]] = {}
    seen_q: set[str] = set()
    for path in _files(root / "questions"):
        bank, node = _load(path, QuestionBank, problems)
        if bank is None:
            continue
        check_bank(bank, exams, seen_q, _bank_reporter(problems, path, node))
        if path.stem != bank.exam:
            problems.add(path, _line_of(node, ("exam",)), f"file name must be {bank.exam}.yaml")
        questions[bank.exam] = bank.questions

    ask: AskConfig | None = None
    ask_path = root / "ask.yaml"
    if ask_path.is_file():
        ask, ask_node = _load(ask_path, AskConfig, problems)
        if ask is not None:
            _check_ask(ask, ask_node, ask_path, set(seen_faq), problems)
    else:
        problems.add(ask_path, None, "missing: /ask needs its intents and synonyms")

    extra: dict[str, Any] = {}
    for loader in extra_loaders:
        extra[loader.name] = loader.load(root, exams, problems.add)

    if problems.items or ask is None:
        raise ContentError(problems.items)
    return Catalog(root=root, exams=exams, faq=tuple(faq), questions=questions, ask=ask, extra=extra)


def _bank_reporter(problems: _Problems, path: Path, node: yaml.Node | None) -> Callable[[int, str, str], None]:
    def report(index: int, field_name: str, message: str) -> None:
        problems.add(path, _line_of(node, ("questions", index, field_name)), message)

    return report


class QuestionLike(Protocol):
    """What the cross-checks read of a question: a validated `Question`, or an import's raw row."""

    @property
    def id(self) -> str: ...
    @property
    def domain(self) -> str: ...
    @property
    def written_for(self) -> str: ...


class BankLike(Protocol):
    @property
    def exam(self) -> str: ...
    @property
    def questions(self) -> Sequence[QuestionLike]: ...


def check_bank(
    bank: BankLike,
    exams: dict[str, Exam],
    seen: set[str],
    report: Callable[[int, str, str], None],
) -> None:
    """Cross-checks a question bank against the catalog; shared by content check and imports.

    It reads only ids, domains and `written_for`, so an import can check the questions that failed
    their own validation too, and it goes on past an unknown exam: every problem in one pass.
    """
    exam = exams.get(bank.exam)
    if exam is None:
        report(0, "exam", f"unknown exam {bank.exam}")
    elif exam.status != "current":
        report(0, "exam", f"{bank.exam} is retired; write questions for {exam.replaced_by or 'a current exam'}")
    for index, q in enumerate(bank.questions):
        if q.id in seen:
            report(index, "id", f"question id {q.id} is used twice")
        seen.add(q.id)
        if exam is not None and exam.domain(q.domain) is None:
            names = "; ".join(d.name for d in exam.domains)
            report(index, "domain", f"{q.domain!r} is not a domain of {exam.code} ({names})")
        if q.written_for != bank.exam:
            report(index, "written_for", f"written_for {q.written_for} differs from the bank's exam {bank.exam}")


@dataclass(frozen=True)
class ExtraLoader:
    """A feature's own content folder (study paths, …), loaded and checked with the rest."""

    name: str
    load: Callable[[Path, dict[str, Exam], Callable[[Path, int | None, str], None]], Any]


def _check_ask(ask: AskConfig, node: yaml.Node | None, path: Path, faq_ids: set[str], problems: _Problems) -> None:
    """Every FAQ entry that content/ask.yaml names must exist, or `/ask` would answer with nothing."""
    for index, intent in enumerate(ask.intents):
        if intent.faq is not None and intent.faq not in faq_ids:
            problems.add(
                path, _line_of(node, ("intents", index, "faq")), f"intent {intent.id}: unknown FAQ {intent.faq}"
            )
        for prefix in intent.faq_pool:
            if not any(i.startswith(prefix) for i in faq_ids):
                problems.add(
                    path,
                    _line_of(node, ("intents", index, "faq_pool")),
                    f"intent {intent.id}: no FAQ id starts {prefix}",
                )
    if ask.screens is not None:
        for wanted in ask.screens.suggestions:
            if wanted not in faq_ids:
                problems.add(path, _line_of(node, ("screens", "suggestions")), f"suggestion names unknown FAQ {wanted}")
