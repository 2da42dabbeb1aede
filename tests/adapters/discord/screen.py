"""Reading what a member sees on a message the fake Discord stores: its text, buttons and menus."""

from __future__ import annotations

from typing import Any

from bot.actions import ActionId
from bot.catalog import Catalog
from bot.catalog.models import Question

LETTERS = "ABCDEF"


def text(message: dict[str, Any]) -> str:
    """Content, embed titles, descriptions, fields and footers, with markdown escapes removed."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields", [])]
        parts.append(embed.get("footer", {}).get("text", ""))
    return "\n".join(p for p in parts if p).replace("\\", "")


def title(message: dict[str, Any]) -> str:
    embeds = message.get("embeds") or []
    return str(embeds[0].get("title", "")) if embeds else ""


def footer(message: dict[str, Any]) -> str:
    embeds = message.get("embeds") or []
    return str(embeds[-1].get("footer", {}).get("text", "")) if embeds else ""


def components(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message.get("components") or [] for c in row["components"]]


def labels(message: dict[str, Any]) -> list[str]:
    return [c["label"] for c in components(message) if c["type"] == 2]


def button(message: dict[str, Any], label: str) -> dict[str, Any]:
    found = [c for c in components(message) if c["type"] == 2 and c["label"] == label]
    assert found, f"no button {label!r} on the message; it has {labels(message)}"
    return found[0]


def select(message: dict[str, Any]) -> dict[str, Any] | None:
    return next((c for c in components(message) if c["type"] == 3), None)


def question_of(catalog: Catalog, custom_id: str) -> tuple[Question, str]:
    """The practice question an answer button belongs to, and the order its options are shown in.

    Reading the id is the test's business only: it plays a member who knows the right answer.
    """
    _attempt, question_id, order, *_rest = ActionId.decode(custom_id).fields
    question = catalog.question(question_id)
    assert question is not None, custom_id
    return question, order


def right_letters(catalog: Catalog, custom_id: str) -> str:
    question, order = question_of(catalog, custom_id)
    return "".join(sorted(LETTERS[order.index(str(i))] for i in question.correct_indexes))
