"""The README's promises that can drift: every command is listed, and the quickstart is two commands."""

from __future__ import annotations

import re
from pathlib import Path

from bot.features import build_registry

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme() -> None:
    for spec in build_registry():
        word = spec.path[1] if spec.path[0] == "studyadmin" else spec.path[0]
        assert re.search(rf"`/?{re.escape(word)}\b", README), f"/{spec.name} is missing from README.md"


def test_quickstart_has_exactly_two_one_line_commands() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", quickstart, flags=re.DOTALL)
    assert len(blocks) == 2
    assert all(len(block.strip().splitlines()) == 1 for block in blocks)
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert blocks[1].strip() in ci  # CI runs the README's test command, verbatim
