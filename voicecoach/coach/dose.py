"""The person's own dose of an exercise: longer or shorter holds, fewer or more reps, longer
or shorter rests, within bounds set by the catalogue's prescription and the articles.

Pure: the coach asks `adjust` what a request does and `dosed` for the exercise to plan.

Bounds (docs/catalogue.md, "Dose by voice"), the prescription being the catalogue's dose,
which is the low end of what the article gives:

- holds move in steps of HOLD_STEP seconds, never shorter than half the prescription nor
  MIN_HOLD seconds, never longer than HOLD_CAP times it nor the top of the article's range
  (seed_facts.toml), so 30 s may grow to 45 s, 10 s to 15 s, and a hold the article fixes
  (hip crossover, 30 s) not at all;
- reps (holds per side, in hold mode) move by one, never fewer than half the prescription,
  never more than REPS_CAP_ADD over it nor the top of the article's range;
- rests grow by half each time, up to REST_CAP times the prescription (the articles' 30-60 s);
  they never go below the prescription, the articles' shortest.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources

from voicecoach.coach.catalogue import Exercise

HOLD_STEP = 5
MIN_HOLD = 5
HOLD_CAP = 1.5
REPS_CAP_ADD = 2
REST_STEP = 1.5
REST_CAP = 2.0
#: Rest between holds when the catalogue gives none (script.DEFAULT_REST_BETWEEN_HOLDS).
DEFAULT_REST_BETWEEN_HOLDS = 10

#: intent -> (what it changes, direction)
CHANGES = {
    "hold_longer": ("hold", 1),
    "hold_shorter": ("hold", -1),
    "more_reps": ("reps", 1),
    "fewer_reps": ("reps", -1),
    "rest_longer": ("rest", 1),
    "rest_shorter": ("rest", -1),
}


@dataclass(frozen=True)
class Personal:
    """What the person settled on for one exercise; None keeps the catalogue's."""

    hold_seconds: int | None = None
    reps: int | None = None
    rest_seconds: int | None = None

    def values(self) -> dict[str, int]:
        """The changed parts only, for logs and the store."""
        named = {"hold_seconds": self.hold_seconds, "reps": self.reps}
        named["rest_seconds"] = self.rest_seconds
        return {k: v for k, v in named.items() if v is not None}


@dataclass(frozen=True)
class Remembered:
    """A dose kept from an earlier session, and the last change that led to it."""

    personal: Personal
    change: str
    """The intent of the last change (a key of CHANGES)."""
    reason: str = "asked"
    """"asked" (by voice) or "progression" (a weekly step up, accepted)."""


@dataclass(frozen=True)
class Outcome:
    """What a request did."""

    what: str
    """"hold", "reps" or "rest"."""
    personal: Personal
    """The dose from now on (unchanged when nothing moved)."""
    value: int = 0
    """The new (or unchanged) hold seconds, reps or rest seconds."""
    changed: bool = False
    applies: bool = True
    """False when the exercise has nothing of the kind (no holds, no rests)."""


@dataclass(frozen=True)
class Bounds:
    low: int
    high: int
    prescribed: int


@cache
def _article_tops() -> dict[str, dict[str, int]]:
    """The top of each seed exercise's ranges, as the articles give them."""
    text = resources.files("voicecoach.data").joinpath("seed_facts.toml").read_text("utf-8")
    facts = tomllib.loads(text)
    return {
        ident: {key: int(entry[key][1]) for key in ("hold", "reps", "rest") if key in entry}
        for ident, entry in facts.items()
        if isinstance(entry, dict)
    }


def prescribed_rest(exercise: Exercise) -> int:
    """Rest between sets and holds as the catalogue plans it (0: there is none)."""
    dose = exercise.dose
    if dose.mode == "hold" and dose.reps > 1:
        return dose.rest_seconds or DEFAULT_REST_BETWEEN_HOLDS
    return dose.rest_seconds if dose.sets > 1 else 0


def bounds(exercise: Exercise, what: str) -> Bounds | None:
    """How far `what` may go for this exercise; None when it has none of it."""
    dose, top = exercise.dose, _article_tops().get(exercise.id, {})
    if what == "hold":
        if dose.mode != "hold":
            return None
        p = dose.hold_seconds
        high = min(int(p * HOLD_CAP), top.get("hold", 10**6))
        return Bounds(min(p, max(MIN_HOLD, math.ceil(p / 2))), max(p, high), p)
    if what == "reps":
        p = dose.reps
        if dose.mode == "hold" and p <= 1:
            return None
        high = min(p + REPS_CAP_ADD, top.get("reps", 10**6))
        return Bounds(max(1, math.ceil(p / 2)), max(p, high), p)
    p = prescribed_rest(exercise)
    if p <= 0:
        return None
    return Bounds(p, int(p * REST_CAP), p)


def current(exercise: Exercise, personal: Personal, what: str) -> int:
    if what == "hold":
        return personal.hold_seconds or exercise.dose.hold_seconds
    if what == "reps":
        return personal.reps or exercise.dose.reps
    return personal.rest_seconds or prescribed_rest(exercise)


def _step(value: int, what: str, direction: int) -> int:
    if what == "hold":
        return value + direction * HOLD_STEP
    if what == "reps":
        return value + direction
    return round(value * REST_STEP) if direction > 0 else round(value / REST_STEP)


def _set(personal: Personal, what: str, value: int | None) -> Personal:
    field = {"hold": "hold_seconds", "reps": "reps", "rest": "rest_seconds"}[what]
    return replace(personal, **{field: value})


def adjust(exercise: Exercise, personal: Personal, intent: str) -> Outcome:
    """What `intent` (a key of CHANGES) does to this exercise's dose."""
    what, direction = CHANGES[intent]
    limits = bounds(exercise, what)
    if limits is None:
        return Outcome(what, personal, applies=False)
    now = current(exercise, personal, what)
    wanted = min(limits.high, max(limits.low, _step(now, what, direction)))
    if wanted == now:
        return Outcome(what, personal, now)
    # Back at the prescription: nothing personal is left to remember for this part.
    return Outcome(what, _set(personal, what, None if wanted == limits.prescribed else wanted),
                   wanted, changed=True)  # fmt: skip


def clamp(exercise: Exercise, personal: Personal) -> Personal:
    """A remembered dose within today's bounds (the catalogue may have changed since)."""
    out = Personal()
    for what in ("hold", "reps", "rest"):
        limits = bounds(exercise, what)
        value = current(exercise, personal, what)
        if limits is not None and value != limits.prescribed:
            out = _set(out, what, min(limits.high, max(limits.low, value)))
    return out


def step_up(exercise: Exercise, personal: Personal) -> tuple[str, Outcome] | None:
    """The one small step a weekly progression offers: a longer hold, else one more rep;
    None at the caps."""
    for intent in ("hold_longer", "more_reps"):
        outcome = adjust(exercise, personal, intent)
        if outcome.changed:
            return intent, outcome
    return None


def dosed(exercise: Exercise, personal: Personal) -> Exercise:
    """The exercise with the person's dose, to plan from."""
    if personal == Personal():
        return exercise
    dose = exercise.dose
    rest = personal.rest_seconds
    return replace(
        exercise,
        dose=replace(
            dose,
            hold_seconds=personal.hold_seconds or dose.hold_seconds,
            reps=personal.reps or dose.reps,
            rest_seconds=dose.rest_seconds if rest is None else rest,
        ),
    )
