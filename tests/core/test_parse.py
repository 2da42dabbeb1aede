"""The shared `name:value` parser: what members type, and everything they might type wrongly."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.commands.parse import parse_line
from bot.commands.registry import Registry
from bot.commands.spec import CommandSpec, GroupSpec, OptionSpec, OptionType, Permission
from bot.errors import UserError
from bot.features import build_registry


async def _noop(*_args: object) -> None:  # pragma: no cover - never called by the parser
    return None


def registry() -> Registry:
    reg = Registry()
    reg.command(
        CommandSpec(
            ("ask",),
            "Ask",
            _noop,  # type: ignore[arg-type]
            options=(OptionSpec("question", OptionType.STRING, "The question", required=True, rest=True),),
        )
    )
    reg.command(
        CommandSpec(
            ("cert",),
            "Cert",
            _noop,  # type: ignore[arg-type]
            options=(OptionSpec("exam", OptionType.STRING, "Exam", rest=True),),
        )
    )
    reg.command(
        CommandSpec(
            ("profile",),
            "Profile",
            _noop,  # type: ignore[arg-type]
            options=(
                OptionSpec("action", OptionType.STRING, "Action"),
                OptionSpec("timezone", OptionType.STRING, "Zone"),
            ),
        )
    )
    reg.group(GroupSpec(("studyadmin",), "Admin", Permission.MODERATOR))
    reg.group(GroupSpec(("studyadmin", "schedule"), "Schedules", Permission.MODERATOR))
    reg.command(
        CommandSpec(
            ("studyadmin", "schedule", "add"),
            "Add",
            _noop,  # type: ignore[arg-type]
            permission=Permission.MODERATOR,
            options=(
                OptionSpec("channel", OptionType.CHANNEL, "Where", required=True),
                OptionSpec("cron", OptionType.STRING, "When"),
                OptionSpec("timezone", OptionType.STRING, "Zone"),
            ),
        )
    )
    return reg


@pytest.mark.parametrize(
    ("line", "path", "options"),
    [
        ("/profile timezone:Europe/Berlin", ("profile",), {"timezone": "Europe/Berlin"}),
        ("/PROFILE   timezone:Europe/Berlin  ", ("profile",), {"timezone": "Europe/Berlin"}),
        ("/profile delete", ("profile",), {"action": "delete"}),
        ("/ask what's the passing score for SAA?", ("ask",), {"question": "what's the passing score for SAA?"}),
        ("/ask cost: how much is  it?", ("ask",), {"question": "cost: how much is  it?"}),
        ('/ask question:"is it worth it"', ("ask",), {"question": "is it worth it"}),
        ("/ask question:is it worth it", ("ask",), {"question": "is it worth it"}),
        ('/ask he said "hi', ("ask",), {"question": 'he said "hi'}),
        ("/cert solution architect assoc", ("cert",), {"exam": "solution architect assoc"}),
        ("/cert", ("cert",), {}),
        (
            '/studyadmin schedule add channel:#study cron:"0 9 * * 1-5" timezone:Europe/Berlin',
            ("studyadmin", "schedule", "add"),
            {"channel": "#study", "cron": "0 9 * * 1-5", "timezone": "Europe/Berlin"},
        ),
        (
            '/studyadmin schedule add #study "0 9 * * 1-5"',
            ("studyadmin", "schedule", "add"),
            {"channel": "#study", "cron": "0 9 * * 1-5"},
        ),
        ('/profile timezone:"America/New_York"', ("profile",), {"timezone": "America/New_York"}),
    ],
)
def test_parses_what_members_type(line: str, path: tuple[str, ...], options: dict[str, str]) -> None:
    parsed = parse_line(line, registry())
    assert parsed.path == path
    assert parsed.options == options


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("/", "slash on its own"),
        ("/ ", "slash on its own"),
        ("profile", "start with a slash"),
        ("", "start with a slash"),
        ("/profil timezone:UTC", "Did you mean `/profile`"),
        ("/nosuchthing", "no command"),
        ("/profile timezone:UTC timezone:UTC", "twice"),
        ("/profile timezone:", "has no value"),
        ("/profile tz:UTC", "no option `tz`"),
        ("/profile timezone:UTC extra words", "don't know what"),
        ('/profile timezone:"Europe/Berlin', "no closing quote"),
        ("/studyadmin", "needs a subcommand"),
        ("/studyadmin schedul add", "Did you mean `schedule`"),
        ("/x" + "a" * 5000, "at most"),
    ],
)
def test_bad_input_gets_a_message_that_says_how_to_fix_it(line: str, fragment: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_line(line, registry())
    assert fragment in caught.value.message + " " + (caught.value.hint or "")


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(max_size=300))
def test_fuzzed_lines_parse_or_fail_with_a_user_error(line: str) -> None:
    reg = build_registry()
    for candidate in (line, "/" + line, "/profile " + line, "/help " + line):
        try:
            parsed = parse_line(candidate, reg)
        except UserError as exc:
            assert exc.message
        else:
            assert parsed.path in reg.commands


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=200)
)
def test_free_text_is_kept_verbatim(text: str) -> None:
    """Everything the store can hold is kept; a NUL or a lone surrogate (category Cs) is refused whole,
    see tests/core/test_input_limits.py."""
    stripped = text.strip()
    if not stripped or stripped.split(None, 1)[0].startswith("question:"):
        return
    parsed = parse_line("/ask " + text, registry())
    assert parsed.options == {"question": stripped}
