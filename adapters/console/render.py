"""Reply → plain text for a terminal, with buttons and select options numbered for `/press`."""

from __future__ import annotations

import textwrap

from bot.markup import to_plain
from bot.replies import Reply

WIDTH = 100


def render(reply: Reply) -> str:
    lines: list[str] = []
    if reply.mention:
        lines.append(f"@{reply.mention}")
    if reply.title:
        lines.append(f"== {reply.title} ==")
    if reply.text:
        lines.append(to_plain(reply.text))
    for field in reply.fields:
        lines.append("")
        lines.append(f"{field.name}:")
        lines.extend(textwrap.indent(to_plain(field.value), "  ").splitlines())
    if reply.select is not None:
        lines.append("")
        lines.append(reply.select.placeholder)
        for index, option in enumerate(reply.select.options, start=1):
            lines.append(f"  ({index}) {option.label}")
        many = reply.select.max_values > 1
        lines.append(
            "Choose with /choose " + ("N N …" if many else "N") + (", then press the button." if reply.buttons else ".")
        )
    if reply.buttons:
        lines.append("")
        lines.append("  ".join(f"[{i}] {b.label}" for i, b in enumerate(reply.buttons, start=1)))
        lines.append("Press one with /press N.")
    if reply.footer:
        lines.append(to_plain(reply.footer))
    return "\n".join(lines)
