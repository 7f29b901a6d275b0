"""Symptoms by voice: dizziness, heat and spasms stop the exercise with advice that fits,
"I'm fine now" carries on gently only after one of them, and an emergency's advice fits
what was said (chest pain is not a fall)."""

from __future__ import annotations

import pytest
from sessions import run_session

from voicecoach.coach import script
from voicecoach.coach.events import Begin, Heard, Say, Tone
from voicecoach.coach.machine import Coach, Phase
from voicecoach.understand.flags import load_flags


def _between(transcript, start: str, end: str | None = None):
    """Records after the first line containing `start`, up to the first containing `end`."""
    records = transcript.after(start)[1:]
    if end is None:
        return records
    out = []
    for r in records:
        if isinstance(r.action, Say) and end in r.action.text:
            break
        out.append(r)
    return out


@pytest.mark.parametrize("symptom", ["dizzy", "overheated", "spasm"])
def test_a_symptom_interrupts_as_a_safety_word(symptom):
    flags = load_flags()[symptom]
    assert flags.interrupts
    assert flags.safety


def test_dizzy_mid_sit_to_stand_sits_down_holds_on_and_waits(catalogue, matcher):
    lines = ["sit to stand", "ready", "+11 i feel dizzy", "+60 i'm fine now", "ready"]
    transcript, coach = run_session(catalogue, matcher, lines)
    advice = script.SYMPTOM_ADVICE["dizzy"]
    assert transcript.said(advice[0])
    assert "sit down" in advice[0].lower()
    assert "hold on" in advice[0].lower()
    assert "breathe" in advice[1].lower()
    assert "stop to finish" in script.SYMPTOM_OFFER["dizzy"]
    assert not transcript.said("Tiredness")
    # Nothing is counted while the person is dizzy.
    quiet = _between(transcript, advice[0], script.FEEL_BETTER)
    assert not [r for r in quiet if isinstance(r.action, Tone)]
    # Fine again: back into position, then the rep that was cut short, with its count.
    assert transcript.said(script.BACK_IN_POSITION)
    counts = [
        r for r in transcript.records if isinstance(r.action, Say) and r.action.kind == "count"
    ]
    dizzy_at = transcript.said(advice[0])[0].t
    cut_short = [r.action.text for r in counts if r.t <= dizzy_at][-1]
    again = [r.action.text for r in counts if r.t > dizzy_at][0]
    assert again == cut_short
    assert cut_short.endswith("Sit back slowly.")
    assert transcript.logs("symptom")[0] == {
        "symptom": "dizzy",
        "exercise": "sit_to_stand",
        "side": None,
        "said": "i feel dizzy",
    }


def test_too_hot_cools_down_and_rests_longer(catalogue, matcher):
    lines = ["sit to stand", "ready", "+6 i'm too hot", "+90 i'm fine now", "ready"]
    transcript, coach = run_session(catalogue, matcher, lines)
    advice = " ".join(script.SYMPTOM_ADVICE["overheated"]).lower()
    assert transcript.said(script.SYMPTOM_ADVICE["overheated"][0])
    assert "cooler" in advice
    assert "water" in advice
    assert not transcript.said("Tiredness")
    # Longer rests from now on, this exercise's included.
    assert coach.rest_scale > 1.0
    assert transcript.said("Rest for forty five seconds.")
    assert not transcript.said("Rest for thirty seconds.")


def test_a_spasm_stops_the_hold_until_it_settles(catalogue, matcher):
    lines = ["knee to chest", "ready", "+8 i have a spasm", "+120 i'm fine now", "ready"]
    transcript, _ = run_session(catalogue, matcher, lines)
    advice = script.SYMPTOM_ADVICE["spasm"]
    assert transcript.said(advice[0])
    assert "breathe" in advice[1].lower()
    assert "gently" in advice[1].lower()
    # The hold does not run on while the muscle is in spasm: no cue, no tone.
    quiet = _between(transcript, advice[0], script.FEEL_BETTER)
    assert not [r for r in quiet if isinstance(r.action, Tone)]
    assert not [r for r in quiet if isinstance(r.action, Say) and r.action.kind in {"cue", "count"}]
    # Carrying on with the seconds the hold had left.
    tone = next(r for r in transcript.records if getattr(r.action, "name", "") == "hold_start")
    left = 30 - (transcript.said(advice[0])[0].t - tone.t)
    assert transcript.said(f"Carrying on, {script.seconds_phrase(round(left))} left.")


def test_fine_now_restarts_nothing_after_pain(catalogue, matcher):
    lines = ["knee to chest", "ready", "+8 it hurts", "+5 i'm fine now"]
    transcript, _ = run_session(catalogue, matcher, lines)
    assert transcript.said(script.GLAD)
    after = _between(transcript, script.GLAD)
    assert not [r for r in after if isinstance(r.action, Tone)]
    assert transcript.said(script.HELP["pain"])


def test_fine_now_after_a_symptom_during_pain_goes_back_to_pain(catalogue, matcher):
    lines = ["knee to chest", "ready", "+8 it hurts", "+5 i feel dizzy", "+30 i'm fine now"]
    transcript, _ = run_session(catalogue, matcher, lines)
    said = [r.action.text for r in _between(transcript, script.GLAD) if isinstance(r.action, Say)]
    assert said[:1] == [script.PAIN_OFFER]
    assert not transcript.said(script.BACK_IN_POSITION)


def test_fine_now_mid_hold_is_only_welcomed(catalogue, matcher):
    lines = ["knee to chest", "ready", "+5 i'm fine now"]
    transcript, coach = run_session(catalogue, matcher, lines)
    assert transcript.said(script.GLAD)
    assert transcript.said(script.RELEASE)  # the hold carried on


def test_silence_while_unwell_waits_without_pausing_or_ending(catalogue, matcher):
    lines = ["knee to chest", "ready", "+8 i feel dizzy", "+600 i'm fine now"]
    transcript, _ = run_session(catalogue, matcher, lines)
    offer = script.SYMPTOM_OFFER["dizzy"]
    assert transcript.says().count(offer) == 2  # said, and one reminder
    assert not transcript.said(script.SILENCE_PAUSE)
    assert transcript.said(script.BACK_IN_POSITION)[0].t >= 600


@pytest.mark.parametrize(
    ("said", "advice", "not_advice"),
    [
        ("my chest hurts", script.EMERGENCY_MEDICAL, script.EMERGENCY_FALL),
        ("i can't breathe", script.EMERGENCY_MEDICAL, script.EMERGENCY_FALL),
        ("i've fallen", script.EMERGENCY_FALL, script.EMERGENCY_MEDICAL),
        ("i feel faint", script.EMERGENCY_FAINT, script.EMERGENCY_FALL),
    ],
)
def test_emergency_advice_fits_what_was_said(catalogue, matcher, said, advice, not_advice):
    transcript, _ = run_session(catalogue, matcher, ["knee to chest", "ready", f"+5 {said}"])
    assert transcript.said(advice)
    assert not transcript.said(not_advice)
    assert transcript.said(script.EMERGENCY_HELP)


def test_an_emergency_that_says_nothing_more_gets_every_piece_of_advice(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["knee to chest", "+5 call an ambulance"])
    for line in script.EMERGENCY_WORDS:
        assert transcript.said(line)


def test_symptoms_after_the_end_still_get_advice(catalogue):
    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    coach.handle(Heard("stop", 1.0))
    coach.handle(Heard("yes", 2.0))
    said = [a.text for a in coach.handle(Heard("dizzy", 3.0)) if isinstance(a, Say)]
    assert said[0] == script.SYMPTOM_ADVICE["dizzy"][0]
    assert coach.phase == Phase.ENDED
