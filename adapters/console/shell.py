"""`studybot shell`: type the same slash commands a chat member would.

Interactive on a terminal; with standard input from a file or pipe it prints a transcript instead:
each line echoed as `> line`, then its reply. `/press N` presses button N of the most recent message
that had buttons, and `/choose N …` picks options of its menu. A file option takes a local path
(`/studyadmin bank import file:bank.yaml`), which the console reads and hands over as the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from platformdirs import user_data_dir

from adapters.console.render import render, which_button
from bot.commands.dispatch import Core
from bot.commands.options import file_limit
from bot.commands.parse import parse_line
from bot.commands.spec import OptionType
from bot.errors import ParseError, UserError
from bot.files import not_regular
from bot.markup import code, esc
from bot.replies import Reply, Select, as_delivered, error_reply, is_failure
from bot.requests import Action, Identity, Request, Upload
from bot.words import listed

WELCOME = "studybot console. Type /help for commands, /press N to press a button, /quit to leave."


class ConsoleSession:
    """One console user talking to the core; remembers the last buttons for `/press`."""

    def __init__(self, core: Core, identity: Identity, *, files: Path | None = None) -> None:
        self.core = core
        self.identity = identity
        self.files = files or Path(user_data_dir("studybot", appauthor=False)) / "exports"
        self.buttons: list[str] = []
        self.select: Select | None = None
        self.chosen: tuple[str, ...] = ()
        self.failed = False  # whether the last line's reply was a refusal or an error
        self._message = 0

    async def reply_for(self, line: str) -> Reply | None:
        text = line.strip()
        if not text:
            return None
        word = text.split(None, 1)[0].casefold()
        if word == "/press":
            return await self._press(text)
        if word == "/choose":
            return await self._choose(text)
        with_files = await self._with_files(text)
        if isinstance(with_files, Reply):
            return with_files
        if with_files is not None:
            return self._remember(await self.core.handle(with_files))
        return self._remember(await self.core.handle_line(self.identity, text))

    async def _with_files(self, text: str) -> Request | Reply | None:
        """A line that names a file option (`file:bank.yaml`) as a request carrying the file's bytes,
        read here because opening a local path is the console's business, never the core's; an error
        reply when the path cannot be read; None for every other line (and for lines that do not
        parse, which `handle_line` then explains)."""
        try:
            parsed = parse_line(text, self.core.registry)
        except UserError:
            return None
        spec = self.core.registry.commands[parsed.path]
        files = [o for o in spec.options if o.type is OptionType.FILE and parsed.options.get(o.name)]
        if not files:
            return None
        options: dict[str, object] = dict(parsed.options)
        for option in files:
            read = await asyncio.to_thread(read_file, parsed.options[option.name], file_limit(option))
            if isinstance(read, Reply):
                return read
            options[option.name] = read
        return Request(self.identity, parsed.path, options)

    async def run_line(self, line: str) -> str | None:
        reply = await self.reply_for(line)
        self.failed = reply is not None and is_failure(reply)
        if reply is not None and reply.attachment is not None:
            reply = await asyncio.to_thread(save_attachment, reply, self.files)
        return None if reply is None else render(reply)

    def _remember(self, reply: Reply) -> Reply:
        if reply.has_components:
            self._message += 1
            self.buttons = [b.action_id for b in reply.buttons]
            self.select = reply.select
            self.chosen = ()
        return reply

    async def _press(self, text: str) -> Reply:
        parts = text.split()
        if not self.buttons:
            return error_reply("There is no button to press yet.", "Buttons appear under replies as [1], [2], …")
        if len(parts) != 2 or not parts[1].isdigit() or not 1 <= int(parts[1]) <= len(self.buttons):
            return error_reply(which_button(len(self.buttons)), "For example `/press 1`.")
        action_id = self.buttons[int(parts[1]) - 1]
        values = self.chosen
        reply = await self.core.handle(
            Action(self.identity, action_id, values=values, message_id=f"console-{self._message}")
        )
        return self._remember(reply)

    async def _choose(self, text: str) -> Reply:
        select = self.select
        if select is None:
            return error_reply("There is no menu to choose from.", "Menus appear under replies with numbered options.")
        count = len(select.options)
        by_letter = {o.label.casefold(): str(n) for n, o in enumerate(select.options, start=1)}
        # Options may be picked by number or by the letter they are shown with ("/choose C D").
        picks = [by_letter.get(p.casefold(), p) for p in text.replace(",", " ").split()[1:]]
        if not picks or not all(p.isdigit() and 1 <= int(p) <= count for p in picks):
            return error_reply(
                f"Choose options by number (1 to {count}) or by their letters.",
                "For example `/choose 1 3` or `/choose A C`.",
            )
        if len(set(picks)) != len(picks):
            return error_reply("You chose the same option twice.", None)
        if not select.min_values <= len(picks) <= select.max_values:
            want = (
                str(select.max_values)
                if select.min_values == select.max_values
                else f"{select.min_values} to {select.max_values}"
            )
            return error_reply(f"Choose {want} option{'' if want == '1' else 's'}.", None)
        values = tuple(select.options[int(p) - 1].value for p in picks)
        if self.buttons:
            self.chosen = values
            labels = listed(select.options[int(p) - 1].label for p in picks)
            return Reply(text=f"Chosen: {labels}. Now press Submit with `/press 1`.", ephemeral=True)
        reply = await self.core.handle(
            Action(self.identity, select.action_id, values=values, message_id=f"console-{self._message}")
        )
        return self._remember(reply)


def save_attachment(reply: Reply, folder: Path) -> Reply:
    """A reply's file written under the data directory (readable by this account only, since it holds a
    member's data), the reply then naming the path after its caption (in place of the text the file
    repeats) or after its text (which a picture adds to)."""
    attached = reply.attachment
    assert attached is not None
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in attached.filename).lstrip(".") or "file"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(attached.content)
    said = as_delivered(reply).text
    saved = f"Saved to {code(str(path))} ({len(attached.content):,} bytes)."
    return dataclasses.replace(reply, text=f"{said}\n{saved}" if said else saved, attachment=None)


def read_file(given: str, limit: int) -> Upload | Reply:
    """The file at `given` (relative to the folder studybot was started in), at most `limit` + 1
    bytes of it: enough for the core to say it is too big without reading a huge file whole."""
    path = Path(given).expanduser()
    shown = code(given[:120])
    if path.is_dir():
        return error_reply(f"{shown} is a folder, not a file.", "Give the path of the file itself.")
    if not_regular(path) is not None:  # a FIFO would hang the shell, /dev/zero would never end
        return error_reply(
            f"{shown} is not a regular file (a device, a FIFO or a socket).", "Give the path of the file itself."
        )
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
            size = os.fstat(handle.fileno()).st_size
    except FileNotFoundError:
        return error_reply(f"There is no file {shown}.", f"A relative path starts from {code(str(Path.cwd())[:120])}.")
    except PermissionError:
        return error_reply(f"I may not read {shown}.", "Check the file's permissions.")
    except OSError as exc:
        return error_reply(f"I could not read {shown}: {esc(exc.strerror or str(exc))}.", None)
    return Upload(path.name, data, size=max(size, len(data)))


async def run_shell(
    session: ConsoleSession,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    *,
    interactive: bool | None = None,
    database: str | None = None,
) -> int:
    """Run the shell until end of input; returns the exit code. `database` (as `store.db.describe`
    says it) is named in the welcome line, so a member who starts from another folder or account
    sees at once which data this session uses."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    if interactive is None:
        interactive = stdin.isatty()
    write: Callable[[str], object] = stdout.write
    if interactive:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing and history for input(), where the platform has it)
        write(WELCOME + "\n")
        if database:
            write(f"Data: {database} (set STUDYBOT_DATABASE_URL to use another).\n")
    while True:
        if interactive:
            try:
                line = await asyncio.to_thread(input, "studybot> ")
            except EOFError:
                write("\n")
                return 0
        else:
            line = await asyncio.to_thread(stdin.readline)
            if line == "":
                return 0
            line = line.rstrip("\r\n")
        if not interactive:
            write(f"> {line}\n")
        if line.strip().casefold() in {"/quit", "/exit"}:  # in both modes: a script may end early too
            return 0
        try:
            output = await session.run_line(line)
        except ParseError as exc:  # pragma: no cover - the core turns these into replies
            output = render(error_reply(exc.message, exc.hint))
        if output is not None:
            write(output + "\n\n")
        stdout.flush()
