"""Constraints: what the person cannot (or does not want to) do today, defined once.

A constraint is set by voice ("I can't lie down", "I'm in bed"), kept for the rest of the
session and remembered for the next one; each allows only some exercise positions.  The
coach swaps or skips what does not fit (voicecoach.coach.adapt); the catalogue is checked
against them on loading.  How each one is worded lives with the rest of the words, in
voicecoach.coach.script (and the carers' report in voicecoach.memory.report).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

NO_LYING, NO_STANDING, IN_BED, SEATED = "no_lying", "no_standing", "in_bed", "seated"

CONSTRAINTS = (NO_LYING, NO_STANDING, IN_BED, SEATED)
"""Every constraint, in the order they are listed and applied."""

ALLOWED: Mapping[str, frozenset[str]] = {
    NO_LYING: frozenset({"seated", "standing"}),
    # Kneeling on all fours starts from standing or from the floor: not for someone who
    # cannot stand.  Lying work can be done on a bed.
    NO_STANDING: frozenset({"lying", "seated", "bed"}),
    IN_BED: frozenset({"bed", "seated"}),
    SEATED: frozenset({"seated"}),
}
"""The exercise positions (voicecoach.coach.catalogue.POSITIONS) each constraint allows."""

INTENT_CONSTRAINT: Mapping[str, str] = {
    "cant_lie_down": NO_LYING,
    "cant_stand": NO_STANDING,
    "in_bed": IN_BED,
    "seated": SEATED,
}
"""The intent that sets each constraint."""


def fits_position(position: str, constraints: Iterable[str]) -> bool:
    """Whether an exercise done in `position` suits every constraint."""
    return all(position in ALLOWED[c] for c in constraints)
