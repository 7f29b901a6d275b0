"""The alternatives graph: easier / harder versions, and swaps that suit the person's constraints.

Each exercise names, per constraint it breaks, an alternative that fits that constraint
(`alternatives`), or a spoken reason to skip it (`not_adaptable`).  `adapt` walks those edges
breadth-first from the requested exercise, following only constraints the current version
breaks, until it reaches a version that fits all active constraints.  Breadth-first gives the
fewest swaps; the visited set makes it loop-safe even when two versions point at each other
(e.g. a standing stretch whose no_standing alternative is a bed stretch whose no_lying
alternative is the standing one again, with both constraints active).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from voicecoach.coach.catalogue import Catalogue, Exercise
from voicecoach.coach.constraints import ALLOWED, CONSTRAINTS, fits_position

__all__ = [
    "Adaptation",
    "adapt",
    "breaks",
    "easier",
    "fits",
    "harder",
    "order_routine",
]

#: How each constraint finishes the spoken reason "so you ...".
SWAP_REASONS = {
    "no_lying": "don't have to lie down",
    "no_standing": "don't have to stand",
    "in_bed": "can do it in bed",
    "seated": "can stay seated",
}
QUADRUPED_REASON = "don't have to get down on your hands and knees"
#: In bed, a seated version is done sitting on the edge of the bed, not "in bed".
EDGE_OF_BED_REASON = "can do it sitting on the edge of your bed"
NO_VERSION = "I don't have a version of this one that suits you right now."


def _active(constraints: Iterable[str]) -> tuple[str, ...]:
    """The constraints in canonical order, without repeats; ValueError on an unknown one."""
    given = set(constraints)
    unknown = sorted(given - set(CONSTRAINTS))
    if unknown:
        raise ValueError(f"unknown constraint(s): {', '.join(unknown)}")
    return tuple(c for c in CONSTRAINTS if c in given)


def fits(exercise: Exercise, constraints: Iterable[str]) -> bool:
    """Whether the exercise's position suits every constraint."""
    return fits_position(exercise.position, _active(constraints))


def breaks(exercise: Exercise, constraints: Iterable[str]) -> tuple[str, ...]:
    """The constraints the exercise's position does not suit, in canonical order."""
    return tuple(c for c in _active(constraints) if exercise.position not in ALLOWED[c])


@dataclass(frozen=True)
class Adaptation:
    """What to do instead of an exercise, given the person's constraints."""

    exercise: Exercise | None
    """The version to do; None = skip."""
    original: Exercise
    reason: str
    """Spoken: why swapped ("so you can stay seated") or why skipped; "" when unchanged."""

    @property
    def swapped(self) -> bool:
        return self.exercise is not None and self.exercise.id != self.original.id

    @property
    def skipped(self) -> bool:
        return self.exercise is None


def adapt(catalogue: Catalogue, exercise_id: str, constraints: Iterable[str]) -> Adaptation:
    """The version of an exercise that fits all constraints, or None with a spoken reason."""
    active = _active(constraints)
    original = catalogue.exercise(exercise_id)
    broken = breaks(original, active)
    if not broken:
        return Adaptation(original, original, "")
    visited = [original]
    queue = deque([original])
    while queue:
        current = queue.popleft()
        for constraint in breaks(current, active):
            target_id = current.alternatives.get(constraint)
            if target_id is None or any(v.id == target_id for v in visited):
                continue
            target = catalogue.exercise(target_id)
            if fits_position(target.position, active):
                reason = swap_reason(broken, original.position, target.position)
                return Adaptation(target, original, reason)
            visited.append(target)
            queue.append(target)
    return Adaptation(None, original, _skip_reason(visited, active))


def swap_reason(constraints: Iterable[str], position: str = "lying", to: str = "") -> str:
    """Why a version was swapped, e.g. "so you don't have to lie down and can stay seated"."""
    parts = [
        QUADRUPED_REASON
        if c == "no_lying" and position == "quadruped"
        else EDGE_OF_BED_REASON
        if c == "in_bed" and to == "seated"
        else SWAP_REASONS[c]
        for c in _active(constraints)
    ]
    return "so you " + " and ".join(parts)


def _skip_reason(visited: list[Exercise], active: tuple[str, ...]) -> str:
    # Prefer the reason for a constraint that is actually on, from the exercise asked for first;
    # with several constraints on, none of them may have a reason of its own (each has an
    # alternative that breaks another), so fall back to any reason the versions give.
    for exercise in visited:
        for constraint in breaks(exercise, active):
            if constraint in exercise.not_adaptable:
                return exercise.not_adaptable[constraint]
    for exercise in visited:
        for reason in exercise.not_adaptable.values():
            return reason
    return NO_VERSION


def easier(catalogue: Catalogue, exercise_id: str) -> Exercise | None:
    """The easier version, if there is one."""
    target = catalogue.exercise(exercise_id).easier
    return catalogue.exercise(target) if target else None


def harder(catalogue: Catalogue, exercise_id: str) -> Exercise | None:
    """The harder version, if there is one."""
    target = catalogue.exercise(exercise_id).harder
    return catalogue.exercise(target) if target else None


#: Where each position sits on the way from the floor up: a routine moves through them in
#: this order, so nobody gets down onto the floor, up, and down again.
POSITION_ORDER = {"lying": 0, "quadruped": 1, "bed": 2, "seated": 3, "standing": 4}


def order_routine(
    catalogue: Catalogue,
    ids: Iterable[str],
    constraints: Iterable[str],
    preferred: Mapping[str, str] | None = None,
    done: Iterable[str] = (),
) -> list[str]:
    """The routine's exercise ids in the order to do them, given the constraints.

    An exercise whose version for these constraints was already done (`done`: version ids)
    or comes earlier in the routine is dropped: two exercises that both become the seated
    twist are one seated twist.  The rest keep their order within a position, and positions
    go from the floor up (POSITION_ORDER), so adapting never sends someone down and up twice.
    """
    active = _active(constraints)
    preferred = preferred or {}
    seen = set(done)
    kept: list[tuple[int, str]] = []
    for ident in ids:
        wanted = preferred.get(ident, ident)
        if wanted not in catalogue.exercises:
            wanted = ident
        version = adapt(catalogue, wanted, active).exercise
        if version is not None:
            if version.id in seen:
                continue
            seen.add(version.id)
        where = (version or catalogue.exercise(ident)).position
        kept.append((POSITION_ORDER[where], ident))
    return [ident for _, ident in sorted(kept, key=lambda pair: pair[0])]
