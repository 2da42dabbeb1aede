"""Rendering at and over every Discord limit: what is split, what is cut, what is dropped."""

from __future__ import annotations

import dataclasses

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.components import build_view
from adapters.discord.render import (
    BLANK,
    MAX_MESSAGES,
    RenderedMessage,
    markdown_chunks,
    render,
    render_one,
    to_markdown,
    truncate,
    units,
)
from adapters.discord.respond import edit_kwargs, send_kwargs
from bot.markup import bold, bullets, channel, code, esc, italic, link, user
from bot.replies import Button, Field, Reply, Select, SelectOption


def check_limits(message: RenderedMessage) -> None:
    """Every Discord limit on one message, checked independently of the renderer's own logic."""
    body = message.payload()
    if message.mention is None:
        assert body["allowed_mentions"] == {"parse": []}
    else:  # a scheduled post's own role, and nothing else
        assert body["allowed_mentions"] == {"parse": [], "roles": [message.mention]}
        assert (body.get("content") or "").startswith(f"<@&{message.mention}>")
    assert "content" in body or body["embeds"] or body["components"], "Discord refuses an empty message"
    if "content" in body:
        assert 1 <= units(body["content"]) <= 2000
    assert len(body["embeds"]) <= 10
    total = 0
    for embed in body["embeds"]:
        assert units(embed.get("title", "")) <= 256
        assert units(embed.get("description", "")) <= 4096
        assert len(embed.get("fields", [])) <= 25
        for item in embed.get("fields", []):
            assert 1 <= units(item["name"]) <= 256
            assert 1 <= units(item["value"]) <= 1024
        assert units(embed.get("footer", {}).get("text", "")) <= 2048
        assert any(k in embed for k in ("title", "description", "fields", "footer")), "an empty embed"
        total += (
            units(embed.get("title", ""))
            + units(embed.get("description", ""))
            + units(embed.get("footer", {}).get("text", ""))
        )
        total += sum(units(f["name"]) + units(f["value"]) for f in embed.get("fields", []))
        assert len(discord.Embed.from_dict(dict(embed))) <= 6000  # discord.py's own count agrees
    assert total <= 6000
    rows = body["components"]
    assert len(rows) <= 5
    ids = [c["custom_id"] for row in rows for c in row["components"]]
    assert len(ids) == len(set(ids)), "custom ids must be unique within a message"
    for row in rows:
        kinds = [c["type"] for c in row["components"]]
        assert kinds == [3] or (kinds and set(kinds) == {2} and len(kinds) <= 5)
        for c in row["components"]:
            assert 1 <= len(c["custom_id"]) <= 100
            if c["type"] == 2:
                assert 1 <= units(c["label"]) <= 80
            else:
                assert 1 <= len(c["options"]) <= 25
                assert units(c["placeholder"]) <= 150
                assert 0 <= c["min_values"] <= c["max_values"] <= min(25, len(c["options"]))
                for o in c["options"]:
                    assert 1 <= units(o["label"]) <= 100 and 1 <= len(o["value"]) <= 100
                    assert units(o.get("description", "")) <= 100
    build_view(message.components)  # discord.py accepts the rows (it raises on a sixth button in a row)


def all_text(messages: tuple[RenderedMessage, ...]) -> str:
    parts: list[str] = []
    for m in messages:
        if m.content:
            parts.append(m.content)
        for e in m.embeds:
            parts.append(e.get("description", ""))
            parts.extend(f["value"] for f in e.get("fields", []))
    return " ".join(parts)


def words(n: int, word: str = "word") -> str:
    return " ".join(f"{word}{i}" for i in range(n))


# -- lengths and splitting ---------------------------------------------------------------------------


def test_channel_and_member_references_render_as_discord_links() -> None:
    text = f"Prompts go to {channel('1400000000000000200')}; ask {user('42')}. Not {esc('<#1>')}."
    assert to_markdown(text) == "Prompts go to <#1400000000000000200>; ask <@42>. Not \\<#1>."


def test_units_count_astral_characters_twice() -> None:
    assert units("abc") == 3
    assert units("😀") == 2


def test_truncate_at_and_over_the_limit() -> None:
    assert truncate("x" * 10, 10) == "x" * 10
    assert truncate("x" * 11, 10) == "x" * 9 + "…"
    assert units(truncate("😀" * 10, 9)) <= 9
    assert truncate("abc\\" + "d" * 10, 5) == "abc…"  # never leaves a backslash escaping the ellipsis


def test_markdown_chunks_keep_every_word_and_prefer_line_breaks() -> None:
    text = "\n\n".join(words(50, f"p{n}-") for n in range(10))
    pieces = markdown_chunks(text, 500)
    assert all(units(p) <= 500 for p in pieces)
    assert " ".join(pieces).split() == text.split()
    assert all(p.startswith("p") for p in pieces)  # cut at paragraph starts, not inside words


def test_markdown_chunks_cut_a_word_longer_than_the_limit() -> None:
    assert markdown_chunks("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


# -- content -------------------------------------------------------------------------------------------


def test_plain_text_is_content_with_mentions_off() -> None:
    (message,) = render(Reply(text="hello"))
    assert message.payload() == {"content": "hello", "embeds": [], "components": [], "allowed_mentions": {"parse": []}}
    assert message.payload(ephemeral=True)["flags"] == 64


def test_content_at_2000_is_one_message_and_at_2001_two_without_loss() -> None:
    exact = "a" * 1000 + " " + "b" * 999
    assert [m.content for m in render(Reply(text=exact))] == [exact]
    over = exact + "c"
    messages = render(Reply(text=over))
    assert len(messages) == 2
    assert all_text(messages).split() == over.split()
    for m in messages:
        check_limits(m)


def test_astral_text_is_budgeted_in_utf16_units() -> None:
    messages = render(Reply(text="😀" * 1001))
    assert len(messages) == 2
    for m in messages:
        check_limits(m)


def test_a_reply_needing_too_many_messages_is_cut_with_an_ellipsis() -> None:
    messages = render(Reply(text=words(3000)))  # about 25,000 characters
    assert len(messages) == MAX_MESSAGES
    assert messages[-1].content is not None and messages[-1].content.endswith("…")
    for m in messages:
        check_limits(m)


def test_an_empty_reply_still_makes_a_valid_message() -> None:
    (message,) = render(Reply())
    check_limits(message)
    (with_button,) = render(Reply(buttons=(Button("Go", "go:1"),)))
    assert with_button.content is None
    check_limits(with_button)


# -- embeds --------------------------------------------------------------------------------------------


def test_title_at_and_over_256() -> None:
    assert render(Reply(title="t" * 256))[0].embeds[0]["title"] == "t" * 256
    title = render(Reply(title="t" * 300))[0].embeds[0]["title"]
    assert units(title) == 256 and title.endswith("…")


def test_description_at_4096_and_over_splits_into_more_embeds() -> None:
    exact = ("word " * 820)[:4096].strip()
    (message,) = render(Reply(title="T", text=exact))
    assert message.embeds[0]["description"] == exact
    over = words(900)  # > 4096
    messages = render(Reply(title="T", text=over))
    descriptions = [e["description"] for m in messages for e in m.embeds if "description" in e]
    assert len(descriptions) == 2
    assert " ".join(descriptions).split() == over.split()
    for m in messages:
        check_limits(m)


def test_twenty_five_fields_fit_one_embed_and_the_26th_opens_another() -> None:
    fields = tuple(Field(f"f{i}", "v") for i in range(25))
    (message,) = render(Reply(title="T", fields=fields))
    assert len(message.embeds) == 1 and len(message.embeds[0]["fields"]) == 25
    (message,) = render(Reply(title="T", fields=(*fields, Field("f25", "v"))))
    assert [len(e["fields"]) for e in message.embeds] == [25, 1]
    assert "title" not in message.embeds[1]
    check_limits(message)


def test_field_value_at_1024_and_over_continues_in_another_field() -> None:
    exact = ("abc " * 256)[:1024].strip()
    (message,) = render(Reply(fields=(Field("Name", exact, inline=True),)))
    assert message.embeds[0]["fields"] == [{"name": "Name", "value": exact, "inline": True}]
    over = words(200)
    (message,) = render(Reply(fields=(Field("Name", over, inline=True),)))
    parts = message.embeds[0]["fields"]
    assert [p["name"] for p in parts] == ["Name", "Name (continued)"]
    assert not any(p["inline"] for p in parts)
    assert " ".join(p["value"] for p in parts).split() == over.split()
    check_limits(message)


def test_field_name_over_256_is_cut_and_empty_names_and_values_are_blank() -> None:
    (message,) = render(Reply(fields=(Field("n" * 300, "v"), Field("", ""))))
    first, second = message.embeds[0]["fields"]
    assert units(first["name"]) == 256 and first["name"].endswith("…")
    assert second["name"] == BLANK and second["value"] == BLANK
    check_limits(message)


def test_embeds_over_6000_characters_continue_in_another_message() -> None:
    fields = tuple(Field(f"Part {i}", ("x" * 9 + " ") * 100) for i in range(12))  # 12 × ~1000
    messages = render(Reply(title="T", fields=fields))
    assert len(messages) == 3
    names = [f["name"] for m in messages for e in m.embeds for f in e["fields"]]
    assert names == [f"Part {i}" for i in range(12)]
    for m in messages:
        check_limits(m)


def test_footer_is_plain_text_cut_at_2048() -> None:
    (message,) = render(Reply(title="T", footer="**bold** " + "f" * 3000))
    footer = message.embeds[0]["footer"]["text"]
    assert footer.startswith("bold ") and units(footer) == 2048 and footer.endswith("…")


def test_a_huge_embed_reply_is_cut_to_the_message_cap_with_an_ellipsis() -> None:
    fields = tuple(Field(f"Part {i}", words(150)) for i in range(60))
    messages = render(Reply(title="T", fields=fields))
    assert len(messages) == MAX_MESSAGES
    assert messages[-1].embeds[-1]["fields"][-1]["value"].endswith("…")
    for m in messages:
        check_limits(m)


def test_render_one_fits_everything_in_one_message() -> None:
    message = render_one(Reply(title="T", text=words(3000), buttons=(Button("OK", "ok:1"),)))
    check_limits(message)
    assert message.components


# -- components ----------------------------------------------------------------------------------------


def test_buttons_go_five_to_a_row_on_the_last_message() -> None:
    buttons = tuple(Button(f"B{i}", f"b:1:{i}") for i in range(25))
    messages = render(Reply(text=words(400), buttons=buttons))
    assert len(messages) == 2 and messages[0].components == ()
    rows = messages[-1].components
    assert [len(row["components"]) for row in rows] == [5, 5, 5, 5, 5]
    check_limits(messages[-1])


def test_a_26th_button_is_dropped_and_a_select_takes_a_row() -> None:
    buttons = tuple(Button(f"B{i}", f"b:1:{i}") for i in range(26))
    (message,) = render(Reply(text="x", buttons=buttons))
    assert sum(len(row["components"]) for row in message.components) == 25
    menu = Select("s:1", tuple(SelectOption(f"o{i}", str(i)) for i in range(3)))
    (message,) = render(Reply(text="x", buttons=buttons, select=menu))
    assert message.components[0]["components"][0]["type"] == 3
    assert sum(len(row["components"]) for row in message.components[1:]) == 20
    check_limits(message)


def test_labels_at_and_over_80() -> None:
    (message,) = render(Reply(buttons=(Button("l" * 80, "a:1"), Button("l" * 81, "b:1"), Button("  ", "c:1"))))
    labels = [c["label"] for c in message.components[0]["components"]]
    assert labels[0] == "l" * 80
    assert units(labels[1]) == 80 and labels[1].endswith("…")
    assert labels[2] == "…"


def test_custom_ids_over_100_or_repeated_are_dropped_not_cut() -> None:
    ok = "k:1:" + "x" * 96
    (message,) = render(Reply(text="x", buttons=(Button("A", ok), Button("B", ok + "y"), Button("C", ok))))
    assert [c["custom_id"] for c in message.components[0]["components"]] == [ok]
    styles = render(Reply(buttons=(Button("D", "d:1", "danger"), Button("P", "p:1", "primary"))))[0]
    assert [c["style"] for c in styles.components[0]["components"]] == [4, 1]


def test_select_limits() -> None:
    options = tuple(SelectOption("l" * 101, f"v{i}", "d" * 101) for i in range(30))
    bad = (SelectOption("too long value", "v" * 101), SelectOption("repeat", "v0"))
    menu = Select("pick:1", (options[0], *bad, *options[1:]), placeholder="p" * 151, min_values=30, max_values=30)
    (message,) = render(Reply(text="x", select=menu))
    select = message.components[0]["components"][0]
    assert len(select["options"]) == 25
    assert select["options"][0]["value"] == "v0"  # the over-long value and the repeat were dropped
    assert units(select["options"][0]["label"]) == 100 and units(select["options"][0]["description"]) == 100
    assert units(select["placeholder"]) == 150
    assert select["min_values"] == select["max_values"] == 25
    check_limits(message)


def test_a_select_without_usable_options_is_left_out() -> None:
    (message,) = render(Reply(text="x", select=Select("pick:1", (SelectOption("x", "v" * 101),))))
    assert message.components == ()


# -- markup ----------------------------------------------------------------------------------------------


def test_markup_becomes_discord_markdown() -> None:
    markup = f"{bold('Bold')} and {italic('it')} and {code('x = 1')} and {link('docs', 'https://aws.amazon.com/a_b')}"
    assert to_markdown(markup) == "**Bold** and *it* and `x = 1` and [docs](https://aws.amazon.com/a_b)"
    assert to_markdown(bullets(["one", bold("two")])) == "- one\n- **two**"
    assert to_markdown("para one\n\npara two") == "para one\n\npara two"
    assert to_markdown(code("a`b")) == "`a'b`"  # the core never lets a backtick into code


def test_member_text_is_escaped_and_cannot_format_or_link() -> None:
    hostile = "*not bold* __under__ ~~strike~~ ||spoiler|| `tick` [click](https://evil.example) # heading"
    rendered = to_markdown(esc(hostile))
    for raw in ("*not bold*", "__under__", "~~strike~~", "||spoiler||", "`tick`"):
        assert raw not in rendered
    assert "\\[click\\](https://evil.example)" in rendered  # shown literally, never a masked link
    assert to_markdown(esc("# Big")).startswith("\\#")
    assert to_markdown(bold("a*b")) == "**a\\*b**"


def test_mentions_in_text_are_kept_but_never_ping() -> None:
    (message,) = render(Reply(text=esc("@everyone <@123> <@&456>")))
    assert "@everyone" in (message.content or "")
    assert message.payload()["allowed_mentions"] == {"parse": []}


# -- the one ping a scheduled post may carry ----------------------------------------------------------

ROLE = "1143049117425459240"


def test_a_channel_post_pings_its_role_and_nothing_else() -> None:
    reply = Reply(title="Question of the day", text=esc("@everyone <@42> <@&99>"), mention=ROLE)
    (message,) = render(reply, channel_post=True)
    assert message.content == f"<@&{ROLE}>" and message.mention == ROLE
    assert message.payload()["allowed_mentions"] == {"parse": [], "roles": [ROLE]}
    allowed = send_kwargs(message)["allowed_mentions"]
    assert (allowed.everyone, allowed.users, allowed.replied_user) == (False, False, False)
    assert [role.id for role in allowed.roles] == [int(ROLE)]
    # discord.py merges per-message mentions into the client's default (none): still only the role.
    assert discord.AllowedMentions.none().merge(allowed).to_dict() == {"parse": [], "roles": [int(ROLE)]}
    check_limits(message)


def test_an_edit_keeps_the_mention_text_but_pings_nobody() -> None:
    message = render_one(Reply(title="Question of the day", text="2 answered", mention=ROLE), channel_post=True)
    kwargs = edit_kwargs(message)
    assert kwargs["content"] == f"<@&{ROLE}>"
    assert kwargs["allowed_mentions"].to_dict() == {"parse": []}


def test_the_mention_opens_a_long_plain_post_and_only_its_first_message() -> None:
    reply = Reply(text=words(900), mention=ROLE)
    messages = render(reply, channel_post=True)
    assert len(messages) > 1 and " ".join(all_text(messages).split()[1:]) == words(900)
    assert (messages[0].content or "").startswith(f"<@&{ROLE}>\nword0 ")
    assert [m.mention for m in messages] == [ROLE] + [None] * (len(messages) - 1)
    for message in messages:
        check_limits(message)


def test_interaction_replies_ignore_the_mention() -> None:
    for reply in (Reply(text="hi", mention=ROLE), Reply(title="T", text="hi", mention=ROLE)):
        (message,) = render(reply)
        assert message.mention is None and "<@&" not in (message.content or "")
        assert message.payload()["allowed_mentions"] == {"parse": []}
        assert send_kwargs(message)["allowed_mentions"].to_dict() == {"parse": []}


@pytest.mark.parametrize("bad", ["everyone", "@here", "<@&1>", "0", "0123", "12a", "١٢٣", "1" * 21, ""])
def test_only_a_role_id_becomes_a_mention(bad: str) -> None:
    (message,) = render(Reply(text="hi", mention=bad), channel_post=True)
    assert message.content == "hi" and message.mention is None
    assert message.payload()["allowed_mentions"] == {"parse": []}


# -- any reply at all --------------------------------------------------------------------------------------

_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=3000)
_label = st.text(max_size=120)
_ids = st.text(alphabet="abc:1-", min_size=0, max_size=110)
replies = st.builds(
    Reply,
    text=_text,
    title=st.none() | st.text(max_size=300),
    fields=st.lists(st.builds(Field, _label, _text, st.booleans()), max_size=30).map(tuple),
    buttons=st.lists(st.builds(Button, _label, _ids), max_size=30).map(tuple),
    select=st.none()
    | st.builds(
        Select,
        _ids,
        st.lists(st.builds(SelectOption, _label, _ids, st.none() | _label), max_size=30).map(tuple),
        st.text(max_size=200),
        st.integers(-1, 30),
        st.integers(-1, 30),
    ),
    ephemeral=st.booleans(),
    footer=st.none() | st.text(max_size=2500),
)


@settings(max_examples=60, deadline=None)
@given(replies)
def test_every_rendered_message_is_within_every_limit(reply: Reply) -> None:
    messages = render(reply)
    assert 1 <= len(messages) <= MAX_MESSAGES
    for message in messages:
        check_limits(message)
    assert all(m.components == () for m in messages[:-1])


@settings(max_examples=40, deadline=None)
@given(replies, st.sampled_from([ROLE, "1", "everyone"]))
def test_every_channel_post_with_a_mention_is_within_every_limit(reply: Reply, mention: str) -> None:
    messages = render(dataclasses.replace(reply, mention=mention), channel_post=True)
    assert 1 <= len(messages) <= MAX_MESSAGES
    for message in messages:
        check_limits(message)
    assert [m.mention for m in messages] == [mention if mention.isdigit() else None] + [None] * (len(messages) - 1)
