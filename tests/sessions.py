"""Test helper: run a coach through typed lines on a virtual clock and keep every action."""

from __future__ import annotations

from dataclasses import dataclass, field

from voicecoach.app.textsession import TypedSession, run_fast
from voicecoach.app.timers import VirtualClock
from voicecoach.coach.catalogue import Catalogue
from voicecoach.coach.events import Action, Begin, End, Log, Say, SetVoice, StartTimer, Tone
from voicecoach.coach.machine import Coach
from voicecoach.understand.intents import Match, Matcher


@dataclass
class Record:
    t: float
    """When it happens; for a line or a tone, when it starts on the timeline."""
    action: Action
    heard: Match | None
    exercise: str | None
    end: float | None = None
    """When a line or a tone has been heard to the end (None for other actions)."""


@dataclass
class Transcript:
    records: list[Record] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    """What the session loop said about what was heard (barge-in, deferred ...)."""

    def says(self) -> list[str]:
        return [r.action.text for r in self.records if isinstance(r.action, Say)]

    def said(self, fragment: str) -> list[Record]:
        return [r for r in self.records if isinstance(r.action, Say) and fragment in r.action.text]

    def logs(self, kind: str) -> list[dict]:
        return [
            r.action.data
            for r in self.records
            if isinstance(r.action, Log) and r.action.kind == kind
        ]

    def tones(self) -> list[str]:
        return [r.action.name for r in self.records if isinstance(r.action, Tone)]

    def voices(self) -> list[SetVoice]:
        return [r.action for r in self.records if isinstance(r.action, SetVoice)]

    def ended(self) -> End | None:
        ends = [r.action for r in self.records if isinstance(r.action, End)]
        return ends[-1] if ends else None

    def after(self, fragment: str) -> list[Record]:
        """Records from the first line containing `fragment` on."""
        for i, r in enumerate(self.records):
            if isinstance(r.action, Say) and fragment in r.action.text:
                return self.records[i:]
        raise AssertionError(f"never said {fragment!r}; said: {self.says()}")

    def timers(self) -> list[StartTimer]:
        return [r.action for r in self.records if isinstance(r.action, StartTimer)]


def run_session(
    catalogue: Catalogue, matcher: Matcher, lines: list[str], **coach_options
) -> tuple[Transcript, Coach]:
    coach = Coach(catalogue, **coach_options)
    transcript = Transcript()

    session = TypedSession(coach, matcher, VirtualClock(), lambda *_: None)

    def emit_span(t: float, action: Action, heard: Match | None, span) -> None:
        end = span[1] if span is not None else None
        transcript.records.append(Record(t, action, heard, coach.current_id, end))

    session.loop.emit = emit_span
    session.loop.note = transcript.notes.append
    run_fast(session, lines)
    return transcript, coach


#: What a person answers in each waiting phase when a test does not say (else "yes").
ANSWERS = {"ready": "ready", "paused": "resume", "choosing": "stop", "confirm_stop": "yes"}


def run_answering(
    catalogue: Catalogue,
    matcher: Matcher,
    lines: list[str],
    answers: dict[str, str] | None = None,
    **coach_options,
) -> tuple[Transcript, Coach]:
    """Say `lines` whenever the coach waits, then answer whatever it asks the obvious way
    (`answers`: phase -> line) until the session ends."""
    coach = Coach(catalogue, **coach_options)
    transcript = Transcript()
    replies = {**ANSWERS, **(answers or {})}

    session = TypedSession(coach, matcher, VirtualClock(), lambda *_: None)

    def emit_span(t: float, action: Action, heard: Match | None, span) -> None:
        end = span[1] if span is not None else None
        transcript.records.append(Record(t, action, heard, coach.current_id, end))

    session.loop.emit = emit_span
    session.loop.note = transcript.notes.append
    session.loop.feed(Begin(0.0))
    pending = list(lines)
    for _ in range(500):
        session.fire_until_waiting()
        if session.ended:
            break
        session.say(pending.pop(0) if pending else replies.get(coach.phase, "yes"))
    assert session.ended, "the session never ended"
    return transcript, coach
