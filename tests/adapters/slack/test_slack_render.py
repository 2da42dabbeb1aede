"""Reply → Block Kit at and just over every limit; slack_sdk's own models judge each result."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from adapters.slack import render as r
from adapters.slack.render import RenderError, render
from bot.markup import bold, bullets, channel, code, esc, italic, link, user
from bot.replies import Button, Field, Reply, Select, SelectOption

HOSTILE = "<!channel> <!here> <@U123|boss> & <#C1>"


def check(message: Any) -> list[dict[str, Any]]:
    """The blocks, after slack_sdk validated each one and the message-level limits held."""
    blocks = message["blocks"]
    assert 1 <= len(blocks) <= r.MAX_BLOCKS
    for block in blocks:
        Block.parse(block).to_dict()  # raises on any limit slack_sdk knows
    assert message["text"] and len(message["text"]) <= r.FALLBACK_TEXT
    return blocks


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    out = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        out.extend(f["text"] for f in block.get("fields", []))
        out.extend(e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn")
    return out


def actions(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for b in blocks if b["type"] == "actions"]


# -- markup ---------------------------------------------------------------------------------------


def test_markup_becomes_mrkdwn() -> None:
    text = "\n".join(
        [
            f"{bold('Bold')} and {italic('italic')} and {code('x < y')} and {link('the docs', 'https://aws.amazon.com/a?b=1&c=2')}",
            "",
            bullets(["one", bold("two")]),
        ]
    )
    blocks = check(render(Reply(text=text)))
    assert texts(blocks) == [
        "*Bold* and _italic_ and `x &lt; y` and <https://aws.amazon.com/a?b=1&amp;c=2|the docs>\n\n• one\n• *two*"
    ]


def test_every_text_span_is_escaped() -> None:
    reply = Reply(
        title=HOSTILE,
        text=f"{esc(HOSTILE)} {bold(HOSTILE)} {code(HOSTILE)} {link(HOSTILE, 'https://x.test/|<!channel>')}",
        fields=(Field(HOSTILE, esc(HOSTILE), inline=True), Field(HOSTILE, esc(HOSTILE))),
        buttons=(Button(HOSTILE, "kind:1:x"),),
        select=Select("pick:1", (SelectOption(HOSTILE, "v", description=HOSTILE),), placeholder=HOSTILE),
        footer=esc(HOSTILE),
    )
    message = render(reply)
    check(message)
    dumped = repr(message)
    for dangerous in ("<!channel>", "<!here>", "<@U123", "<#C1>", "|<!"):
        assert dangerous not in dumped
    assert "&lt;!channel&gt;" in message["blocks"][0]["text"]["text"]
    assert "<https://x.test/%7C&lt;!channel&gt;|&lt;!channel&gt;" in message["blocks"][1]["text"]["text"]
    assert message["text"].startswith("&lt;!channel&gt;")


def test_bold_keeps_its_markers_against_the_text() -> None:
    assert texts(render(Reply(text="**word **next"))["blocks"]) == ["*word* next"]


# -- header ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("length", "cut"), [(150, False), (151, True)])
def test_header_at_and_over_150(length: int, cut: bool) -> None:
    header = check(render(Reply(title="h" * length)))[0]
    assert header["type"] == "header"
    assert len(header["text"]["text"]) == 150
    assert header["text"]["text"].endswith("…") is cut


def test_header_cut_never_splits_an_entity() -> None:
    header = check(render(Reply(title="a" * 147 + "&&&")))[0]["text"]["text"]
    assert header == "a" * 147 + "…" and len(header) <= 150


# -- sections -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("length", "sections"), [(3000, 1), (3001, 2)])
def test_section_text_at_and_over_3000(length: int, sections: int) -> None:
    blocks = check(render(Reply(text="x" * length)))
    assert [b["type"] for b in blocks] == ["section"] * sections
    assert "".join(texts(blocks)) == "x" * length


def test_long_text_splits_between_lines_and_keeps_styles_whole() -> None:
    lines = [bold("y" * 100) + " " + "z" * 900 for _ in range(7)]
    blocks = check(render(Reply(text="\n".join(lines))))
    assert all(len(t) <= 3000 for t in texts(blocks))
    assert "\n".join(texts(blocks)) == "\n".join("*" + "y" * 100 + "* " + "z" * 900 for _ in range(7))


def test_one_huge_bold_span_is_split_into_bold_pieces() -> None:
    blocks = check(render(Reply(text=bold("w" * 7000))))
    parts = texts(blocks)
    assert len(parts) == 3 and all(p.startswith("*") and p.endswith("*") for p in parts)
    assert "".join(p.strip("*") for p in parts) == "w" * 7000


def test_escaping_counts_towards_the_limit() -> None:
    blocks = check(render(Reply(text=esc("<" * 1000))))  # 4,000 characters once escaped
    assert all(len(t) <= 3000 for t in texts(blocks))
    assert "".join(texts(blocks)) == "&lt;" * 1000


# -- fields ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "sections"), [(10, 1), (11, 2)])
def test_at_most_ten_fields_per_section(count: int, sections: int) -> None:
    fields = tuple(Field(f"F{i}", f"value {i}", inline=True) for i in range(count))
    blocks = check(render(Reply(fields=fields)))
    assert [len(b["fields"]) for b in blocks] == ([10, count - 10] if count > 10 else [count])
    assert len(blocks) == sections


@pytest.mark.parametrize(("length", "inline"), [(2000 - len("*F*\n"), True), (2001 - len("*F*\n"), False)])
def test_field_at_and_over_2000_characters(length: int, inline: bool) -> None:
    blocks = check(render(Reply(fields=(Field("F", "v" * length, inline=True),))))
    if inline:
        assert len(blocks[0]["fields"][0]["text"]) == 2000
    else:  # too long to sit side by side: it goes full width, whole
        assert "fields" not in blocks[0]
        assert blocks[0]["text"]["text"] == "*F*\n" + "v" * length


def test_wide_fields_are_sections_of_their_own_and_split_when_long() -> None:
    blocks = check(render(Reply(fields=(Field("Notes", "n" * 5000),))))
    assert texts(blocks)[0].startswith("*Notes*\nn")
    assert len(blocks) == 2 and "".join(texts(blocks)).count("n") == 5000 + "Notes".count("n")


# -- buttons and selects --------------------------------------------------------------------------


@pytest.mark.parametrize(("length", "cut"), [(75, False), (76, True)])
def test_button_text_at_and_over_75(length: int, cut: bool) -> None:
    button = actions(check(render(Reply(buttons=(Button("b" * length, "k:1"),)))))[0]["elements"][0]
    assert len(button["text"]["text"]) == 75 and button["text"]["text"].endswith("…") is cut


def test_action_id_at_255_and_dropped_with_a_warning_at_256(caplog: pytest.LogCaptureFixture) -> None:
    at = render(Reply(buttons=(Button("ok", "a" * 255),)))
    element = actions(check(at))[0]["elements"][0]
    assert element["action_id"] == element["value"] == "a" * 255
    with pytest.raises(RenderError, match="255"):
        r.button(Button("ok", "a" * 256))
    # The stated policy on every platform: an id over a limit drops its control, the rest is sent.
    over = check(render(Reply(text="still here", buttons=(Button("ok", "a" * 256), Button("fine", "k:2")))))
    assert [e["value"] for e in actions(over)[0]["elements"]] == ["k:2"]
    assert "still here" in str(over) and "dropping button" in caplog.text


def test_button_value_at_2000_and_refused_at_2001() -> None:
    element = r.button(Button("ok", "v" * 2000), action_id="short")
    Block.parse({"type": "actions", "elements": [element]}).to_dict()
    with pytest.raises(RenderError, match="2000"):
        r.button(Button("ok", "v" * 2001), action_id="short")


@pytest.mark.parametrize(("count", "blocks"), [(25, 1), (26, 2)])
def test_at_most_25_elements_per_actions_block(count: int, blocks: int) -> None:
    buttons = tuple(Button(f"B{i}", f"k:1:{i}") for i in range(count))
    found = actions(check(render(Reply(text="pick", buttons=buttons))))
    assert [len(b["elements"]) for b in found] == ([25, count - 25] if count > 25 else [count])
    assert len(found) == blocks


def test_repeated_action_ids_get_a_suffix_and_keep_their_value() -> None:
    found = actions(check(render(Reply(buttons=(Button("A", "k:1"), Button("B", "k:1"))))))[0]["elements"]
    assert [e["action_id"] for e in found] == ["k:1", "k:1~2"]
    assert [e["value"] for e in found] == ["k:1", "k:1"]


def test_a_submit_button_sharing_its_menus_action_id_gets_a_suffix() -> None:
    """A choose-N question's menu and its Submit button carry one studybot id; Slack refuses a block with
    two equal action ids (`invalid_blocks`), so the button's gets a suffix and its value keeps the id."""
    menu = Select("mka:1:7:q:0123:", (SelectOption("A", "A"), SelectOption("B", "B")), max_values=2)
    found = actions(check(render(Reply(select=menu, buttons=(Button("Submit", "mka:1:7:q:0123:"),)))))[0]["elements"]
    assert [e["action_id"] for e in found] == ["mka:1:7:q:0123:", "mka:1:7:q:0123:~2"]
    assert found[1]["value"] == "mka:1:7:q:0123:"


def test_button_styles_map_to_what_slack_has() -> None:
    styles = [
        Button("a", "k:1", "primary"),
        Button("b", "k:2", "danger"),
        Button("c", "k:3", "success"),
        Button("d", "k:4"),
    ]
    found = actions(check(render(Reply(buttons=tuple(styles)))))[0]["elements"]
    assert [e.get("style") for e in found] == ["primary", "danger", "primary", None]


@pytest.mark.parametrize(("count", "shown"), [(100, 100), (101, 100)])
def test_select_options_at_and_over_100(count: int, shown: int) -> None:
    options = tuple(SelectOption(f"Option {i}", f"o{i}") for i in range(count))
    select = actions(check(render(Reply(select=Select("pick:1", options)))))[0]["elements"][0]
    assert select["type"] == "static_select" and len(select["options"]) == shown


@pytest.mark.parametrize(("length", "cut"), [(75, False), (76, True)])
def test_option_text_at_and_over_75(length: int, cut: bool) -> None:
    select = Select("pick:1", (SelectOption("o" * length, "v", description="d" * length),))
    option = actions(check(render(Reply(select=select))))[0]["elements"][0]["options"][0]
    assert len(option["text"]["text"]) == 75 and option["text"]["text"].endswith("…") is cut
    assert len(option["description"]["text"]) == 75


def test_option_value_at_150_and_dropped_with_a_warning_at_151(caplog: pytest.LogCaptureFixture) -> None:
    check(render(Reply(select=Select("pick:1", (SelectOption("o", "v" * 150),)))))
    with pytest.raises(RenderError, match="150"):
        r.select(Select("pick:1", (SelectOption("o", "v" * 151),)))
    over = render(Reply(text="body", select=Select("pick:1", (SelectOption("o", "v" * 151),))))
    assert not [b for b in over["blocks"] if b["type"] == "actions"] and "dropping a select" in caplog.text


def test_a_multi_select_allows_as_many_as_the_core_says() -> None:
    options = tuple(SelectOption(f"O{i}", f"o{i}") for i in range(5))
    select = actions(check(render(Reply(select=Select("pick:1", options, max_values=3)))))[0]["elements"][0]
    assert select["type"] == "multi_static_select" and select["max_selected_items"] == 3


def test_select_comes_before_the_buttons_in_one_block() -> None:
    reply = Reply(select=Select("pick:1", (SelectOption("o", "v"),)), buttons=(Button("Go", "go:1"),))
    found = actions(check(render(reply)))
    assert [e["type"] for e in found[0]["elements"]] == ["static_select", "button"]


# -- context and the whole message ----------------------------------------------------------------


def test_footer_is_a_context_block_at_the_end() -> None:
    blocks = check(render(Reply(text="t", buttons=(Button("b", "k:1"),), footer=italic("footnote"))))
    assert [b["type"] for b in blocks] == ["section", "actions", "context"]
    assert blocks[-1]["elements"] == [{"type": "mrkdwn", "text": "_footnote_"}]


@pytest.mark.parametrize(("length", "cut"), [(2000, False), (2001, True)])
def test_footer_at_and_over_2000(length: int, cut: bool) -> None:
    footer = check(render(Reply(footer="f" * length)))[-1]["elements"][0]["text"]
    assert len(footer) <= 2000 and footer.endswith("…") is cut


def _paragraphs(count: int) -> str:
    return "\n\n".join("p" * 2999 if i == 0 else f"paragraph {i}" for i in range(count))


@pytest.mark.parametrize(("fields", "shortened"), [(47, False), (48, True)])
def test_fifty_blocks_at_and_over(fields: int, shortened: bool) -> None:
    wide = tuple(Field(f"F{i}", "x") for i in range(fields))  # one section each
    reply = Reply(title="T", fields=wide, buttons=(Button("b", "k:1"),), footer="end")
    blocks = check(render(reply))
    assert len(blocks) == min(50, fields + 3)
    assert blocks[0]["type"] == "header" and blocks[-2]["type"] == "actions" and blocks[-1]["type"] == "context"
    notes = [t for t in texts(blocks) if t.startswith("_Shortened for Slack")]
    assert notes == (["_Shortened for Slack: 2 more parts not shown._"] if shortened else [])


def test_the_text_budget_shortens_very_long_messages() -> None:
    reply = Reply(text="\n\n".join("q" * 2900 for _ in range(6)))
    blocks = check(render(reply))
    assert sum(len(t) for t in texts(blocks)) <= r.MESSAGE_TEXT_BUDGET + 100
    assert texts(blocks)[-1] == "_Shortened for Slack: 2 more parts not shown._"


def test_fallback_text_is_plain_and_short() -> None:
    message = render(Reply(title="Title", text="x" * 4000, fields=(Field("F", "v"),)))
    assert message["text"].startswith("Title\nx") and len(message["text"]) == r.FALLBACK_TEXT


def test_an_empty_reply_is_still_a_valid_message() -> None:
    assert check(render(Reply())) == [{"type": "section", "text": {"type": "mrkdwn", "text": " "}}]


# -- the one mention a channel post may carry --------------------------------------------------------


def test_channel_and_member_references_render_as_slack_links() -> None:
    message = render(Reply(text=f"Prompts go to {channel('C0STUDY')}; ask {user('U0ADA')}. Not {esc('<#C1>')}."))
    assert message["blocks"][0]["text"]["text"] == "Prompts go to <#C0STUDY>; ask <@U0ADA>. Not &lt;#C1&gt;."
    assert "#C0STUDY" in message["text"] and "<#C1>" not in repr(message)


@pytest.mark.parametrize(
    ("mention", "tag"),
    [
        ("S0STUDY", "<!subteam^S0STUDY>"),
        ("<!subteam^S0STUDY|@study-group>", "<!subteam^S0STUDY>"),
        ("U0ADA", "<@U0ADA>"),
        ("W0ADA", "<@W0ADA>"),
        ("<@U0ADA|ada>", "<@U0ADA>"),
    ],
)
def test_a_group_or_member_id_opens_the_first_section_and_the_fallback(mention: str, tag: str) -> None:
    reply = Reply(
        title="Question of the day", text=f"Which service {esc(HOSTILE)}?", mention=mention, footer="0 answered"
    )
    message = render(reply, mention=True)
    blocks = check(message)
    assert blocks[0]["type"] == "header"
    assert (
        blocks[1]["text"]["text"]
        == f"{tag} Which service &lt;!channel&gt; &lt;!here&gt; &lt;@U123|boss&gt; &amp; &lt;#C1&gt;?"
    )
    assert message["text"].startswith(f"{tag} Question of the day\n")
    # Exactly one unescaped angle bracket pair in the whole message: the tag.
    dumped = str(message)
    assert dumped.count("<") == dumped.count(tag) == 2


def test_without_being_asked_the_renderer_notifies_nobody() -> None:
    reply = Reply(title="Question of the day", text="Which service?", mention="S0STUDY")
    assert "subteam" not in str(render(reply))  # answers through respond() and the like
    assert "subteam" not in str(render(Reply(text="Which?", mention="S0STUDY", ephemeral=True), mention=True))


@pytest.mark.parametrize(
    "mention",
    ["123456789012345678", "!channel", "<!channel>", "<!here>", "S0X> <!channel", "study-group", "C0STUDY", ""],
)
def test_anything_but_a_slack_group_or_member_id_is_dropped(mention: str) -> None:
    message = render(Reply(title="Question", text="Which?", mention=mention), mention=True)
    assert "<" not in str(message).replace("&lt;", "")
    assert message["blocks"][1]["text"]["text"] == "Which?"


def test_the_mention_gets_its_own_section_when_the_first_is_full_or_missing() -> None:
    full = Reply(text="x" * r.SECTION_TEXT, mention="S0STUDY")
    blocks = check(render(full, mention=True))
    assert blocks[0]["text"]["text"] == "<!subteam^S0STUDY>" and blocks[1]["text"]["text"] == "x" * r.SECTION_TEXT
    fields_only = Reply(title="Reveal", fields=(Field("Answer", "B"),), mention="S0STUDY")
    blocks = check(render(fields_only, mention=True))
    assert [b["type"] for b in blocks] == ["header", "section", "section"]
    assert blocks[1]["text"]["text"] == "<!subteam^S0STUDY>"


def test_shortening_a_huge_message_keeps_the_mention() -> None:
    reply = Reply(text="\n\n".join("q" * 2900 for _ in range(6)), mention="S0STUDY")
    blocks = check(render(reply, mention=True))
    assert blocks[0]["text"]["text"] == "<!subteam^S0STUDY> " + "q" * 2900
    assert "Shortened for Slack" in str(blocks)


def test_the_fallback_with_a_mention_stays_within_its_limit() -> None:
    message = render(Reply(text="y" * 5000, mention="S0STUDY"), mention=True)
    assert len(message["text"]) <= r.FALLBACK_TEXT and message["text"].startswith("<!subteam^S0STUDY> yyy")
