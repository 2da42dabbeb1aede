"""`/studyadmin bank import` with an attached file, through real discord.py and the fake Discord (issue 20).

The member attaches the file to the command's ATTACHMENT option (type 11); Discord names it in the
interaction's `resolved.attachments` with a CDN URL, which the adapter downloads (from 127.0.0.1 here)
and hands to the core as text. A file too big is not downloaded at all; a file that is not UTF-8 text,
or one the CDN no longer has, is a friendly error; nothing is imported in either case.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from adapters.discord.client import DiscordAdapter
from adapters.discord.commands import command_payload
from bot.features import build_registry
from bot.features.banks import EXAMPLE
from bot.runtime import Runtime
from bot.store.schema import workspace_questions
from tests.adapters.discord import screen
from tests.core.test_bank_import_files import BANK_CSV, BANK_YAML, BROKEN_YAML
from tests.fakes.discord_server import FakeDiscord, FakeFile, Recorded

IMPORT = "studyadmin bank import"


async def imported(runtime: Runtime) -> int:
    async with runtime.services.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(workspace_questions))).scalar_one())


async def attach(fake: FakeDiscord, file: FakeFile, **options: Any) -> dict[str, Any]:
    """The message the moderator sees after `/studyadmin bank import file:<attachment>`."""
    interaction = await fake.slash(IMPORT, {"file": file, **options}, user="mod")
    return fake.message_of(await fake.wait_for_callback(interaction))


def downloads(fake: FakeDiscord) -> list[Recorded]:
    return [r for r in fake.requests if r.path.startswith("/ephemeral-attachments/")]


def test_the_file_option_is_an_attachment_in_the_synced_payload() -> None:
    payload = {c["name"]: c for c in command_payload(build_registry())}
    bank = next(o for o in payload["studyadmin"]["options"] if o["name"] == "bank")
    command = next(o for o in bank["options"] if o["name"] == "import")
    kinds = {o["name"]: o["type"] for o in command["options"]}
    assert kinds == {"mode": 3, "file": 11, "text": 3}
    assert not any(o.get("required") for o in command["options"])


async def test_an_attached_yaml_bank_is_downloaded_and_imported(
    fake: FakeDiscord, adapter: DiscordAdapter, runtime: Runtime
) -> None:
    message = await attach(fake, FakeFile("team-bank.yaml", BANK_YAML.encode()), mode="append")
    assert screen.title(message) == "Question bank imported", screen.text(message)
    assert "2 new, 0 updated" in screen.text(message)
    assert await imported(runtime) == 2
    [download] = downloads(fake)
    assert download.method == "GET" and download.path.endswith("/team-bank.yaml")
    assert "Authorization" not in download.headers  # the CDN URL needs no token, and gets none


async def test_an_attached_csv_with_a_byte_order_mark_is_imported(
    fake: FakeDiscord, adapter: DiscordAdapter, runtime: Runtime
) -> None:
    message = await attach(fake, FakeFile("bank.csv", b"\xef\xbb\xbf" + BANK_CSV.encode(), "text/csv"))
    assert screen.title(message) == "Question bank imported", screen.text(message)
    assert await imported(runtime) == 1


async def test_every_problem_of_an_attached_file_in_one_reply(
    fake: FakeDiscord, adapter: DiscordAdapter, runtime: Runtime
) -> None:
    message = await attach(fake, FakeFile("bank.yaml", BROKEN_YAML.encode()))
    shown = screen.text(message)
    assert screen.title(message) == "That didn't work"
    assert "Nothing was imported: 6 problems." in shown
    for words in ("line 3, question 1", "line 5, question 1", "line 8, question 1", "line 16, question 2"):
        assert words in shown, shown
    assert "Tuple should" not in shown and "validation" not in shown
    assert await imported(runtime) == 0


async def test_a_file_too_big_is_refused_without_downloading_it(
    fake: FakeDiscord, adapter: DiscordAdapter, runtime: Runtime
) -> None:
    message = await attach(fake, FakeFile("huge.yaml", b"x" * 1000, size=5_000_000))
    assert screen.title(message) == "That didn't work"
    assert "`huge.yaml` is 5 MB" in (message["embeds"][0]["description"]) and "over the 1 MB that" in screen.text(
        message
    )
    assert downloads(fake) == []
    assert await imported(runtime) == 0


async def test_a_file_that_is_not_text_or_is_gone_is_a_friendly_error(
    fake: FakeDiscord, adapter: DiscordAdapter, runtime: Runtime
) -> None:
    binary = await attach(fake, FakeFile("bank.xlsx", b"PK\x03\x04\x14\x00\x06\x00\xff\xfe", "application/zip"))
    assert screen.title(binary) == "That didn't work"
    assert "is not UTF-8 text" in screen.text(binary) and "CSV UTF-8" in screen.text(binary)

    gone = await attach(fake, FakeFile("bank.yaml", BANK_YAML.encode(), gone=True))
    assert screen.title(gone) == "That didn't work"
    assert "I could not download `bank.yaml` from Discord" in gone["embeds"][0]["description"]
    assert "Reference" not in screen.text(gone)
    assert await imported(runtime) == 0


async def test_text_still_works_beside_the_file_but_not_both(
    fake: FakeDiscord, adapter: DiscordAdapter, runtime: Runtime
) -> None:
    both = await attach(fake, FakeFile("bank.yaml", BANK_YAML.encode()), text="exam: SAA-C03")
    assert screen.title(both) == "That didn't work" and "not both" in screen.text(both)
    one_line = EXAMPLE.split("text:", 1)[1]  # a string option is one line on Discord
    typed = fake.message_of(await fake.wait_for_callback(await fake.slash(IMPORT, {"text": one_line}, user="mod")))
    assert screen.title(typed) == "Question bank imported", screen.text(typed)
    assert await imported(runtime) == 1
