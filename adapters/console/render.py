"""Reply → plain text for a terminal, with buttons and select options numbered for `/press`."""

from __future__ import annotations

import textwrap

from bot.markup import to_plain
from bot.replies import Reply

WIDTH = 100


def render(reply: Reply, posted: str | None = None) -> str:
    """`reply` as the console shows it; `posted` is the id of a message posted in a channel, whose menu
    and buttons are answered with `studybot schedule press` rather than `/choose` and `/press`."""
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
        lines.append(choose_line(reply, posted))
    if reply.buttons:
        lines.append("")
        lines.append("  ".join(f"[{i}] {b.label}" for i, b in enumerate(reply.buttons, start=1)))
        if posted is None and reply.select is None:
            lines.append("Press it with /press 1." if len(reply.buttons) == 1 else "Press one with /press N.")
    if reply.footer:
        lines.append(to_plain(reply.footer))
    return "\n".join(lines)


def choose_line(reply: Reply, posted: str | None = None) -> str:
    """How to answer a menu, said once: "Choose 2: /choose A B (letters or numbers), then press Submit
    (/press 1)." The console has no menu to pick from, so this line stands in for its placeholder."""
    select = reply.select
    assert select is not None
    low, high = select.min_values, select.max_values
    want = str(high) if low == high else f"{low} to {high}"
    labels = [o.label for o in select.options[: max(high, 1)]]
    submit = reply.buttons[0].label if reply.buttons else None
    if posted is not None:
        numbers = ",".join(str(n) for n in range(1, len(labels) + 1))
        how = f"studybot schedule press {posted} 1 --choose {numbers} --user NAME --member (the options' numbers)"
        return f"Choose {want}: {how}" + (f", which also presses {submit}." if submit else ".")
    example = f"/choose {' '.join(labels)} ({'letters or numbers' if high > 1 else 'a letter or number'})"
    return f"Choose {want}: {example}" + (f", then press {submit} with /press 1." if submit else ".")


def which_button(count: int) -> str:
    """The error for a press of a button that is not there: "Press button 1." when there is only one."""
    if count == 1:
        return "There is one button here: press it with `/press 1`."
    return f"Press a button by its number, from 1 to {count}."
