"""A modal for a reply that asks for a form (the Report button's `/report`), generated from the declaration.

A button press whose reply carries a `FormRequest` is answered with a modal instead of a message: a
menu (string select in a label) for each option with fixed choices, a text field for each free-text
option, none for the options the form already fixes (the question id). Submitting it becomes the
same core `Request` the command would be if typed, answered like a slash command. The modal's
custom id carries the pressing interaction's id, so two members' forms never share one; a form
left open over a restart is forgotten by discord.py, and its submission then fails on Discord's side.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import discord

from bot.commands.registry import Registry
from bot.commands.spec import CommandSpec, OptionType
from bot.replies import FormRequest

FORM_PREFIX = "studybot-form:"
MAX_TITLE = 45  # Discord: a modal's title, and a label's text
MAX_CHILDREN = 5  # Discord: components in a modal
MAX_TEXT = 4000  # Discord: a text input's max_length
PARAGRAPH_FROM = 200  # a text option that may hold more than this gets a multi-line field
FORM_TIMEOUT = 15 * 60.0  # seconds an unsubmitted modal is kept before discord.py forgets it

Submit = Callable[[discord.Interaction, CommandSpec, dict[str, object]], Awaitable[None]]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def submitted(components: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Custom id → value of every field in a modal submission (labels and action rows unwrapped)."""
    values: dict[str, str] = {}
    for component in components:
        if component.get("type") == 18:
            values.update(submitted([component.get("component") or {}]))
        elif component.get("type") == 1:
            values.update(submitted(component.get("components") or ()))
        elif component.get("custom_id"):
            chosen = component.get("values")
            value = chosen[0] if isinstance(chosen, list) and chosen else component.get("value")
            if isinstance(value, str) and value.strip():
                values[str(component["custom_id"])] = value.strip()
    return values


class CommandForm(discord.ui.Modal):
    """The modal of one command, with some options fixed; `submit` hands the filled options on."""

    def __init__(self, spec: CommandSpec, fixed: Mapping[str, str], *, title: str, nonce: str, submit: Submit) -> None:
        super().__init__(
            title=_clip(title or spec.description, MAX_TITLE), custom_id=FORM_PREFIX + nonce, timeout=FORM_TIMEOUT
        )
        self.spec = spec
        self.fixed = dict(fixed)
        self._submit = submit
        for option in spec.options:
            if option.name in self.fixed or len(self.children) >= MAX_CHILDREN:
                continue
            field: discord.ui.Select[Any] | discord.ui.TextInput[Any]
            if option.choices:
                field = discord.ui.Select(
                    custom_id=option.name,
                    options=[
                        discord.SelectOption(label=_clip(c.name, 100), value=c.value[:100]) for c in option.choices[:25]
                    ],
                    required=option.required,
                    min_values=1 if option.required else 0,
                )
            elif option.type is OptionType.STRING:
                limit = min(option.max_length or MAX_TEXT, MAX_TEXT)
                field = discord.ui.TextInput(
                    custom_id=option.name,
                    style=discord.TextStyle.paragraph if limit > PARAGRAPH_FROM else discord.TextStyle.short,
                    required=option.required,
                    max_length=limit,
                )
            else:
                continue
            self.add_item(discord.ui.Label(text=_clip(option.description, MAX_TITLE), component=field))

    async def on_submit(self, interaction: discord.Interaction) -> None:  # type: ignore[override]
        data: Mapping[str, Any] = interaction.data or {}  # type: ignore[assignment]
        options: dict[str, object] = {**self.fixed, **submitted(data.get("components") or ())}
        await self._submit(interaction, self.spec, options)


def form_modal(registry: Registry, asked: FormRequest, nonce: str, submit: Submit) -> CommandForm | None:
    """The modal a reply asks for, or None when its command is not declared (the reply is sent instead)."""
    spec = registry.commands.get(asked.command)
    if spec is None:
        return None
    return CommandForm(spec, dict(asked.fixed), title=asked.title, nonce=nonce, submit=submit)
