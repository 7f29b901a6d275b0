"""Whole sessions, scripted as typed lines on a virtual clock (milliseconds each)."""

from __future__ import annotations

import pytest
from sessions import run_session

from voicecoach.coach import script
from voicecoach.coach.adapt import fits
from voicecoach.coach.events import Begin, Heard, Log, Say, StartTimer, TimerExpired, Tone
from voicecoach.coach.machine import REPROMPT_SECONDS, Coach, Phase
from voicecoach.coach.profile import Profile, Progress, ResumePoint


def test_welcome_gives_the_safety_note_once(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["start", "ready", "help", "stop", "no"])
    notes = [s for s in transcript.says() if "not a therapist" in s]
    assert notes == [script.SAFETY_NOTE]


def test_a_whole_routine_runs_to_the_end(catalogue, matcher):
    routine = catalogue.routine("stretching")
    lines = ["let's do the stretching routine"] + ["ready"] * len(routine.exercises)
    transcript, _ = run_session(catalogue, matcher, lines)
    done = [d["exercise"] for d in transcript.logs("exercise_done")]
    assert done == list(routine.exercises)
    assert transcript.said("That's the routine finished")
    # Holds open with a tone and close with a release tone, with a 3-2-1 count before it
    # (the warm-up's and cool-down's moves open and close alike, with no count).
    tones = [r.action.name for r in transcript.records if isinstance(r.action, Tone)]
    assert tones.count("hold_start") == tones.count("release") > 0
    exercises = transcript.after("Exercise one of")
    exercises = exercises[: exercises.index(transcript.said("to cool down")[0])]
    tones = [r.action.name for r in exercises if isinstance(r.action, Tone)]
    assert tones.count("hold_start") == tones.count("release") > 0
    assert tones.count("countdown") >= 3 * tones.count("release")


def test_hold_cues_come_at_the_right_times(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["knee to chest", "ready"])
    hold = transcript.after("Hold for thirty seconds")
    # The hold's clock is the tone's: it sounds once the line has been heard.
    tone = next(r for r in hold if isinstance(r.action, Tone) and r.action.name == "hold_start")
    assert tone.t >= hold[0].end
    start = tone.t
    when: dict[str, float] = {}
    for r in hold:
        if isinstance(r.action, Say):
            when.setdefault(r.action.text, r.t - start)
            if r.action.text == script.RELEASE:
                break
    assert when[script.HALFWAY] == pytest.approx(15)
    assert when[script.TEN_LEFT] == pytest.approx(20)
    # The three-two-one and the release are tones on the hold's clock, each word after its tone.
    ticks = [r.t - start for r in hold if isinstance(r.action, Tone)]
    assert ticks[1:5] == pytest.approx([27, 28, 29, 30])
    assert [r.action.name for r in hold if isinstance(r.action, Tone)][4] == "release"
    assert when[script.RELEASE] > 30


def test_pause_mid_hold_resumes_with_the_time_left(catalogue, matcher):
    lines = ["knee to chest", "ready", "+14 pause", "+100 resume"]
    transcript, _ = run_session(catalogue, matcher, lines)
    tone = next(r for r in transcript.records if getattr(r.action, "name", "") == "hold_start")
    paused_at = transcript.said(script.PAUSED)[0].t
    left = 30 - (paused_at - tone.t)
    resumed = transcript.said("Carrying on")[0]
    assert f"{script.seconds_phrase(round(left))} left" in resumed.action.text
    # The clock runs again once "carrying on" has been heard, for the seconds that were left.
    release = next(r for r in transcript.records if getattr(r.action, "name", "") == "release")
    assert release.t - resumed.end == pytest.approx(left)
    # Nothing was cued while paused.
    assert not [r for r in transcript.records if paused_at < r.t < resumed.t]


def test_status_during_a_hold_and_during_reps(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["knee to chest", "ready", "+13 how long left"])
    assert transcript.said("About twenty seconds left in this hold")
    lines = ["sit to stand", "ready", "+10 how many more"]
    transcript, _ = run_session(catalogue, matcher, lines)
    status = next(s for s in transcript.says() if "reps left" in s)
    assert status.startswith("Let's do sit to stand.")


def test_repeat_replays_the_last_instruction_exactly(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["knee to chest", "+1 say that again"])
    step = catalogue.exercise("knee_to_chest").steps[0]
    assert transcript.says().count(step) == 2


def test_easier_swaps_to_the_linked_version_and_says_so(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["knee to chest", "ready", "+5 easier"])
    easier = catalogue.exercise(catalogue.exercise("knee_to_chest").easier)
    assert transcript.said(script.easier_line(easier))
    assert transcript.logs("swapped")[-1] == {
        "exercise": "knee_to_chest",
        "to": easier.id,
        "reason": "easier",
        "index": 0,
    }


def test_cant_lie_down_adapts_current_and_later_exercises(catalogue, matcher):
    routine = catalogue.routine("stretching")
    lines = ["stretching routine", "ready", "+3 i can't lie down"] + ["ready"] * 5
    transcript, _ = run_session(catalogue, matcher, lines)
    done_at = transcript.said("That's the routine finished")[0].t
    started = [d["exercise"] for d in transcript.logs("exercise_start")]
    swaps = transcript.logs("swapped")
    assert swaps[0] == {
        "exercise": "knee_to_chest",
        "to": started[1],
        "reason": "no_lying",
        "index": 0,
    }
    assert transcript.said(
        f"Instead of knee to chest, let's do {catalogue.exercise(started[1]).name}"
    )
    # Everything after the constraint fits it, or was skipped with a spoken reason.
    after = [r.exercise for r in transcript.records
             if r.exercise and r.t <= done_at and r.t > transcript.said("Got it")[0].t]  # fmt: skip
    assert after
    assert all(fits(catalogue.exercise(e), {"no_lying"}) for e in after)
    skipped = transcript.logs("exercise_skipped")
    for entry in skipped:
        assert entry["reason"]
        assert transcript.said(f"We'll skip {catalogue.exercise(entry['exercise']).name}")
    done = transcript.logs("exercise_done")
    # Spinal and supine twist both become the seated twist: it is done once, not twice.
    plan = [r for r in transcript.logs("routine") if r["routine"] == "stretching"][-1]["exercises"]
    assert len(plan) < len(routine.exercises)
    assert len(done) + len(skipped) == len(plan)
    versions = [d["exercise"] for d in done]
    assert len(versions) == len(set(versions))


def test_pain_stops_at_once_and_never_resumes_by_itself(catalogue, matcher):
    lines = ["knee to chest", "ready", "+10 ow it hurts", "+600 hello"]
    transcript, coach = run_session(catalogue, matcher, lines)
    hurt = transcript.said(script.PAIN_STOP)[0]
    later = [r for r in transcript.records if r.t > hurt.t]
    cues = {script.RELEASE, script.HALFWAY, script.TEN_LEFT, "three", "two", "one"}
    assert not [r for r in later if isinstance(r.action, Say) and r.action.text in cues]
    assert transcript.said(script.PAIN_OFFER)
    assert transcript.logs("pain") == [
        {"exercise": "knee_to_chest", "side": "left", "said": "ow it hurts"}
    ]


def test_yes_after_pain_asks_which_and_changes_nothing(catalogue, matcher):
    lines = ["knee to chest", "ready", "+10 it hurts", "+20 yes", "+20 easier"]
    transcript, _ = run_session(catalogue, matcher, lines)
    which = transcript.said(script.PAIN_WHICH)[0]
    # "yes" swapped nothing; only the word "easier" does.
    swaps = [
        r for r in transcript.records if isinstance(r.action, Log) and r.action.kind == "swapped"
    ]
    assert len(swaps) == 1
    assert swaps[0].t > which.t + 19


def test_a_fall_stops_everything_says_how_to_get_help_and_waits(catalogue, matcher):
    lines = ["knee to chest", "ready", "+10 i've fallen over", "+600 what"]
    transcript, _ = run_session(catalogue, matcher, lines)
    fall = transcript.said(script.EMERGENCY_STOP)[0]
    assert transcript.said(script.EMERGENCY_HELP)
    later = [r for r in transcript.records if r.t > fall.t]
    cues = {script.RELEASE, script.HALFWAY, script.TEN_LEFT, "three", "two", "one"}
    assert not [r for r in later if isinstance(r.action, Say) and r.action.text in cues]
    # One reminder after a silence, then quiet: no re-prompt chatter, no session that ends
    # by itself while someone may be on the floor.
    assert len(transcript.said(script.EMERGENCY_HELP)) == 2
    assert transcript.said(script.HELP["emergency"])[-1].t >= fall.t + 599  # still there
    assert transcript.ended().reason == "input ended"
    assert transcript.logs("emergency") == [
        {"exercise": "knee_to_chest", "side": "left", "said": "i've fallen over"}
    ]


def test_after_an_emergency_resume_starts_the_hold_again_gently(catalogue, matcher):
    lines = ["knee to chest", "ready", "+10 call an ambulance", "+30 resume"]
    transcript, _ = run_session(catalogue, matcher, lines)
    back = transcript.said(script.RESUME_AFTER_EMERGENCY)[0]
    # The hold runs again from its start: its halfway cue comes after the resume.
    assert [r for r in transcript.said(script.HALFWAY) if r.t > back.t]


def test_pain_then_easier_offers_the_gentler_version(catalogue, matcher):
    lines = ["knee to chest", "ready", "+4 that hurts", "easier"]
    transcript, _ = run_session(catalogue, matcher, lines)
    assert transcript.logs("swapped")[-1]["reason"] == "easier"


def test_tired_gives_a_longer_rest_and_offers_to_end(catalogue, matcher):
    transcript, _ = run_session(
        catalogue, matcher, ["knee to chest", "ready", "+5 i'm tired", "yes"]
    )
    assert transcript.said(script.TIRED_OFFER)
    assert transcript.ended().reason == "tired"
    lines = ["knee to chest", "ready", "+5 i'm tired", "no"]
    transcript, _ = run_session(catalogue, matcher, lines)
    rest = transcript.said("Rest for one minute")
    assert rest
    over = next(r for r in transcript.records if getattr(r.action, "name", "") == "rest_over")
    assert over.t - rest[0].end == pytest.approx(60)


def test_voice_changes_within_limits(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["slower"] * 6 + ["louder"] * 6)
    rates = [v.rate for v in transcript.voices()]
    volumes = [v.volume for v in transcript.voices()]
    assert rates == sorted(rates, reverse=True)
    assert min(rates) >= 90
    assert max(volumes) <= 1.0
    assert transcript.said(script.VOICE_LIMIT["slower"])
    assert transcript.said(script.VOICE_LIMIT["louder"])


def test_stop_asks_first_and_no_carries_on(catalogue, matcher):
    lines = ["knee to chest", "ready", "+5 stop", "no", "+10 stop", "yes"]
    transcript, _ = run_session(catalogue, matcher, lines)
    assert len(transcript.said(script.STOP_QUESTION)) == 2
    assert transcript.said(script.STOP_CANCELLED)
    assert transcript.ended().reason == "asked to stop"


def test_silence_gets_one_reprompt_then_a_pause(catalogue):
    coach = Coach(catalogue)
    actions = coach.handle(Begin(0.0))
    timer = [a for a in actions if isinstance(a, StartTimer)][-1]
    first = coach.handle(TimerExpired(timer.timer, REPROMPT_SECONDS))
    assert [a.text for a in first if isinstance(a, Say)] == [
        script.choose_again(catalogue.routine("morning"))
    ]
    timer = [a for a in first if isinstance(a, StartTimer)][-1]
    second = coach.handle(TimerExpired(timer.timer, 2 * REPROMPT_SECONDS))
    assert [a.text for a in second if isinstance(a, Say)] == [script.SILENCE_PAUSE]
    assert coach.phase == Phase.PAUSED
    assert not [a for a in second if isinstance(a, StartTimer)]


def quiet_while_choosing(catalogue) -> Coach:
    """A coach that got no answer while choosing: a reprompt, then the pause."""
    coach = Coach(catalogue)
    actions = coach.handle(Begin(0.0))
    for n in (1, 2):
        timer = [a for a in actions if isinstance(a, StartTimer)][-1]
        actions = coach.handle(TimerExpired(timer.timer, n * REPROMPT_SECONDS))
    assert coach.phase == Phase.PAUSED
    return coach


def test_start_after_going_quiet_while_choosing_starts_the_routine(catalogue):
    coach = quiet_while_choosing(catalogue)
    said = [a.text for a in coach.handle(Heard("start", 80.0)) if isinstance(a, Say)]
    # What the choosing prompts offered ("say start for the morning routine"), not the
    # check-in question and the prompts once more.
    assert said[0].startswith("Let's do the morning routine")
    assert script.CHECK_IN_CHOOSING not in said
    assert coach.phase != Phase.PAUSED


def test_a_chosen_exercise_refused_before_it_begins_asks_for_another(catalogue):
    # A description misheard as the wrong exercise: "no" right after it puts things back
    # and asks what instead, not "that's the end of the routine".
    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    coach.handle(Heard("choose_exercise", 1.0, {"exercise": "spinal_twist"}))
    said = [a.text for a in coach.handle(Heard("no", 5.0)) if isinstance(a, Say)]
    assert said == [script.MISHEARD_CHOICE, script.INSTEAD]
    assert (coach.phase, coach.exercise, coach.queue) == (Phase.CHOOSING, None, [])
    assert not coach.finished_routine  # "start" would now start the morning routine


def test_no_to_say_ready_is_not_ready_yet(catalogue, matcher):
    # Once the coach has asked for "ready", a no answers that: not yet (or skip).
    transcript, coach = run_session(catalogue, matcher, ["the twist on my back", "no"])
    assert transcript.said(script.NOT_READY_EXERCISE)
    assert not transcript.said(script.MISHEARD_CHOICE)


def test_no_long_after_a_choice_is_not_about_it(catalogue):
    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    coach.handle(Heard("choose_exercise", 1.0, {"exercise": "spinal_twist"}))
    assert coach.phase == Phase.STEPS  # still introducing it, but half a minute on
    said = [a.text for a in coach.handle(Heard("no", 40.0)) if isinstance(a, Say)]
    assert script.MISHEARD_CHOICE not in said
    assert coach.exercise is not None


def test_a_chosen_exercise_skipped_before_it_begins_asks_for_another(catalogue, matcher):
    transcript, coach = run_session(catalogue, matcher, ["the twist on my back", "skip"])
    assert transcript.said(script.INSTEAD)
    assert not transcript.said("end of the routine")
    assert not coach.finished_routine


def test_no_to_an_exercise_chosen_in_a_routine_goes_back_to_the_routine(catalogue):
    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    coach.handle(Heard("choose_routine", 1.0, {"routine": "stretching"}))
    coach.handle(Heard("skip", 2.0))  # the warm-up
    queue, index = list(coach.queue), coach.index
    coach.handle(Heard("choose_exercise", 3.0, {"exercise": "glute_bridge"}))
    assert coach.exercise is not None
    assert coach.exercise.id == "glute_bridge"
    said = [a.text for a in coach.handle(Heard("no", 4.0)) if isinstance(a, Say)]
    assert said[:2] == [script.MISHEARD_CHOICE, script.BACK_TO]
    assert (coach.queue, coach.index) == (queue, index)
    assert "glute_bridge" not in coach.done_versions  # never begun: not counted as done
    assert coach.routine is not None
    assert coach.routine.id == "stretching"
    assert coach.exercise is not None
    assert coach.exercise.id == queue[index]


def test_no_to_a_routine_just_chosen_asks_for_another(catalogue):
    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    coach.handle(Heard("choose_routine", 1.0, {"routine": "spasticity"}))
    said = [a.text for a in coach.handle(Heard("no", 2.0)) if isinstance(a, Say)]
    assert said == [script.MISHEARD_CHOICE, script.INSTEAD]
    assert (coach.phase, coach.routine, coach.queue) == (Phase.CHOOSING, None, [])
    # The warm-up begun for it is still to come with the routine meant.
    coach.handle(Heard("choose_routine", 3.0, {"routine": "stretching"}))
    assert coach.phase == Phase.BOOKEND


def test_back_from_a_pause_after_a_choice_undone_the_check_in_is_not_asked_again(catalogue):
    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    coach.handle(Heard("choose_exercise", 1.0, {"exercise": "glute_bridge"}))
    coach.handle(Heard("no", 5.0))
    coach.handle(Heard("pause", 10.0))
    said = [a.text for a in coach.handle(Heard("resume", 20.0)) if isinstance(a, Say)]
    assert script.CHECK_IN_CHOOSING not in said
    assert said == [script.choose_prompt(coach.default_routine)]


def test_no_once_the_chosen_exercise_has_begun_is_not_about_the_choice(catalogue):
    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    coach.handle(Heard("choose_exercise", 1.0, {"exercise": "knee_to_chest"}))
    coach.handle(Heard("start", 40.0))
    assert coach.phase == Phase.ACTIVE
    said = [a.text for a in coach.handle(Heard("no", 45.0)) if isinstance(a, Say)]
    assert script.MISHEARD_CHOICE not in said
    assert coach.exercise is not None
    assert coach.exercise.id == "knee_to_chest"


def test_start_after_going_quiet_once_a_routine_is_done_goes_back_to_choosing(catalogue):
    coach = quiet_while_choosing(catalogue)
    coach.finished_routine = True  # as after a whole routine
    said = [a.text for a in coach.handle(Heard("start", 80.0)) if isinstance(a, Say)]
    # Not another routine started unasked, and never left paused with nothing to resume.
    assert coach.phase == Phase.CHOOSING
    assert said == [script.ANOTHER]


def test_unknown_utterance_gets_sorry_and_a_hint(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["the cat wants feeding"])
    assert transcript.said(script.SORRY)[0].action.text == script.sorry(script.HELP["choosing"])


def test_stale_timer_is_ignored(catalogue):
    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    assert coach.handle(TimerExpired("t999", 1.0)) == []


def test_yes_outside_a_question_is_not_acted_on(catalogue):
    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    coach.handle(Heard("choose_exercise", 0.0, {"exercise": "knee_to_chest"}))
    coach.handle(Heard("start", 40.0))
    assert coach.phase == Phase.ACTIVE
    out = coach.handle(Heard("yes", 41.0))
    # "Okay" said along with the hold: acknowledged in the log, no sorry, nothing acted on.
    assert [a for a in out if isinstance(a, Say)] == []
    assert [a.kind for a in out if isinstance(a, Log)] == ["acknowledged"]
    assert coach.phase == Phase.ACTIVE
    # A no nobody asked for is heard too: what can be said, without a sorry.
    said = [a.text for a in coach.handle(Heard("no", 42.0)) if isinstance(a, Say)]
    assert said == [script.HELP["active"]]


def test_remembered_constraints_are_confirmed_once(catalogue, matcher):
    profile = Profile(constraints=frozenset({"no_lying"}))
    transcript, coach = run_session(catalogue, matcher, ["yes", "knee to chest"], profile=profile)
    assert transcript.said("Last time you couldn't lie down, so I'll keep to that.")
    assert coach.constraints == {"no_lying"}
    assert transcript.logs("exercise_start")[0]["exercise"] != "knee_to_chest"


def test_resume_offer_carries_on_where_it_stopped(catalogue, matcher):
    point = ResumePoint("stretching", "supine_twist", 2)
    transcript, _ = run_session(catalogue, matcher, ["yes"], resume_point=point)
    assert transcript.logs("exercise_start")[0]["exercise"] == "supine_twist"


def test_progress_is_summarised(catalogue, matcher):
    progress = Progress(sessions_this_week=3, sessions_total=9, exercises_this_week=14,
                        days_active_last_14=6)  # fmt: skip
    transcript, _ = run_session(catalogue, matcher, ["how am i doing"], progress=progress)
    assert transcript.said("This week you've done three sessions and fourteen exercises")


def test_routine_option_starts_straight_away(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, [], routine="bed")
    first = catalogue.routine("bed").exercises[0]
    assert transcript.logs("exercise_start")[0]["exercise"] == first


def test_every_log_kind_is_known(catalogue, matcher):
    from voicecoach.coach.events import LOG_KINDS

    lines = ["stretching", "ready", "+5 easier", "ready", "+3 i'm in bed", "ready", "+3 it hurts",
             "skip", "i'm tired", "no", "faster", "stop", "yes"]  # fmt: skip
    transcript, _ = run_session(catalogue, matcher, lines)
    for record in transcript.records:
        if isinstance(record.action, Log):
            assert record.action.kind in LOG_KINDS
            assert set(record.action.data) == set(LOG_KINDS[record.action.kind])


def test_pain_when_nothing_is_running_still_answers(catalogue):
    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    said = [a.text for a in coach.handle(Heard("pain", 1.0)) if isinstance(a, Say)]
    assert said[0] == script.PAIN_STOP
    assert coach.phase == Phase.CHOOSING


def test_pain_during_steps_waits_for_the_person(catalogue):
    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    coach.handle(Heard("choose_exercise", 0.0, {"exercise": "bird_dog"}))
    coach.handle(Heard("pain", 1.0))
    assert coach.phase == Phase.PAIN
