"""Re-practice scheduling: the rubric score decides the FSRS rating, so weak attempts come back sooner."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fsrs import Rating

from sparring.scheduling import rating_for, review

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("passed,score,rating", [
    (False, 0.99, Rating.Again),  # a failed required criterion fails the attempt whatever the score
    (False, 0.0, Rating.Again),
    (True, 0.80, Rating.Hard),
    (True, 0.849, Rating.Hard),
    (True, 0.85, Rating.Good),
    (True, 0.949, Rating.Good),
    (True, 0.95, Rating.Easy),
    (True, 1.0, Rating.Easy),
])
def test_rating_from_rubric_score(passed, score, rating):
    assert rating_for(passed, score) == rating


def test_weaker_first_attempts_are_due_sooner():
    due = {r: review(None, *r, T0)[0].due for r in [(False, 0.2), (True, 0.8), (True, 0.9), (True, 1.0)]}
    ordered = [due[(False, 0.2)], due[(True, 0.8)], due[(True, 0.9)], due[(True, 1.0)]]
    assert ordered == sorted(ordered)
    assert ordered[-1] > ordered[0]
    assert due[(False, 0.2)] >= T0 + timedelta(hours=12)  # practice comes back another day, not in a minute


def test_repeated_success_spaces_practice_out_and_a_failure_brings_it_back():
    card, _ = review(None, True, 0.9, T0)
    first_gap = card.due - T0
    card2, _ = review(card.to_json(), True, 0.9, card.due)
    assert card2.due - card.due > first_gap
    card3, _ = review(card2.to_json(), False, 0.3, card2.due)
    assert card3.due - card2.due < card2.due - card.due


def test_clock_going_backwards_does_not_break_scheduling():
    card, _ = review(None, True, 1.0, T0)
    again, rating = review(card.to_json(), True, 1.0, T0 - timedelta(days=1))
    assert rating == Rating.Easy and again.due >= card.last_review


HISTORIES = {
    "first attempt": [],
    "retry minutes after a fail": [(False, 0.18, timedelta(0))],
    "retry minutes after a pass": [(True, 1.0, timedelta(0))],
    "a week after a pass": [(True, 0.9, timedelta(0))],
}


@pytest.mark.parametrize("history", list(HISTORIES))
def test_the_next_date_moves_with_the_latest_score_whatever_came_before(history):
    """Issue 15: 'Next re-practice' read the same after 18% and after 100% (a same-day retry after a fail), and a
    fail after a pass came back later than a first fail. After any history, a higher latest score comes back
    later (or, for two passes, no sooner), and a fail tomorrow."""
    card_json, t = None, T0
    for passed, score, _gap in HISTORIES[history]:
        card, _ = review(card_json, passed, score, t)
        card_json = card.to_json()
    when = T0 + (timedelta(days=7) if history == "a week after a pass" else timedelta(minutes=3))
    due = [review(card_json, p, s, when)[0].due for p, s in [(False, 0.18), (True, 0.8), (True, 0.9), (True, 1.0)]]
    assert due == sorted(due) and due[0] < due[1] < due[3], due  # FSRS may give Hard and Good one day
    assert due[0] == when + timedelta(days=1)
