""" "Did you mean ...?": a command the recogniser is unsure of is asked about, not met with a
sorry; a yes does it, anything else lets it go."""

from __future__ import annotations

from voicecoach.coach import script
from voicecoach.coach.events import Begin, Heard, Log, Say
from voicecoach.coach.machine import OFFER_SECONDS, Coach, Phase
from voicecoach.understand.intents import Candidate, Matcher


def said(actions: list) -> list[str]:
    return [a.text for a in actions if isinstance(a, Say)]


def logs(actions: list, kind: str) -> list[dict]:
    return [a.data for a in actions if isinstance(a, Log) and a.kind == kind]


def unsure(guess: str, t: float, slots: dict[str, str] | None = None) -> Heard:
    return Heard("none", t, text="er the thing", guess=guess, guess_slots=slots or {})


def at_a_hold(catalogue) -> Coach:
    """A coach in the middle of the knee to chest's first hold."""
    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    coach.handle(Heard("choose_exercise", 1.0, {"exercise": "knee_to_chest"}))
    coach.handle(Heard("start", 40.0))
    assert coach.phase == Phase.ACTIVE
    return coach


def test_an_unsure_command_is_asked_about_and_a_yes_does_it(catalogue):
    coach = at_a_hold(catalogue)
    asked = coach.handle(unsure("easier", 41.0))
    assert said(asked) == [script.did_you_mean("easier")]
    assert logs(asked, "guess") == [{"intent": "easier", "slots": {}, "said": "er the thing"}]
    # A yes or no in words is expected; one read off the audio alone is not sought for an
    # ordinary command (a TV's "yeah" must not start anything).
    assert coach.expects_answer
    assert not coach.asks_yes_no
    done = coach.handle(Heard("yes", 44.0))
    assert any(line.startswith("Let's make it easier") for line in said(done))
    assert logs(done, "guess_answer") == [{"intent": "easier", "taken": True}]
    assert coach.offer is None
    assert not coach.asks_yes_no


def test_a_no_lets_it_go_and_changes_nothing(catalogue):
    coach = at_a_hold(catalogue)
    coach.handle(unsure("easier", 41.0))
    exercise = coach.current_id
    answer = coach.handle(Heard("no", 43.0))
    assert said(answer) == [script.NOT_THAT]
    assert coach.current_id == exercise
    assert coach.phase == Phase.ACTIVE
    # The question is answered: another no or yes is not taken for it (a yes nobody
    # asked for is only an "okay").
    assert said(coach.handle(Heard("yes", 44.0))) == []
    assert coach.current_id == exercise


def test_a_late_yes_is_not_an_answer_to_the_question(catalogue):
    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    coach.handle(unsure("choose_routine", 1.0, {"routine": "seated"}))
    assert coach.offer is not None
    late = coach.handle(Heard("yes", 1.0 + OFFER_SECONDS + 1))
    # A yes while choosing is the default routine's start, not the seated one asked about.
    assert [r["routine"] for r in logs(late, "routine")] == [coach.default_routine.id]


def test_something_else_said_instead_is_acted_on_and_ends_the_question(catalogue):
    coach = at_a_hold(catalogue)
    coach.handle(unsure("easier", 41.0))
    status = coach.handle(Heard("status", 42.0))
    assert not any(line.startswith("Let's make it easier") for line in said(status))
    assert coach.offer is None
    exercise = coach.current_id
    assert said(coach.handle(Heard("yes", 43.0))) == []
    assert coach.current_id == exercise


def test_a_choice_is_asked_about_by_its_name(catalogue):
    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    asked = coach.handle(unsure("choose_exercise", 1.0, {"exercise": "glute_bridge"}))
    name = catalogue.exercises["glute_bridge"].name
    assert said(asked) == [script.did_you_mean("choose_exercise", name)]
    coach.handle(Heard("yes", 3.0))
    assert coach.current_id == "glute_bridge"


def test_a_half_heard_stop_goes_to_the_stop_question(catalogue):
    coach = at_a_hold(catalogue)
    answer = said(coach.handle(unsure("stop", 41.0)))
    assert answer == [script.STOP_QUESTION]
    assert coach.phase == Phase.CONFIRM_STOP
    assert coach.offer is None


def test_the_coachs_own_question_stays_open(catalogue):
    coach = at_a_hold(catalogue)
    coach.handle(Heard("stop", 41.0))
    assert coach.phase == Phase.CONFIRM_STOP
    for t, guess in enumerate(("resume", "next", "choose_routine"), start=42):
        answer = said(coach.handle(unsure(guess, float(t), {"routine": "seated"})))
        assert answer[0].startswith(script.SORRY), guess
        assert coach.offer is None, guess
    coach.handle(Heard("yes", 46.0))
    assert coach.phase == Phase.ENDED


def test_while_checking_for_a_fall_only_help_is_asked_about(catalogue):
    coach = at_a_hold(catalogue)
    coach.handle(Heard("cant_get_up", 41.0))
    assert coach.phase == Phase.FALL_CHECK
    for t, guess in enumerate(("pause", "tired", "pain", "help"), start=42):
        assert coach.offer is None
        assert said(coach.handle(unsure(guess, float(t))))[0].startswith(script.SORRY), guess
    assert said(coach.handle(unsure("emergency", 50.0))) == [script.did_you_mean("emergency")]
    assert coach.asks_yes_no  # a yes to a safety question may be heard on the audio too


def test_the_question_lapses_when_the_phase_asks_its_own_again(catalogue):
    from voicecoach.coach.events import StartTimer, TimerExpired

    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    asked = coach.handle(unsure("choose_routine", 1.0, {"routine": "seated"}))
    silence = [a for a in asked if isinstance(a, StartTimer)][-1]
    coach.handle(TimerExpired(silence.timer, 1.0 + silence.seconds))
    assert coach.offer is None


def test_the_question_lapses_when_the_hold_ends(catalogue):
    from voicecoach.coach.events import StartTimer, TimerExpired

    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    coach.handle(Heard("choose_exercise", 1.0, {"exercise": "knee_to_chest"}))
    actions, now = coach.handle(Heard("start", 40.0)), 40.0
    due = {}
    for _ in range(30):  # the hold's cues and its end, timer by timer
        due.update({a.timer: now + a.seconds for a in actions if isinstance(a, StartTimer)})
        if now >= 55.0 and coach.offer is None:
            break
        if now < 55.0 <= due[coach._timer]:
            actions, now = coach.handle(unsure("easier", 55.0)), 55.0
            assert coach.offer is not None
            continue
        now = due[coach._timer]
        actions = coach.handle(TimerExpired(coach._timer, now))
    assert coach.offer is None
    assert now < 55.0 + OFFER_SECONDS  # it lapsed with the hold, not with the time
    assert coach.current_id == "knee_to_chest"
    answer = said(coach.handle(Heard("yes", now + 1)))
    assert not any(line.startswith("Let's make it easier") for line in answer)


def test_a_safety_word_while_asked_is_acted_on_and_ends_the_question(catalogue):
    coach = at_a_hold(catalogue)
    coach.handle(unsure("easier", 41.0))
    coach.handle(Heard("pain", 42.0))
    assert coach.phase == Phase.PAIN
    assert coach.offer is None
    answer = said(coach.handle(Heard("yes", 43.0)))
    assert not any(line.startswith("Let's make it easier") for line in answer)


def test_nothing_is_asked_where_a_sorry_would_not_be_said(catalogue):
    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    coach.handle(Heard("stop", 1.0))
    coach.handle(Heard("yes", 2.0))
    assert coach.phase == Phase.ENDED
    # After the session, talk in the room gets no answer, unsure or not.
    assert said(coach.handle(unsure("start", 5.0))) == []
    assert coach.offer is None


def test_nothing_is_asked_about_a_command_that_does_nothing_here(catalogue):
    coach = at_a_hold(catalogue)
    # "Shall we carry on?" during a hold would lead to "we're already going".
    assert said(coach.handle(unsure("resume", 41.0)))[0].startswith(script.SORRY)
    coach.handle(Heard("pause", 42.0))
    # "Would you like a pause?" while paused would lead nowhere.
    assert said(coach.handle(unsure("pause", 43.0)))[0].startswith(script.SORRY)
    fresh = Coach(catalogue)
    fresh.handle(Begin(0.0))
    # Fewer repetitions before any exercise: "let's choose an exercise first".
    assert said(fresh.handle(unsure("fewer_reps", 1.0)))[0].startswith(script.SORRY)


def test_the_question_lapses_when_the_session_moves_on(catalogue):
    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    coach.handle(unsure("choose_routine", 1.0, {"routine": "seated"}))
    coach.handle(Heard("choose_exercise", 2.0, {"exercise": "knee_to_chest"}))
    assert coach.phase != Phase.CHOOSING
    assert coach.offer is None


def test_every_command_but_the_answers_and_stop_has_a_question():
    from voicecoach.understand.flags import CANONICAL, load_flags

    flags = load_flags()
    for intent in CANONICAL:
        asked = script.did_you_mean(intent, "the seated routine")
        if intent in flags.answers or flags[intent].confirmed or intent == "none":
            assert asked is None, intent
        else:
            assert asked is not None, intent
            assert asked.endswith("Say yes or no."), intent


# --- the recogniser's side -----------------------------------------------------------------


def test_the_matcher_reports_an_unsure_command_as_a_guess(matcher: Matcher):
    candidate = Candidate("go on to the one after", "next", 0.6, 0.2, "", {})
    match = matcher.decide(candidate)
    assert (match.intent, match.guess) == ("none", "next")
    assert match.to_json()["guess"] == {"intent": "next", "slots": {}}


def test_no_guess_when_too_unsure_blocked_or_an_answer(matcher: Matcher):
    assert matcher.decide(Candidate("x", "next", 0.3, 0.2, "", {})).guess == ""
    assert matcher.decide(Candidate("x", "skip", 0.6, 0.2, "", {}, blocked=True)).guess == ""
    assert matcher.decide(Candidate("x", "yes", 0.6, 0.2, "", {})).guess == ""
    assert "guess" not in matcher.decide(Candidate("x", "next", 0.3, 0.2, "", {})).to_json()


def test_a_sure_command_carries_no_guess(matcher: Matcher):
    match = matcher.decide(Candidate("x", "next", 0.95, 0.02, "", {}))
    assert (match.intent, match.guess) == ("next", "")


def test_after_pain_nothing_but_a_safety_word_is_asked_about(catalogue):
    coach = at_a_hold(catalogue)
    coach.handle(Heard("pain", 41.0))
    assert coach.phase == Phase.PAIN
    for t, guess in enumerate(("resume", "harder", "next"), start=42):
        answer = said(coach.handle(unsure(guess, float(t))))
        assert coach.offer is None, guess
        assert not any("Say yes or no" in line for line in answer), guess
    asked = said(coach.handle(unsure("emergency", 50.0)))
    assert asked == [script.did_you_mean("emergency")]
    assert coach.asks_yes_no


def at_the_check_in(catalogue) -> Coach:
    """A coach asking how the person feels before the routine given at start-up."""
    coach = Coach(catalogue, routine="strengthening")
    coach.handle(Begin(0.0))
    assert coach.phase == Phase.CHECK_IN
    return coach


def test_a_half_heard_tired_at_the_check_in_makes_a_gentle_day(catalogue):
    coach = at_the_check_in(catalogue)
    answer = coach.handle(unsure("tired", 3.0))
    assert said(answer)[0] == script.SOUNDED_LOW
    assert logs(answer, "check_in") == [{"energy": "low"}]
    assert logs(answer, "check_in_guess") == [{"intent": "tired", "said": "er the thing"}]
    assert coach.gentle


def test_unclear_words_at_the_check_in_without_a_low_guess_start_the_usual_day(catalogue):
    for guess in ("", "next", "easier"):
        coach = at_the_check_in(catalogue)
        answer = coach.handle(unsure(guess, 3.0))
        assert logs(answer, "check_in") == [{"energy": "ok"}], guess
        assert not coach.gentle


def test_a_half_heard_fall_at_the_check_in_is_asked_about_and_nothing_starts(catalogue):
    coach = at_the_check_in(catalogue)
    asked = coach.handle(unsure("emergency", 3.0))
    assert said(asked) == [script.did_you_mean("emergency")]
    assert coach.phase == Phase.CHECK_IN
    assert not logs(asked, "check_in")
    coach.handle(Heard("yes", 6.0))
    assert coach.phase in (Phase.EMERGENCY, Phase.FALL_CHECK)
