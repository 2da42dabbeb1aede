"""Buttons and selects that keep working after a restart.

Every component studybot sends is an `ActionItem`: a discord.py `DynamicItem` whose template matches
any custom id. discord.py decodes a press from the custom id alone, so a press on a message posted
before a restart (or by an older version) still reaches the core, which decides what it means; an
unknown or stale id gets the core's ephemeral "that button no longer does anything", never Discord's
"This interaction failed". Custom ids are the core's opaque action ids; nothing here decodes them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol

import discord

from adapters.discord.payloads import ActionRowPayload, ButtonPayload, StringSelectPayload

if TYPE_CHECKING:
    from discord.ui import Item


class ComponentSink(Protocol):
    """What a press is handed to (the adapter's interaction bridge)."""

    async def run_component(self, interaction: discord.Interaction) -> None: ...


class HasSink(Protocol):
    studybot: ComponentSink


ANY_CUSTOM_ID = re.compile(r".{1,100}", re.DOTALL)


class ActionItem(discord.ui.DynamicItem[discord.ui.Item[Any]], template=ANY_CUSTOM_ID):
    """A button or select whose custom id is a studybot action id (or anything else, to refuse kindly)."""

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: Item[Any], match: re.Match[str], /
    ) -> ActionItem:
        # Must not raise: discord.py would log and drop the press, and the member would see a failure.
        return cls(item)

    async def callback(self, interaction: discord.Interaction) -> None:
        client: HasSink = interaction.client  # type: ignore[assignment]
        await client.studybot.run_component(interaction)


_BUTTON_STYLES = {style.value: style for style in discord.ButtonStyle}


def _button(data: ButtonPayload, row: int) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        style=_BUTTON_STYLES.get(data["style"], discord.ButtonStyle.secondary),
        label=data["label"],
        custom_id=data["custom_id"],
        row=row,
    )


def _select(data: StringSelectPayload, row: int) -> discord.ui.Select[Any]:
    return discord.ui.Select(
        custom_id=data["custom_id"],
        placeholder=data["placeholder"],
        min_values=data["min_values"],
        max_values=data["max_values"],
        options=[
            discord.SelectOption(label=o["label"], value=o["value"], description=o.get("description"))
            for o in data["options"]
        ],
        row=row,
    )


def build_view(rows: tuple[ActionRowPayload, ...]) -> discord.ui.View | None:
    """A discord.py view for rendered rows; `None` when there are no components.

    The view has no timeout: its items are dynamic, so nothing is kept per message in memory.
    """
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    for index, row in enumerate(rows):
        for component in row["components"]:
            if component["type"] == 2:
                view.add_item(ActionItem(_button(component, index)))  # type: ignore[arg-type]
            else:
                view.add_item(ActionItem(_select(component, index)))  # type: ignore[arg-type]
    return view
