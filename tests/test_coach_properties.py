"""Property tests: no sequence of intents breaks the coach; stop, pain, emergency and help
always work."""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from voicecoach.app.loop import SessionLoop
from voicecoach.coach import script
from voicecoach.coach.catalogue import load_catalogue
from voicecoach.coach.events import Begin, End, Heard, Say
from voicecoach.coach.machine import Coach
from voicecoach.understand.intents import CANONICAL
from voicecoach.voice.timeline import EstimatedTimeline

SETTINGS = settings(max_examples=150, deadline=None)


@cache
def catalogue():
    # Loaded here, not as a fixture, so a failing example's report stays readable.
    return load_catalogue()


@st.composite
def steps(draw, catalogue):
    """One step of a session: an utterance, or letting time pass until the next timer."""
    if draw(st.booleans()):
        return ("wait", draw(st.floats(min_value=0.0, max_value=120.0)))
    intent = draw(st.sampled_from([*CANONICAL, "none"]))
    slots = {}
    if intent == "choose_exercise":
        slots = {"exercise": draw(st.sampled_from(sorted(catalogue.exercises)))}
    elif intent == "choose_routine":
        slots = {"routine": draw(st.sampled_from(sorted(catalogue.routines)))}
    return ("say", intent, slots)


class Driver:
    """Drives the coach through the session loop every runtime uses, on a virtual clock."""

    def __init__(self, coach: Coach) -> None:
        self.coach = coach
        self.now = 0.0
        self.actions: list = []
        self.loop = SessionLoop(
            coach, EstimatedTimeline(), lambda t, a, h, span: self.actions.append(a)
        )
        self.timers = self.loop.timers.deadlines

    def feed(self, event) -> list:
        """Hand an event to the coach; for what the person says, as the loop screens it."""
        start = len(self.actions)
        if isinstance(event, Heard):
            self.loop.hear(event)
        else:
            self.loop.feed(event)
        return self.actions[start:]

    def run(self, step) -> None:
        if step[0] == "wait":
            until = self.now + step[1]
            self.loop.advance(until)
            self.now = until
        else:
            _, intent, slots = step
            self.feed(Heard(intent, self.now, slots))


def reached(data) -> Driver:
    driver = Driver(Coach(catalogue()))
    driver.feed(Begin(0.0))
    for step in data.draw(st.lists(steps(catalogue()), max_size=40)):
        driver.run(step)
        # The coach never keeps more than one timer alive.
        assert len(driver.timers) <= 1
    return driver


@SETTINGS
@given(data=st.data())
def test_no_sequence_of_intents_raises(data):
    reached(data)


@SETTINGS
@given(data=st.data())
def test_help_always_answers(data):
    driver = reached(data)
    said = [a for a in driver.feed(Heard("help", driver.now)) if isinstance(a, Say)]
    assert said


@SETTINGS
@given(data=st.data())
def test_pain_always_stops_everything(data):
    driver = reached(data)
    actions = driver.feed(Heard("pain", driver.now))
    said = [a.text for a in actions if isinstance(a, Say)]
    assert said[0] == script.PAIN_STOP
    # Whatever timer is left is only a re-prompt: waiting any time gives no exercise cue.
    driver.run(("wait", 1000.0))
    assert driver.coach.waiting


@SETTINGS
@given(data=st.data())
def test_an_emergency_stops_everything_and_is_never_left_to_end_by_itself(data):
    driver = reached(data)
    was_ended = driver.coach.phase == "ended"
    actions = driver.feed(Heard("emergency", driver.now))
    said = [a.text for a in actions if isinstance(a, Say)]
    assert said[:2] == [script.EMERGENCY_STOP, script.EMERGENCY_HELP]
    driver.run(("wait", 10_000.0))
    assert driver.coach.waiting
    assert (driver.coach.phase == "ended") == was_ended


@SETTINGS
@given(data=st.data())
def test_stop_always_leads_to_an_end_on_yes(data):
    driver = reached(data)
    was_ended = driver.coach.phase == "ended"
    first = driver.feed(Heard("stop", driver.now))
    assert [a for a in first if isinstance(a, Say)]
    if was_ended:
        return  # "stop" after the end just says the session is over
    # Said over the question, "yes" acts when the question has been heard.
    start = len(driver.actions)
    driver.feed(Heard("yes", driver.now))
    driver.run(("wait", 30.0))
    ended = any(isinstance(a, End) for a in first + driver.actions[start:])
    assert ended or driver.coach.phase == "ended"
