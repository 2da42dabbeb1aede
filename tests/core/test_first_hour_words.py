"""The words an outside tester stumbled on in studybot's first hour (issue 20): each case is one the
examples of `/help` do not reach, read through the console core (and a Discord identity where the
wording differs per platform), and then by the stumble reader of test_words.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from adapters.console.render import render
from adapters.console.shell import ConsoleSession
from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.commands.dispatch import Core
from bot.markup import to_plain
from bot.replies import Reply
from bot.requests import Action, Identity
from bot.schedule.deliveries import Counts
from bot.words import listed, plural
from tests.conftest import person
from tests.core.test_words import markup_of, problems
from tests.fakes.posters import FakePoster
from tests.practice.test_flows import press
from tests.schedule.conftest import open_runtime

MOD = person(moderator=True)


def plain(reply: Reply) -> str:
    return to_plain(markup_of(reply))


async def _multiple(core: Core, who: Identity) -> Reply:
    for _ in range(80):
        question = await core.handle_line(who, "/practice exam:SAA-C03")
        if question.select is not None and question.select.max_values > 1:
            return question
        await press(core, who, question, question.buttons[0].label)  # answer it, to draw another
    raise AssertionError("no multiple-response SAA-C03 question in 80 draws")


def test_counts_and_lists_in_words() -> None:
    assert plural(1096, "day") == "1,096 days" and plural(1, "field") == "1 field"
    assert [listed("C"), listed("CD"), listed("BCE")] == ["C", "C and D", "B, C and E"]
    assert Counts(prompts=1).summary() == "1 prompt, 0 reveals, 0 reminders, 0 digests, 0 skipped"
    assert Counts(reveals=1, skipped=2).summary() == "0 prompts, 1 reveal, 0 reminders, 0 digests, 2 skipped"


async def test_a_one_question_mock_of_one_minute(core: Core) -> None:
    started = await core.handle_line(person(), "/mock exam:SAA-C03 questions:1 minutes:1")
    assert "SAA-C03 mock: 1 question in 1 minute." in plain(started), plain(started)
    assert problems("mock", started) == []


async def test_a_multiple_response_question_says_how_to_choose_once(core: Core) -> None:
    who = person()
    question = await _multiple(core, who)
    shown = render(question)
    assert "(Choose two.)" in shown and shown.count("Choose 2") == 1, shown  # the stem, then the one line
    assert "Choose 2." not in shown and "Choose 2 options" not in shown and "Choose with" not in shown, shown
    assert "/choose" not in to_plain(question.text)  # the console's line is the console's own
    # Submit before choosing: said once, and with no menu in the console; Discord's member has one.
    submit = question.buttons[0]
    early = await core.handle(Action(who, submit.action_id))
    assert early.title == "That didn't work" and "menu" not in plain(early), plain(early)
    assert "/choose" in plain(early) and plain(early).count("Submit") == 1, plain(early)
    on_discord = person(platform="discord")
    theirs = await _multiple(core, on_discord)
    early_there = await core.handle(Action(on_discord, theirs.buttons[0].action_id))
    assert "in the menu" in plain(early_there) and "/choose" not in plain(early_there), plain(early_there)
    # The verdict states a two-letter key in words, under a title it does not repeat.
    assert question.select is not None
    wrong = [o.value for o in question.select.options][:2]
    verdict = await core.handle(Action(who, submit.action_id, values=tuple(wrong)))
    if verdict.title == "Not quite":
        text = plain(verdict)
        assert " and " in text.split("The answer is ", 1)[1].split(".", 1)[0], text
        assert not to_plain(verdict.text).startswith("Not quite"), verdict.text
    assert problems("verdict", verdict) == []


async def test_the_console_says_how_to_choose_and_which_button(core: Core, tmp_path: Path) -> None:
    session = ConsoleSession(core, person(), files=tmp_path)
    for _ in range(80):
        said = await session.run_line("/practice exam:SAA-C03")
        assert said is not None
        if "Choose 2:" in said:
            break
        await session.run_line("/press 1")
    else:
        raise AssertionError("no choose-2 question in 80 draws")
    assert "Choose 2: /choose A B (letters or numbers), then press Submit with /press 1." in said, said
    assert said.count("Choose 2") == 1 and "Press one with /press N." not in said, said
    one = await session.run_line("/press 2")  # only [1] Submit is there
    assert one is not None and "There is one button here: press it with /press 1." in one, one
    chosen = await session.run_line("/choose B D")
    assert chosen is not None and "Chosen: B and D." in chosen, chosen


async def test_cron_errors_in_plain_words(core: Core) -> None:
    base = "/studyadmin schedule add channel:#study exam:SAA-C03 timezone:UTC"
    for cron, says in [
        ("61 9 * * *", "the minute must be 0 to 59"),
        ("0 25 * * *", "the hour must be 0 to 23"),
        ("@daily", "has 1 field, not 5"),
    ]:
        reply = await core.handle_line(MOD, f'{base} cron:"{cron}"')
        assert reply.title == "That didn't work" and says in plain(reply), plain(reply)
        assert problems(cron, reply) == []


async def test_bank_import_errors_in_plain_words(core: Core) -> None:
    passwd = await core.handle_line(MOD, "/studyadmin bank import text:root:x:0:0:root:/root:/bin/bash")
    assert "a question bank starts with exam: and questions:" in plain(passwd), plain(passwd)
    broken = await core.handle_line(MOD, '/studyadmin bank import text:"exam: SAA-C03\nquestions: [a,"')
    assert "not valid YAML" in plain(broken) and "stream end" not in plain(broken), plain(broken)
    for reply in (passwd, broken):
        assert problems("bank import", reply) == []


async def test_grammar_of_retired_exams_moderators_stats_and_a_finished_path(core: Core) -> None:
    add = await core.handle_line(MOD, "/studyadmin schedule add channel:#s exam:SAA-C02 preset:weekdays-9am")
    assert "SAA-C02 is retired, so no prompts can be scheduled for it." in plain(add), plain(add)
    target = await core.handle_line(MOD, "/studyadmin group target exam:SAA-C02 date:2027-06-01 channel:#s")
    assert "prompt" not in plain(target) and "target" in plain(target), plain(target)
    mods = await core.handle_line(MOD, "/studyadmin moderators list")
    assert "The local user (unless started with --member) is always a moderator." in plain(mods), plain(mods)
    stats = await core.handle_line(MOD, "/stats channel:#study exam:SAA-C03")
    assert "Nobody has answered SAA-C03 questions in #study" in plain(stats), plain(stats)
    held = "CLF-C02,SAA-C03,DVA-C02,SOA-C03,SAP-C02,DOP-C02"
    done = await core.handle_line(MOD, f"/path role:developer years:1 held:{held}")
    assert "Your path is complete" in plain(done) and "0 exams" not in plain(done), plain(done)
    for reply in (add, target, mods, stats, done):
        assert problems("grammar", reply) == []


async def test_a_mock_ended_with_nothing_answered(core: Core) -> None:
    who = person()
    started = await core.handle_line(who, "/mock exam:SAA-C03 questions:2 minutes:10")
    end = next(b for b in started.buttons if b.label == "End mock now")
    report = await core.handle(Action(who, end.action_id))
    while report.title != "" and "report" not in report.title:  # a confirmation first, when asked
        report = await core.handle(Action(who, report.buttons[0].action_id))
    text = plain(report)
    assert "0 answered wrong, 2 unanswered" in text and "0 wrong" not in text.replace("0 answered wrong", ""), text
    assert "come back in /review" not in text, text
    page = await core.handle(Action(who, next(b for b in report.buttons if b.label == "Next").action_id))
    assert "You gave no answer." in plain(page) and "Not quite" not in plain(page), plain(page)
    assert problems("mock report", report) == [] and problems("mock page", page) == []


async def test_arriving_at_a_flagged_mock_question(core: Core) -> None:
    who = person()
    started = await core.handle_line(who, "/mock exam:SAA-C03 questions:2 minutes:10")
    flag = next(b for b in started.buttons if b.label == "Flag for review")
    flagged = await core.handle(Action(who, flag.action_id))
    assert "Flagged for review." in plain(flagged)
    again = await core.handle_line(who, "/mock exam:SAA-C03")
    assert "You flagged this question for review." in plain(again) and "Flagged for review." not in plain(again)


async def test_the_retired_security_exam_says_each_fact_once(core: Core) -> None:
    text = plain(await core.handle_line(person(), "/cert SCS-C02"))
    assert text.count("1 December 2025") == 1, text
    assert text.count("valid until") + text.count("three-year expiry") == 1, text


async def test_every_retired_exam_says_its_last_day_successor_and_validity_once(core: Core, catalog: Catalog) -> None:
    """The outside tester's SCS-C02 finding held for more retired exams: notes repeated the last test
    day or that there is no successor, renewal texts repeated how long certifications stay valid."""
    retired = [e for e in catalog.exams.values() if e.status != "current" and e.retired_on is not None]
    assert len(retired) >= 8
    for exam in retired:
        assert exam.retired_on is not None
        reply = await core.handle_line(person(), f"/cert {exam.code}")
        text = to_plain("\n".join([reply.text, *(f.value for f in reply.fields)]))  # not the sources footer
        day = f"{exam.retired_on.day} {exam.retired_on:%B %Y}"
        assert text.count(day) <= 1, (exam.code, text)
        assert sum(text.count(w) for w in ("no successor", "no direct successor", "no one-to-one")) <= 1, text
        validity = ("valid until", "three-year expiry", "had expired by")
        assert sum(text.count(w) for w in validity) <= 1, (exam.code, text)


async def test_suggestions_only_when_close_and_a_short_weekday(core: Core) -> None:
    for line in (
        "/profile timezone:Nowhere",
        "/report question:saa-c03-004 reason:boring",
        "/studyadmin schedule add channel:#s exam:SAA-C03 preset:weekdays-9am colour:red",
    ):
        reply = await core.handle_line(MOD, line)
        assert reply.title == "That didn't work" and "Did you mean" not in reply.text, (line, reply.text)
    close = await core.handle_line(MOD, "/profile timezone:Europe/Berln")
    assert "Did you mean `Europe/Berlin`" in close.text
    for day in ("mon", "TUE"):
        added = await core.handle_line(MOD, f"/studyadmin digest add channel:#d{day} day:{day} time:09:00")
        assert added.title == "Digest added", added.text


async def test_smaller_words(core: Core) -> None:
    usage = await core.handle_line(person(), "/review colour:red")
    assert "/review [next|settings|break|resume]" in plain(usage) and "action:" not in plain(usage), plain(usage)
    added = await core.handle_line(person(), "/mycerts add exam:SAA-C03 passed:2026-11-23")
    assert "(1,096 days left)" in plain(added), plain(added)
    await core.handle_line(MOD, "/studyadmin schedule add channel:#s exam:SAA-C03 preset:weekdays-9am timezone:UTC")
    first = await core.handle_line(MOD, '/studyadmin schedule edit id:1 cron:"0 10 * * MON"')
    second = await core.handle_line(MOD, '/studyadmin schedule edit id:1 cron:"0 10 * * MON"')
    assert first.title == "Schedule changed" and second.title == "Nothing to change", (first.title, second.title)
    for reply in (usage, added, first, second):
        assert problems("smaller", reply) == []


async def test_a_skip_note_says_what_happened_when_every_run_was_missed(database_url: str, catalog: Catalog) -> None:
    start = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
    clock = FixedClock(start)
    async with open_runtime(database_url, clock, catalog, FakePoster()) as rt:
        add = "/studyadmin schedule add channel:#clf exam:CLF-C02 preset:daily-9am timezone:UTC"
        assert (await rt.core.handle_line(MOD, add)).title == "Schedule added"
        clock.set(start + dt.timedelta(days=1, hours=5))  # Fri 13:00: Thu's and Fri's 09:00 both missed
        counts = await rt.schedule.deliver_due()
        reasons = [s.reason for s in counts.skips]
        assert counts.prompts == 0 and len(reasons) == 2, reasons
        assert not any("only the latest is posted" in r for r in reasons), reasons
        assert "nothing was posted" in reasons[0], reasons
