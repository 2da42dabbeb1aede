"""Schemas for everything in `content/`.

The content is data that contributors edit by hand, so every model forbids unknown fields (a typo in a
key must fail `studybot content check`, not silently drop a fact) and is frozen once loaded.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Level = Literal["foundational", "associate", "professional", "specialty"]
Status = Literal["current", "retired"]
Difficulty = Literal["easy", "medium", "hard"]
QuestionType = Literal["single", "multiple", "ordering", "matching"]
"""single/multiple pick options; ordering puts every option in sequence; matching pairs each option with a match."""

EXAM_CODE = re.compile(r"^[A-Z]{3}-C\d{2}$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class Strict(BaseModel):
    """Base for content models: unknown keys are errors and loaded values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Source(Strict):
    """Where a fact or an answer comes from, shown to members beside the answer."""

    title: str = Field(min_length=3)
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("source urls must start with https://")
        return value


class QuestionCount(Strict):
    total: int = Field(gt=0)
    scored: int = Field(gt=0)
    unscored: int = Field(ge=0)

    @model_validator(mode="after")
    def _adds_up(self) -> QuestionCount:
        if self.scored + self.unscored != self.total:
            raise ValueError(f"scored ({self.scored}) + unscored ({self.unscored}) must equal total ({self.total})")
        return self


class Domain(Strict):
    name: str = Field(min_length=3)
    weight: int = Field(gt=0, le=100)


class Exam(Strict):
    """One AWS certification exam, current or retired, with the facts `/cert` and `/ask` state."""

    code: str
    name: str = Field(min_length=5)
    short_name: str = Field(min_length=3)
    level: Level
    status: Status
    available_from: dt.date | None = None
    retired_on: dt.date | None = None
    replaces: tuple[str, ...] = ()
    replaced_by: str | None = None
    questions: QuestionCount | None = None
    duration_minutes: int | None = Field(default=None, gt=0)
    price_usd: int | None = Field(default=None, gt=0)
    passing_score: int | None = Field(default=None, ge=100, le=1000)
    question_types: tuple[str, ...] = ()
    recommended_experience: str | None = None
    domains: tuple[Domain, ...] = ()
    validity_years: int = 3
    renewal: str = Field(min_length=10)
    exam_guide_url: str | None = None
    aliases: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    """Languages the exam is offered in, where a source confirms the list for this exam."""
    date_precision: dict[Literal["available_from", "retired_on"], Literal["month", "year"]] = Field(
        default_factory=dict
    )
    """A date known only to the month or year is stored as its first day and shown as "September 2023"."""
    uncertain: dict[str, str] = Field(default_factory=dict)
    notes: str | None = None
    sources: tuple[Source, ...] = Field(min_length=1)
    reviewed: dt.date

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not EXAM_CODE.match(value):
            raise ValueError(f"exam code {value!r} must look like SAA-C03")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Exam:
        if self.domains and sum(d.weight for d in self.domains) != 100:
            total = sum(d.weight for d in self.domains)
            raise ValueError(f"domain weights of {self.code} sum to {total}, not 100")
        if self.status == "retired" and self.retired_on is None:
            raise ValueError(f"{self.code} is retired but has no retired_on date")
        if self.status == "current" and self.retired_on is not None:
            raise ValueError(f"{self.code} is current but has a retired_on date")
        if self.status == "current" and not self.domains:
            raise ValueError(f"current exam {self.code} needs its exam-guide domains")
        for dated, precision in self.date_precision.items():
            day = getattr(self, dated)
            if day is None:
                raise ValueError(f"date_precision names {dated}, which {self.code} does not set")
            if day.day != 1 or (precision == "year" and day.month != 1):
                raise ValueError(f"{dated} of {self.code} is known to the {precision} only: store the first day")
        known = set(type(self).model_fields)
        for key in self.uncertain:
            if key not in known:
                raise ValueError(f"uncertain names {key!r}, which is not a field of an exam")
        return self

    def domain(self, name: str) -> Domain | None:
        """The domain called `name`, compared without case."""
        wanted = name.casefold()
        return next((d for d in self.domains if d.name.casefold() == wanted), None)


class FaqEntry(Strict):
    """One advice answer, found by `/ask` through its question and the phrasings people type."""

    id: str
    question: str = Field(min_length=8)
    phrasings: tuple[str, ...] = Field(min_length=2)
    answer: str = Field(min_length=20)
    sources: tuple[Source, ...] = Field(min_length=1)
    exams: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(f"FAQ id {value!r} must be lower-case words joined by hyphens")
        return value


class FaqFile(Strict):
    topic: str
    entries: tuple[FaqEntry, ...] = Field(min_length=1)


class Option(Strict):
    """One option; in an ordering question the options are written in their correct order, and in a
    matching question each option carries the `match` it pairs with."""

    text: str = Field(min_length=1, max_length=400)
    correct: bool = False
    match: str | None = Field(default=None, min_length=1, max_length=150)
    explanation: str = Field(min_length=10)


class Question(Strict):
    """One original practice question; every option explains itself so a wrong answer teaches."""

    id: str
    domain: str
    difficulty: Difficulty
    type: QuestionType = "single"
    choose: int = 1
    stem: str = Field(min_length=20)
    options: tuple[Option, ...] = Field(min_length=3, max_length=6)
    links: tuple[str, ...] = Field(min_length=1)
    written_for: str
    checked: dt.date
    checked_by: str | None = Field(default=None, min_length=2, max_length=80)
    """Who answered the question blind and then checked its key, explanations and links (not its author)."""

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(f"question id {value!r} must be lower-case words joined by hyphens")
        return value

    @field_validator("links")
    @classmethod
    def _aws_docs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            if not url.startswith("https://"):
                raise ValueError(f"link {url!r} must start with https://")
        return value

    @model_validator(mode="after")
    def _answer_shape(self) -> Question:
        correct = sum(1 for o in self.options if o.correct)
        if self.type in ("ordering", "matching"):
            self._sequence_shape(correct)
            return self
        if len(self.options) < 4:
            raise ValueError(f"question {self.id} needs at least 4 options")
        if any(o.match is not None for o in self.options):
            raise ValueError(f"question {self.id} is {self.type}: only matching options have a match")
        if self.type == "single" and (correct != 1 or self.choose != 1):
            raise ValueError(f"single-answer question {self.id} needs exactly one correct option")
        if self.type == "multiple":
            if self.choose < 2:
                raise ValueError(f"multiple-response question {self.id} needs choose: 2 or more")
            if correct != self.choose:
                raise ValueError(f"question {self.id} says choose {self.choose} but marks {correct} correct")
        if len({o.text.casefold() for o in self.options}) != len(self.options):
            raise ValueError(f"question {self.id} repeats an option")
        return self

    def _sequence_shape(self, correct: int) -> None:
        """Ordering and matching are graded all or nothing over every option, so none is marked correct."""
        if correct or self.choose != 1:
            raise ValueError(f"{self.type} question {self.id} marks no option correct and has no choose")
        if len({o.text.casefold() for o in self.options}) != len(self.options):
            raise ValueError(f"question {self.id} repeats an option")
        matches = [o.match for o in self.options]
        if self.type == "ordering" and any(m is not None for m in matches):
            raise ValueError(f"ordering question {self.id}: options are steps in order and have no match")
        if self.type == "matching":
            if any(m is None for m in matches):
                raise ValueError(f"matching question {self.id}: every option needs a match")
            if len({m.casefold() for m in matches if m}) != len(matches):
                raise ValueError(f"matching question {self.id} uses a match twice")

    @property
    def correct_indexes(self) -> tuple[int, ...]:
        """Single/multiple: the correct options. Ordering: every option, in order. Matching: every option."""
        if self.type in ("ordering", "matching"):
            return tuple(range(len(self.options)))
        return tuple(i for i, o in enumerate(self.options) if o.correct)


class QuestionBank(Strict):
    exam: str
    questions: tuple[Question, ...] = Field(min_length=1)


def _compiles(value: tuple[str, ...], what: str) -> tuple[str, ...]:
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{what} pattern {pattern!r} is not a regular expression: {exc}") from None
    return value


FactField = Literal[
    "price",
    "duration",
    "questions",
    "passing_score",
    "question_types",
    "domains",
    "validity",
    "renewal",
    "prerequisites",
    "code",
    "status",
    "history",
    "languages",
]
"""The catalog facts `bot.catalog.facts.fact` knows how to say."""

Planner = Literal["next", "hours", "role"]
"""What the path planner answers: what comes next with an exam held, study hours, or a role's path."""

Shape = Literal["compare", "difficulty", "advice"]
"""Questions answered by arrangement rather than one source: side by side, by level, or from advice."""


class FactIntent(Strict):
    field: FactField
    phrases: tuple[str, ...] = Field(min_length=1)


class AskIntent(Strict):
    """One thing a question can ask, recognised by patterns and answered from the source that holds it.

    Patterns are regular expressions over the normalised question (lower case, punctuation as spaces,
    apostrophes dropped). Intents are tried in file order and the text a pattern matched is hidden from
    the intents after it, so a specific reading ("how long do I wait after failing") is listed before a
    general one ("how long") and wins. `unless` patterns veto the intent wherever they match.
    """

    id: str
    patterns: tuple[str, ...] = Field(min_length=1)
    unless: tuple[str, ...] = ()
    fact: FactField | None = None
    faq: str | None = None
    planner: Planner | None = None
    shape: Shape | None = None
    faq_pool: tuple[str, ...] = ()
    """For advice: the FAQ entries (id prefixes) the answer is chosen from by BM25."""
    certain: bool = False
    """A match alone shows the question is about certifications ("retake", "ESL"), even with no exam named."""

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(f"intent id {value!r} must be lower-case words joined by hyphens")
        return value

    @field_validator("patterns", "unless")
    @classmethod
    def _regexes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _compiles(value, "intent")

    @model_validator(mode="after")
    def _one_source(self) -> AskIntent:
        # A fact or planner intent may also name an FAQ entry: the answer when no exam or level is named.
        faq = self.faq if self.fact is None and self.planner is None else None
        sources = [s for s in (self.fact, faq, self.planner, self.shape) if s is not None]
        if len(sources) != 1:
            raise ValueError(f"intent {self.id} needs exactly one of fact, faq, planner or shape")
        if self.faq_pool and self.shape != "advice":
            raise ValueError(f"intent {self.id}: faq_pool is only for shape: advice")
        return self


class Screens(Strict):
    """Words that tell a certification question from everything else, for declining well.

    `cert_words` mark a question as about certifications whatever else it says; `study_words` are weaker
    (a study question need not name an exam); `technical` patterns mark general AWS how-to questions;
    `off_topic` patterns mark everyday topics; `other_vendors` name other certification bodies and their
    exams; `unknowable` patterns mark questions nobody can answer from published facts (pass rates,
    predictions, what other candidates scored); `foreign_words` are common words of other languages, for
    replying that /ask reads English.
    """

    cert_words: tuple[str, ...] = Field(min_length=1)
    study_words: tuple[str, ...] = ()
    technical: tuple[str, ...] = ()
    off_topic: tuple[str, ...] = ()
    other_vendors: tuple[str, ...] = ()
    unknowable: tuple[str, ...] = ()
    foreign_words: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    """FAQ ids offered as buttons when a question is declined as out of scope."""
    how_to: tuple[str, ...] = ()
    """Requests to build, fix or explain something: with a `technical` service named (the first pattern),
    a general AWS question even when it names an exam ("studying for SAA, walk me through VPC peering")."""
    plainly_technical: tuple[str, ...] = ()
    """Technical senses of certification words ("renew an SSL certificate", "register domains")."""
    plainly_off_topic: tuple[str, ...] = ()
    """Everyday senses of certification words, or a question that says it is off topic."""

    @field_validator(
        "technical", "off_topic", "other_vendors", "unknowable", "how_to", "plainly_technical", "plainly_off_topic"
    )
    @classmethod
    def _regexes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _compiles(value, "screen")


class AskConfig(Strict):
    """How `/ask` reads questions: intents, synonyms and what it refuses; see content/ask.yaml."""

    fact_intents: tuple[FactIntent, ...] = Field(min_length=1)
    intents: tuple[AskIntent, ...] = ()
    screens: Screens | None = None
    synonyms: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    decline_terms: tuple[str, ...] = ()
    foreign_codes: tuple[str, ...] = ()

    @field_validator("foreign_codes")
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _compiles(value, "foreign code")

    @model_validator(mode="after")
    def _unique(self) -> AskConfig:
        seen: set[str] = set()
        for intent in self.intents:
            if intent.id in seen:
                raise ValueError(f"intent {intent.id} is defined twice")
            seen.add(intent.id)
        return self
