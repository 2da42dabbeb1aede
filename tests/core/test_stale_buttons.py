"""Buttons whose message has been overtaken say what happened instead of acting again (issue 20).

A `/profile delete` confirmation is answered once: a second press says what the first did and when,
and one shown before another confirmation deleted the member's data deletes nothing stored since.
A catalog page whose exams have changed since it was posted says so and shows the current one.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt

from bot.actions import ActionId
from bot.catalog import Catalog
from bot.clock import FixedClock
from bot.commands.dispatch import Core
from bot.features.profile import DELETE
from bot.markup import to_plain
from bot.paths.context import PathContext
from bot.paths.loader import NAME as PATHS
from bot.replies import Reply
from bot.requests import Action
from bot.runtime import Runtime
from bot.store import members as member_store
from tests.conftest import make_settings, person

MINUTE = dt.timedelta(minutes=1)


async def timezone_of(core: Core) -> str | None:
    async with core.services.engine.connect() as conn:
        member = await member_store.find(conn, person())
    return None if member is None else member.timezone


async def confirmation(core: Core) -> tuple[str, str]:
    ask = await core.handle_line(person(), "/profile delete")
    delete_id, keep_id = (b.action_id for b in ask.buttons)
    return delete_id, keep_id


async def press(core: Core, action_id: str) -> Reply:
    return await core.handle(Action(person(), action_id))


async def test_delete_pressed_twice_says_when_it_was_done_and_keeps_what_came_after(
    core: Core, clock: FixedClock
) -> None:
    await core.handle_line(person(), "/profile timezone:Asia/Tokyo")
    delete_id, _ = await confirmation(core)
    clock.advance(MINUTE)
    first = await press(core, delete_id)
    assert (first.title, first.text) == ("Deleted", "Everything studybot stored about you is deleted.")
    assert await timezone_of(core) is None

    clock.advance(MINUTE)
    await core.handle_line(person(), "/profile timezone:Europe/Berlin")  # stored after the deletion
    clock.advance(MINUTE)
    again = await press(core, delete_id)
    text = to_plain(again.text)
    assert again.title == "Already deleted" and again.replace and again.ephemeral
    assert "already confirmed on Mon 23 Nov 09:01 (Europe/Berlin)" in text, text  # in the zone now set
    assert "Nothing was deleted" not in text and "nothing stored" not in text
    assert await timezone_of(core) == "Europe/Berlin"


async def test_keep_is_final_a_later_delete_press_on_the_same_question_deletes_nothing(
    core: Core, clock: FixedClock
) -> None:
    """Found by an outside tester: after "Keep my data", pressing "Delete everything" on the same
    question (an old console line, a client that still shows the buttons) deleted everything."""
    await core.handle_line(person(), "/profile timezone:Asia/Tokyo")
    delete_id, keep_id = await confirmation(core)
    kept = await press(core, keep_id)
    assert "Nothing was deleted" in kept.text and kept.replace
    clock.advance(MINUTE)
    for again in (delete_id, keep_id):
        late = await press(core, again)
        text = to_plain(late.text)
        assert late.title == "Already answered" and late.replace, text
        assert "You chose to keep your data on Mon 23 Nov 17:00 (Asia/Tokyo)" in text, text
        assert "changed nothing" in text and "/profile delete" in text, text
    assert await timezone_of(core) == "Asia/Tokyo"
    fresh_delete, _ = await confirmation(core)  # a new question can still delete
    assert (await press(core, fresh_delete)).title == "Deleted"
    after = to_plain((await press(core, keep_id)).text)
    assert "Nothing was deleted" not in after and "already deleted" in after, after  # the old question is out of date


async def test_keep_and_delete_pressed_at_once_one_wins(core: Core) -> None:
    await core.handle_line(person(), "/profile timezone:Asia/Tokyo")
    delete_id, keep_id = await confirmation(core)
    replies = await asyncio.gather(press(core, keep_id), press(core, delete_id))
    kept, deleted = replies
    if deleted.title == "Deleted":  # delete claimed the question first: keep says so
        assert kept.title == "Already deleted", kept
        assert await timezone_of(core) is None
    else:  # keep claimed it first: delete changed nothing
        assert "Nothing was deleted" in kept.text and deleted.title == "Already answered", replies
        assert await timezone_of(core) == "Asia/Tokyo"


async def test_a_question_asked_before_another_deletion_deletes_nothing_stored_since(
    core: Core, clock: FixedClock
) -> None:
    await core.handle_line(person(), "/profile timezone:Asia/Tokyo")
    old_delete, old_keep = await confirmation(core)
    clock.advance(MINUTE)
    new_delete, _ = await confirmation(core)
    clock.advance(MINUTE)
    assert (await press(core, new_delete)).title == "Deleted"
    clock.advance(MINUTE)
    await core.handle_line(person(), "/profile timezone:Europe/Berlin")

    for stale in (old_delete, old_keep):
        reply = await press(core, stale)
        text = to_plain(reply.text)
        assert reply.title == "This question is out of date", text
        assert "already deleted on Mon 23 Nov 09:02 (Europe/Berlin)" in text, text
        assert "what you stored since is kept" in text and "Nothing was deleted" not in text
    assert await timezone_of(core) == "Europe/Berlin"

    fresh_delete, _ = await confirmation(core)  # a question asked now deletes what is there now
    assert (await press(core, fresh_delete)).title == "Deleted"
    assert await timezone_of(core) is None


async def test_delete_pressed_twice_at_once_deletes_once(core: Core) -> None:
    await core.handle_line(person(), "/profile timezone:Asia/Tokyo")
    delete_id, _ = await confirmation(core)
    replies = await asyncio.gather(*(press(core, delete_id) for _ in range(3)))
    assert sorted(str(r.title) for r in replies) == ["Already deleted", "Already deleted", "Deleted"]
    assert await timezone_of(core) is None


async def test_a_confirmation_from_before_the_asked_time_was_kept_is_refused(core: Core) -> None:
    await core.handle_line(person(), "/profile timezone:Asia/Tokyo")
    reply = await press(core, ActionId(DELETE, ("ada",)).encode())
    assert reply.title == "That didn't work" and "older version" in reply.text
    assert await timezone_of(core) == "Asia/Tokyo"


async def test_a_catalog_page_that_has_changed_says_so_and_shows_the_current_one(
    core: Core, catalog: Catalog, sqlite_url: str, clock: FixedClock
) -> None:
    page = await core.handle_line(person(), "/cert")
    by_code = {ActionId.decode(b.action_id).field(0): b.action_id for b in page.buttons}
    retired = catalog.exams["ANS-C01"].model_copy(update={"status": "retired", "retired_on": dt.date(2026, 11, 20)})
    exams = {code: exam for code, exam in catalog.exams.items() if code != "DEA-C01"} | {"ANS-C01": retired}
    # The paths keep the rules they were checked with: this is a catalog page test, not a paths one.
    changed = dataclasses.replace(catalog, exams=exams, extra={**catalog.extra, PATHS: PathContext(catalog).rules})

    async with Runtime(make_settings(sqlite_url), clock=clock, catalog=changed) as updated:
        for code, now in (("ANS-C01", "is retired now"), ("DEA-C01", "is no longer in the catalog")):
            reply = await updated.core.handle(Action(person(), by_code[code]))
            text = to_plain(reply.text)
            assert text.startswith(f"That page has changed: {code} {now}. Here is the current one."), text
            assert reply.ephemeral and len(reply.buttons) == len(changed.current_exams) == 10
        unchanged = await updated.core.handle(Action(person(), by_code["SAA-C03"]))
        assert unchanged.title is not None and unchanged.title.startswith("SAA-C03")
        fresh = await updated.core.handle_line(person(), "/cert")
        opened = await updated.core.handle(Action(person(), fresh.buttons[0].action_id))
        assert opened.title is not None and "·" in opened.title


async def test_a_choice_of_exams_opens_a_retired_one_as_it_was_offered(core: Core) -> None:
    offer = await core.handle_line(person(), "/cert security")
    retired = next(b for b in offer.buttons if "retired" in b.label)
    opened = await core.handle(Action(person(), retired.action_id))
    assert opened.title is not None and opened.title.startswith("SCS-C02")


def an_answer(reply: Reply) -> Action:
    """A press that answers the question `reply` shows, whatever its form (buttons or a menu)."""
    if reply.select is not None:
        chosen = tuple(o.value for o in reply.select.options[: reply.select.min_values])
        return Action(person(), reply.select.action_id, chosen)
    return Action(person(), reply.buttons[0].action_id)


async def test_buttons_of_a_mock_that_has_ended_say_so_and_change_nothing(core: Core, clock: FixedClock) -> None:
    question = await core.handle_line(person(), "/mock exam:CLF-C02 questions:2")
    end = question.buttons[-1]
    assert end.label == "End mock now"
    clock.advance(MINUTE)
    ended = await core.handle(Action(person(), end.action_id))
    assert ended.title == "Mock CLF-C02 report" and "already ended" not in ended.text
    summary = to_plain(ended.text).split("\n")[0]
    clock.advance(MINUTE)
    again = await core.handle(Action(person(), end.action_id))
    text = to_plain(again.text)
    assert again.title == "Mock CLF-C02 report", text
    assert text.startswith("This mock already ended on Mon 23 Nov 08:01 (UTC); that press changed nothing."), text
    assert summary in text and "You ended it early." in text  # the same report, not ended a second time
    answered = await core.handle(an_answer(question))  # already said before issue 20; kept true
    assert "That question is closed; nothing was recorded." in answered.text
