"""Gentle weekly progression: one small step up offered (never imposed) at the start of an
exercise that has gone well on three days this week, never after pain or tiredness, and
capped by coach.dose's bounds."""

from __future__ import annotations

from pathlib import Path

import pytest
from sessions import run_session

from voicecoach.coach import dose, script
from voicecoach.coach.events import Log
from voicecoach.coach.machine import Phase
from voicecoach.coach.profile import Profile
from voicecoach.coach.progression import Attempt, earned
from voicecoach.memory.store import Store

DAY = 86400.0
NOW = 1_780_000_000.0  # a fixed moment: days are counted in local time


def attempts(days: list[int], **kw) -> list[Attempt]:
    base = {"exercise": "knee_to_chest", "complete": True, "troubled": False}
    return [Attempt(t=NOW - d * DAY, **{**base, **kw}) for d in days]


# --- the pure rule ---------------------------------------------------------------------------


def test_three_good_days_this_week_earn_an_offer():
    assert earned(attempts([1, 2, 4]), {}, NOW) == {"knee_to_chest"}


def test_two_days_or_one_day_three_times_do_not():
    assert earned(attempts([1, 2]), {}, NOW) == frozenset()
    assert earned(attempts([1, 1.01, 1.02]), {}, NOW) == frozenset()
    assert earned(attempts([1, 2, 9]), {}, NOW) == frozenset()  # one was last week


def test_never_after_pain_tiredness_or_a_cut_short_attempt():
    troubled = attempts([3], troubled=True, complete=False)
    assert earned(attempts([1, 2, 4]) + troubled, {}, NOW) == frozenset()
    assert earned(attempts([1, 2, 4]), {}, NOW, last_session_troubled=True) == frozenset()


def test_not_at_a_part_dose_nor_within_a_week_of_a_change():
    assert earned(attempts([1, 2, 4], complete=False), {}, NOW) == frozenset()
    assert earned(attempts([1, 2, 4]), {"knee_to_chest": NOW - 5 * DAY}, NOW) == frozenset()
    # A change eight days ago, and three good days since: a step up again.
    assert earned(attempts([1, 2, 4]), {"knee_to_chest": NOW - 8 * DAY}, NOW) == {"knee_to_chest"}


# --- the coach offers, the person decides ------------------------------------------------------


def step_up_profile(**kw) -> dict:
    return {"profile": Profile(step_ups=frozenset({"knee_to_chest"}), **kw)}


def test_the_offer_comes_once_at_the_start_and_yes_takes_the_step(catalogue, matcher):
    lines = ["knee to chest", "yes", "ready"]
    transcript, coach = run_session(catalogue, matcher, lines, **step_up_profile())
    offer = script.step_up_offer(
        catalogue.exercise("knee_to_chest"), "holds are thirty five seconds"
    )
    assert transcript.says().count(offer) == 1
    assert transcript.said("Holds are now thirty five seconds.")
    assert transcript.said("Your left knee to your chest. Hold for thirty five seconds.")
    (logged,) = transcript.logs("dose")
    assert (logged["change"], logged["reason"]) == ("hold_longer", "progression")
    assert coach.doses["knee_to_chest"] == dose.Personal(hold_seconds=35)


@pytest.mark.parametrize("answer", ["no", "ready", "+70 ready"])
def test_no_or_no_answer_keeps_the_dose(catalogue, matcher, answer):
    lines = ["knee to chest", answer, "ready"]
    transcript, coach = run_session(catalogue, matcher, lines, **step_up_profile())
    assert transcript.said(script.STEP_UP_KEPT)
    assert transcript.logs("step_up_declined") == [{"exercise": "knee_to_chest"}]
    assert not transcript.logs("dose")
    assert transcript.said("Your left knee to your chest. Hold for thirty seconds.")


def test_not_offered_after_tiredness_today_nor_on_a_gentle_day(catalogue, matcher):
    lines = ["i'm tired", "no", "knee to chest"]
    transcript, _ = run_session(catalogue, matcher, lines, **step_up_profile())
    assert not transcript.said("small step up")
    lines = ["bird dog", "+3 it hurts", "stop", "no", "knee to chest"]
    transcript, _ = run_session(catalogue, matcher, lines, **step_up_profile())
    assert not transcript.said("small step up")
    transcript, _ = run_session(catalogue, matcher, ["tired", "knee to chest"], **step_up_profile())
    assert not transcript.said("small step up")


def test_not_offered_at_the_cap(catalogue, matcher):
    at_top = {"knee_to_chest": dose.Remembered(dose.Personal(hold_seconds=45), "hold_longer")}
    transcript, coach = run_session(
        catalogue, matcher, ["knee to chest"], **step_up_profile(doses=at_top)
    )
    assert not transcript.said("small step up")
    assert coach.phase != Phase.STEP_UP


# --- from the store's history ------------------------------------------------------------------


def session_with(store: Store, t: float, logs: list[Log]) -> None:
    sid = store.start_session(None)
    for n, entry in enumerate(logs):
        store.record(sid, entry, t + n)
    store.record(sid, Log("session_end", {"reason": "asked to stop"}), t + len(logs))


def done_knee(store: Store, t: float, reps: float = 60.0, extra: list[Log] = ()) -> None:
    start = {"exercise": "knee_to_chest", "index": 0, "total": 1, "routine": None}
    planned = {"planned_reps": 0, "planned_hold_seconds": 60.0}
    done = {"exercise": "knee_to_chest", "reps": 0, "hold_seconds": reps}
    logs = [Log("exercise_start", start | planned), *extra, Log("exercise_done", done)]
    session_with(store, t, logs)


def test_the_store_earns_the_step_from_three_whole_days(tmp_path: Path):
    with Store.open(tmp_path / "coach.db", clock=lambda: NOW) as store:
        done_knee(store, NOW - 3 * DAY)
        done_knee(store, NOW - 2 * DAY)
        assert store.step_ups() == frozenset()
        done_knee(store, NOW - 1 * DAY, reps=30.0)  # stopped half way: not whole
        assert store.step_ups() == frozenset()
        done_knee(store, NOW - 0.5 * DAY)
        assert store.step_ups() == {"knee_to_chest"}
        # A step declined waits a week.
        session_with(
            store, NOW - 0.2 * DAY, [Log("step_up_declined", {"exercise": "knee_to_chest"})]
        )
        assert store.step_ups() == frozenset()


def test_the_store_never_offers_after_pain_with_it(tmp_path: Path):
    with Store.open(tmp_path / "coach.db", clock=lambda: NOW) as store:
        for d in (4, 3, 2):
            done_knee(store, NOW - d * DAY)
        assert store.step_ups() == {"knee_to_chest"}
        said = {"exercise": "knee_to_chest", "side": "left", "said": "that hurts"}
        done_knee(store, NOW - 1 * DAY, extra=[Log("pain", said)])
        assert store.step_ups() == frozenset()


def test_the_store_never_offers_after_tiredness_last_session(tmp_path: Path):
    with Store.open(tmp_path / "coach.db", clock=lambda: NOW) as store:
        for d in (4, 3, 2):
            done_knee(store, NOW - d * DAY)
        start = {"exercise": "bird_dog", "index": 0, "total": 1, "routine": None}
        session_with(
            store, NOW - DAY, [Log("exercise_start", start), Log("tired", {"exercise": "bird_dog"})]
        )
        assert store.step_ups() == frozenset()


def test_a_gentle_day_does_not_count(tmp_path: Path):
    with Store.open(tmp_path / "coach.db", clock=lambda: NOW) as store:
        done_knee(store, NOW - 3 * DAY)
        done_knee(store, NOW - 2 * DAY)
        done_knee(store, NOW - 1 * DAY, extra=[Log("check_in", {"energy": "low"})])
        assert store.step_ups() == frozenset()


def test_a_change_of_their_own_answers_the_offer(catalogue, matcher):
    lines = ["knee to chest", "shorter holds", "ready"]
    transcript, coach = run_session(catalogue, matcher, lines, **step_up_profile())
    assert transcript.said("Holds are now twenty five seconds.")
    assert [d["reason"] for d in transcript.logs("dose")] == ["asked"]
    assert transcript.said("Your left knee to your chest. Hold for twenty five seconds.")
    assert coach.doses["knee_to_chest"] == dose.Personal(hold_seconds=25)


def test_a_remembered_dose_is_said_and_can_still_step_up(catalogue, matcher):
    earlier = {"knee_to_chest": dose.Remembered(dose.Personal(hold_seconds=35), "hold_longer")}
    lines = ["knee to chest", "yes", "ready", "+100 knee to chest", "ready"]
    transcript, coach = run_session(catalogue, matcher, lines, **step_up_profile(doses=earlier))
    told = "Last time you asked for longer holds, so holds are thirty five seconds."
    assert transcript.says().count(told) == 1
    assert len(transcript.said("small step up")) == 1  # once a session
    assert transcript.said("Holds are now forty seconds.")
    assert coach.doses["knee_to_chest"] == dose.Personal(hold_seconds=40)


def test_after_the_offer_a_familiar_exercise_still_gets_its_short_steps(catalogue, matcher):
    from voicecoach.coach.profile import Progress

    known = Progress(sessions_total=3, familiar=frozenset({"knee_to_chest"}))
    lines = ["knee to chest", "yes"]
    transcript, _ = run_session(catalogue, matcher, lines, progress=known, **step_up_profile())
    after = [r.action.text for r in transcript.after("Holds are now thirty five seconds.")
             if hasattr(r.action, "text")]  # fmt: skip
    assert after[1] == script.FAMILIAR
    assert after[2] == catalogue.exercise("knee_to_chest").steps[0]
