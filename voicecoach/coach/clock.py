"""The segment clock: one timed segment of an exercise, and which of its cues are due.

A segment (a hold, a set of reps, a rest, a change of sides; see `script.plan`) has a
schedule of cues at offsets from its start: halfway, ten seconds left, the three-two-one
and the release of a hold; each rep's count and the moves in time with it; the end of a
rest; the end of a change of sides.  `SegmentClock` is a value: given the time, it says
which cues are due and when the next one falls, and returns a new clock with them given.
No timers, no words: the coach turns cues into tones and lines (`script`) and asks for a
timer until `wait(now)`.

Its clock starts when the segment's opening line has been heard (`run`), shifted back by
any time already done, so a hold resumed after a pause carries on with the time it had
left and skips the cues already given.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from voicecoach.coach.script import REPS_LEAD_IN, SHORT_HOLD, Segment

Cue = tuple[float, str]
"""(offset in seconds from the segment's start, cue name)."""

#: Cues fire this much early, so a timer that lands on the offset is never a hair late.
_EARLY = 1e-6


def hold_cues(seconds: float) -> list[Cue]:
    """Inside a hold: halfway / ten seconds left, then three-two-one and the release."""
    cues: list[Cue] = []
    if seconds < SHORT_HOLD:
        # A short hold is over before a countdown could help: just say when to let go.
        return [(seconds, "release")]
    if seconds >= 16:
        cues.append((seconds / 2, "halfway"))
    if seconds >= 30:
        cues.append((seconds - 10, "ten_left"))
    cues.extend((seconds - n, f"count_{n}") for n in (3, 2, 1) if seconds - n > 0)
    cues.append((seconds, "release"))
    return sorted(cues)


def rep_cues(segment: Segment) -> list[Cue]:
    """A set of reps: each rep's count with its first move ("rep_N"), then its other moves
    in time with it ("move_J"), then done."""
    cues: list[Cue] = []
    for i in range(segment.reps):
        start = REPS_LEAD_IN + i * segment.rep_seconds
        cues.append((start, f"rep_{i + 1}"))
        cues.extend((start + at, f"move_{j}") for j, (at, _) in enumerate(segment.moves) if j)
    cues.append((segment.seconds, "reps_done"))
    return cues


def rest_cues(segment: Segment) -> list[Cue]:
    """A rest: ten seconds to go (in a long one), then its end."""
    cues = [(segment.seconds - 10, "rest_ten_left")] if segment.seconds >= 25 else []
    return [*cues, (segment.seconds, "rest_over")]


def cues(segment: Segment) -> list[Cue]:
    """The whole schedule of one segment, in time order."""
    if segment.kind == "hold":
        return hold_cues(segment.seconds)
    if segment.kind == "reps":
        return rep_cues(segment)
    if segment.kind == "rest":
        return rest_cues(segment)
    return [(segment.seconds, "switch_done")]


def from_rep_start(segment: Segment, elapsed: float) -> float:
    """Where to carry on a set of reps cut short: the start of the rep in hand, so it is
    counted again; other segments carry on where they were."""
    if segment.kind != "reps" or elapsed <= REPS_LEAD_IN:
        return elapsed
    done = (elapsed - REPS_LEAD_IN + _EARLY) // segment.rep_seconds
    return max(0.0, REPS_LEAD_IN + done * segment.rep_seconds - 0.001)


@dataclass(frozen=True)
class SegmentClock:
    """Progress through plan[index]."""

    index: int
    """Index into the exercise plan."""
    segment: Segment
    started: float | None = None
    """When the clock started (the opening line heard), shifted back by time already
    done; None while the opening line is still being said."""
    fired: int = 0
    """How many of the segment's cues have been given."""
    done_before: float = 0.0
    """Seconds already done when the segment (re)started (a resumed hold)."""

    @classmethod
    def at(cls, index: int, segment: Segment, elapsed: float = 0.0) -> SegmentClock:
        """A clock for `segment` with `elapsed` seconds already done, not yet running: the
        cues those seconds covered count as given."""
        given = sum(1 for offset, _ in cues(segment) if offset <= elapsed and elapsed > 0)
        return cls(index, segment, None, given, elapsed)

    @property
    def fresh(self) -> bool:
        """From its very start (not resumed part-way)."""
        return self.done_before == 0

    def run(self, now: float) -> SegmentClock:
        """The opening line has been heard: the clock runs from `now`."""
        return replace(self, started=now - self.done_before)

    def elapsed(self, now: float) -> float:
        """Seconds of the segment done by `now`."""
        return self.done_before if self.started is None else now - self.started

    def due(self, now: float) -> tuple[SegmentClock, list[str]]:
        """The cues due by `now`, in order, and the clock with them given."""
        schedule, elapsed = cues(self.segment), self.elapsed(now)
        fired = self.fired
        while fired < len(schedule) and schedule[fired][0] <= elapsed + _EARLY:
            fired += 1
        return replace(self, fired=fired), [name for _, name in schedule[self.fired : fired]]

    @property
    def over(self) -> bool:
        """Every cue given: the segment is done."""
        return self.fired >= len(cues(self.segment))

    def wait(self, now: float) -> float:
        """Seconds from `now` until the next cue (the clock must be running)."""
        assert self.started is not None
        assert not self.over
        return cues(self.segment)[self.fired][0] - (now - self.started)

    def reps_left(self) -> int:
        """Reps still to do in a set of reps (a rep counts once its count is given)."""
        reps = self.segment.reps
        done = max(0, self.fired - (1 if self.fired > reps else 0))
        return reps - min(done, reps)
