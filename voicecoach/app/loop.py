"""The one session loop: the pure coach, its timers and its output on one timeline.

Theory of operation
-------------------
The runtime (microphone or WAV in, speaker or WAV out), typed sessions (`voicecoach text`)
and the tests all drive the coach through `SessionLoop`; they differ only in where what
the person says comes from and where the coach's sounds go (a `Timeline`, declared with
its two implementations in voicecoach.voice.timeline).

Time is the audio timeline's.  Every sound is placed on the timeline no earlier than the
sound queued before it ends; `StartTimer(after_speech=True)` counts from when everything
queued so far has been heard (a hold's clock, a rest, a re-prompt), so the coach's timing
is what a listener lives through however long its words take to say.  A typed session's
timeline estimates speech from the voice's rate (words per minute).

What the person says is screened against the timeline (`hear`), with the per-intent flags
of intents/flags.toml:
- the coach is quiet: acted on at once (an answer overlapping the end of a question too);
- the coach is speaking and the intent interrupts (stop, it hurts, help ...): the voice is
  cut and it is acted on at once (barge-in);
- the coach is speaking and it is any other command: acted on when the coach's speech
  ends (deferred), never dropped; a later barge-in supersedes it;
- the coach is speaking and it is not a command (`none`): ignored, as talk over the coach.
Each outcome is reported to `note`, so logs say which.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from voicecoach.app.timers import Timers
from voicecoach.coach.events import (
    Action,
    CancelTimer,
    End,
    Event,
    Heard,
    InputEnded,
    Say,
    SetVoice,
    StartTimer,
    TimerExpired,
    Tone,
)
from voicecoach.coach.machine import Coach, Phase
from voicecoach.understand.flags import NONE, Flags, load_flags
from voicecoach.voice.timeline import Timeline

#: Outcomes of `SessionLoop.hear`.
ACTED, BARGE_IN, DEFERRED, IGNORED = "acted", "barge_in", "deferred", "ignored"
#: A session that never waits again is a bug; stop rather than spin forever.
MAX_EVENTS = 100_000


@dataclass
class Spoken:
    """A line on the timeline (kept for barge-in and echo decisions)."""

    text: str
    start: float
    end: float


@dataclass
class Deferred:
    """A command heard while the coach spoke, to act on when its speech ends."""

    due: float
    event: Heard
    match: Any


#: emit(t, action, heard match, (start, end) on the timeline or None)
Emit = Callable[[float, Action, Any, tuple[float, float] | None], None]


def _ignore_emit(t: float, action: Action, heard: Any, span: tuple[float, float] | None) -> None:
    return None


def _ignore_note(record: dict[str, Any]) -> None:
    return None


@dataclass
class SessionLoop:
    """Coach + timers + timeline.  Feed it events; it carries out the coach's actions."""

    coach: Coach
    timeline: Timeline
    emit: Emit = _ignore_emit
    note: Callable[[dict[str, Any]], None] = _ignore_note
    flags: Flags = field(default_factory=load_flags)
    timers: Timers = field(default_factory=Timers)
    spoken: list[Spoken] = field(default_factory=list)
    pending: list[Deferred] = field(default_factory=list)
    events: int = 0

    @property
    def ended(self) -> bool:
        """The session is over (a later "start" may begin another)."""
        return self.coach.phase == Phase.ENDED

    # --- events in ------------------------------------------------------------------------

    def feed(self, event: Event, heard: Any = None, lag: float = 0.0) -> None:
        """Hand one event to the coach and carry out its actions; `lag` is processing time
        already spent on the event, so its sounds start no earlier than now really is."""
        self.events += 1
        if self.events > MAX_EVENTS:
            raise RuntimeError("the session did not settle; giving up")
        for action in self.coach.handle(event):
            self.execute(action, event.t, heard, lag)

    def screen(self, event: Heard) -> str:
        """What `hear` will do with this (see the module doc), without doing it."""
        if self.speaking(event.t) is None:
            return ACTED
        if self.flags[event.intent].interrupts:
            return BARGE_IN
        return IGNORED if event.intent == NONE else DEFERRED

    def hear(self, event: Heard, heard: Any = None, lag: float = 0.0) -> str:
        """Act on what the person said as the timeline allows; returns the outcome."""
        now = event.t
        outcome = self.screen(event)
        if self.flags[event.intent].interrupts:
            # A brake overrides whatever was waiting for the coach to finish its line.
            for dropped in self.pending:
                self.note(
                    {
                        "t": round(now, 3),
                        "type": "superseded",
                        "intent": dropped.event.intent,
                        "by": event.intent,
                    }
                )
            self.pending.clear()
        if outcome == BARGE_IN:
            self.timeline.cut(now)
            for line in self.spoken:
                line.end = min(line.end, max(line.start, now))
            self.note({"t": round(now, 3), "type": "barge_in", "intent": event.intent})
        if outcome == DEFERRED:
            self.pending.append(Deferred(self.timeline.busy_until(), event, heard))
        elif outcome != IGNORED:
            self.feed(event, heard, lag)
        return outcome

    def speaking(self, start: float, now: float | None = None, tail: float = 0.0) -> Spoken | None:
        """The line the coach was saying at some moment from `start` to `now`."""
        now = start if now is None else now
        for line in reversed(self.spoken):
            if line.start <= now and line.end + tail > start:
                return line
        return None

    # --- time passing ---------------------------------------------------------------------

    def next_due(self) -> float | None:
        """When the next timer or deferred command is due."""
        times = [d.due for d in self.pending]
        if (deadline := self.timers.next_deadline()) is not None:
            times.append(deadline[1])
        return min(times, default=None)

    def advance(self, until: float) -> None:
        """Expire every timer and act on every deferred command due by `until`, in order."""
        while (due := self.next_due()) is not None and due <= until + 1e-9:
            deferred = next((d for d in self.pending if d.due <= due + 1e-9), None)
            if deferred is not None:
                self.pending.remove(deferred)
                event = replace(deferred.event, t=max(deferred.due, deferred.event.t))
                self.note(
                    {
                        "t": round(event.t, 3),
                        "type": "deferred_acted",
                        "intent": event.intent,
                        "heard_at": round(deferred.event.t, 3),
                    }
                )
                self.feed(event, deferred.match)
                continue
            found = self.timers.pop_due(due)
            if found is not None:
                self.feed(TimerExpired(found[0], found[1]))

    def settle(self, sleep_until: Callable[[float], None] | None = None) -> float | None:
        """Run timers until the coach waits for the person and has finished speaking;
        returns the time it is then quiet (None if nothing is left to run)."""
        while not self.coach.waiting or self.pending:
            due = self.next_due()
            if due is None:
                return None
            if sleep_until is not None:
                sleep_until(due)
            self.advance(due)
        return self.timeline.busy_until()

    def finish(self, now: float) -> None:
        """No more input: let the coach reach a wait, then end the session cleanly."""
        if self.ended:
            return
        self.settle()
        if not self.ended:
            self.feed(InputEnded(max(now, self.timeline.busy_until())))

    # --- actions out ----------------------------------------------------------------------

    def execute(self, action: Action, t: float, heard: Any = None, lag: float = 0.0) -> None:
        at = t + lag
        span: tuple[float, float] | None = None
        if isinstance(action, Say):
            span = self.timeline.say(action.text, at)
            self.spoken.append(Spoken(action.text, *span))
            del self.spoken[:-20]
        elif isinstance(action, Tone):
            span = self.timeline.tone(action.name, at)
        elif isinstance(action, SetVoice):
            self.timeline.set_voice(action.rate, action.volume)
        elif isinstance(action, StartTimer):
            begin = max(at, self.timeline.busy_until()) if action.after_speech else t
            self.timers.start(action.timer, action.seconds, begin)
        elif isinstance(action, CancelTimer):
            self.timers.cancel(action.timer)
        elif isinstance(action, End):
            # Commands heard over the goodbye are for a session that has ended.
            for dropped in self.pending:
                self.note(
                    {
                        "t": round(t, 3),
                        "type": "superseded",
                        "intent": dropped.event.intent,
                        "by": "end",
                    }
                )
            self.pending.clear()
        self.emit(t if span is None else span[0], action, heard, span)
