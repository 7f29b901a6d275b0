"""Reps at a pace the person can slow down by voice: "slower" gives each rep of every set not
yet begun (and of later exercises) more time, "faster" takes it back, never past the
catalogue's own pace."""

from __future__ import annotations

import pytest
from sessions import run_session

from voicecoach.coach import script
from voicecoach.coach.events import Tone


def rep_gaps(transcript, start: float, end: float) -> list[float]:
    tones = [
        r.t
        for r in transcript.records
        if isinstance(r.action, Tone) and r.action.name == "rep" and start <= r.t < end
    ]
    return [b - a for a, b in zip(tones, tones[1:], strict=False)]


def set_starts(transcript) -> list[float]:
    return [r.t for r in transcript.said("Ten reps.")]


def test_slower_during_reps_gives_the_next_set_more_time(catalogue, matcher):
    transcript, coach = run_session(catalogue, matcher, ["sit to stand", "ready", "+8 slower"])
    assert transcript.said(script.REPS_PACED["slower"])
    first, second = set_starts(transcript)[:2]
    before = rep_gaps(transcript, first, second)
    after = rep_gaps(transcript, second, second + 200)
    rep = catalogue.exercise("sit_to_stand").dose.rep_seconds
    assert before
    assert after
    assert after == pytest.approx([rep * script.REP_PACE_STEP] * len(after))
    assert coach.rep_pace == script.REP_PACE_STEP


def test_faster_never_goes_past_the_catalogues_pace(catalogue, matcher):
    lines = ["sit to stand", "ready", "+8 faster", "+4 faster"]
    transcript, coach = run_session(catalogue, matcher, lines)
    assert coach.rep_pace == 1.0
    assert not transcript.said(script.REPS_PACED["faster"])
    first, second = set_starts(transcript)[:2]
    rep = catalogue.exercise("sit_to_stand").dose.rep_seconds
    gaps = rep_gaps(transcript, second, second + 200)
    assert gaps == pytest.approx([rep] * len(gaps))


def test_the_pace_is_capped_and_comes_back(catalogue, matcher):
    lines = ["sit to stand", "ready", *["+2 slower"] * 6, "+2 faster"]
    transcript, coach = run_session(catalogue, matcher, lines)
    assert coach.rep_pace == pytest.approx(script.MAX_REP_PACE / script.REP_PACE_STEP)
    assert transcript.said(script.REPS_PACED["faster"])
