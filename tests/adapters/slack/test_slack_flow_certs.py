"""Issue 6 through the real Bolt app and the fake Slack: `/cert` and `/ask`, with their buttons pressed."""

from __future__ import annotations

import re
from typing import Any

from tests.adapters.slack.conftest import Chat, ObservedCore, buttons, shown, title
from tests.fakes.slack_server import FakeSlack

# A link as the renderer builds it: `<https://…|words>`.
DOC_LINK = re.compile(r"<https://docs\.aws\.amazon\.com/[^|>]+\|[^>]+>")
SOURCE_LINK = re.compile(r"<https://(?:docs\.)?aws\.amazon\.com/[^|>]+\|[^>]+>")


def context_text(body: dict[str, Any]) -> str:
    return "\n".join(e["text"] for b in body["blocks"] if b["type"] == "context" for e in b["elements"])


async def test_cert_catalog_then_an_exam_button(chat: Chat, fake_slack: FakeSlack, recording: ObservedCore) -> None:
    catalog = await chat.command("cert")
    assert title(catalog) == "AWS certifications (12 current)" and catalog["response_type"] == "in_channel"
    exams = buttons(catalog)
    assert len(exams) == 12 and "SAA-C03 Solutions Architect Associate" in exams

    opened = await chat.press(exams["SAA-C03 Solutions Architect Associate"], ephemeral=False)
    assert title(opened).startswith("SAA-C03 · AWS Certified Solutions Architect")
    assert opened["response_type"] == "in_channel" and opened["replace_original"] is False  # the list stays
    assert "720" in shown(opened)
    assert DOC_LINK.search(context_text(opened)) and "facts reviewed" in context_text(opened)
    assert recording.actions[-1].action_id == exams["SAA-C03 Solutions Architect Associate"]["value"]
    assert fake_slack.calls("unknown") == []


async def test_an_ambiguous_name_offers_choices_then_opens_the_one_pressed(chat: Chat) -> None:
    asked = await chat.command("cert solutions architect")
    assert title(asked) == "Which exam do you mean?" and asked["response_type"] == "ephemeral"
    assert "`solutions architect` could be several exams" in shown(asked)
    choices = buttons(asked)
    assert set(choices) == {"SAA-C03 Solutions Architect Associate", "SAP-C02 Solutions Architect Professional"}

    opened = await chat.press(choices["SAP-C02 Solutions Architect Professional"])
    assert title(opened).startswith("SAP-C02 · AWS Certified Solutions Architect")
    assert DOC_LINK.search(context_text(opened))


async def test_ask_is_answered_in_the_channel_with_its_sources(chat: Chat) -> None:
    answer = await chat.command("ask what's the passing score for SAA?")
    assert answer["response_type"] == "in_channel"
    assert "*720* on the scaled score from 100 to 1000" in shown(answer)
    sources = context_text(answer)
    assert sources.startswith(("Source: ", "Sources: ")) and "exam guide" in sources and DOC_LINK.search(sources)
    assert buttons(answer) == {}


async def test_ask_declines_offers_topics_and_answers_the_one_pressed(chat: Chat, recording: ObservedCore) -> None:
    # "renewal rules" is now answered outright; a vaguer question still abstains with topics.
    declined = await chat.command("ask certs going stale")
    assert title(declined) == "I don't know" and declined["response_type"] == "ephemeral"
    assert "Sources:" not in context_text(declined)
    topics = buttons(declined)
    assert len(topics) == 3
    wanted = next(iter(topics))

    answered = await chat.press(topics[wanted])
    assert title(answered) == wanted
    assert context_text(answered).startswith(("Source: ", "Sources: ")) and SOURCE_LINK.search(context_text(answered))
    assert recording.actions[-1].identity.user_name == "Ada"
