"""The one span-aware chunker: whatever the markup and the limit, every piece is well formed on every
platform (no half of a bold phrase, no link cut in two) and nothing is lost."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.render import markdown_chunks, render, to_markdown, units
from adapters.slack.render import mrkdwn_chunks
from bot.markup import bold, bullets, chunk, code, esc, link, parse, to_plain
from bot.replies import Reply

WORDS = st.text(alphabet="abcdefgh *_`[]()\\-#>é😀", min_size=1, max_size=40)
SPAN = st.one_of(
    WORDS.map(esc),
    WORDS.map(bold),
    WORDS.map(code),
    st.tuples(WORDS, st.sampled_from(["https://docs.aws.amazon.com/a", "https://aws.amazon.com/b_c"])).map(
        lambda pair: link(*pair)
    ),
)
LINE = st.lists(SPAN, min_size=1, max_size=6).map(" ".join)
MARKUP = st.lists(st.one_of(LINE, st.lists(LINE, min_size=1, max_size=3).map(bullets)), min_size=1, max_size=6).map(
    "\n\n".join
)


def _plain(text: str) -> str:
    return "".join(to_plain(text).split()).replace("•", "")


def _balanced_discord(piece: str) -> bool:
    """Read the piece as Discord does (backslash escapes, code spans, `**`): bold marks come in pairs and
    no piece holds the tail of a link whose `[text` went elsewhere."""
    bold_open = False
    outside: list[str] = []
    i = 0
    while i < len(piece):
        if piece[i] == "\\":
            i += 2
            continue
        if piece.startswith("`` ", i):
            end = piece.find(" ``", i + 3)
            i = len(piece) if end < 0 else end + 3
            continue
        if piece[i] == "`":
            end = piece.find("`", i + 1)
            i = len(piece) if end < 0 else end + 1
            continue
        if piece.startswith("**", i):
            bold_open = not bold_open
            i += 2
            continue
        outside.append(piece[i])
        i += 1
    rest = re.sub(r"\[[^\]]*\]\(https://[^)\s]+\)", "", "".join(outside))
    return not bold_open and "](http" not in rest


@settings(max_examples=150, deadline=None)
@given(MARKUP, st.integers(min_value=30, max_value=300))
def test_discord_pieces_are_well_formed_and_within_the_limit(markup: str, limit: int) -> None:
    pieces = markdown_chunks(markup, limit)
    assert pieces
    for piece in pieces:
        assert units(piece) <= limit
        assert _balanced_discord(piece), piece


@settings(max_examples=150, deadline=None)
@given(MARKUP, st.integers(min_value=30, max_value=300))
def test_slack_pieces_are_well_formed_and_within_the_limit(markup: str, limit: int) -> None:
    for piece in mrkdwn_chunks(markup, limit):
        assert len(piece) <= limit
        assert piece.count("<") == piece.count(">"), piece  # every link or escape is whole


@settings(max_examples=100, deadline=None)
@given(MARKUP, st.integers(min_value=30, max_value=300))
def test_nothing_is_lost_when_split(markup: str, limit: int) -> None:
    whole = "".join(piece for piece in chunk(markup, limit, lambda s: s.text))
    expected = "".join(s.text for block in parse(markup) for s in getattr(block, "spans", ()))
    expected += "".join(s.text for block in parse(markup) for item in getattr(block, "items", ()) for s in item)
    assert sorted("".join(whole.split()).replace("-", "")) == sorted("".join(expected.split()).replace("-", ""))


def test_a_long_reply_with_bold_and_links_across_the_split_renders_whole_on_discord() -> None:
    url = "https://docs.aws.amazon.com/vpc/latest/userguide/"
    sentence = (
        f"{bold('This bold phrase crosses the limit of a Discord message')} and a "
        f"{link('long documentation link text that would be cut', url)} follows it. "
    )
    text = sentence * 45  # about 7,000 characters of content, no title: plain messages
    messages = render(Reply(text=text))
    assert len(messages) >= 5
    for message in messages:
        assert message.content is not None and units(message.content) <= 2000
        assert _balanced_discord(message.content), message.content[-200:]
    assert "".join(m.content or "" for m in messages).count("**This bold phrase") == 45
    assert to_markdown(sentence).strip() in (messages[0].content or "")
