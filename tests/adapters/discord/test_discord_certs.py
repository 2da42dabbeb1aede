"""Issue 6 through real discord.py and the fake Discord: `/cert` and `/ask`, with the buttons pressed."""

from __future__ import annotations

from adapters.discord.client import DiscordAdapter
from adapters.discord.render import EPHEMERAL
from bot.catalog import Catalog
from tests.adapters.discord import screen
from tests.fakes.discord_server import FakeDiscord

NEW_MESSAGE = 4


async def test_cert_catalog_then_an_exam_button(fake: FakeDiscord, adapter: DiscordAdapter, catalog: Catalog) -> None:
    listed = fake.message_of(await fake.wait_for_callback(await fake.slash("cert")))
    codes = {e.code for e in catalog.current_exams}
    assert len(screen.labels(listed)) == len(codes) == 12
    saa = next(label for label in screen.labels(listed) if "SAA-C03" in label)

    press = await fake.press(listed["id"], screen.button(listed, saa)["custom_id"])
    answer = await fake.wait_for_callback(press)
    opened = fake.message_of(answer)
    assert screen.title(opened).startswith("SAA-C03")
    assert "reviewed" in screen.footer(opened)
    assert "720" in screen.text(opened)  # the passing score, from the exam's facts
    assert len(screen.components(fake.messages[int(listed["id"])])) == 12  # the catalog stays usable


async def test_an_ambiguous_name_offers_choices_and_one_is_pressed(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    asked = await fake.slash("cert", {"exam": "solutions architect"})
    choices = fake.message_of(await fake.wait_for_callback(asked))
    labels = screen.labels(choices)
    assert len(labels) == 2 and all(any(code in label for label in labels) for code in ("SAA-C03", "SAP-C02"))
    sap = next(label for label in labels if "SAP-C02" in label)

    answer = await fake.wait_for_callback(await fake.press(choices["id"], screen.button(choices, sap)["custom_id"]))
    assert screen.title(fake.message_of(answer)).startswith("SAP-C02")


async def test_ask_answers_in_public_with_its_sources(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    callback = await fake.wait_for_callback(await fake.slash("ask", {"question": "what's the passing score for SAA?"}))
    assert callback.json["type"] == NEW_MESSAGE
    assert not int(callback.json["data"].get("flags") or 0) & EPHEMERAL  # the channel sees the answer
    answer = fake.message_of(callback)
    assert "720" in screen.text(answer)
    assert screen.footer(answer).startswith(("Source: ", "Sources: ")) and "exam guide" in screen.footer(answer)


async def test_ask_declines_then_a_topic_button_answers(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    # "renewal" alone is now answered (the renewal FAQ); a vaguer question still abstains with topics.
    callback = await fake.wait_for_callback(await fake.slash("ask", {"question": "certs going stale"}))
    declined = fake.message_of(callback)
    assert declined["flags"] & EPHEMERAL and screen.title(declined) == "I don't know"
    topics = screen.labels(declined)
    assert len(topics) == 3
    chosen = topics[0]

    press = await fake.press(declined["id"], screen.button(declined, chosen)["custom_id"])
    opened = fake.message_of(await fake.wait_for_callback(press))
    assert screen.title(opened) == chosen
    assert screen.footer(opened).startswith(("Source: ", "Sources: "))
    assert screen.text(opened)
