"""Session bookends: the greeting, "how are you feeling today?", what to have ready, and the
closing summary."""

from __future__ import annotations

import re

from sessions import run_answering, run_session

from voicecoach.coach import script
from voicecoach.coach.profile import Progress


def test_a_returning_person_gets_a_short_greeting_and_one_safety_line(catalogue, matcher):
    known = Progress(sessions_total=4)
    transcript, _ = run_session(catalogue, matcher, ["stop", "yes"], progress=known)
    says = transcript.says()
    assert says[:2] == [script.WELCOME_BACK, script.SAFETY_REMINDER]
    assert len(re.findall(r"[.!?]", script.SAFETY_REMINDER)) == 1
    assert "hurts" in script.SAFETY_REMINDER
    assert not transcript.said(script.SAFETY_NOTE)
    first, _ = run_session(catalogue, matcher, ["stop", "yes"])
    assert first.says()[:2] == [script.WELCOME, script.SAFETY_NOTE]


def test_low_energy_makes_a_shorter_gentler_session(catalogue, matcher):
    usual, _ = run_answering(catalogue, matcher, ["strengthening"])
    gentle, _ = run_answering(catalogue, matcher, ["i'm tired", "strengthening"])
    assert gentle.said(script.GENTLE_TODAY)
    assert gentle.logs("check_in") == [{"energy": "low"}]
    done = gentle.logs("exercise_done")
    assert len(done) == script.GENTLE_EXERCISES < len(usual.logs("exercise_done"))
    assert not gentle.said("Set two of two")
    assert usual.said("Set two of two")
    assert gentle.records[-1].t < usual.records[-1].t / 2


def test_check_in_before_a_routine_given_at_start_up(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["+1 tired"], routine="strengthening")
    assert transcript.said(script.CHECK_IN_QUESTION)
    assert transcript.said(script.GENTLE_TODAY)
    # Nothing said: after a few seconds the usual routine starts.
    transcript, _ = run_session(catalogue, matcher, [], routine="strengthening")
    assert transcript.logs("check_in") == [{"energy": "ok"}]
    assert transcript.logs("exercise_start")


def test_the_routine_closes_with_what_was_done_and_how_long(catalogue, matcher):
    transcript, _ = run_answering(catalogue, matcher, ["morning"])
    summary = next(s for s in transcript.says() if s.startswith("That's the routine finished"))
    assert summary.startswith("That's the routine finished: five exercises in about ")
    assert summary.endswith("minutes. Really well done.")
    assert transcript.said("You did five exercises today. Well done, and goodbye.")


def test_what_to_have_ready_is_said_once_before_the_routine(catalogue, matcher):
    transcript, _ = run_answering(catalogue, matcher, ["spasticity"])
    ready = [s for s in transcript.says() if s.startswith("Before we start, have ready")]
    assert len(ready) == 1
    assert "a towel" in ready[0]
    assert "a small ball" in ready[0]
    assert not [s for s in transcript.says() if s.startswith("You'll need")]
