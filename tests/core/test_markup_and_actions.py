"""The neutral markup and the action ids that make buttons survive restarts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.actions import ActionId, ActionIdError
from bot.markup import Bullets, Paragraph, Span, bold, bullets, code, esc, link, parse, spans, to_plain


def test_spans_cover_the_subset() -> None:
    text = f"{bold('Cost')}: {code('$150')} see {link('the guide', 'https://aws.amazon.com/certification/')} *now*"
    assert spans(text) == (
        Span("bold", "Cost"),
        Span("text", ": "),
        Span("code", "$150"),
        Span("text", " see "),
        Span("link", "the guide", "https://aws.amazon.com/certification/"),
        Span("text", " "),
        Span("italic", "now"),
    )


def test_blocks_and_bullets() -> None:
    blocks = parse("Intro line\n\n" + bullets(["one", bold("two")]) + "\nafter")
    assert blocks == (
        Paragraph((Span("text", "Intro line"),)),
        Bullets(((Span("text", "one"),), (Span("bold", "two"),))),
        Paragraph((Span("text", "after"),)),
    )
    assert to_plain("- a\n- b") == "• a\n• b"


@given(st.text(max_size=200))
def test_escaped_text_is_always_literal(text: str) -> None:
    parsed = spans(esc(text))
    assert all(s.kind == "text" for s in parsed)
    assert "".join(s.text for s in parsed) == text


@given(st.text(max_size=20), st.lists(st.text(max_size=15), max_size=4))
def test_action_ids_round_trip(kind_suffix: str, fields: list[str]) -> None:
    aid = ActionId("answer", tuple(fields))
    try:
        encoded = aid.encode()
    except ActionIdError:
        return  # too long for the 100-character limit: refused, never truncated
    assert len(encoded) <= 100
    assert ActionId.decode(encoded) == aid


def test_action_ids_refuse_what_platforms_would_reject() -> None:
    with pytest.raises(ActionIdError, match="limit is 100"):
        ActionId("answer", ("x" * 120,)).encode()
    with pytest.raises(ActionIdError):
        ActionId("Bad Kind").encode()
    with pytest.raises(ActionIdError):
        ActionId.decode("no-version")
    assert ActionId.decode("profile-keep:1:ada") == ActionId("profile-keep", ("ada",))
