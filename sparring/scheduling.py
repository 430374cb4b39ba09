"""Re-practice scheduling with FSRS: each (learner, scenario) is a card; each graded attempt is a review whose
rating comes from the rubric score, so weak attempts come back sooner and strong ones later.

Practice is not flashcards: a scenario that was failed should come back tomorrow, not in one minute, so the
scheduler has no (re)learning steps and every card lives in day-sized intervals. Fuzzing is off so the same
history always gives the same due date (learners and tests can reason about it).

FSRS alone let the date ignore the score in two common cases (issue 15: "Next re-practice" read the same after 18%
and after 100%): a retry minutes after a failed try barely moves a card's stability (FSRS treats a same-day review
as short-term), so 100% came back tomorrow like the 18% before it; and a fail after an earlier pass kept part of
the old stability (3 days), later than a first fail. So the date FSRS proposes is bounded by the latest rating:
a failed attempt comes back tomorrow, a passed one no sooner than FLOOR_DAYS for its rating. The card's memory
state (stability, difficulty) stays FSRS's own; only the due date is bounded.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fsrs import Card, Rating, Scheduler

_SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False, maximum_interval=365)

# Score bands for a passed attempt; a failed attempt is always Again.
HARD_BELOW = 0.85
GOOD_BELOW = 0.95

# The soonest a passed attempt comes back, per rating, in days; a failed one (Again) comes back in exactly one day.
# Strictly increasing, so a higher score never comes back sooner than a lower one after the same history.
AGAIN_DAYS = 1
FLOOR_DAYS: dict[Rating, int] = {Rating.Hard: 2, Rating.Good: 4, Rating.Easy: 8}


def rating_for(passed: bool, score: float) -> Rating:
    """failed → Again; passed below 0.85 → Hard; below 0.95 → Good; otherwise Easy."""
    if not passed:
        return Rating.Again
    if score < HARD_BELOW:
        return Rating.Hard
    if score < GOOD_BELOW:
        return Rating.Good
    return Rating.Easy


def new_card() -> Card:
    return Card(card_id=0)  # a fixed id: Card() would sleep 1 ms to make time-based ids unique, we need none


def unreviewed(card_json: str | None) -> Card:
    """The card after an attempt whose verdict waits for a mentor (`ungraded`): no review, so the card is as it
    was, or a new one (due now) for a first attempt. A grader outage never moves a learner's schedule."""
    return Card.from_json(card_json) if card_json else new_card()


def bounded_due(proposed: datetime, rating: Rating, when: datetime) -> datetime:
    """FSRS's proposed date bounded by the latest rating: Again → `when` + 1 day; a pass → at least FLOOR_DAYS."""
    if rating == Rating.Again:
        return when + timedelta(days=AGAIN_DAYS)
    return max(proposed, when + timedelta(days=FLOOR_DAYS[rating]))


def review(card_json: str | None, passed: bool, score: float, when: datetime | None = None) -> tuple[Card, Rating]:
    """The card after one attempt at `when` (UTC). `card_json` is the stored card or None for a first attempt."""
    when = (when or datetime.now(timezone.utc)).astimezone(timezone.utc)
    card = Card.from_json(card_json) if card_json else new_card()
    rating = rating_for(passed, score)
    # FSRS requires reviews in time order; a clock step backwards must not break the attempt.
    if card.last_review is not None and when < card.last_review:
        when = card.last_review
    card, _log = _SCHEDULER.review_card(card, rating, when)
    card.due = bounded_due(card.due, rating, when)
    return card, rating
