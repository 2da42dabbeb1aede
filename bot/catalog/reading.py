"""Reading a free-text question: WHAT it asks and WHAT it is about, before anything is looked up.

`/ask` used to rank every fact and FAQ entry against the words of a question, so a question that named
an exam was answered with whichever fact shared a word ("how long to study for SAA" → "130 minutes").
Reading first keeps the two apart: the intents of `content/ask.yaml` say what is asked (and which source
holds it), the catalog's names say which exams or levels it is about, the path rules' names say which
role, and the screens say when the question is not one `/ask` should answer at all. Everything here is
data-driven and explainable: `Reading.why` names the patterns that fired.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from bot.catalog.loader import Catalog
from bot.catalog.models import AskIntent, Exam
from bot.catalog.search import ExamResolver, find_mentions, normalize, stems

Screen = Literal["foreign-language", "other-vendor", "unknowable", "technical", "off-topic"]

_LEVELS = {
    "foundational": "foundational",
    "practitioner": "foundational",
    "associate": "associate",
    "associates": "associate",
    "professional": "professional",
    "professionals": "professional",
    "pro": "professional",
    "pros": "professional",
    "specialty": "specialty",
    "specialties": "specialty",
    "speciality": "specialty",
}


def _unaccented(word: str) -> str:
    """ "kaç" → "kac", "sınavı" → "sinavi": letters without their marks (the dotless i as i)."""
    decomposed = unicodedata.normalize("NFKD", word.replace("ı", "i"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_ANY_LANGUAGE = frozenset({"aws", "amazon", "exam", "exams", "cert", "certs", "usd", "ok", "pls"})


@dataclass(frozen=True, slots=True)
class Reading:
    """What a question asks (intents in the order asked) and what it is about."""

    intents: tuple[AskIntent, ...]
    exams: tuple[Exam, ...]
    unknown: tuple[str, ...]
    levels: tuple[str, ...]
    roles: tuple[str, ...]
    screen: Screen | None = None
    why: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    """The normalised words of the question, for checks that need them after reading."""
    asked_levels: tuple[str, ...] = ()
    """Levels named outside the exams' own names, even beside an exam: "got SAP, which specialty next"."""

    def has(self, intent_id: str) -> bool:
        return any(i.id == intent_id for i in self.intents)


class QuestionReader:
    """Built once per catalog; `read` is pure and does no I/O."""

    def __init__(
        self, catalog: Catalog, resolver: ExamResolver, known_words: frozenset[str], role_names: dict[str, str]
    ) -> None:
        ask = catalog.ask
        self.resolver = resolver
        self.known_words = known_words
        self.intents = [
            (intent, [re.compile(p) for p in intent.patterns], [re.compile(p) for p in intent.unless])
            for intent in ask.intents
        ]
        # The words the intents are written in, for mending typos before reading ("questons", "passsing").
        pattern_words = {w for i in ask.intents for p in i.patterns for w in re.findall(r"[a-z]{5,}", p)}
        self._intent_words = sorted(pattern_words)
        self._plain_words = frozenset(pattern_words) | known_words | resolver.vocabulary
        screens = ask.screens
        words = [normalize(w) for w in screens.cert_words] if screens else []
        # Single words are compared by stem ("renewing" is "renew"), phrases as typed.
        self.cert_stems = frozenset(stems([w for w in words if " " not in w]))
        self.cert_phrases = tuple(w for w in words if " " in w)
        self._long_cert_words = sorted({w for w in words if " " not in w and len(w) >= 7})
        self.study_stems = frozenset(stems([normalize(w) for w in screens.study_words])) if screens else frozenset()
        self.technical = [re.compile(p) for p in screens.technical] if screens else []
        self.off_topic = [re.compile(p) for p in screens.off_topic] if screens else []
        self.vendors = [re.compile(p) for p in screens.other_vendors] if screens else []
        self.unknowable = [re.compile(p) for p in screens.unknowable] if screens else []
        self.how_to = [re.compile(p) for p in screens.how_to] if screens else []
        self.plainly_technical = [re.compile(p) for p in screens.plainly_technical] if screens else []
        self.plainly_off_topic = [re.compile(p) for p in screens.plainly_off_topic] if screens else []
        self.vendors += [re.compile(p) for p in ask.foreign_codes]
        # Compared without accents too: people type "kac" for "kaç" and "sinavi" for "sınavı".
        foreign = {w.casefold() for w in screens.foreign_words} if screens else set()
        self.foreign = frozenset(foreign | {_unaccented(w) for w in foreign})
        # Role aliases of one or two letters ("ai", "sa") or everyday words name a role only in context.
        self.role_names = {k: v for k, v in role_names.items() if len(k) >= 3 and k not in {"none", "other", "lead"}}

    def read(self, question: str) -> Reading:
        norm = normalize(question)
        padded = f" {norm} "
        mentions = find_mentions(self.resolver, question, self.known_words)
        exams = mentions.exams
        asked_levels = self._levels(self._without_names(padded, exams))
        levels = () if exams else asked_levels
        intents, why = self._intents(self._mended(norm))
        roles = self._roles(norm)
        screen = self._screen(question, norm, padded, bool(exams or levels), intents, bool(roles))
        words = tuple(norm.split())
        return Reading(intents, exams, mentions.unknown, levels, roles, screen, why, words, asked_levels)

    def _mended(self, norm: str) -> str:
        """Long words nobody's vocabulary knows, replaced by the intent word they are one slip from."""
        out = []
        for word in norm.split():
            if len(word) >= 5 and word not in self._plain_words:
                close = process.extractOne(word, self._intent_words, scorer=fuzz.ratio, score_cutoff=88)
                if close is not None:
                    word = close[0]
            out.append(word)
        return " ".join(out)

    def _without_names(self, padded: str, exams: tuple[Exam, ...]) -> str:
        """The question with the named exams' names taken out, so "architect associate" is no level asked."""
        codes = {e.code for e in exams}
        for key in sorted((k for k, c in self.resolver.names.items() if c in codes), key=len, reverse=True):
            padded = padded.replace(f" {key} ", " ")
        return padded.strip()

    def _intents(self, norm: str) -> tuple[tuple[AskIntent, ...], tuple[str, ...]]:
        whole = text = f" {norm} "
        found: list[tuple[int, AskIntent]] = []
        why: list[str] = []
        for intent, patterns, unless in self.intents:
            # A veto reads the whole question: words an earlier intent explained still count against it.
            if any(u.search(whole) for u in unless):
                continue
            for pattern in patterns:
                match = pattern.search(text)
                if match is None:
                    continue
                found.append((match.start(), intent))
                why.append(f"{intent.id}: {match.group(0).strip()!r}")
                # Later, more general intents must not read the words this one explained.
                text = text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]
                break
        found.sort(key=lambda pair: pair[0])
        return tuple(intent for _, intent in found), tuple(why)

    @staticmethod
    def _levels(norm: str) -> tuple[str, ...]:
        seen: list[str] = []
        for word in norm.split():
            level = _LEVELS.get(word)
            if level is not None and level not in seen:
                seen.append(level)
        return tuple(seen)

    def _roles(self, norm: str) -> tuple[str, ...]:
        words = norm.split()
        found: list[str] = []
        used = [False] * len(words)
        for size in (4, 3, 2, 1):
            for start in range(len(words) - size + 1):
                if any(used[start : start + size]):
                    continue
                role = self.role_names.get(" ".join(words[start : start + size]))
                if role is not None:
                    used[start : start + size] = [True] * size
                    if role not in found:
                        found.append(role)
        return tuple(found)

    def _screen(
        self, question: str, norm: str, padded: str, named: bool, intents: tuple[AskIntent, ...], role: bool = False
    ) -> Screen | None:
        if self._foreign(question, norm):
            return "foreign-language"
        lowered = f" {question.casefold()} "
        vendor = next((m for v in self.vendors if (m := v.search(padded) or v.search(lowered))), None)
        if vendor is not None:
            weighing = any(i.shape in ("compare", "difficulty", "advice") for i in intents)
            # A policy question may mention another vendor in passing ("CE credits like CompTIA"); a
            # fact may not, and "Red Hat retake policy" asks about the other vendor's own policy.
            aside = re.search(r"\b(like|such as|as|than|unlike|from)\s+$", vendor.string[: vendor.start()])
            policy = any(i.certain and i.fact is None for i in intents) and (" aws " in padded or aside is not None)
            if (not named or weighing) and not policy:
                return "other-vendor"
        if any(u.search(padded) for u in self.unknowable):
            return "unknowable"
        # Words that usually mean certifications can mean something else ("renew my passport", "an SSL
        # certificate"), and a how-to about a service is a technical question whatever exam it is for.
        if any(p.search(padded) for p in self.plainly_off_topic):
            return "off-topic"
        if any(p.search(padded) for p in self.plainly_technical):
            return "technical"
        if not any(i.certain for i in intents) and self._how_to_build(padded):
            return "technical"
        if self._about_certs(norm, padded, named):
            return None
        if any(o.search(padded) for o in self.off_topic):
            return "off-topic"
        if any(i.certain for i in intents):
            return None
        # "Backend dev, Lambda at work, which one first": a role and a choice of path is a career question,
        # whatever services it mentions.
        if role and any(i.planner or i.shape == "advice" or i.id == "start" for i in intents):
            return None
        if any(t.search(padded) for t in self.technical):
            return "technical"
        # Without a certification word, only a study or career word keeps a question in scope: "how much
        # is a tesla" matches the price intent but is not about exams.
        if set(stems(norm.split())) & self.study_stems:
            return None
        return "off-topic"

    def _how_to_build(self, padded: str) -> bool:
        """A request to build, fix or explain something, about an AWS service named."""
        services = self.technical[:1]
        return any(h.search(padded) for h in self.how_to) and any(s.search(padded) for s in services)

    def _about_certs(self, norm: str, padded: str, named: bool) -> bool:
        """An exam or level named, or a certification word, typos mended ("certifcation")."""
        if named or any(f" {p} " in padded for p in self.cert_phrases):
            return True
        words = norm.split()
        if set(stems(words)) & self.cert_stems:
            return True
        return any(
            process.extractOne(w, self._long_cert_words, scorer=fuzz.ratio, score_cutoff=85) is not None
            for w in words
            if len(w) >= 7
        )

    def _foreign(self, question: str, norm: str) -> bool:
        """Another script, or mostly common words of another language ("cuantas preguntas tiene")."""
        letters = [c for c in question if c.isalpha()]
        other_script = sum(1 for c in letters if not unicodedata.name(c, "").startswith("LATIN"))
        if letters and other_script >= max(2, len(letters) // 4):
            return True
        words = norm.split()
        hits = sum(1 for w in words if w in self.foreign or _unaccented(w) in self.foreign)
        accented = any(ord(c) > 127 for c in letters)
        # Exam names, "aws" and numbers are typed in English whatever the language of the question
        # ("magkano ang bayad sa aws cloud practitioner exam"), so they do not count as English words.
        own = [w for w in words if w in self.foreign or not (w in self.resolver.vocabulary or w in _ANY_LANGUAGE)]
        return hits >= 2 and (hits >= 0.3 * len(own) or accented)
