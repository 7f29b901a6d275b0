"""The transition table itself: what it covers, and what a trigger with no row does."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from voicecoach.coach.catalogue import Catalogue
from voicecoach.coach.events import (
    Begin,
    DeviceTrouble,
    Event,
    Heard,
    InputEnded,
    StartTimer,
    TimerExpired,
)
from voicecoach.coach.machine import WAITING, Coach, Next, Phase, Trigger
from voicecoach.understand.intents import CANONICAL

#: Not state: the table of bound methods, the output buffer, the loaded data.
_NOT_STATE = {"table", "everywhere", "_out", "catalogue", "default_routine"}

#: A walk through most phases: lines said, with the live timer fired in between.
WALK = [
    "start", "yes", "pause", "resume", "stop", "no", "tired", "no", "dizzy", "feel_better",
    "pain", "resume", "emergency", "resume", "cant_get_up", "no", "resume", "stop", "yes",
    "start", "skip", "cant_get_up", "yes", "resume", "stop", "yes",
]  # fmt: skip


#: Said a few timers into whatever runs, not when the coach waits.
MID_ACTIVITY = {"pause", "stop", "tired", "dizzy", "pain", "emergency", "cant_get_up", "skip"}


def state(coach: Coach) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in vars(coach).items() if k not in _NOT_STATE}


def walk(catalogue: Catalogue) -> Iterator[Coach]:
    """A coach in each state the walk passes through (the same object, moved on): after
    each line, the timers of the timed phases run until the coach waits again."""
    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    for intent in WALK:
        for _ in range(4 if intent in MID_ACTIVITY else 60):
            yield coach
            if (
                coach.phase not in {Phase.STEPS, Phase.ACTIVE, Phase.BOOKEND}
                or coach._timer is None
            ):
                break
            coach.handle(TimerExpired(coach._timer, coach.now + 5.0))
        coach.handle(Heard(intent, coach.now + 1.0))
    yield coach


def trigger_event(trigger: str, coach: Coach) -> Event | None:
    t = coach.now + 1.0
    kinds = {Trigger.STEP_GAP, Trigger.SEGMENT_START, Trigger.CUE, Trigger.SILENCE,
             Trigger.CHECK_IN_OVER, Trigger.MOVE_START, Trigger.MOVE_OVER}  # fmt: skip
    if trigger in kinds:
        live = coach._timer is not None and coach._timer_kind == trigger
        return TimerExpired(coach._timer or "", t) if live else None
    return (
        {
            Trigger.BEGIN: Begin(t),
            Trigger.INPUT_ENDED: InputEnded(t),
            Trigger.DEVICE_LOST: DeviceTrouble("microphone", False, t),
            Trigger.DEVICE_BACK: DeviceTrouble("microphone", True, t),
            Trigger.OTHERWISE: None,
        }.get(Trigger(trigger))
        if trigger in set(Trigger)
        else Heard(trigger, t)
    )


def test_a_trigger_with_no_row_changes_nothing_and_says_nothing(catalogue):
    checked: set[tuple[Phase, str]] = set()
    for coach in walk(catalogue):
        for trigger in [*CANONICAL, *Trigger]:
            if coach.row(trigger) is not None:
                continue
            event = trigger_event(trigger, coach)
            if event is None:
                continue
            before = state(coach)
            assert coach.handle(event) == [], (coach.phase, trigger)
            assert state(coach) == before, (coach.phase, trigger)
            checked.add((coach.phase, trigger))
    phases = {phase for phase, _ in checked}
    assert {Phase.ACTIVE, Phase.STEPS, Phase.PAUSED, Phase.ENDED, Phase.CHOOSING} <= phases
    assert (Phase.ENDED, Trigger.INPUT_ENDED) in checked  # a closed phase takes no fallback
    assert (Phase.ACTIVE, Trigger.BEGIN) in checked


def test_a_late_expiry_of_a_cancelled_timer_changes_nothing(catalogue):
    coach = Coach(catalogue)
    started = [a for a in coach.handle(Begin(0.0)) if isinstance(a, StartTimer)]
    coach.handle(Heard("help", 1.0))  # restarts the silence clock: a new timer
    before = state(coach)
    assert coach.handle(TimerExpired(started[0].timer, 20.0)) == []
    assert state(coach) == before


def test_every_intent_has_a_row_in_every_phase_that_hears_words(catalogue):
    coach = Coach(catalogue)
    for phase in Phase:
        if phase == Phase.IDLE:
            continue  # a word before Begin starts the session first
        coach.phase = phase
        for intent in CANONICAL:
            assert coach.row(intent) is not None, (phase, intent)


def test_safety_words_are_answered_in_every_phase(catalogue):
    coach = Coach(catalogue)
    for phase in set(Phase) - {Phase.IDLE}:
        coach.phase = phase
        safety = ["pain", "emergency", "help", "cant_get_up", "dizzy"]
        for intent in safety if phase == Phase.ENDED else ["stop", *safety]:
            row = coach.row(intent)
            assert row is not None
            assert row[0].__name__ not in {"_on_sorry", "_on_ended_hint", "_on_room_talk"}


def test_every_phase_that_listens_has_a_row_for_silence(catalogue):
    coach = Coach(catalogue)
    for phase in (WAITING - {Phase.PAUSED, Phase.ENDED}) | {Phase.CHECK_IN}:
        coach.phase = phase
        assert coach.row(Trigger.SILENCE) is not None, phase


@pytest.mark.parametrize("where", ["table", "everywhere"])
def test_rows_hold_bound_methods_of_the_coach_and_a_next_phase(catalogue, where):
    coach = Coach(catalogue)
    rows = (
        [row for rows in coach.table.values() for row in rows.values()]
        if where == "table"
        else list(coach.everywhere.values())
    )
    for handler, target in rows:
        assert getattr(handler, "__self__", None) is coach
        assert isinstance(target, Phase | Next)
