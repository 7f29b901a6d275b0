"""The session loop: true time on the timeline, nothing heard dropped, always there.

Short scripted sessions on a virtual clock, through the same loop the spoken runtime uses;
a typed session's timeline estimates speech from the voice's rate.
"""

from __future__ import annotations

import re

import pytest
from sessions import Record, Transcript, run_session

from voicecoach.app.loop import BARGE_IN, DEFERRED, IGNORED, SessionLoop
from voicecoach.coach import script
from voicecoach.coach.events import Begin, Heard, Say, Tone
from voicecoach.coach.machine import Coach, Phase
from voicecoach.coach.profile import Profile, ResumePoint
from voicecoach.voice.timeline import EstimatedTimeline

WORDS = {script.number(n): n for n in range(1, 100)}


def tones(transcript: Transcript, records: list[Record] | None = None) -> list[Record]:
    return [r for r in records or transcript.records if isinstance(r.action, Tone)]


def announced(text: str, kind: str) -> float | None:
    found = re.search(rf"{kind} for ([a-z ]+?) seconds", text)
    return float(WORDS[found.group(1)]) if found else None


def hold_announced(transcript: Transcript, line: Record) -> float | None:
    """The seconds a hold was announced with: a repeat of an alternating hold says only its
    side ("Lift your left knee."), and counts as that side's last full announcement."""
    assert isinstance(line.action, Say)
    if (seconds := announced(line.action.text, "Hold")) is not None:
        return seconds
    before = transcript.records[: transcript.records.index(line)]
    full = next(
        x.action.text
        for x in reversed(before)
        if isinstance(x.action, Say)
        and x.action.text.startswith(line.action.text)
        and "Hold for" in x.action.text
    )
    return announced(full, "Hold")


def holds_and_rests(transcript: Transcript) -> list[tuple[str, float, float]]:
    """(kind, announced, heard): holds from tone to release tone, rests from the end of
    their line to the rest-over tone."""
    found = []
    for i, r in enumerate(transcript.records):
        if isinstance(r.action, Tone) and r.action.name == "hold_start":
            line = next(x for x in reversed(transcript.records[:i]) if isinstance(x.action, Say))
            release = next(
                t
                for t in tones(transcript, transcript.records[i + 1 :])
                if t.action.name in {"release", "hold_start"}
            )
            if release.action.name == "release":
                found.append(("hold", hold_announced(transcript, line), release.t - r.t))
        elif isinstance(r.action, Say) and (seconds := announced(r.action.text, "Rest")):
            over = next(
                t
                for t in tones(transcript, transcript.records[i + 1 :])
                if t.action.name == "rest_over"
            )
            found.append(("rest", seconds, over.t - r.end))
    return found


def test_holds_and_rests_last_what_was_announced_from_tone_to_tone(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["seated march", "ready"])
    measured = holds_and_rests(transcript)
    assert {kind for kind, _, _ in measured} == {"hold", "rest"}
    for kind, said, heard in measured:
        assert heard == pytest.approx(said), kind


def test_a_slower_voice_does_not_shorten_holds(catalogue, matcher):
    lines = ["slower", "slower", "slower", "seated march", "ready"]
    transcript, _ = run_session(catalogue, matcher, lines)
    for kind, said, heard in holds_and_rests(transcript):
        assert heard == pytest.approx(said), kind


def test_a_side_switch_names_the_side_then_waits_to_fit_the_position(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["knee to chest", "ready"])
    switch = transcript.said("Right side next")[0]
    following = transcript.after("Right side next")
    hold = next(r for r in following if isinstance(r.action, Say) and "Hold for" in r.action.text)
    assert hold.t - switch.end == pytest.approx(script.SWITCH_SECONDS["lying"])


def test_alternating_holds_change_sides_without_a_word_and_repeat_only_the_side(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["seated march", "ready"])
    said = [r for r in transcript.records if isinstance(r.action, Say)]
    first_release = transcript.said(script.RELEASE)[0]
    right = said[said.index(first_release) + 1]
    assert right.action.text == "Lift your right knee. Hold for five seconds."
    # Half the seated pause: a knee goes down, the other comes up.
    assert right.t - first_release.end == pytest.approx(script.SWITCH_SECONDS["seated"] / 2)
    assert not transcript.said("side next")
    lines = [r.action.text for r in said]
    assert lines.count("Lift your left knee. Hold for five seconds.") == 1
    assert lines.count("Lift your left knee.") == 4  # five holds a side


def test_ready_ends_the_get_ready_pause_of_a_side_switch(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["knee to chest", "ready", "+45 ready"])
    switch = transcript.said("Right side next")[0]
    hold = transcript.said("Your right knee to your chest. Hold for")[0]
    assert hold.heard is not None
    assert hold.heard.intent == "start"
    assert hold.t - switch.end < script.SWITCH_SECONDS["lying"]


def test_a_safety_word_mid_sentence_cuts_the_voice_and_answers_at_once(catalogue, matcher):
    # The welcome lasts well over ten seconds at the default rate.
    transcript, _ = run_session(catalogue, matcher, ["+5 it hurts"])
    assert [n["intent"] for n in transcript.notes if n["type"] == "barge_in"] == ["pain"]
    answer = transcript.said(script.PAIN_STOP)[0]
    assert answer.t == pytest.approx(5.0)


def test_a_command_over_the_coach_acts_when_its_line_ends(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["+3 slower"])
    acted = [n for n in transcript.notes if n["type"] == "deferred_acted"]
    assert [n["intent"] for n in acted] == ["slower"]
    # It waits for the whole greeting queued before it, not only the line it was said over.
    greeting_end = transcript.said("Say start for")[0].end
    assert acted[0]["t"] == pytest.approx(greeting_end)
    assert transcript.said(script.VOICE_CHANGED["slower"])


def test_an_answer_overlapping_the_end_of_the_question_counts(catalogue):
    coach = Coach(catalogue)
    loop = SessionLoop(coach, EstimatedTimeline())
    loop.feed(Begin(0.0))
    loop.advance(60.0)  # past the welcome; the coach waits for a choice
    loop.hear(Heard("stop", 60.0))
    question_end = loop.timeline.busy_until()
    # "yes" said while "... Say yes or no." is still playing: it waits, then ends the session.
    assert loop.hear(Heard("yes", question_end - 0.3)) == DEFERRED
    loop.advance(question_end + 1)
    assert coach.phase == Phase.ENDED


def test_only_what_interrupts_cuts_in_and_talk_over_the_coach_is_not_a_command(catalogue):
    coach = Coach(catalogue)
    loop = SessionLoop(coach, EstimatedTimeline())
    loop.feed(Begin(0.0))
    assert loop.hear(Heard("none", 2.0)) == IGNORED
    assert loop.hear(Heard("status", 3.0)) == DEFERRED
    assert loop.hear(Heard("help", 4.0)) == BARGE_IN
    assert loop.timeline.busy_until() > 4.0  # the help answer, after the cut
    assert not loop.pending  # the brake superseded the question waiting for the line's end


def test_after_the_end_start_begins_a_new_session_in_the_same_loop(catalogue, matcher):
    lines = ["stop", "yes", "+30 what's on telly", "+30 start"]
    transcript, coach = run_session(catalogue, matcher, lines)
    assert transcript.ended() is not None
    after_end = transcript.records[
        next(i for i, r in enumerate(transcript.records) if type(r.action).__name__ == "End") :
    ]
    # Talk in the room after the end gets no answer; "start" begins a new session.
    assert not [
        r for r in after_end if isinstance(r.action, Say) and r.heard and r.heard.intent == "none"
    ]
    assert transcript.logs("session_start")[-1] == {"routine": None}
    assert len(transcript.logs("session_start")) == 2
    assert transcript.logs("routine")


def test_remembered_limits_hold_even_when_the_question_is_not_answered(catalogue, matcher):
    profile = Profile(constraints=frozenset({"seated"}))
    transcript, coach = run_session(catalogue, matcher, ["stretching"], profile=profile)
    assert coach.constraints == {"seated"}
    started = [d["exercise"] for d in transcript.logs("exercise_start")]
    assert started
    assert "knee_to_chest" not in started


def test_questions_say_how_to_answer(catalogue, matcher):
    profile = Profile(constraints=frozenset({"seated"}))
    transcript, _ = run_session(catalogue, matcher, ["yes"], profile=profile)
    assert "Say yes or no." in transcript.says()[2]
    point = ResumePoint("stretching", "supine_twist", 2)
    transcript, _ = run_session(catalogue, matcher, [], resume_point=point)
    assert any("carry on from there? Say yes or no." in s for s in transcript.says())


def test_ready_after_a_routine_does_not_start_another(catalogue, matcher):
    routine = catalogue.routine("seated")
    lines = ["seated routine"] + ["ready"] * len(routine.exercises) + ["ready", "i'm all right"]
    transcript, _ = run_session(catalogue, matcher, lines)
    assert len(transcript.logs("routine")) == 1
    assert transcript.said(script.WHICH_NEXT)


def test_one_resolved_profile_config_then_what_the_person_said_clamped():
    from voicecoach.coach.profile import MAX_RATE, MIN_VOLUME, resolve

    assert resolve(120, None).rate == 120
    assert resolve(120, 0.5, Profile(rate=150, volume=0.9)) == Profile(rate=150, volume=0.9)
    assert resolve(500, 0.0) == Profile(rate=MAX_RATE, volume=MIN_VOLUME)


def test_the_store_s_remembered_voice_wins_over_the_config_and_seeds_the_coach(catalogue, tmp_path):
    from voicecoach.app.session import start_session
    from voicecoach.coach.events import Log

    db = tmp_path / "coach.db"
    coach, recorder = start_session(catalogue, db, rate=120)
    assert coach.rate == 120
    recorder(Log("voice", {"rate": 150, "volume": 0.8}))  # the person said "faster"
    recorder(Log("session_end", {"reason": "asked to stop"}))
    recorder.close()
    coach, recorder = start_session(catalogue, db, rate=120)
    recorder.close()
    assert (coach.profile.rate, coach.rate) == (150, 150)
