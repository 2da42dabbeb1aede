"""Every command's examples, run as a moderator, read as plain words: no "(s)", no "1 answers", no doubled
word or sentence, no markup left unrendered, no list said twice, no link that repeats its address.

The examples run twice, on a fresh database and again once the first round has stored answers, a mock,
certifications and schedules, and every button of every reply is pressed once; so the replies that
only data brings out (stats, reports, readiness, held certifications) are read too. Wrong values for
every option with choices are read as well, since an error is a reply a member reads.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from bot.actions import ActionId
from bot.clock import FixedClock
from bot.commands.dispatch import Core
from bot.commands.spec import CommandSpec
from bot.features.profile import DELETE
from bot.markup import esc, link, to_plain
from bot.replies import Field, Reply
from bot.requests import Action
from bot.words import plural
from tests.conftest import person
from tests.practice.test_flows import correct_letter, press

PLURALS = (
    "answers|minutes|questions|days|hours|exams|members|options|weeks|years|changes|schedules|prompts|cards|"
    "steps|items|times|points|months|rows|domains|certifications|moderators|entries|seconds|matches|fields|reveals|"
    "pages|digests|reminders"
)
PATTERNS = {
    "(s)": re.compile(r"\w\(s\)"),
    "1 <plural>": re.compile(rf"\b1 ({PLURALS})\b"),
    "doubled word": re.compile(r"\b([A-Za-z]{2,}) \1\b", re.IGNORECASE),
    "unrendered markup": re.compile(r"\*\*|\]\(https?:|`"),
    "Sources: Source:": re.compile(r"Sources?: Source"),
    "from X to X": re.compile(r"\bfrom (\S+) to \1(?!\S)"),
    "parentheses in parentheses": re.compile(r"\([^()\n]*\("),
    "a list said twice": re.compile(r"\b(\w+), (\w+),? (?:or|and) (\w+)\b[^\n]*\b\1, \2,? (?:or |and )?\3\b"),
    "a sentence without its full stop": re.compile(r"[a-z][a-z)] One of\b"),
    "a key run together": re.compile(r"\b(?:answer is|Answer:|key to|Recorded|Changed to|still) [A-F]{2,}\b"),
    "a plural after 'there is no'": re.compile(rf"\bthere is no ({PLURALS})\b"),
    "'answered to'": re.compile(r"\banswered to\b"),
    "nothing to go": re.compile(r"\b0 exams to go\b"),
    "the library's words": re.compile(r"Error validating expression|maximum value \(|<stream end>|node content"),
    "a whole size with .0": re.compile(r"\b\d+\.0 MB\b"),
    "an internal option in a usage line": re.compile(r"\[action:<"),
    "how many to choose said twice": re.compile(r"\(Choose \w+\.\)[\s\S]*\bChoose \d\b"),
    "a count without its thousands separator": re.compile(r"\b\d{4,} (?:days|answers|questions|members)\b"),
}


def test_plural() -> None:
    assert [plural(0, "answer"), plural(1, "answer"), plural(2, "answer")] == ["0 answers", "1 answer", "2 answers"]
    assert plural(1, "match", "matches") == "1 match" and plural(3, "match", "matches") == "3 matches"


def markup_of(reply: Reply) -> str:
    return "\n".join(
        [reply.title or "", reply.text, *(f"{f.name}\n{f.value}" for f in reply.fields), reply.footer or ""]
    )


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n", text) if len(s.strip()) > 30]


def _links_repeating_their_address(text: str) -> Iterator[str]:
    """In plain text a link is `text (address)`: text that is the address itself, whole or shortened
    (`docs.aws.amazon.com/x…`), says the address twice."""
    for match in re.finditer(r"(\S+) \((https?://(\S+))\)", text):
        shown = match.group(1).removesuffix("…")
        if match.group(2).startswith(shown) or match.group(3).startswith(shown):
            yield match.group(0)[:120]


def problems(label: str, reply: Reply) -> list[str]:
    text = to_plain(markup_of(reply))
    found = [
        f"{label[:70]!r}: {name}: {text[max(0, m.start() - 40) : m.end() + 20]!r}"
        for name, pattern in PATTERNS.items()
        for m in pattern.finditer(text)
    ]
    found.extend(
        f"{label[:70]!r}: link text repeats its address: {link}" for link in _links_repeating_their_address(text)
    )
    for part in (reply.text, *(f.value for f in reply.fields)):  # each part once; a citation may recur
        seen: set[str] = set()
        for sentence in _sentences(to_plain(part)):
            if sentence in seen:
                found.append(f"{label[:70]!r}: a sentence said twice: {sentence[:80]!r}")
            seen.add(sentence)
    found.extend(
        f"{label[:70]!r}: a field that repeats its name: {f.name!r}"
        for f in reply.fields
        if len(f.name) > 3 and to_plain(f.value).casefold().startswith(f.name.casefold().rstrip(":") + ":")
    )
    if reply.title and to_plain(reply.text).startswith(reply.title):
        found.append(f"{label[:70]!r}: the text says its title again: {reply.title!r}")
    weakest = [f.value for f in reply.fields if f.name.startswith("Weakest")]
    found.extend(f"{label[:70]!r}: 100% listed as weakest: {w!r}" for w in weakest if "100%" in w)
    return found


def wrong_choices(spec: CommandSpec) -> Iterator[str]:
    for option in spec.options:
        if option.choices:
            yield f"/{spec.name} {option.name}:nonsense"


async def read_everything(core: Core) -> list[str]:
    moderator = person(moderator=True)
    found: list[str] = []
    for spec in core.registry:
        for line in (*spec.examples, *wrong_choices(spec)):
            reply = await core.handle_line(moderator, line)
            found.extend(problems(line, reply))
            for button in reply.buttons:
                if ActionId.decode(button.action_id).kind == DELETE:
                    continue  # it would empty the lived-in round; its replies are read in test_stale_buttons
                pressed = await core.handle(Action(moderator, button.action_id))
                found.extend(problems(f"{line} [{button.label}]", pressed))
    return found


async def test_every_example_reads_as_plain_words(core: Core) -> None:
    fresh = await read_everything(core)
    lived_in = await read_everything(core)
    assert fresh + lived_in == [], "\n".join(fresh + lived_in)


def test_each_pattern_the_issue_names_is_caught() -> None:
    """The reader above finds every stumble issue 20 lists, written as a reply would carry it."""
    stumbles = {
        "1 answers": Reply(text="You gave 1 answers."),
        "in 1 minutes": Reply(text="The reveal is in 1 minutes."),
        "exam(s)": Reply(text="You hold 2 exam(s)."),
        "from 1 to 1": Reply(text="Questions from 1 to 1 are shown."),
        "Sources: Source:": Reply(text="x", footer="Sources: Source: the exam guide"),
        "a sentence said twice": Reply(
            text="SOA-C02 was retired on 29 September 2025. SOA-C02 was retired on 29 September 2025."
        ),
        "raw backticks": Reply(text=esc("Use `/path role:developer` to begin.")),
        "a list said twice": Reply(text="difficulty: easy, medium or hard One of easy, medium, hard."),
        "parentheses in parentheses": Reply(text="A. AWS WAF (0% (0) of answers)"),
        "a field that repeats its name": Reply(fields=(Field("Not certain", "*Not certain:* the split is assumed"),)),
        "100% weakest": Reply(fields=(Field("Weakest domains", "- `SAA-C03` Design Secure Architectures: 100% of 4"),)),
        "link repeats its address": Reply(text=esc(f"{VPC_GUIDE.removeprefix('https://')} ({VPC_GUIDE})")),
        "shortened link repeats its address": Reply(text=esc(f"docs.aws.amazon.com/vpc/latest/user… ({VPC_GUIDE})")),
        # The stumbles of the first-hour test (issue 20, findings 4, 5, 9, 10 and 15).
        "a key run together": Reply(title="Not quite", text="The answer is **CD**."),
        "a verdict that says its title again": Reply(title="Not quite", text="**Not quite.** The answer is D."),
        "there is no prompts": Reply(text="SAA-C02 is retired, so there is no prompts for it."),
        "answered to": Reply(text="Nobody has answered to SAA-C03 questions in #study."),
        "0 exams to go": Reply(text="0 exams to go, roughly 0 study hours in all."),
        "the library's words": Reply(text="61 9 * * * is not a valid cron: Error validating expression '61'."),
        "1.0 MB": Reply(text="big.yaml is 1.1 MB; it takes at most 1.0 MB."),
        "[action:<string>]": Reply(text="Usage: `/review [action:<string>] [exam:<string>]`"),
        "Choose said twice": Reply(text="Which two? (Choose two.)\n\n**Choose 2.**"),
        "1096 days": Reply(text="SAA-C03 (1096 days left)"),
    }
    missed = [name for name, reply in stumbles.items() if not problems(name, reply)]
    assert missed == []
    # A link whose text is its own address, whole or shortened, is shown as the address alone.
    for text in (VPC_GUIDE.removeprefix("https://"), "docs.aws.amazon.com/vpc/latest/user…"):
        assert to_plain(link(text, VPC_GUIDE)) == VPC_GUIDE
    assert problems("fine", Reply(text=f"Read {link('the VPC guide', VPC_GUIDE)}: 1 answer, 2 answers.")) == []


VPC_GUIDE = "https://docs.aws.amazon.com/vpc/latest/userguide/what-is-amazon-vpc.html"


async def _practise(core: Core, domain: int, right: bool, times: int) -> None:
    who = person(moderator=True)
    done = 0
    for _ in range(40):
        question = await core.handle_line(who, f"/practice exam:CLF-C02 domain:{domain}")
        if question.select is not None:
            continue  # multiple-response: the helper below presses single-answer buttons
        letter = correct_letter(core, question)
        if not right:
            letter = next(b.label for b in question.buttons if b.label != letter)
        verdict = await press(core, who, question, letter)
        assert verdict.title == ("Correct" if right else "Not quite"), verdict.text
        done += 1
        if done == times:
            return
    raise AssertionError(f"only {done} single-answer questions in domain {domain}")


async def test_a_domain_answered_all_right_is_not_listed_as_weakest(core: Core) -> None:
    await _practise(core, 1, right=True, times=3)
    await _practise(core, 2, right=False, times=3)
    stats = await core.handle_line(person(moderator=True), "/stats")
    weakest = next(f.value for f in stats.fields if f.name == "Weakest domains")
    assert "Security and Compliance: 0% of 3" in to_plain(weakest)
    assert "Cloud Concepts" not in weakest and "100%" not in weakest
    assert problems("/stats", stats) == []


async def test_an_expired_retired_certification_is_not_said_to_stay_valid(core: Core) -> None:
    who = person(moderator=True)
    for line in ("/mycerts add exam:SAA-C02 passed:2021-03-01", "/mycerts add exam:SOA-C02 passed:2025-06-01"):
        added = await core.handle_line(who, line)
        assert added.title != "That didn't work", added.text
    listed = await core.handle_line(who, "/mycerts list")
    held = {f.name.split(" ")[0]: to_plain(f.value) for f in listed.fields}
    assert "expired" in held["SAA-C02"] and "stays valid" not in held["SAA-C02"], held["SAA-C02"]
    assert "SAA-C02 is retired; its successor is SAA-C03." in held["SAA-C02"]
    assert "SOA-C02 is retired; the certification stays valid until it expires." in held["SOA-C02"]
    assert problems("/mycerts list", listed) == []


async def test_a_count_of_one_day_is_one_day(core: Core, clock: FixedClock) -> None:
    who = person(moderator=True)
    added = await core.handle_line(who, "/mycerts add exam:SAA-C03 passed:2023-11-24")  # expires tomorrow
    assert "(1 day left)" in to_plain(markup_of(added)), markup_of(added)
    target = await core.handle_line(who, "/studyadmin group target exam:SAA-C03 date:2026-11-24 channel:#c1")
    assert target.title != "That didn't work", target.text
    tomorrow = await core.handle_line(who, "/path role:developer years:1")
    assert "1 day to go" in to_plain(markup_of(tomorrow)), markup_of(tomorrow)
    clock.advance(dt.timedelta(days=2))
    past = await core.handle_line(who, "/path role:developer years:1")
    assert "1 day ago" in to_plain(markup_of(past)), markup_of(past)
    for reply in (added, tomorrow, past):
        assert problems("one day", reply) == [], problems("one day", reply)


async def test_every_exam_page_reads_as_plain_words(core: Core) -> None:
    """Retired exams too: their status, notes and renewal must not say one thing twice."""
    found: list[str] = []
    for exam in core.services.catalog.exams.values():
        for line in (f"/cert {exam.code}", f"/ask is {exam.code} retired?", f"/mycerts add exam:{exam.code}"):
            found.extend(problems(line, await core.handle_line(person(moderator=True), line)))
    assert found == [], "\n".join(found)


async def test_a_long_retired_exam_does_not_say_its_certifications_stay_valid(core: Core) -> None:
    old = to_plain((await core.handle_line(person(), "/cert AXS-C01")).text)
    assert "had expired by March 2024, three years after its last test day" in old and "stay valid" not in old, old
    recent = to_plain((await core.handle_line(person(), "/cert SOA-C02")).text)
    assert "Certifications earned on it stay valid until their three years run out." in recent, recent
