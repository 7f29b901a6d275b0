"""Drive a coach from typed lines: what `voicecoach text` does.

A plain line is said as soon as the coach is waiting for the person and has finished
speaking; a line `+N text` is said N seconds after the previous line, whatever the coach
is doing (so "+5 pause" lands mid-hold).  The coach runs in the same `SessionLoop` as the
spoken runtime, on a timeline that estimates how long each line takes to say at the
voice's rate, so the transcript shows what a listener would hear, and when.

With a virtual clock (`run_fast`) timers elapse instantly; in real time (`run_realtime`)
a thread reads the lines as they are typed and each acts at once ("it hurts" mid-hold
stops the hold there and then), while timers take as long as they say.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from voicecoach.app.loop import SessionLoop
from voicecoach.app.timers import Clock, VirtualClock
from voicecoach.coach.events import Action, Begin, Heard
from voicecoach.coach.machine import Coach
from voicecoach.understand.intents import Match, Matcher
from voicecoach.voice.timeline import EstimatedTimeline

_DELAYED = re.compile(r"^\+\s*(\d+(?:\.\d+)?)\s+(.*)$")

Emit = Callable[[float, Action, Match | None], None]


@dataclass(frozen=True)
class TypedLine:
    text: str
    delay: float | None
    """Seconds after the previous line, or None for 'when the coach waits'."""


def parse_line(line: str) -> TypedLine | None:
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    delayed = _DELAYED.match(line)
    if delayed:
        return TypedLine(delayed.group(2).strip(), float(delayed.group(1)))
    return TypedLine(line, None)


class TypedSession:
    """Coach + matcher on one clock, through the session loop."""

    def __init__(
        self,
        coach: Coach,
        matcher: Matcher,
        clock: Clock,
        emit: Emit,
        note: Callable[[dict], None] | None = None,
    ) -> None:
        self.coach = coach
        self.matcher = matcher
        self.clock = clock
        timeline = EstimatedTimeline(coach.rate, coach.volume)
        self.loop = SessionLoop(
            coach, timeline, lambda t, action, heard, _span: emit(t, action, heard)
        )
        if note is not None:
            self.loop.note = note

    @property
    def ended(self) -> bool:
        return self.loop.ended

    @property
    def timers(self):  # noqa: ANN201 - the loop's Timers
        return self.loop.timers

    def fire_until(self, t: float) -> None:
        """Let everything due by `t` happen, in order, then move the clock to `t`."""
        while (due := self.loop.next_due()) is not None and due <= t:
            self.clock.sleep_until(due)
            self.loop.advance(due)
        self.clock.sleep_until(t)

    def fire_until_waiting(self) -> None:
        """Run until the coach waits for the person and has finished speaking."""
        quiet = self.loop.settle(self.clock.sleep_until)
        if quiet is not None:
            self.fire_until(quiet)

    def say(self, text: str) -> str:
        match = self.matcher.match(text, expecting_answer=self.coach.expects_answer)
        event = Heard(
            match.intent, self.clock.now(), match.slots, match.confidence, text,
            match.guess, match.guess_slots,
        )  # fmt: skip
        return self.loop.hear(event, match)


def run_fast(session: TypedSession, lines: Iterable[str]) -> None:
    """Replay typed lines on a virtual clock."""
    assert isinstance(session.clock, VirtualClock)
    session.loop.feed(Begin(session.clock.now()))
    last_line_at = 0.0
    for line in (line for line in map(parse_line, lines) if line is not None):
        if line.delay is not None:
            session.fire_until(last_line_at + line.delay)
        else:
            session.fire_until_waiting()
        last_line_at = session.clock.now()
        session.say(line.text)
    session.fire_until_waiting()
    session.loop.finish(session.clock.now())


def run_realtime(session: TypedSession, lines: Iterable[str]) -> None:
    """Play typed lines in real time: each acts when typed; timers run meanwhile."""
    incoming: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for raw in lines:
            incoming.put(raw)
        incoming.put(None)

    threading.Thread(target=read, daemon=True).start()
    session.loop.feed(Begin(session.clock.now()))
    last_line_at = 0.0
    while True:
        due = session.loop.next_due()
        timeout = None if due is None else max(0.0, due - session.clock.now())
        try:
            raw = incoming.get(timeout=timeout)
        except queue.Empty:
            session.fire_until(session.clock.now())
            continue
        if raw is None:
            break
        line = parse_line(raw)
        if line is None:
            continue
        if line.delay is not None:
            session.fire_until(last_line_at + line.delay)
        session.fire_until(session.clock.now())
        last_line_at = session.clock.now()
        session.say(line.text)
    session.fire_until_waiting()
    session.loop.finish(session.clock.now())
