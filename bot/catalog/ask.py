"""Answering free-text certification questions, honestly.

The order of decisions matters and each step can decline:
1. refusals (exam dumps);
2. questions `/ask` should not answer: another language, other vendors' exams, general AWS technical
   questions and everyday topics get a short decline that says what `/ask` does know;
3. exams that do not exist ("SAA-C04", "AWS Kubernetes Professional"), which are never answered as real;
4. the question is read (`bot.catalog.reading`): what it asks, about which exams, levels and roles; each
   part is answered from the source that holds it (catalog facts, the path planner, the FAQ) and the
   parts are put together, side by side when two exams or levels are compared;
5. nothing was recognised: ranked retrieval over fact intents and FAQ entries, as before;
6. nothing scored well enough: say so, and offer the closest topics.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.catalog.facts import LEVEL_NAMES, brief, caveats, fact, heading, source_line, status_line
from bot.catalog.loader import Catalog
from bot.catalog.models import AskIntent, Exam, FaqEntry
from bot.catalog.reading import QuestionReader, Reading, Screen
from bot.catalog.search import ExamResolver, Hit, Retriever, find_mentions, normalize
from bot.markup import bold, bullets, code, esc, link
from bot.paths.context import PathContext
from bot.paths.planner import Person, current_version, make_plan
from bot.words import with_article

# BM25 scores below this are noise: a shared common word, not a match. Tuned on the evaluation set
# in tests/eval and checked there against off-topic questions.
MIN_SCORE = 2.0
# With an exam named, a single matching word ("saa domains", "dva cost") is enough to pick its fact.
MIN_FACT_SCORE = 0.8
# An exam fact beats an FAQ entry unless the entry is clearly the better match.
FAQ_MARGIN = 2.0
# Other fact intents asked in the same question ("how many questions and how long").
SECOND_INTENT = 0.55
# "cheapest", "shortest": a fact asked across every level when no exam or level is named.
_SUPERLATIVE = re.compile(r"\b(cheapest|least expensive|shortest|longest|easiest|hardest|lowest|highest)\b")
# Words that appear in many domain names and so say nothing about which domain is meant.
_GENERIC_DOMAIN_WORDS = frozenset(
    {"design", "designs", "solutions", "architectures", "cloud", "management", "implementation"}
)
# Words of a question about an exam's scope that say nothing about which topic is meant.
_SCOPE_WORDS = frozenset(
    "exam exams test tests tested testing cover covers covered include included includes topic topics domain "
    "domains scope content question questions about stuff things really actually still anymore does will much "
    "many what which there have need know guide just only also now new more less the and how any are was"
    " this that with from for not you your its".split()
)
# Verbs before the exam that does the renewing: "will passing SAP-C02 renew my ANS".
_TAKING = r"(pass|passing|passed|take|taking|sit|sitting|do|doing|get|getting|clear|clearing)"
# An exam code of a known family ("saa-c04"), and the words that ask whether such a version exists yet.
_VERSION_CODE = re.compile(r"([a-z]{3})-c\d{2}")
_EXISTENCE = re.compile(
    r"\b(yet|is there|are there|exists?|announced|released|came out|come out|out now|new version)\b"
)
NO_PREREQUISITES = (
    "No AWS exam has prerequisites: you can book any of them without holding another certification. "
    "The recommended experience is advice, not a requirement."
)
_LABELS = {
    "price": "Price",
    "duration": "Duration",
    "questions": "Questions",
    "passing_score": "Passing score",
    "question_types": "Question types",
    "domains": "Domains",
    "validity": "Valid for",
    "renewal": "Renewal",
    "prerequisites": "Recommended experience",
    "languages": "Languages",
    "status": "Status",
    "history": "Status",
    "code": "Status",
}


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


_MONTHS = (
    {name.casefold(): number for number, name in enumerate(calendar.month_name) if name}
    | {name.casefold(): number for number, name in enumerate(calendar.month_abbr) if name}
    | {"sept": 9}
)
_ISO_DAY = re.compile(r"\b(20\d\d)-(\d{1,2})-(\d{1,2})\b")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)? ([a-z]+),? (20\d\d)\b")
_MONTH_DAY = re.compile(r"\b([a-z]+) (\d{1,2})(?:st|nd|rd|th)?,? (20\d\d)\b")


def pass_date(question: str) -> dt.date | None:
    """A full date in the question ("2024-03-15", "15 March 2024", "march 15th, 2024"), for "when does
    mine expire"; None without one, or for a day that does not exist."""
    text = question.casefold()
    found: tuple[int, int, int] | None = None
    if (m := _ISO_DAY.search(text)) is not None:
        found = (int(m[1]), int(m[2]), int(m[3]))
    elif (m := _DAY_MONTH.search(text)) is not None and m[2] in _MONTHS:
        found = (int(m[3]), _MONTHS[m[2]], int(m[1]))
    elif (m := _MONTH_DAY.search(text)) is not None and m[1] in _MONTHS:
        found = (int(m[3]), _MONTHS[m[1]], int(m[2]))
    if found is None:
        return None
    try:
        return dt.date(*found)
    except ValueError:
        return None


def valid_until(exam: Exam, passed: dt.date) -> Answer:
    """ "Passed on 15 March 2024: valid until 15 March 2027", from the exam's validity (29 February
    passes run to 28 February)."""
    years = exam.validity_years
    try:
        until = passed.replace(year=passed.year + years)
    except ValueError:
        until = passed.replace(year=passed.year + years, day=28)
    text = (
        f"Passed on {passed.day} {passed:%B %Y}, {code(exam.code)} stays valid until "
        f"{bold(f'{until.day} {until:%B %Y}')} ({years} years), unless you renew it before then."
    )
    return Answer("Your dates", text, sources=(source_line(exam),), exam=exam)


_LINK = re.compile(r"\]\((https?://[^)\s]+)\)")


def distinct_sources(lines: Iterable[str]) -> tuple[str, ...]:
    """Each source once: a page cited by two parts under two labels keeps the first label only."""
    kept: list[str] = []
    linked: set[str] = set()
    for line in lines:
        urls = set(_LINK.findall(line))
        if line not in kept and not (urls and urls <= linked):
            kept.append(line)
            linked |= urls
    return tuple(kept)


class AskEngine:
    """Built once per catalog; `answer` is pure and fast (no I/O)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.resolver = ExamResolver(catalog.exams.values())
        self.retriever = Retriever(catalog)
        self._decline = [normalize(t) for t in catalog.ask.decline_terms]
        self._known_words = frozenset(self.retriever.words)
        self.paths = PathContext(catalog)
        self.reader = QuestionReader(catalog, self.resolver, self._known_words, self.paths.rules.role_names)
        self._faq_by_id = {entry.id: entry for entry in catalog.faq}
        screens = catalog.ask.screens
        self._starters = tuple(self._faq_by_id[i] for i in (screens.suggestions if screens else ()))

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
        reading = self.reader.read(question)
        if reading.screen is not None:
            return self._out_of_scope(reading.screen)
        if reading.unknown:
            return self._newer_version(reading, question) or self._unknown_exam(reading.unknown[0], reading.exams)
        if reading.intents:
            composed = self._compose(reading, question)
            if composed is not None:
                return composed
        if reading.exams and self._names_a_domain(reading, list(reading.exams[:1])):
            return self._fact_answer(reading.exams[0], ["domains"])  # "how heavy is monitoring on SOA-C03"
        mentions = find_mentions(self.resolver, question, self._known_words)

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

    # --- reading-based answers ---------------------------------------------------------------------

    def _out_of_scope(self, screen: Screen) -> Answer:
        knows = (
            "I answer questions about AWS certifications: exam facts (price, length, passing score, "
            "domains, validity), booking and exam-day rules, retakes, renewal, what to take next and "
            "whether a certification is worth it."
        )
        title, opening = {
            "foreign-language": ("English only, sorry", "I can only read questions in English."),
            "other-vendor": ("Not an AWS exam", "That sounds like another vendor's exam, and I only know AWS ones."),
            "unknowable": (
                "Nobody publishes that",
                "AWS does not publish pass rates, other candidates' results, salaries or its plans, so I cannot say.",
            ),
            "technical": ("Not a certification question", "That is a general AWS technical question."),
            "off-topic": ("Not something I know", "That is outside what I can help with."),
        }[screen]
        tail = (
            " For AWS how-to help, the AWS documentation and re:Post are the places to ask."
            if screen == "technical"
            else ""
        )
        text = f"{opening} {knows}{tail} Try one of these:"
        return Answer(title, text, declined=True, suggestions=self._starters)

    def _compose(self, reading: Reading, question: str) -> Answer | None:
        """Answer every part that was recognised, each from its own source; None to fall back to ranking."""
        intents = list(reading.intents)
        exams = list(reading.exams)[:3]
        shapes = {i.shape for i in intents if i.shape}
        facts = [i for i in intents if i.fact]
        if any(i.fact == "renewal" for i in facts) and "compare" not in shapes:
            if len(exams) >= 2 or self._higher_level_asked(exams, reading.asked_levels):
                return self._renewed_by(exams, reading)
        if len(exams) >= 2 or (not exams and len(reading.levels) >= 2 and (facts or shapes)):
            # Advice, a planner or a policy about several exams named ("did SAA, DVA and SOA, was it a
            # waste") is answered as such; only a comparison sets the exams side by side.
            asks_more = any(i.planner or i.shape == "advice" or (i.faq and not i.fact) for i in intents)
            weighed = {i.shape for i in intents if i.shape and not (i.id == "compare-loose" and asks_more)}
            if not asks_more or weighed & {"compare", "difficulty"}:
                sides = self._side_by_side(reading, exams, facts)
                # "Which is more respected by recruiters, SAA or SAP": the facts side by side, then the advice.
                advice = next((i for i in intents if i.shape == "advice"), None)
                counsel = self._advice(question, None, advice) if advice is not None else None
                return self._join([sides, counsel]) if counsel is not None else sides
        parts: list[Answer] = []
        used_facts: list[str] = []
        for intent in intents:
            part = self._part(intent, reading, exams, question, used_facts)
            if part is not None and all(part.title != p.title or part.text != p.text for p in parts):
                parts.append(part)
        if used_facts and exams:
            # A fact this exam's sheet lacks ("what languages is AIF-C01 in") is answered by the intent's
            # general FAQ entry when it has one, rather than abstaining on the whole question.
            missing = [f for f in used_facts if not self._known(exams[0], f)]
            general = [i.faq for i in intents if i.fact in missing and i.faq and exams[0].status == "current"]
            for faq_id in general:
                entry = self.faq_answer(self._faq_by_id[faq_id])
                if all(entry.title != p.title for p in parts):
                    parts.append(entry)
            kept = [f for f in used_facts if f not in missing or not general]
            if kept:
                parts.insert(0, self._fact_answer(exams[0], kept))
            if "domains" in kept:
                scope = self._scope_note(exams[0], reading)
                if scope is not None:
                    parts.insert(1, scope)
            passed = pass_date(question) if "validity" in kept or "renewal" in kept else None
            if passed is not None:
                parts.insert(1, valid_until(exams[0], passed))
        if not parts:
            return None
        return self._join(parts)

    def _part(
        self, intent: AskIntent, reading: Reading, exams: list[Exam], question: str, used_facts: list[str]
    ) -> Answer | None:
        exam = exams[0] if exams else None
        if intent.fact is not None:
            if exam is not None:
                if intent.fact not in used_facts:
                    used_facts.append(intent.fact)
                if intent.fact in ("status", "history"):
                    return self._faq_about(exam, question)
                return None
            if reading.levels or _SUPERLATIVE.search(normalize(question)):
                return self._level_summary(reading.levels, intent.fact)
            return self.faq_answer(self._faq_by_id[intent.faq]) if intent.faq else None
        if intent.faq is not None and intent.planner is None:
            return self.faq_answer(self._faq_by_id[intent.faq])
        if intent.planner == "next":
            if exam is not None:
                return self._next_after(exam, reading)
            # "Got certified, what next?" with no exam held named: the role's path, else the usual order
            # (only when nothing else was asked: "after the exam" is no question about what comes next).
            alone = len(reading.intents) == 1
            general = self.faq_answer(self._faq_by_id[intent.faq]) if intent.faq and alone else None
            return self._role_path(reading) or general
        if intent.planner == "hours":
            return self._study_hours(exam)
        if intent.planner == "role":
            return self._role_path(reading) or self._advice(question, exam, intent, reading.levels)
        if intent.shape == "advice":
            return self._advice(question, exam, intent, reading.levels)
        if intent.shape == "difficulty" and exam is not None:
            return self._side_by_side(reading, exams, [])
        return None

    def _join(self, parts: list[Answer]) -> Answer:
        if len(parts) == 1:
            return parts[0]
        first = parts[0]
        texts = [first.text] + [f"{bold(p.title)}\n{p.text}" for p in parts[1:]]
        sources = distinct_sources(line for part in parts for line in part.sources)
        return Answer(
            first.title,
            "\n\n".join(texts),
            sources=sources,
            exam=first.exam,
            intents=tuple(i for p in parts for i in p.intents),
            faq=first.faq,
        )

    def _faq_about(self, exam: Exam, question: str) -> Answer | None:
        """An FAQ entry written about this exam's history, when the question matches it well."""
        for hit in self.retriever.rank(question, limit=8):
            if hit.faq is not None and exam.code in hit.faq.exams and hit.score >= MIN_SCORE:
                return self.faq_answer(hit.faq)
        return None

    def _advice(
        self, question: str, exam: Exam | None, intent: AskIntent, levels: tuple[str, ...] = ()
    ) -> Answer | None:
        """The FAQ entry that best fits, preferring the intent's pool and entries about the exam named."""
        best: tuple[float, FaqEntry] | None = None
        for hit in self.retriever.rank(question, limit=12):
            entry = hit.faq
            if entry is None:
                continue
            score = hit.score
            if any(entry.id.startswith(prefix) for prefix in intent.faq_pool):
                score *= 1.6
            if exam is not None and exam.code in entry.exams:
                score *= 1.4
            if best is None or score > best[0]:
                best = (score, entry)
        if best is None or best[0] < MIN_SCORE:
            return None
        answer = self.faq_answer(best[1])
        # Whether something is worth it depends on what it costs and asks of you: the facts at a glance.
        if exam is not None and exam.recommended_experience:
            level = LEVEL_NAMES[exam.level]
            price = f", costs {exam.price_usd} USD" if exam.price_usd else ""
            glance = (
                f"{code(exam.code)} ({esc(exam.short_name)}) is {with_article(level)} exam{price}; AWS recommends "
                f"{esc(exam.recommended_experience[0].lower() + exam.recommended_experience[1:])}"
            )
            return Answer(answer.title, f"{answer.text}\n\n{glance}", answer.sources, faq=answer.faq, exam=exam)
        if exam is None and levels:
            glance = self._level_glance(levels)
            return Answer(answer.title, f"{answer.text}\n\n{glance}", answer.sources, faq=answer.faq)
        return answer

    def _level_glance(self, levels: tuple[str, ...]) -> str:
        """ "Worth doing all the associates?": how many current exams each level named has, and their prices."""
        lines = []
        for level in levels:
            exams = [e for e in self.catalog.current_exams if e.level == level]
            if not exams:
                continue
            prices = sorted({e.price_usd for e in exams if e.price_usd})
            cost = (
                f" ({prices[0]} USD each)"
                if len(prices) == 1
                else f" ({prices[0]} to {prices[-1]} USD)"
                if prices
                else ""
            )
            names = ", ".join(code(e.code) for e in exams)
            lines.append(f"{len(exams)} current {LEVEL_NAMES[level]} exams{cost}: {names}")
        return "\n".join(lines)

    def _renewed_exams(self, exams: list[Exam], reading: Reading) -> list[Exam]:
        """Of the exams named, those to be renewed: not the one being passed ("will passing SAP-C02 renew
        my ANS"), else the lowest level (a higher exam renews a lower one, never the reverse)."""
        text = f" {' '.join(reading.words)} "
        rules = self.paths.rules
        taken: set[str] = set()
        for exam in exams:
            keys = [k for k, c in self.resolver.names.items() if c == exam.code]
            if any(re.search(rf" {_TAKING} (the |an? )?{re.escape(k)} ", text) for k in keys):
                taken.add(exam.code)
        held = [e for e in exams if e.code not in taken]
        if held and taken:
            return held
        return [min(exams, key=lambda e: rules.level_rank(e.level))]

    def _higher_level_asked(self, exams: list[Exam], levels: tuple[str, ...]) -> bool:
        """ "Will an associate renew my CCP", "can a pro renew an associate": renewal by a higher level."""
        rules = self.paths.rules
        ranks = [rules.level_rank(level) for level in levels]
        if exams:
            return any(rank > rules.level_rank(exams[0].level) for rank in ranks)
        return len(set(ranks)) >= 2

    def _renewed_by(self, exams: list[Exam], reading: Reading) -> Answer:
        """ "Does passing DOP renew my DVA?": the lower exam's renewal rules, with the FAQ on renewing upwards.

        With levels only ("can a pro renew an associate") the FAQ leads, as it is the whole answer."""
        entry = self._faq_by_id.get("higher-exam-renews-lower")
        upwards = [self.faq_answer(entry)] if entry is not None else []
        asked: list[str] = [i.fact for i in reading.intents if i.fact in ("validity", "renewal")]
        if not exams:
            general = [
                self.faq_answer(self._faq_by_id[i.faq]) for i in reading.intents if i.fact == "validity" and i.faq
            ]
            return self._join(upwards + general) if upwards else self._join(general)
        renewed = self._renewed_exams(exams, reading)
        answers = [self._fact_answer(exam, asked or ["renewal"]) for exam in renewed]
        return self._join([*answers, *upwards])

    def _side_by_side(self, reading: Reading, exams: list[Exam], facts: list[AskIntent]) -> Answer:
        """Two or more exams (or levels) with the facts asked for, or the usual ones, one block each."""
        defaults = ["level", "questions", "duration", "price", "passing_score", "question_types"]
        fields = [i.fact for i in facts if i.fact] or defaults
        if "domains" not in fields and self._names_a_domain(reading, exams):
            fields.append("domains")
        difficulty = reading.has("difficulty")
        if difficulty and "prerequisites" not in fields:
            fields.append("prerequisites")
        if not exams:
            return self._level_summary(reading.levels, *[f for f in fields if f != "level"])
        blocks: list[str] = []
        for exam in exams:
            lines = [f"Level: {LEVEL_NAMES[exam.level]}"] if "level" in fields or difficulty else []
            if exam.status == "retired":
                lines.append(f"Status: {brief(exam, 'status', self.catalog)}")
            for name in fields:
                if exam.status == "retired" and name in ("status", "history", "code"):
                    continue  # already said
                value = brief(exam, name, self.catalog) if name != "level" else None
                if value:
                    lines.append(f"{_LABELS.get(name, name)}: {esc(value)}")
            blocks.append(f"{bold(f'{exam.code} · {exam.short_name}')}\n{bullets(lines)}")
        text = "\n\n".join(blocks)
        if "prerequisites" in fields:
            text += "\n\n" + NO_PREREQUISITES
        if difficulty:
            text += "\n\n" + self._difficulty_note(exams)
        text += self._role_order(reading, exams)
        names = " vs ".join(e.code for e in exams)
        sources = tuple(dict.fromkeys(source_line(e) for e in exams))
        pair = self._pair_entry(exams, " ".join(reading.words))
        if pair is not None:
            # What changed between two versions, or how two exams relate, is prose only the FAQ holds.
            text += f"\n\n{bold(pair.question)}\n{pair.answer}"
            sources += self.faq_answer(pair).sources
        return Answer(
            f"{names}", text, sources=distinct_sources(sources), exam=exams[0], intents=tuple(fields), faq=pair
        )

    def _pair_entry(self, exams: list[Exam], question: str) -> FaqEntry | None:
        """The FAQ entry written about exactly these exams ("SOA-C02 vs SOA-C03"), when it fits the question."""
        codes = {e.code for e in exams}
        for hit in self.retriever.rank(question, limit=12):
            if hit.faq is not None and set(hit.faq.exams) == codes and hit.score >= MIN_SCORE:
                return hit.faq
        return None

    def _role_order(self, reading: Reading, exams: list[Exam]) -> str:
        """ "SAA or DVA for a backend dev": the order the role's /path puts the compared exams in."""
        rules = self.paths.rules
        role = next((rules.roles[r] for r in reading.roles if r in rules.roles), None)
        if role is None:
            return ""
        order = [s.exam for s in role.path if s.exam in {e.code for e in exams}]
        if not order:
            return ""
        return f"\n\nFor {esc(role.who)}, `/path` takes " + ", then ".join(code(c) for c in order) + " (in that order)."

    def _names_a_domain(self, reading: Reading, exams: list[Exam]) -> bool:
        """ "How much security is on each": a distinctive word of a domain name asks about the domains."""
        asked = set(reading.words)
        for exam in exams:
            names = {w for key, c in self.resolver.names.items() if c == exam.code for w in key.split()}
            for domain in exam.domains:
                distinctive = {w for w in normalize(domain.name).split() if len(w) >= 5} - _GENERIC_DOMAIN_WORDS
                if (distinctive - names) & asked:
                    return True
        return False

    def _difficulty_note(self, exams: list[Exam]) -> str:
        rules = self.paths.rules
        ranks = {e.code: rules.level_rank(e.level) for e in exams}
        if len(set(ranks.values())) == 1:
            level = LEVEL_NAMES[exams[0].level]
            return (
                f"Both are {level} exams. AWS publishes no difficulty ranking within a level, so the better "
                "guide is the recommended experience above and how well it matches your own work."
            )
        easy = min(exams, key=lambda e: ranks[e.code])
        hard = max(exams, key=lambda e: ranks[e.code])
        return (
            f"{code(easy.code)} is the {LEVEL_NAMES[easy.level]} exam and {code(hard.code)} the "
            f"{LEVEL_NAMES[hard.level]} one, so {code(easy.code)} is generally the easier step: higher levels "
            "assume more hands-on experience and go deeper."
        )

    def _level_summary(self, levels: tuple[str, ...], *fields: str) -> Answer:
        """A fact across the current exams of each level named (all levels when none is)."""
        wanted = levels or tuple(LEVEL_NAMES)
        blocks: list[str] = []
        for level in wanted:
            exams = [e for e in self.catalog.current_exams if e.level == level]
            if not exams:
                continue
            label = LEVEL_NAMES[level]
            lines: list[str] = []
            for name in fields or ("status",):
                groups: dict[str, list[str]] = {}
                for exam in exams:
                    value = brief(exam, name, self.catalog) if name not in ("status", "history", "code") else None
                    groups.setdefault(value or "", []).append(exam.code)
                for value, codes in groups.items():
                    if value:
                        lines.append(f"{_LABELS.get(name, name)}: {esc(value)} ({', '.join(codes)})")
            names = ", ".join(f"{code(e.code)} {esc(e.short_name)}" for e in exams)
            lines.insert(0, f"{len(exams)} current {label} exams: {names}")
            blocks.append(f"{bold(label)}\n{bullets(lines)}")
        title = " and ".join(LEVEL_NAMES[lv] for lv in wanted) + " exams" if levels else "Current AWS exams by level"
        if "prerequisites" in fields:
            blocks.append(NO_PREREQUISITES)
        return Answer(title, "\n\n".join(blocks), sources=("Source: studybot's exam catalog (content/exams)",))

    def _next_after(self, exam: Exam, reading: Reading) -> Answer:
        """What comes after an exam held, from the path planner with that exam held."""
        rules = self.paths.rules
        held = current_version(exam.code, self.catalog.exams) or exam.code
        role_id = reading.roles[0] if reading.roles else None
        steps: list[tuple[str, str]] = []
        if role_id is not None and role_id in rules.roles:
            plan = make_plan(Person(role=role_id, years=2, held=frozenset({held})), self.catalog.exams, rules)
            steps = [(s.exam, s.reason) for s in plan.todo]
            basis = f"the /path plan for a {esc(rules.roles[role_id].label.lower())} who holds {code(held)}"
        else:
            for code_, plan_ in rules.exams.items():
                if any(held in option.any_of for option in plan_.builds_on):
                    steps.append((code_, plan_.why))
            basis = f"the exams /path builds on {code(held)}"
            if not steps:
                rank = rules.level_rank(self.catalog.exams[held].level)
                higher = [e for e in self.catalog.current_exams if rules.level_rank(e.level) == rank + 1]
                steps = [(e.code, rules.exams[e.code].why) for e in higher if e.code in rules.exams]
                basis = f"the level above {code(held)}"
            if not steps:
                # Nothing above (a Professional held): the other exams at the top rung, rather than nothing.
                same = [e for e in self.catalog.current_exams if rules.level_rank(e.level) == rank and e.code != held]
                steps = [(e.code, rules.exams[e.code].why) for e in same if e.code in rules.exams]
                basis = f"the other exams at the level of {code(held)}"
        # After a Professional, an Associate is no step forward: the plan's lower-level steps are dropped.
        rank = rules.level_rank(exam.level)
        steps = [s for s in steps if rules.level_rank(self.catalog.exams[s[0]].level) >= rank] or steps
        wanted = reading.asked_levels
        if wanted:
            # "got SAP, which specialty next": the level asked for, from the plan when it has one there,
            # else every current exam of that level (the planner's reasons for each).
            at_level = [s for s in steps if self.catalog.exams[s[0]].level in wanted]
            if not at_level:
                at_level = [
                    (e.code, rules.exams[e.code].why)
                    for e in self.catalog.current_exams
                    if e.level in wanted and e.code in rules.exams and e.code != held
                ]
                if at_level:
                    basis = f"the current {' and '.join(LEVEL_NAMES[lv] for lv in wanted)} exams"
            steps = at_level or steps
        lines = [f"{code(c)} {esc(self.catalog.exams[c].short_name)}: {esc(why)}" for c, why in steps[:4] if c != held]
        text = (
            f"Next, from {basis}:\n{bullets(lines)}\n"
            "No exam has a prerequisite, so this is an order that builds knowledge, not a rule. "
            "`/path` makes a plan for your role and experience."
        )
        return Answer(f"After {held}", text, sources=("Source: studybot's study paths (content/paths)",), exam=exam)

    def _study_hours(self, exam: Exam | None) -> Answer:
        """Rough study hours from the path rules, with the FAQ's advice on what they depend on."""
        entry = self._faq_by_id["how-long-to-study"]
        advice = self.faq_answer(entry)
        rules = self.paths.rules
        code_ = current_version(exam.code, self.catalog.exams) if exam is not None else None
        plan = rules.exams.get(code_ or "")
        if plan is None or exam is None:
            return advice
        bands = [f"{esc(b.label)}: about {plan.hours[b.id]} hours" for b in rules.bands if b.id in plan.hours]
        text = (
            f"Rough study time for {code(code_ or exam.code)} by hands-on experience (studybot's estimates for "
            f"someone studying beside a job, not AWS figures):\n{bullets(bands)}\n\n{advice.text}"
        )
        return Answer(
            f"Studying for {code_}",
            text,
            sources=("Source: studybot's study paths (content/paths)", *advice.sources),
            exam=exam,
            faq=entry,
        )

    def _role_path(self, reading: Reading) -> Answer | None:
        """The exams the planner puts on a role's path, filtered to a level when one is named."""
        rules = self.paths.rules
        role = next((rules.roles[r] for r in reading.roles if r in rules.roles), None)
        if role is None:
            return None
        steps = [s for s in role.path if not reading.levels or self.catalog.exams[s.exam].level in reading.levels]
        steps = steps or list(role.path)
        lines = [f"{code(s.exam)} {esc(self.catalog.exams[s.exam].short_name)}: {esc(s.why)}" for s in steps]
        text = (
            f"For {esc(role.who)}, `/path` suggests, in order:\n{bullets(lines)}\n"
            "Run `/path` to fit it to your experience and goal."
        )
        return Answer(f"Certifications for {role.who}", text, sources=("Source: studybot's study paths",))

    def _scope_note(self, exam: Exam, reading: Reading) -> Answer | None:
        """ "Is Terraform on the CloudOps exam": a topic the domain names do not show but the exam's notes
        mention (what came into scope, what is unscored) is answered from those notes."""
        if not exam.notes:
            return None
        named = self.resolver.vocabulary
        asked = {w for w in reading.words if len(w) >= 3 and w not in _SCOPE_WORDS and w not in named}
        noted = set(normalize(exam.notes).split())
        if not asked & noted:
            return None
        return Answer("What the exam covers", esc(exam.notes), sources=(source_line(exam),), exam=exam)

    def _known(self, exam: Exam, intent: str) -> bool:
        """Whether the exam's fact sheet holds this fact (status and code always are)."""
        return intent in ("status", "history", "code") or bool(brief(exam, intent, self.catalog))

    def _fact_answer(self, exam: Exam, intents: list[str]) -> Answer:
        known = [i for i in intents if self._known(exam, i)]
        if not known and exam.status == "retired":
            intents = ["status"]  # a retired exam's missing facts matter less than that it is gone
        elif not known:
            # Saying "the fact sheet has no price" is honest, but it is not an answer: abstain.
            return Answer(
                heading(exam),
                fact(exam, intents[0], self.catalog) + " `/cert " + exam.code + "` shows what is known.",
                sources=(source_line(exam),),
                declined=True,
                exam=exam,
            )
        parts = [fact(exam, intent, self.catalog) for intent in intents]
        if exam.status == "retired" and "status" not in intents and "history" not in intents:
            parts.insert(0, fact(exam, "status", self.catalog))
        notes = caveats(exam, intents)
        return Answer(
            heading(exam),
            # Two facts can say the same of an exam (a retired one's status is its history): once each.
            "\n\n".join(dict.fromkeys([*parts, *notes])),
            sources=(source_line(exam),),
            exam=exam,
            intents=tuple(intents),
        )

    def faq_answer(self, entry: FaqEntry) -> Answer:
        sources = tuple(link(s.title, s.url) if s.url else esc(s.title) for s in entry.sources)
        return Answer(entry.question, entry.answer, sources=sources, faq=entry)

    def _newer_version(self, reading: Reading, question: str) -> Answer | None:
        """ "Is there an SAA-C04 yet?": whether a version exists is answered (no, and which one is current);
        any fact about the version that does not exist ("SAA-C04 passing score") is still declined."""
        match = _VERSION_CODE.fullmatch(reading.unknown[0].casefold())
        if match is None or any(i.fact not in (None, "status", "history") for i in reading.intents):
            return None
        text = " ".join(reading.words)
        asks_existence = reading.has("status") or reading.has("history") or _EXISTENCE.search(text)
        if not asks_existence or re.search(r"\bwhen\b", text):
            return None
        current = [e for e in self.resolver.code_family_exists(match.group(1)) if e.status == "current"]
        if not current:
            return None
        exam = current[0]
        about = self._faq_about(exam, question)
        if about is not None:
            return about
        shown = reading.unknown[0].upper()
        return Answer(
            heading(exam),
            f"Not as far as studybot knows: there is no {code(shown)} in its catalog (facts reviewed "
            f"{exam.reviewed.isoformat()}). {status_line(exam, self.catalog)} AWS announces a new version's "
            "code and dates in advance on its certification site.",
            sources=(source_line(exam),),
            exam=exam,
            intents=("status",),
        )

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
