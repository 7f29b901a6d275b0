"""Timer deadlines for the coach's StartTimer / CancelTimer actions, on any clock.

The coach asks for timers; a driver (the typed session or the audio runtime) keeps them
here and turns deadlines into TimerExpired events.  Deadlines are plain numbers on the
driver's timeline, so a virtual clock and a monotonic clock work the same way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...
    def sleep_until(self, t: float) -> None: ...


@dataclass
class VirtualClock:
    """Time that passes only when told to: sessions replay in milliseconds."""

    t: float = 0.0

    def now(self) -> float:
        return self.t

    def sleep_until(self, t: float) -> None:
        self.t = max(self.t, t)


@dataclass
class MonotonicClock:
    """Real time, in seconds since the clock was made."""

    start: float = field(default_factory=time.monotonic)

    def now(self) -> float:
        return time.monotonic() - self.start

    def sleep_until(self, t: float) -> None:
        delay = t - self.now()
        if delay > 0:
            time.sleep(delay)


@dataclass
class Timers:
    """Named deadlines; starting a timer with a live name replaces it."""

    deadlines: dict[str, float] = field(default_factory=dict)

    def start(self, name: str, seconds: float, now: float) -> None:
        self.deadlines[name] = now + seconds

    def cancel(self, name: str) -> None:
        self.deadlines.pop(name, None)

    def next_deadline(self) -> tuple[str, float] | None:
        if not self.deadlines:
            return None
        name = min(self.deadlines, key=lambda n: (self.deadlines[n], n))
        return name, self.deadlines[name]

    def pop_due(self, now: float) -> tuple[str, float] | None:
        """The earliest timer due by `now` (removed), or None."""
        found = self.next_deadline()
        if found is None or found[1] > now + 1e-9:
            return None
        self.deadlines.pop(found[0])
        return found
