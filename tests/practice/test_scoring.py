"""Streak days in the member's timezone, mock draws that follow the guide, the labelled score estimate."""

from __future__ import annotations

import datetime as dt

from bot.catalog import Catalog
from bot.practice.mocks import allocate, draw
from bot.practice.scoring import domain_scores, readiness, scaled_estimate, streak

UTC = dt.UTC


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_streak_days_follow_the_members_timezone() -> None:
    # 23:30 UTC on the 23rd is already the 24th in Tokyo and still the 23rd in New York.
    times = [at(22, 12), at(23, 23, 30), at(25, 1)]
    tokyo = streak(times, "Asia/Tokyo", at(25, 2))
    assert (tokyo.current, tokyo.best) == (2, 2)  # Tokyo days 22, 24, 25
    new_york = streak(times, "America/New_York", at(25, 2))
    assert (new_york.current, new_york.best) == (3, 3)  # New York days 22, 23, 24
    utc = streak(times, "UTC", at(25, 2))
    assert (utc.current, utc.best, utc.active_today) == (1, 2, True)  # UTC days 22, 23, 25


def test_a_streak_survives_until_the_end_of_the_next_local_day() -> None:
    times = [at(23, 20), at(24, 20)]
    assert streak(times, "UTC", at(25, 23, 59)).current == 2
    assert streak(times, "UTC", at(26, 0, 1)).current == 0
    assert streak([], "UTC", at(26, 0)).best == 0


def test_allocation_follows_weights_and_moves_shortfalls() -> None:
    weights = {"a": 30, "b": 26, "c": 24, "d": 20}
    assert allocate(weights, {d: 50 for d in weights}, 10) == {"a": 3, "b": 3, "c": 2, "d": 2}
    assert sum(allocate(weights, {d: 50 for d in weights}, 65).values()) == 65
    short = allocate(weights, {"a": 1, "b": 50, "c": 50, "d": 50}, 10)
    assert short["a"] == 1 and sum(short.values()) == 10
    assert sum(allocate(weights, {"a": 1, "b": 1, "c": 0, "d": 0}, 10).values()) == 2


def test_draw_is_weighted_and_prefers_unseen(catalog: Catalog) -> None:
    exam = catalog.exams["SAA-C03"]
    bank = catalog.questions["SAA-C03"]
    seen = {q.id: None for q in bank[:40]}
    picked = draw(exam, bank, 20, "seed", seen)
    assert len({q.id for q in picked}) == 20
    by_domain = {d.name: sum(q.domain == d.name for q in picked) for d in exam.domains}
    assert by_domain == {d.name: round(20 * d.weight / 100) for d in exam.domains}
    for d in exam.domains:  # within each domain, questions the member has not seen come first
        unseen = sum(q.domain == d.name and q.id not in seen for q in bank)
        picked_unseen = sum(q.domain == d.name and q.id not in seen for q in picked)
        assert picked_unseen == min(unseen, by_domain[d.name])


def test_scaled_estimate_and_readiness(catalog: Catalog) -> None:
    assert scaled_estimate(0.0, 720) == 100 and scaled_estimate(1.0, 720) == 1000
    assert scaled_estimate(0.72, 720) == 720 and scaled_estimate(0.5, 750) < 750
    exam = catalog.exams["SAA-C03"]
    scores = domain_scores(exam, {"Design Secure Architectures": (10, 9), "design resilient architectures": (10, 5)})
    ready = readiness(scores)
    assert ready.domains_covered == 2 and ready.covered_weight == 56 and ready.answered == 20
    assert abs(ready.share - (0.9 * 30 + 0.5 * 26) / 56) < 1e-9
    assert ready.evidence == "some evidence"
    assert readiness(domain_scores(exam, {})).share is None
