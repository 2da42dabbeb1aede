"""The practice engine: serving questions, recording answers once, spaced repetition, mocks, scores.

It does no I/O beyond the store; `bot.features.practice` turns it into commands and buttons.
"""
