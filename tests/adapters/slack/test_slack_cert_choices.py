"""Issue 20 through the real Bolt app and the fake Slack: `/cert` offers current exams first, marks the
retired ones, and a slash text that gives an option twice is refused (Slack's text goes through the
same parser as the console; Discord's client cannot send an option twice)."""

from __future__ import annotations

from tests.adapters.slack.conftest import Chat, buttons, shown, title


async def test_security_offers_the_current_exam_first_and_marks_the_retired_one(chat: Chat) -> None:
    asked = await chat.command("cert security")
    assert title(asked) == "Which exam do you mean?"
    assert list(buttons(asked)) == ["SCS-C03 Security Specialty", "SCS-C02 Security Specialty, retired"]
    opened = await chat.press(buttons(asked)["SCS-C02 Security Specialty, retired"])
    assert title(opened).startswith("SCS-C02") and "retired" in shown(opened)


async def test_an_option_given_twice_in_the_slash_text_is_refused(chat: Chat) -> None:
    for text in ("cert saa exam:dva", "cert exam:saa exam:saa"):
        refused = await chat.command(text)
        assert refused["response_type"] == "ephemeral"
        assert "You gave `exam` twice." in shown(refused), shown(refused)
        assert buttons(refused) == {}
