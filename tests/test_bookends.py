"""Session bookends: the greeting, "how are you feeling today?", what to have ready, the
warm-up and cool-down, less talk for someone who knows the coach, and the closing summary."""

from __future__ import annotations

import re

import pytest
from sessions import run_answering, run_session

from voicecoach.coach import script
from voicecoach.coach.constraints import fits_position
from voicecoach.coach.events import Log, Say, Tone
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


# --- warm-up and cool-down ------------------------------------------------------------------

#: What a person says about their limits, and the limit it sets.
LIMITS = {
    "": frozenset(),
    "i'm in my wheelchair": frozenset({"seated"}),
    "i'm in bed": frozenset({"in_bed"}),
    "i can't lie down": frozenset({"no_lying"}),
    "i can't stand": frozenset({"no_standing"}),
}


def _bookends(transcript, catalogue):
    return [catalogue.bookends[b["bookend"]] for b in transcript.logs("bookend")]


def _index(transcript, kind: str, **data) -> int:
    """Where the first log of `kind` (with `data`) falls among the records."""
    for i, r in enumerate(transcript.records):
        log = r.action
        if isinstance(log, Log) and log.kind == kind and data.items() <= log.data.items():
            return i
    raise AssertionError(f"no {kind} log with {data}")


@pytest.mark.parametrize("limit", list(LIMITS))
@pytest.mark.parametrize("routine", ["stretching", "strengthening", "bed", "seated", "morning"])
def test_every_routine_warms_up_and_cools_down_within_the_persons_limits(
    catalogue, matcher, routine, limit
):
    lines = ([limit] if limit else []) + [routine]
    transcript, _ = run_answering(catalogue, matcher, lines)
    warm, cool = _bookends(transcript, catalogue)
    assert (warm.kind, cool.kind) == ("warm_up", "cool_down")
    for bookend in (warm, cool):
        assert fits_position(bookend.position, LIMITS[limit]), (bookend.id, limit)
    if limit == "i'm in my wheelchair":
        assert warm.position == cool.position == "seated"
    # Done where the first exercise begins and the last one ends: no extra change of position.
    done = transcript.logs("exercise_done")
    first = catalogue.exercise(transcript.logs("exercise_start")[0]["exercise"])
    last = catalogue.exercise(done[-1]["exercise"])
    assert first.position in warm.goes_with
    assert last.position in cool.goes_with
    # The warm-up before the first exercise, the cool-down after the last, then the summary.
    assert _index(transcript, "bookend_done", part="warm_up") < _index(transcript, "exercise_start")
    assert _index(transcript, "exercise_done", exercise=last.id) < _index(
        transcript, "bookend", part="cool_down"
    )
    assert _index(transcript, "bookend_done", part="cool_down") < _index(transcript, "routine_done")
    for move in (*warm.moves, *cool.moves):
        assert transcript.said(move.say)


def test_in_bed_the_bed_routine_warms_up_in_bed(catalogue, matcher):
    transcript, _ = run_answering(catalogue, matcher, ["i'm in bed", "bed"])
    assert [b.position for b in _bookends(transcript, catalogue)] == ["bed", "seated"]
    last = transcript.logs("exercise_done")[-1]["exercise"]
    assert catalogue.exercise(last).position == "seated"  # shoulder flexion, on the bed's edge


def test_each_move_is_timed_on_the_coachs_clock_between_a_hold_and_a_release_tone(
    catalogue, matcher
):
    transcript, _ = run_session(catalogue, matcher, ["i'm in my wheelchair", "seated", "stop"])
    warm = catalogue.bookends["warm_up_seated"]
    moves = [transcript.said(m.say)[0] for m in warm.moves]
    records = transcript.records
    for move, said in zip(warm.moves, moves, strict=True):
        after = records[records.index(said) :]
        start = next(r for r in after if isinstance(r.action, Tone))
        end = next(r for r in after if isinstance(r.action, Tone) and r is not start)
        assert (start.action.name, end.action.name) == ("hold_start", "release")
        assert start.t >= said.end  # the tone once the move has been said
        assert end.t - start.t == pytest.approx(move.seconds)
    assert transcript.said(script.BOOKEND_DONE["warm_up"])


def test_skip_leaves_out_the_warm_up_and_goes_to_the_first_exercise(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["morning", "+12 skip the warm up", "stop"])
    assert transcript.logs("bookend_skipped") == [{"part": "warm_up"}]
    after = transcript.after(script.BOOKEND_SKIPPED["warm_up"])
    says = [r.action.text for r in after if isinstance(r.action, Say)]
    assert says[1].startswith("Exercise one of five")
    warm = catalogue.bookends[transcript.logs("bookend")[0]["bookend"]]
    assert not [s for s in says if s in {m.say for m in warm.moves}]
    assert not transcript.logs("bookend_done")


def test_next_moves_on_to_the_next_movement(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["morning", "+12 next", "stop"])
    warm = catalogue.bookends[transcript.logs("bookend")[0]["bookend"]]
    second = transcript.said(warm.moves[1].say)[0]
    assert second.heard is not None
    assert second.heard.intent == "next"


def test_pain_in_the_warm_up_stops_it_until_the_person_asks(catalogue, matcher):
    transcript, coach = run_session(catalogue, matcher, ["morning", "+12 it hurts"])
    after = transcript.after(script.PAIN_STOP)
    assert not [r for r in after if isinstance(r.action, Tone)]  # no move goes on
    assert not transcript.logs("exercise_start")
    assert transcript.said(script.PAIN_OFFER_BOOKEND)
    # "Resume" takes up the move again, gently; "skip" leaves the warm-up out.
    transcript, _ = run_session(catalogue, matcher, ["morning", "+12 it hurts", "resume", "stop"])
    after = transcript.after(script.RESUME_CAREFUL)
    warm = catalogue.bookends[transcript.logs("bookend")[0]["bookend"]]
    assert [r.action.text for r in after if isinstance(r.action, Say)][1] == warm.moves[0].say
    transcript, _ = run_session(catalogue, matcher, ["morning", "+12 it hurts", "skip", "stop"])
    assert transcript.logs("bookend_skipped") == [{"part": "warm_up"}]
    assert transcript.logs("exercise_start")
    # A bare "yes" is asked which, with the warm-up's own choices (it has no easier one).
    transcript, _ = run_session(catalogue, matcher, ["morning", "+12 it hurts", "yes", "stop"])
    assert transcript.said(script.PAIN_WHICH_BOOKEND)
    assert not transcript.said(script.PAIN_WHICH)
    assert not transcript.logs("exercise_start")
    # Back on hold after "stop" then "no", the offer is the warm-up's again.
    transcript, _ = run_session(catalogue, matcher, ["morning", "+12 it hurts", "stop", "no"])
    assert len(transcript.said(script.PAIN_OFFER_BOOKEND)) == 2
    assert not transcript.said(script.PAIN_OFFER)
    # "help" there names the warm-up's choices too, never "easier".
    transcript, _ = run_session(catalogue, matcher, ["morning", "+12 it hurts", "help", "stop"])
    assert transcript.said(script.HELP["pain_bookend"])
    assert not transcript.said(script.HELP["pain"])


def test_stop_in_the_warm_up_asks_and_no_carries_on(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["morning", "+12 stop", "no", "+5 stop", "yes"])
    warm = catalogue.bookends[transcript.logs("bookend")[0]["bookend"]]
    after = transcript.after(script.STOP_CANCELLED)
    assert [r.action.text for r in after if isinstance(r.action, Say)][1] == warm.moves[0].say
    assert transcript.ended() is not None


def test_a_low_energy_day_has_a_shorter_warm_up_and_cool_down(catalogue, matcher):
    usual, _ = run_answering(catalogue, matcher, ["morning"])
    gentle, _ = run_answering(catalogue, matcher, ["i'm tired", "morning"])
    for part in ("warm_up", "cool_down"):
        short = next(b for b in gentle.logs("bookend") if b["part"] == part)
        full = next(b for b in usual.logs("bookend") if b["part"] == part)
        assert short["bookend"] == full["bookend"]
        assert short["seconds"] < full["seconds"] * 0.7

    # ... and on the coach's clock: from the first move to the first exercise.
    def warm_up_length(transcript) -> float:
        start = transcript.after("to warm up")[0].t
        return transcript.after("Exercise one of")[0].t - start

    assert warm_up_length(gentle) < warm_up_length(usual) - 20


def test_tired_during_the_warm_up_makes_it_a_gentle_day(catalogue, matcher):
    transcript, coach = run_session(
        catalogue, matcher, ["+22 tired"], routine="morning", progress=Progress(sessions_total=3)
    )
    assert transcript.logs("check_in") == [{"energy": "ok"}, {"energy": "low"}]
    assert transcript.said(script.GENTLE_TODAY)
    assert not transcript.said(script.TIRED_OFFER)  # not "would you like to finish?"
    assert coach.gentle
    assert len(transcript.logs("routine")[-1]["exercises"]) == script.GENTLE_EXERCISES


def test_a_new_limit_in_the_warm_up_moves_it_to_a_position_that_suits(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["strengthening", "+12 i can't lie down"])
    warm = catalogue.bookends[transcript.logs("bookend")[0]["bookend"]]
    assert warm.position == "lying"
    after = transcript.after(script.CONSTRAINT_ACK["no_lying"])
    lying = {m.say for m in warm.moves}
    said = [r.action.text for r in after if isinstance(r.action, Say)]
    assert not [s for s in said if s in lying]
    assert said[1] in {
        m.say
        for b in catalogue.bookends.values()
        if b.position in {"seated", "standing"}
        for m in b.moves
    }


# --- less talk before moving ------------------------------------------------------------------


def _talk_before_first_tone(transcript) -> int:
    first = next(i for i, r in enumerate(transcript.records) if isinstance(r.action, Tone))
    return sum(
        len(r.action.text.split()) for r in transcript.records[:first] if isinstance(r.action, Say)
    )


def test_a_returning_person_hears_less_before_moving_and_before_each_exercise(catalogue, matcher):
    known = Progress(sessions_total=4, familiar=frozenset(catalogue.exercises))
    first, _ = run_answering(catalogue, matcher, ["spasticity"])
    again, _ = run_answering(catalogue, matcher, ["spasticity"], progress=known)
    assert _talk_before_first_tone(again) < _talk_before_first_tone(first)
    assert len(" ".join(again.says()).split()) < len(" ".join(first.says()).split()) - 150
    hip = catalogue.exercise("hip_crossover")
    assert first.said(hip.intro)
    assert not again.said(hip.intro)
    assert again.said(script.FAMILIAR)
    assert again.said(hip.steps[0])
    assert not again.said(hip.steps[-1])
    # Safety is never trimmed: every caution is still said.
    for ident in {d["exercise"] for d in again.logs("exercise_done")}:
        for caution in catalogue.exercise(ident).cautions:
            assert again.said(caution), caution


def test_repeat_before_a_familiar_exercise_gives_all_its_steps(catalogue, matcher):
    known = Progress(sessions_total=4, familiar=frozenset({"knee_to_chest"}))
    transcript, _ = run_session(
        catalogue, matcher, ["knee to chest", "repeat", "stop", "yes"], progress=known
    )
    steps = catalogue.exercise("knee_to_chest").steps
    after = transcript.after(script.FAMILIAR)
    assert [len(transcript.said(step)) for step in steps] == [2] + [1] * (len(steps) - 1)
    assert after


def test_the_brief_check_in_for_someone_who_knows_the_coach(catalogue, matcher):
    known = Progress(sessions_total=4)
    transcript, _ = run_session(catalogue, matcher, [], routine="morning", progress=known)
    says = transcript.says()
    assert says[:3] == [script.WELCOME_BACK, script.SAFETY_REMINDER, script.CHECK_IN_BRIEF]
    assert says[3] == "Let's do the morning routine: five exercises."
    assert not transcript.said(script.GOOD_TO_GO)  # nobody answered: no "good" to silence


def test_one_warm_up_a_session_and_a_cool_down_after_each_routine(catalogue, matcher):
    lines = ["morning", *["ready"] * 5, "seated routine", *["ready"] * 8, "stop", "yes"]
    transcript, _ = run_session(catalogue, matcher, lines)
    assert len(transcript.logs("routine_done")) == 2
    parts = [b["part"] for b in transcript.logs("bookend")]
    assert parts == ["warm_up", "cool_down", "cool_down"]


def test_pause_in_the_warm_up_waits_and_resume_takes_up_the_move_again(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["morning", "+30 pause", "+60 resume", "stop"])
    warm = catalogue.bookends[transcript.logs("bookend")[0]["bookend"]]
    paused = transcript.after(script.PAUSED)
    resumed = next(i for i, r in enumerate(paused) if r.heard and r.heard.intent == "resume")
    assert not [r for r in paused[:resumed] if isinstance(r.action, Tone | Say)][1:]
    said = [r.action.text for r in paused[resumed:] if isinstance(r.action, Say)]
    assert said[0] in {m.say for m in warm.moves}


def test_pain_in_the_cool_down_stops_it_and_skip_goes_to_the_summary(catalogue, matcher):
    lines = ["morning", *["ready"] * 5]
    first, _ = run_session(catalogue, matcher, lines)
    last_ready = [r.t for r in first.records if r.heard and r.heard.intent == "start"][-1]
    into = first.after("to cool down")[1].t + 5 - last_ready  # into the first move
    lines += [f"+{into:.1f} it hurts", "skip", "stop", "yes"]
    transcript, _ = run_session(catalogue, matcher, lines)
    cool = catalogue.bookends[transcript.logs("bookend")[-1]["bookend"]]
    assert cool.kind == "cool_down"
    after = transcript.after(script.PAIN_STOP)
    assert transcript.said(script.PAIN_OFFER_BOOKEND)
    assert transcript.logs("bookend_skipped") == [{"part": "cool_down"}]
    said = [r.action.text for r in after if isinstance(r.action, Say)]
    assert not [s for s in said if s in {m.say for m in cool.moves}]
    assert any(s.startswith("That's the routine finished: five exercises") for s in said)


def test_a_new_session_after_the_end_warms_up_again(catalogue, matcher):
    lines = ["morning", "stop", "yes", "start", "stop", "yes", "seated routine", "stop", "yes"]
    transcript, _ = run_session(catalogue, matcher, lines)
    assert len(transcript.logs("session_start")) == 3
    assert [b["part"] for b in transcript.logs("bookend")] == ["warm_up"] * 3


def test_a_dose_request_in_the_warm_up_says_it_is_for_the_exercises(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["morning", "+12 hold longer", "stop"])
    answer = transcript.said(script.DOSE_IN_BOOKEND)[0]
    assert answer.heard is not None
    assert answer.heard.intent == "hold_longer"
    assert not transcript.logs("dose")  # nothing changed


def test_the_warm_up_promises_the_time_it_takes_with_its_words(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["morning", "+200 stop"])
    intro = next(
        r for r in transcript.records if isinstance(r.action, Say) and "to warm up" in r.action.text
    )
    done = transcript.said(script.BOOKEND_DONE["warm_up"])[0]
    took = done.t - intro.end
    promised = {"half a minute": 30, "about a minute": 60, "a minute and a half": 90}
    said = next(v for k, v in promised.items() if k in intro.action.text)
    assert abs(took - said) <= 20
