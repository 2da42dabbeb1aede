"""The console adapter: the same core in a terminal, with no tokens at all."""

from __future__ import annotations

from adapters.console.render import render
from adapters.console.shell import ConsoleSession, run_shell

__all__ = ["ConsoleSession", "render", "run_shell"]
