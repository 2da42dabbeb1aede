"""The core never imports discord, slack_bolt or slack_sdk: checked by importing all of it afresh."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import bot

SCRIPT = """
import importlib, pkgutil, sys
import bot
for info in pkgutil.walk_packages(bot.__path__, "bot."):
    if ".migrations" in info.name or info.name.endswith("__main__"):  # importing it runs the bot, and ends the walk
        continue
    importlib.import_module(info.name)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in {"discord", "slack_bolt", "slack_sdk"})
print(",".join(leaked))
"""


def test_core_imports_no_platform_library() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, cwd=Path(bot.__file__).parent.parent
    )
    assert result.stdout.strip() == ""


def test_no_platform_import_statements_in_core() -> None:
    root = Path(bot.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            words = line.split()
            if words[:1] in (["import"], ["from"]) and len(words) > 1:
                if words[1].split(".")[0] in {"discord", "slack_bolt", "slack_sdk"}:
                    offenders.append(f"{path.relative_to(root)}:{number}")
    assert offenders == []
