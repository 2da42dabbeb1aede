"""Finding exams by the names people type, and answers to what they ask.

Two pieces, both built once when the content loads:

- `ExamResolver` maps names, codes and aliases to exams forgivingly (case, spacing, hyphens, typos
  through rapidfuzz) and says when input is ambiguous instead of guessing.
- `Retriever` ranks FAQ entries and per-exam fact intents with BM25 (bm25s) over one index, after
  expanding the question with synonyms and mending typos against the index's vocabulary.

Neither decides wording; `bot.features.certs` turns their results into replies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import bm25s
import numpy as np
import snowballstemmer
from rapidfuzz import fuzz, process

from bot.catalog.loader import Catalog
from bot.catalog.models import Exam, FaqEntry

_NON_WORD = re.compile(r"[^\w$%]+")
# Exam-code shapes: "saa-c03", "saa c03", "saac03", "SAA-C04".
_CODE = re.compile(r"\b([a-z]{3})\s?-?\s?c\s?(\d{2})\b")
_BARE_VERSION = re.compile(r"(?:^|\s)c\s?(\d{2})\b")
_LEVEL_WORDS = {
    "practitioner": "foundational",
    "associate": "associate",
    "professional": "professional",
    "specialty": "specialty",
    "speciality": "specialty",
}
_LEVEL_NAMES = frozenset({*_LEVEL_WORDS, "pro", "pros", "foundational", "associates", "professionals"})
# Words that may stand before a level word without naming an exam ("the aws certified … associate").
_FILLER = {"aws", "certified", "certification", "the", "a", "an", "new", "old", "exam", "cert", "is", "for", "of"}
_STOP = {
    "a", "an", "the", "is", "are", "was", "were", "be", "to", "of", "in", "on", "for", "and", "or", "i",
    "im", "me", "my", "it", "its", "do", "does", "did", "u", "you", "your", "what", "whats", "which",
    "who", "can", "should", "would", "could", "will", "there", "this", "that", "at", "with",
    "about", "pls", "please", "any", "so", "just", "get", "aws", "amazon", "exam", "exams", "hey",
    "if", "then",
}  # fmt: skip
# Words that end a candidate exam name when reading backwards from "associate", "specialty", …
_NOT_NAME = _STOP | _FILLER | {
    "many", "much", "all", "every", "some", "other", "next", "first", "best", "which", "what", "level",
    "new", "old", "any", "one", "two", "three", "than", "like", "vs", "versus", "before", "after",
    "r", "u", "ur", "same", "as",  # chat shorthand: "how much r associate exams", "same as specialty"
}  # fmt: skip


_JOINING = frozenset({"vs", "versus", "or", "and", "than", "to", "with"})
"""Words that join two names in a comparison; a fuzzy name match never starts or ends on one."""
# Shortened words inside exam names ("data eng associate", "dev associate"), tried when a phrase as typed
# names no exam.
_SHORT = {
    "eng": "engineer", "engr": "engineer", "dev": "developer", "admin": "administrator", "arch": "architect",
    "archi": "architect", "assoc": "associate", "spec": "specialty", "prof": "professional", "sec": "security",
    "networks": "networking", "network": "networking", "practioner": "practitioner",
}  # fmt: skip


def _unshorten(phrase: str) -> str:
    return " ".join(_SHORT.get(w, w) for w in phrase.split())


_TITLE_ENDS = frozenset({"cert", "certs", "certification", "certificate", "exam", "specialty", "associate"})
_ARTICLES = frozenset({"a", "an", "the", "my", "your", "any", "every", "each"})
"""Nor on an article: "can a pro renew an associate" names a level, not a misspelt "sa associate"."""


def normalize(text: str) -> str:
    """Lower case, punctuation to spaces, apostrophes dropped: "What's SAA-C03?" → "whats saa c03"."""
    text = text.casefold().replace("'", "").replace("’", "")
    return " ".join(_NON_WORD.sub(" ", text).split())


_STEMMER = snowballstemmer.stemmer("english")


def tokens(text: str) -> list[str]:
    return [t for t in normalize(text).split() if t not in _STOP]


def stems(words: list[str]) -> list[str]:
    """Snowball stems, so "accreditations" finds "accreditation" and "renamed" finds "rename"."""
    return list(_STEMMER.stemWords(words))


@dataclass(frozen=True, slots=True)
class Resolution:
    """What a name resolved to: one exam, several to choose from, or nothing."""

    exam: Exam | None
    candidates: tuple[Exam, ...] = ()


class ExamResolver:
    EXACT_CUTOFF = 88
    AMBIGUOUS_CUTOFF = 72

    def __init__(self, exams: Iterable[Exam]) -> None:
        self.exams = {e.code: e for e in exams}
        self.names: dict[str, str] = {}
        for exam in self.exams.values():
            family, version = exam.code.lower().split("-")
            keys = {
                exam.code.lower(),
                f"{family} {version}",
                f"{family}{version}",
                exam.name,
                exam.name.replace("AWS Certified ", ""),
                exam.short_name,
                *exam.aliases,
            }
            for key in keys:
                norm = normalize(key)
                # A generic key (e.g. "sysops") goes to the current exam when a retired one shares it.
                holder = self.exams.get(self.names.get(norm, ""))
                if holder is None or (holder.status == "retired" and exam.status == "current"):
                    self.names[norm] = exam.code
        self.vocabulary = {word for key in self.names for word in key.split()}
        # "the devops one": the first word of the names of exactly one current exam stands for that exam.
        leading: dict[str, set[str]] = {}
        for key, holder_code in self.names.items():
            if " " in key and self.exams[holder_code].status == "current":
                leading.setdefault(key.split()[0], set()).add(holder_code)
        # A level ("the pro exam") is no exam's name, whatever alias begins with it.
        self.leading = {w: next(iter(c)) for w, c in leading.items() if len(c) == 1 and w not in _LEVEL_NAMES}
        self._vocabulary_list = sorted(self.vocabulary)
        self._keys = list(self.names)

    def resolve(self, text: str) -> Resolution:
        norm = normalize(text)
        if not norm:
            return Resolution(None)
        code = self.names.get(norm)
        if code is not None:
            return Resolution(self.exams[code])
        scored: dict[str, float] = {}
        for key, score, _ in process.extract(norm, self._keys, scorer=fuzz.WRatio, limit=25):
            exam_code = self.names[key]
            scored[exam_code] = max(scored.get(exam_code, 0.0), float(score))
        ranked = sorted(scored.items(), key=lambda kv: -kv[1])
        if not ranked or ranked[0][1] < self.AMBIGUOUS_CUTOFF:
            return Resolution(None)
        best_code, best = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if best >= self.EXACT_CUTOFF and best - runner_up >= 4:
            return Resolution(self.exams[best_code])
        close = tuple(self.exams[c] for c, s in ranked if s >= max(self.AMBIGUOUS_CUTOFF, best - 8))[:5]
        if len(close) == 1:
            return Resolution(close[0])
        return Resolution(None, close)

    def near_name_word(self, word: str) -> bool:
        """A typo of a word of some exam's name ("engneer" for "engineer")."""
        return process.extractOne(word, self._vocabulary_list, scorer=fuzz.ratio, score_cutoff=85) is not None

    def code_family_exists(self, family: str) -> list[Exam]:
        return [e for e in self.exams.values() if e.code.lower().startswith(family + "-")]


@dataclass(frozen=True, slots=True)
class Mentions:
    """Exams a free-text question refers to, and names that look like exams but are not."""

    exams: tuple[Exam, ...]
    unknown: tuple[str, ...]


def find_mentions(resolver: ExamResolver, question: str, known_words: frozenset[str] = frozenset()) -> Mentions:
    """Scan a question for exam codes, aliases (longest first) and "<name> <level>" phrases."""
    norm = normalize(question)
    found: dict[str, Exam] = {}
    unknown: list[str] = []
    families = {c.split("-")[0].lower() for c in resolver.exams}
    for match in _CODE.finditer(norm):
        code = f"{match.group(1)}-c{match.group(2)}".upper()
        if code in resolver.exams:
            found[code] = resolver.exams[code]
        elif match.group(1) in _STOP | _FILLER and match.group(1) not in families:
            continue  # "is that right for c03": an English word before a version, not an exam code
        else:
            unknown.append(code)
    words = norm.split()
    used = [False] * len(words)
    full = [_SHORT.get(w, w) for w in words]  # "data eng associate" → "data engineer associate"
    shortened = full != words
    named_families = {m.group(1) for m in _CODE.finditer(norm) if m.group(1) in families}
    if len(named_families) == 1:
        # "clf c01 vs c02": a bare version after one exam family names that family's other version.
        family = next(iter(named_families))
        for match in _BARE_VERSION.finditer(norm):
            code = f"{family}-c{match.group(1)}".upper()
            if code in resolver.exams:
                found.setdefault(code, resolver.exams[code])
    # Exact names first, longest first; then typo-tolerant matching of longer phrases.
    for fuzzy in (False, True):
        for size in (6, 5, 4, 3, 2, 1):
            for start in range(len(words) - size + 1):
                if any(used[start : start + size]):
                    continue
                phrase = " ".join(words[start : start + size])
                named = resolver.names.get(phrase)
                if named is None and shortened:
                    named = resolver.names.get(" ".join(full[start : start + size]))
                # A typo is mended inside a name, never across a joining word: "vs professional" is
                # two words of a comparison, not a misspelt "sa professional".
                edges = (words[start], words[start + size - 1])
                loose = set(edges) & _JOINING or edges[0] in _ARTICLES
                if fuzzy and named is None and size >= 2 and len(phrase) >= 10 and not loose:
                    close = process.extract(phrase, resolver._keys, scorer=fuzz.ratio, score_cutoff=84, limit=6)
                    if close and close[0][1] >= 90:
                        # "solutions architect" is as near "solutions architect pro" as "… assoc": a
                        # name that fits several exams about equally is about all of them, not the first.
                        near = dict.fromkeys(resolver.names[k] for k, score, _ in close if score >= close[0][1] - 5)
                        for other in list(near)[1:]:
                            found.setdefault(other, resolver.exams[other])
                        named = next(iter(near))
                if named is not None:
                    found.setdefault(named, resolver.exams[named])
                    used[start : start + size] = [True] * size
    # "<name> associate|professional|specialty" names an exam only when the name belongs to one of that
    # level: "java developer associate" and "kubernetes professional" do not exist, even where part of
    # the phrase ("developer associate") is a real alias.
    for index, word in enumerate(words):
        level = _LEVEL_WORDS.get(word)
        if level is None:
            continue
        run: list[str] = []
        for before in reversed(words[max(0, index - 3) : index]):
            if before in _NOT_NAME:
                break
            run.insert(0, before)
        if not run:
            continue
        phrase = " ".join([*run, word])
        # A word the bot knows from questions ("renew") is not part of a name; "java" or "kubernetes" is.
        # A typo already mended inside a name ("data engneer associate") is no stranger; a word that is
        # far from every name word ("devsecops") still is, however the phrase as a whole matched.
        start = index - len(run)
        strangers = [
            w
            for offset, w in enumerate(run)
            if _SHORT.get(w, w) not in resolver.vocabulary
            and w not in known_words
            and not (used[start + offset] and resolver.near_name_word(w))
        ]
        if used[index] and not strangers:
            continue
        leveled = resolver.resolve(_unshorten(phrase)).exam
        if leveled is not None and leveled.level == level and not strangers:
            found.setdefault(leveled.code, leveled)
        elif strangers or any(w in resolver.vocabulary for w in run):
            # "data analytics professional" is a name that does not exist; words of a question that
            # are no exam's name ("cost same as specialty") only mention a level.
            unknown.append(phrase)
    for index in range(1, len(words) - 1):
        led = resolver.leading.get(words[index])
        framed = words[index - 1] in _THE_ONE and words[index + 1] in _ONE_EXAM
        if led is not None and framed and not used[index] and not found:
            found[led] = resolver.exams[led]
            used[index] = True
    # "AWS Certified Blockchain Developer": a title after "certified" that is no exam's name, mixing a word
    # of exam names ("developer") with one that is neither a name's nor a question's, names an exam that
    # does not exist ("got aws certified yesterday" names none).
    for index, word in enumerate(words):
        if word not in ("certified", "aws") or any(used[index + 1 : index + 4]):
            continue
        framed = word == "aws"  # "aws <title> cert|exam": every word between is part of the title
        title: list[str] = []
        for after in words[index + 1 : index + 4]:
            if after in _NOT_NAME or after in _TITLE_ENDS:
                break
            if not framed and after in known_words and after not in resolver.vocabulary:
                break
            title.append(after)
        following = words[index + 1 + len(title) : index + 2 + len(title)]
        if framed and not set(following) & _TITLE_ENDS:
            continue
        strangers = [w for w in title if w not in resolver.vocabulary and (framed or w not in known_words)]
        if strangers and len(strangers) < len(title):
            unknown.append(" ".join(title))
    return Mentions(tuple(found.values()), tuple(unknown))


_THE_ONE = frozenset({"the", "that", "this"})
_ONE_EXAM = frozenset({"one", "exam", "cert", "certification", "test"})


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked result: a fact intent (answered from the catalog) or an FAQ entry."""

    score: float
    faq: FaqEntry | None = None
    intent: str | None = None


class Retriever:
    """BM25 over FAQ entries and fact intents together, so their scores are comparable."""

    def __init__(self, catalog: Catalog) -> None:
        self.synonyms = {k.casefold(): tuple(normalize(v) for v in vs) for k, vs in catalog.ask.synonyms.items()}
        self.docs: list[Hit] = []
        texts: list[list[str]] = []
        for intent in catalog.ask.fact_intents:
            self.docs.append(Hit(0.0, intent=intent.field))
            texts.append(self._with_synonyms(tokens(" ".join(intent.phrases))))
        for entry in catalog.faq:
            self.docs.append(Hit(0.0, faq=entry))
            texts.append(self._with_synonyms(tokens(" ".join([entry.question, *entry.phrasings, *entry.tags]))))
        corpus = [stems(words) for words in texts]
        self.index = bm25s.BM25()
        self.index.index(corpus, show_progress=False)
        self.words = {w for words in texts for w in words}  # what typos are mended towards
        self.vocabulary = {w for doc in corpus for w in doc}
        self._word_list = sorted(self.words)

    def _with_synonyms(self, words: list[str]) -> list[str]:
        out = list(words)
        for word in words:
            out.extend(self.synonyms.get(word, ()))
        return out

    def query_tokens(self, question: str, *, drop: Iterable[str] = ()) -> list[str]:
        """Stems of a question with typos mended against the index's words, plus synonyms."""
        dropped = set(drop)
        mended: list[str] = []
        for word in tokens(question):
            if word in dropped:
                continue
            if word not in self.words and len(word) >= 5 and not word.isdigit():
                best = process.extractOne(word, self._word_list, scorer=fuzz.ratio, score_cutoff=84)
                if best is not None:
                    word = best[0]
            mended.append(word)
        return [w for w in stems(self._with_synonyms(mended)) if w in self.vocabulary]

    def rank(self, question: str, *, drop: Iterable[str] = (), limit: int = 5) -> list[Hit]:
        query = self.query_tokens(question, drop=drop)
        if not query:
            return []
        scores = np.asarray(self.index.get_scores(query))
        order = np.argsort(-scores)[:limit]
        return [Hit(float(scores[i]), faq=self.docs[i].faq, intent=self.docs[i].intent) for i in order if scores[i] > 0]
