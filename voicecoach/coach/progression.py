"""Gentle weekly progression: which exercises have earned the offer of one small step up.

Pure: the store's history (voicecoach.memory.history.step_up_facts) feeds it at session
start, and the coach offers the step (coach.dose.step_up) when such an exercise begins;
the person says yes or no, nothing is imposed.

The rule (docs/catalogue.md, "Weekly progression"): an exercise earns the offer when, in
the last WINDOW_DAYS days,
- it was done whole, at the person's full dose, on at least DAYS_NEEDED separate days
  since its dose last changed (a gentle day's single set does not count);
- no pain, tiredness, dizziness, overheating, spasm, fall or emergency came with it, and
  none of its attempts was cut short;
- its dose has not changed (asked for, or a step up taken) and no step up was declined;
and the last session had none of those troubles with any exercise.  The step itself is
capped by coach.dose's bounds, so the offer stops at the top of the article's range.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

WINDOW_DAYS = 7
DAYS_NEEDED = 3


@dataclass(frozen=True)
class Attempt:
    """One attempt at an exercise, as the step up rule needs it."""

    exercise: str
    t: float
    """Unix time it began."""
    complete: bool
    """Done whole, at the person's full dose (not a gentle day's single set)."""
    troubled: bool
    """Pain, tiredness, a symptom, a fall or an emergency came with it, or it was cut short."""


def earned(
    attempts: Iterable[Attempt],
    settled: Mapping[str, float],
    now: float,
    last_session_troubled: bool = False,
) -> frozenset[str]:
    """Exercises to offer a step up to.  `settled`: exercise -> when its dose last changed
    or a step up was declined."""
    if last_session_troubled:
        return frozenset()
    since = now - WINDOW_DAYS * 86400
    days: dict[str, set[dt.date]] = {}
    troubled: set[str] = set()
    for a in attempts:
        if not since <= a.t <= now:
            continue
        if a.troubled:
            troubled.add(a.exercise)
        elif a.complete and a.t >= settled.get(a.exercise, 0.0):
            days.setdefault(a.exercise, set()).add(dt.datetime.fromtimestamp(a.t).date())
    return frozenset(
        ident
        for ident, done in days.items()
        if len(done) >= DAYS_NEEDED and ident not in troubled and settled.get(ident, 0.0) < since
    )
