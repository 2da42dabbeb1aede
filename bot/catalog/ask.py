"""Answering free-text certification questions, honestly.

The order of decisions matters and each step can decline:
1. refusals (exam dumps) and other vendors' exam codes;
2. exams that do not exist ("SAA-C04", "AWS Kubernetes Professional"), which are never answered as real;
3. ranked retrieval over fact intents (answered from the named exam's catalog entry) and FAQ entries;
4. nothing scored well enough: say so, and offer the closest topics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.catalog.facts import caveats, fact, heading, source_line
from bot.catalog.loader import Catalog
from bot.catalog.models import Exam, FaqEntry
from bot.catalog.search import ExamResolver, Hit, Retriever, find_mentions, normalize
from bot.markup import code, esc, link

# BM25 scores below this are noise: a shared common word, not a match. Tuned on the evaluation set
# in tests/eval and checked there against off-topic questions.
MIN_SCORE = 2.0
# With an exam named, a single matching word ("saa domains", "dva cost") is enough to pick its fact.
MIN_FACT_SCORE = 0.8
# An exam fact beats an FAQ entry unless the entry is clearly the better match.
FAQ_MARGIN = 2.0
# Other fact intents asked in the same question ("how many questions and how long").
SECOND_INTENT = 0.55


@dataclass(frozen=True)
class Answer:
    """What `/ask` found; `declined` is True when it did not answer the question as asked."""

    title: str
    text: str
    sources: tuple[str, ...] = ()
    declined: bool = False
    suggestions: tuple[FaqEntry, ...] = ()
    exam: Exam | None = None
    intents: tuple[str, ...] = ()
    faq: FaqEntry | None = None
    notes: tuple[str, ...] = field(default=())


class AskEngine:
    """Built once per catalog; `answer` is pure and fast (no I/O)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.resolver = ExamResolver(catalog.exams.values())
        self.retriever = Retriever(catalog)
        self._decline = [normalize(t) for t in catalog.ask.decline_terms]
        self._foreign = [re.compile(p) for p in catalog.ask.foreign_codes]
        self._known_words = frozenset(self.retriever.words)

    def answer(self, question: str) -> Answer:
        norm = normalize(question)
        padded = f" {norm} "
        if any(f" {term} " in padded for term in self._decline):
            return Answer(
                "I won't help with that",
                "studybot does not share or look for exam dumps: using real exam questions breaks the AWS "
                "Certification agreement and can cost you your certifications. Try `/practice` for original "
                "questions with every option explained.",
                declined=True,
            )
        if any(p.search(question.casefold()) for p in self._foreign):
            return Answer(
                "Not an AWS exam",
                "That looks like another vendor's exam code. studybot knows AWS certifications only; "
                "`/cert` lists them.",
                declined=True,
            )
        mentions = find_mentions(self.resolver, question, self._known_words)
        if mentions.unknown:
            return self._unknown_exam(mentions.unknown[0], mentions.exams)

        exam_words = {
            w for e in mentions.exams for key, c in self.resolver.names.items() if c == e.code for w in key.split()
        }
        hits = self.retriever.rank(question, drop=exam_words, limit=8)
        exam = mentions.exams[0] if mentions.exams else None
        facts = [h for h in hits if h.intent is not None]
        faqs = [h for h in hits if h.faq is not None]
        best_fact = facts[0] if facts and exam is not None else None
        best_faq = faqs[0] if faqs else None
        if exam is not None and best_faq is not None and exam.code in best_faq.faq.exams:  # type: ignore[union-attr]
            best_faq = Hit(best_faq.score * 1.15, faq=best_faq.faq)

        if best_fact is not None and best_fact.score >= MIN_FACT_SCORE:
            faq_wins = best_faq is not None and best_faq.score >= max(MIN_SCORE, best_fact.score * FAQ_MARGIN)
            if exam is not None and exam.status == "retired" and best_faq is not None:
                faq_wins = faq_wins and exam.code in best_faq.faq.exams  # type: ignore[union-attr]
            if not faq_wins:
                assert exam is not None
                intents = [h.intent for h in facts if h.score >= best_fact.score * SECOND_INTENT][:3]
                return self._fact_answer(exam, [i for i in intents if i])
        if best_faq is not None and best_faq.score >= MIN_SCORE:
            return self.faq_answer(best_faq.faq)  # type: ignore[arg-type]
        if exam is not None and (not hits or exam.status == "retired"):
            # "saa?", "tell me about dva", or anything about a retired exam: the exam itself is the topic.
            return self._fact_answer(exam, ["status", "price", "duration", "passing_score"])
        return self._dont_know(faqs)

    def _fact_answer(self, exam: Exam, intents: list[str]) -> Answer:
        parts = [fact(exam, intent, self.catalog) for intent in intents]
        if exam.status == "retired" and "status" not in intents and "history" not in intents:
            parts.insert(0, fact(exam, "status", self.catalog))
        notes = caveats(exam, intents)
        return Answer(
            heading(exam),
            "\n\n".join([*parts, *notes]),
            sources=(source_line(exam),),
            exam=exam,
            intents=tuple(intents),
        )

    def faq_answer(self, entry: FaqEntry) -> Answer:
        sources = tuple(link(s.title, s.url) if s.url else esc(s.title) for s in entry.sources)
        return Answer(entry.question, entry.answer, sources=sources, faq=entry)

    def _unknown_exam(self, name: str, known: tuple[Exam, ...]) -> Answer:
        shown = name.upper() if re.fullmatch(r"[a-z]{3}-c\d{2}", name.casefold()) else name
        text = f"I don't know an AWS exam called {code(shown)}, so I won't guess at its facts."
        family = name.split("-")[0].lower() if "-" in name else ""
        relatives = [e for e in self.resolver.code_family_exists(family) if e.status == "current"] if family else []
        close = relatives or list(known) or list(self.resolver.resolve(name).candidates)
        if close:
            text += " Perhaps you mean " + ", ".join(f"{code(e.code)} ({esc(e.short_name)})" for e in close[:3]) + "?"
        text += " `/cert` lists every current exam."
        return Answer("No such exam", text, declined=True)

    def _dont_know(self, faqs: list[Hit]) -> Answer:
        suggestions = tuple(h.faq for h in faqs[:3] if h.faq is not None)
        text = (
            "I don't know the answer to that. I answer questions about AWS certifications: their facts "
            "(price, length, passing score, domains, validity, renewal) and how to choose and prepare for them."
        )
        if suggestions:
            text += " Were you asking about one of these?"
        return Answer("I don't know", text, declined=True, suggestions=suggestions)
