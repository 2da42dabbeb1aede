"""Spaced repetition with FSRS: every answered question is a card of that member, graded pass/fail.

Binary grading follows the FSRS maintainers' advice for right/wrong feedback: correct → Good,
wrong → Again. Two traps of the `fsrs` package are handled here once: a `Card` built without an
explicit id sleeps a millisecond (blocking the event loop), and only `timezone.utc` datetimes are
accepted, so every time is normalised before it reaches the scheduler.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fsrs import Card, Rating, Scheduler, State

# A missed question comes back within the same study session (10 minutes), not tomorrow; fuzzing is
# off so that due dates are reproducible in tests and in support conversations.
LEARNING_STEP = dt.timedelta(minutes=10)


def make_scheduler() -> Scheduler:
    return Scheduler(learning_steps=(LEARNING_STEP,), relearning_steps=(LEARNING_STEP,), enable_fuzzing=False)


@dataclass(frozen=True, slots=True)
class CardState:
    """The stored columns of one card (see `review_cards`)."""

    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: dt.datetime
    last_review: dt.datetime | None
    reviews: int
    lapses: int

    def as_row(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "step": self.step,
            "stability": self.stability,
            "difficulty": self.difficulty,
            "due": self.due,
            "last_review": self.last_review,
            "reviews": self.reviews,
            "lapses": self.lapses,
        }


def utc(value: dt.datetime) -> dt.datetime:
    """`timezone.utc` exactly: fsrs rejects naive datetimes and even `ZoneInfo("UTC")`."""
    if value.tzinfo is dt.UTC:
        return value
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the review scheduler")
    return value.astimezone(dt.UTC)


class Grader:
    """`grade` for one scheduler, with a member's first answer to a question worked out only once.

    A new card's first review depends on the rating alone, never on the time: with fuzzing off, fsrs
    gives the same card shifted to the moment of the answer. Nearly every press of a burst is a first
    answer, so the writer asks fsrs twice (right and wrong) instead of once per answer, on the event
    loop's budget; every later review still goes through fsrs. The test suite checks the shortcut
    against fsrs itself.
    """

    _ORIGIN = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self._first: dict[bool, CardState] = {}

    def __call__(self, card_id: int, current: CardState | None, correct: bool, at: dt.datetime) -> CardState:
        if current is not None or self.scheduler.enable_fuzzing:
            return grade(self.scheduler, card_id, current, correct, at)
        first = self._first.get(correct)
        if first is None:
            first = self._first[correct] = grade(self.scheduler, 0, None, correct, self._ORIGIN)
        at = utc(at)
        return CardState(
            first.state,
            first.step,
            first.stability,
            first.difficulty,
            at + (first.due - self._ORIGIN),
            at,
            first.reviews,
            first.lapses,
        )


def grade(scheduler: Scheduler, card_id: int, current: CardState | None, correct: bool, at: dt.datetime) -> CardState:
    """The card after one answer; `current` is None for a question the member never answered."""
    at = utc(at)
    if current is None:
        card = Card(card_id=card_id, state=State.Learning, step=0, due=at)
        reviews = lapses = 0
    else:
        card = Card(
            card_id=card_id,
            state=State(current.state),
            step=current.step,
            stability=current.stability,
            difficulty=current.difficulty,
            due=utc(current.due),
            last_review=utc(current.last_review) if current.last_review else None,
        )
        reviews, lapses = current.reviews, current.lapses
    rating = Rating.Good if correct else Rating.Again
    updated, _log = scheduler.review_card(card, rating, review_datetime=at)
    lapsed = not correct and current is not None and current.state == State.Review
    return CardState(
        state=int(updated.state),
        step=updated.step,
        stability=updated.stability,
        difficulty=updated.difficulty,
        due=utc(updated.due),
        last_review=utc(updated.last_review) if updated.last_review else at,
        reviews=reviews + 1,
        lapses=lapses + (1 if lapsed else 0),
    )
