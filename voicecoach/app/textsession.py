"""Drive a coach from typed lines: what `voicecoach text` does.

A plain line is said as soon as the coach is waiting for the person; a line `+N text` is
said N seconds after the previous line, whatever the coach is doing (so "+5 pause" lands
mid-hold).  With a virtual clock timers elapse instantly; with a real clock they take as
long as they say.  Every action is handed to `emit` with the time and what was heard.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from voicecoach.app.timers import Clock, Timers, VirtualClock
from voicecoach.coach.events import (
    Action,
    Begin,
    CancelTimer,
    End,
    Event,
    Heard,
    InputEnded,
    StartTimer,
    TimerExpired,
)
from voicecoach.coach.machine import Coach
from voicecoach.understand.intents import Match, Matcher

_DELAYED = re.compile(r"^\+\s*(\d+(?:\.\d+)?)\s+(.*)$")
#: A session that never waits again is a bug; stop replaying rather than spin forever.
MAX_EVENTS = 100_000

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
    """Coach + matcher + timers on one clock."""

    def __init__(self, coach: Coach, matcher: Matcher, clock: Clock, emit: Emit) -> None:
        self.coach = coach
        self.matcher = matcher
        self.clock = clock
        self.emit = emit
        self.timers = Timers()
        self.events = 0
        self.ended = False

    def feed(self, event: Event, heard: Match | None = None) -> None:
        self.events += 1
        if self.events > MAX_EVENTS:
            raise RuntimeError("the session did not settle; giving up")
        for action in self.coach.handle(event):
            if isinstance(action, StartTimer):
                self.timers.start(action.timer, action.seconds, event.t)
            elif isinstance(action, CancelTimer):
                self.timers.cancel(action.timer)
            if isinstance(action, End):
                self.ended = True
            self.emit(event.t, action, heard)

    def fire_until(self, t: float) -> None:
        """Let every timer due by `t` expire, in order, then move the clock to `t`."""
        while not self.ended and (due := self.timers.next_deadline()) and due[1] <= t:
            self.clock.sleep_until(due[1])
            self.timers.cancel(due[0])
            self.feed(TimerExpired(due[0], due[1]))
        self.clock.sleep_until(t)

    def fire_until_waiting(self) -> None:
        """Run timers until the coach waits for the person (or nothing is left to run)."""
        while not self.ended and not self.coach.waiting:
            due = self.timers.next_deadline()
            if due is None:
                return
            self.clock.sleep_until(due[1])
            self.timers.cancel(due[0])
            self.feed(TimerExpired(due[0], due[1]))

    def say(self, text: str) -> None:
        match = self.matcher.match(text, expecting_answer=self.coach.expects_answer)
        event = Heard(match.intent, self.clock.now(), match.slots, match.confidence, text)
        self.feed(event, match)


def run_fast(session: TypedSession, lines: Iterable[str]) -> None:
    """Replay typed lines on a virtual clock."""
    assert isinstance(session.clock, VirtualClock)
    _replay(session, (line for line in map(parse_line, lines) if line is not None))


def run_realtime(session: TypedSession, lines: Iterable[str]) -> None:
    """Play typed lines in real time: timers keep running while nobody types."""
    incoming: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for raw in lines:
            incoming.put(raw)
        incoming.put(None)

    threading.Thread(target=read, daemon=True).start()
    _replay(session, _lines(incoming, session))


def _replay(session: TypedSession, lines: Iterable[TypedLine]) -> None:
    """Say each line when it is due, then let the coach reach a wait and end cleanly."""
    session.feed(Begin(session.clock.now()))
    last_line_at = 0.0
    for line in lines:
        if session.ended:
            break
        if line.delay is not None:
            session.fire_until(last_line_at + line.delay)
        else:
            session.fire_until_waiting()
        if session.ended:
            break
        last_line_at = session.clock.now()
        session.say(line.text)
    if not session.ended:
        session.fire_until_waiting()
        session.feed(InputEnded(session.clock.now()))


def _lines(incoming: queue.Queue[str | None], session: TypedSession) -> Iterator[TypedLine]:
    """Typed lines as they come, firing due timers while waiting for the next one."""
    while not session.ended:
        due = session.timers.next_deadline()
        timeout = None if due is None else max(0.0, due[1] - session.clock.now())
        try:
            raw = incoming.get(timeout=timeout)
        except queue.Empty:
            session.fire_until(session.clock.now())
            continue
        if raw is None:
            return
        line = parse_line(raw)
        if line is not None:
            yield line
