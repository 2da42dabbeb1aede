"""The log context (`bot.log.log_context`): the fields every log line carries, merged across nested
blocks. Guards the slotted-class form the dispatcher enters on every press (issue 13)."""

from __future__ import annotations

import logging

from bot.log import FIELDS, _ContextFilter, log_context


def fields_of_a_line() -> dict[str, str]:
    record = logging.LogRecord("studybot", logging.INFO, __file__, 1, "handled", None, None)
    _ContextFilter().filter(record)
    return {name: getattr(record, name) for name in FIELDS}


def test_nested_contexts_merge_and_each_block_restores_what_was_there() -> None:
    empty = dict.fromkeys(FIELDS, "-")
    assert fields_of_a_line() == empty
    with log_context(platform="console", workspace="w1", channel=None, user="ada", command="ans"):
        outer = {**empty, "platform": "console", "workspace": "w1", "user": "ada", "command": "ans"}
        assert fields_of_a_line() == outer
        with log_context(ref="r-1", user=None):  # a None leaves the outer value in place
            assert fields_of_a_line() == {**outer, "ref": "r-1"}
        with log_context(channel="c9", user="bob"):
            assert fields_of_a_line() == {**outer, "channel": "c9", "user": "bob"}
        assert fields_of_a_line() == outer
    assert fields_of_a_line() == empty
