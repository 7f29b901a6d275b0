"""The person's own dose by voice: longer or shorter holds, fewer or more reps, longer or
shorter rests, in the states where an exercise is in hand, within bounds (coach.dose), said
plainly; elsewhere a short answer why."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest
from sessions import run_session

from voicecoach.coach import dose, script
from voicecoach.coach.events import Log, Say

SEED_FACTS = tomllib.loads(
    resources.files("voicecoach.data").joinpath("seed_facts.toml").read_text("utf-8")
)


def answer(transcript) -> list[str]:
    """What the coach said in answer to the last line typed."""
    heard = [r.heard for r in transcript.records if r.heard is not None][-1]
    return [
        r.action.text for r in transcript.records if isinstance(r.action, Say) and r.heard is heard
    ]


def hold_lines(transcript) -> list[str]:
    return [t for t in transcript.says() if " for " in t and t.endswith("seconds.")]


def test_shorter_holds_before_the_first_hold(catalogue, matcher):
    transcript, coach = run_session(catalogue, matcher, ["knee to chest", "hold shorter", "ready"])
    assert "Holds are now twenty five seconds." in transcript.says()
    assert all("twenty five seconds" in line for line in hold_lines(transcript))
    assert transcript.logs("dose") == [
        {
            "exercise": "knee_to_chest",
            "change": "hold_shorter",
            "reason": "asked",
            "hold_seconds": 25,
            "reps": 1,
            "rest_seconds": 0,
            "personal": {"hold_seconds": 25},
        }
    ]
    assert transcript.logs("exercise_done")[0]["hold_seconds"] == 50.0


def test_longer_hold_during_a_hold_lengthens_it_and_the_next(catalogue, matcher):
    lines = ["knee to chest", "ready", "+8 hold longer"]
    transcript, _ = run_session(catalogue, matcher, lines)
    assert transcript.said("Holds are now thirty five seconds.")
    assert transcript.said(script.DOSE_THIS_ONE_TOO)
    release = [r.t for r in transcript.said(script.RELEASE)]
    starts = [r.end for r in transcript.records if getattr(r.action, "name", "") == "hold_start"]
    assert release[0] - starts[0] == pytest.approx(35, abs=1)
    assert transcript.logs("exercise_done")[0]["hold_seconds"] == 70.0


def test_fewer_reps_during_a_set_counts_from_the_next_set(catalogue, matcher):
    lines = ["sit to stand", "ready", "+8 fewer reps"]
    transcript, _ = run_session(catalogue, matcher, lines)
    assert transcript.said("Sets are now nine reps.")
    assert transcript.said(script.DOSE_NEXT_SET)
    assert transcript.said("Set one of two. Ten reps.")
    assert transcript.said("Set two of two. Nine reps.")
    assert transcript.logs("exercise_done")[0]["reps"] == 19


def test_longer_rest_during_a_rest(catalogue, matcher):
    # sit to stand: two sets of ten, 30 s rest; the rest starts after the first set.
    transcript, coach = run_session(catalogue, matcher, ["sit to stand", "ready"])
    rest_at = transcript.said("Rest for thirty seconds.")[0].end
    lines = ["sit to stand", "ready", f"+{rest_at - transcript.said('Set one')[0].t + 3:.0f} "
             "longer rests"]  # fmt: skip
    transcript, _ = run_session(catalogue, matcher, lines)
    assert transcript.said("Rests are now forty five seconds.")
    assert transcript.said(script.DOSE_THIS_ONE_TOO)
    over = transcript.said(script.REST_OVER)[0].t
    begun = transcript.said("Rest for thirty seconds.")[0].end
    assert over - begun == pytest.approx(45, abs=1.5)


def test_changes_while_told_the_steps_and_while_paused(catalogue, matcher):
    lines = ["sit to stand", "fewer reps", "ready", "+4 pause", "fewer reps", "resume"]
    transcript, coach = run_session(catalogue, matcher, lines)
    assert transcript.said("Sets are now nine reps.")
    assert transcript.said("Sets are now eight reps.")
    assert transcript.said("Set one of two. Nine reps.")
    assert transcript.said("Set two of two. Eight reps.")
    assert coach.doses["sit_to_stand"] == dose.Personal(reps=8)


def test_changes_the_exercise_asked_about_before_it_starts(catalogue, matcher):
    lines = ["stationary lunge", "fewer reps", "yes", "ready"]
    transcript, _ = run_session(catalogue, matcher, lines)
    assert transcript.said("Sets are now seven reps.")
    assert transcript.said("Your left foot steps back. Seven reps.")


def test_no_exercise_in_hand_and_safety_holds_get_a_short_answer(catalogue, matcher):
    transcript, coach = run_session(catalogue, matcher, ["hold longer"])
    assert answer(transcript) == [script.DOSE_NO_EXERCISE]
    lines = ["knee to chest", "ready", "+5 it hurts", "hold shorter"]
    transcript, coach = run_session(catalogue, matcher, lines)
    assert answer(transcript) == [script.DOSE_NOT_NOW]
    assert not transcript.logs("dose")


def test_asks_that_do_not_fit_the_exercise_say_what_does(catalogue, matcher):
    transcript, _ = run_session(catalogue, matcher, ["sit to stand", "hold longer"])
    assert answer(transcript) == [script.DOSE_NOT_APPLICABLE["hold"]]
    transcript, _ = run_session(catalogue, matcher, ["knee to chest", "more reps"])
    assert answer(transcript) == [script.DOSE_NOT_APPLICABLE["reps"]]
    transcript, _ = run_session(catalogue, matcher, ["knee to chest", "longer rests"])
    assert answer(transcript) == [script.DOSE_NOT_APPLICABLE["rest"]]


def test_holds_stop_at_the_articles_range_and_say_so(catalogue, matcher):
    transcript, coach = run_session(catalogue, matcher, ["knee to chest", *["hold longer"] * 4])
    assert coach.doses["knee_to_chest"] == dose.Personal(hold_seconds=45)
    assert answer(transcript) == [
        "Holds are forty five seconds. " + script.DOSE_AT_BOUND[("hold", 1)]
    ]
    # The article gives the hip crossover thirty seconds, no range: no longer holds.
    transcript, coach = run_session(catalogue, matcher, ["hip crossover", "hold longer"])
    assert "hip_crossover" not in coach.doses
    assert answer(transcript)[0].endswith(script.DOSE_AT_BOUND[("hold", 1)])


def test_reps_and_rests_stop_at_their_bounds(catalogue, matcher):
    transcript, coach = run_session(catalogue, matcher, ["sit to stand", "more reps"])
    assert answer(transcript)[0].endswith(script.DOSE_AT_BOUND[("reps", 1)])  # 2 x 10 given
    _, coach = run_session(catalogue, matcher, ["sit to stand", *["fewer reps"] * 8])
    assert coach.doses["sit_to_stand"] == dose.Personal(reps=5)
    transcript, coach = run_session(catalogue, matcher, ["sit to stand", "shorter rests"])
    assert answer(transcript)[0].endswith(script.DOSE_AT_BOUND[("rest", -1)])
    _, coach = run_session(catalogue, matcher, ["sit to stand", *["longer rests"] * 4])
    assert coach.doses["sit_to_stand"] == dose.Personal(rest_seconds=60)
    _, coach = run_session(catalogue, matcher, ["bird dog", *["more reps"] * 4])
    assert coach.doses["bird_dog"] == dose.Personal(reps=8)


def test_back_to_the_prescription_leaves_nothing_personal(catalogue, matcher):
    _, coach = run_session(catalogue, matcher, ["knee to chest", "hold longer", "hold shorter"])
    assert coach.doses["knee_to_chest"] == dose.Personal()


@pytest.mark.parametrize("ident", sorted(SEED_FACTS))
def test_no_bound_goes_past_what_the_article_gives(catalogue, ident):
    exercise = catalogue.exercise(ident)
    facts = SEED_FACTS[ident]
    for what, key in (("hold", "hold"), ("reps", "reps"), ("rest", "rest")):
        limits = dose.bounds(exercise, what)
        if limits is None:
            continue
        assert limits.low <= limits.prescribed <= limits.high
        if key in facts and not (what == "hold" and exercise.dose.mode == "reps"):
            assert limits.high <= facts[key][1], (ident, what)
        if what == "rest":
            assert limits.low >= exercise.dose.rest_seconds  # never below the article's shortest


def test_no_timer_is_left_behind_by_a_change(catalogue, matcher):
    """The hold keeps one live timer: its release comes once, at the new length."""
    transcript, _ = run_session(catalogue, matcher, ["knee to chest", "ready", "+8 hold longer"])
    assert len(transcript.said(script.RELEASE)) == 2
    assert len(transcript.said(script.HALFWAY)) == 2


def run_stored(catalogue, matcher, db, lines: list[str]):
    """A typed session primed from, and recorded into, the SQLite file at `db`."""
    from voicecoach.app.session import start_session
    from voicecoach.app.textsession import TypedSession, run_fast
    from voicecoach.app.timers import VirtualClock

    coach, recorder = start_session(catalogue, db)
    says: list[str] = []
    logs: list = []

    def emit(_t, action, _heard, _span) -> None:
        if isinstance(action, Say):
            says.append(action.text)
        elif isinstance(action, Log):
            logs.append(action)
            recorder(action)

    session = TypedSession(coach, matcher, VirtualClock(), lambda *_: None)
    session.loop.emit = emit
    run_fast(session, lines)
    recorder.close("input ended")
    return says, coach


def test_the_dose_is_remembered_in_the_database_and_said_once_next_time(
    catalogue, matcher, tmp_path
):
    from voicecoach.memory.store import Store

    db = tmp_path / "coach.db"
    said, _ = run_stored(catalogue, matcher, db, ["knee to chest", "hold shorter", "ready"])
    assert "Holds are now twenty five seconds." in said
    with Store.open(db) as store:
        assert store.profile().doses["knee_to_chest"] == dose.Remembered(
            dose.Personal(hold_seconds=25), "hold_shorter", "asked"
        )
    lines = ["knee to chest", "ready", "+80 knee to chest", "ready"]
    said, coach = run_stored(catalogue, matcher, db, lines)
    told = "Last time you asked for shorter holds, so holds are twenty five seconds."
    assert said.count(told) == 1
    assert all("twenty five seconds" in line for line in said if line.startswith("Your left knee"))
    assert coach.doses["knee_to_chest"] == dose.Personal(hold_seconds=25)
    # Back to the catalogue's: nothing is left to remember.
    run_stored(catalogue, matcher, db, ["knee to chest", "hold longer"])
    with Store.open(db) as store:
        assert "knee_to_chest" not in store.profile().doses


def test_a_remembered_dose_outside_todays_bounds_is_brought_within(catalogue):
    from voicecoach.coach.machine import Coach
    from voicecoach.coach.profile import Profile

    remembered = dose.Remembered(dose.Personal(hold_seconds=300, reps=40), "hold_longer")
    coach = Coach(catalogue, profile=Profile(doses={"knee_to_chest": remembered}))
    assert coach.doses["knee_to_chest"] == dose.Personal(hold_seconds=45)


def test_a_format_3_database_is_upgraded_to_remember_doses(tmp_path):
    import sqlite3

    from voicecoach.memory.store import Store

    db = tmp_path / "coach.db"
    Store.open(db).close()
    conn = sqlite3.connect(db)
    conn.executescript("DROP TABLE doses; UPDATE schema_version SET version = 3;")
    conn.close()
    with Store.open(db) as store:
        sid = store.start_session(None)
        data = {"exercise": "bird_dog", "change": "fewer_reps", "reason": "asked"}
        store.record(sid, Log("dose", {**data, "personal": {"reps": 5}}))
        assert store.profile().doses == {
            "bird_dog": dose.Remembered(dose.Personal(reps=5), "fewer_reps", "asked")
        }


#: intent -> (an exercise it changes, the line it says there)
CHANGED = {
    "hold_longer": ("knee to chest", "Holds are now thirty five seconds."),
    "hold_shorter": ("knee to chest", "Holds are now twenty five seconds."),
    "more_reps": ("bird dog", "Sets are now seven reps."),
    "fewer_reps": ("sit to stand", "Sets are now nine reps."),
    "rest_longer": ("sit to stand", "Rests are now forty five seconds."),
    "rest_shorter": ("sit to stand", None),  # already the article's shortest
}
SAID = {
    "hold_longer": "hold longer",
    "hold_shorter": "shorter holds",
    "more_reps": "more reps",
    "fewer_reps": "fewer reps",
    "rest_longer": "longer rests",
    "rest_shorter": "shorter rests",
}
#: state -> the lines that lead there, before the request.
STATES = {
    "steps": ["{ex}", "+1 {say}"],
    "ready": ["{ex}", "{say}"],
    "a hold or a set": ["{ex}", "ready", "+9 {say}"],
    "paused": ["{ex}", "ready", "+4 pause", "{say}"],
}


@pytest.mark.parametrize("state", sorted(STATES))
@pytest.mark.parametrize("intent", sorted(SAID))
def test_every_change_in_every_state_with_an_exercise_in_hand(catalogue, matcher, intent, state):
    ex, line = CHANGED[intent]
    lines = [text.format(ex=ex, say=SAID[intent]) for text in STATES[state]]
    transcript, _ = run_session(catalogue, matcher, lines)
    said = answer(transcript)
    assert said, "never silence"
    if line is None:
        assert said[0].endswith(script.DOSE_AT_BOUND[("rest", -1)])
        assert not transcript.logs("dose")
    else:
        assert said[0] == line
        assert [d["change"] for d in transcript.logs("dose")] == [intent]


@pytest.mark.parametrize("intent", sorted(SAID))
@pytest.mark.parametrize(
    ("before", "expected"),
    [
        ([], script.DOSE_NO_EXERCISE),
        (["knee to chest", "ready", "+4 it hurts"], script.DOSE_NOT_NOW),
        (["knee to chest", "ready", "+4 i'm tired"], script.DOSE_NOT_NOW),
        (["knee to chest", "ready", "+4 i feel dizzy"], script.DOSE_NOT_NOW),
        (["knee to chest", "ready", "+4 stop"], script.DOSE_NOT_NOW),
    ],
    ids=["choosing", "pain", "tired", "dizzy", "stop question"],
)
def test_where_it_does_not_apply_a_short_answer_why(catalogue, matcher, intent, before, expected):
    transcript, _ = run_session(catalogue, matcher, [*before, SAID[intent]])
    assert answer(transcript) == [expected]
    assert not transcript.logs("dose")


def test_a_paused_hold_resumes_at_its_new_length(catalogue, matcher):
    lines = ["knee to chest", "ready", "+10 pause", "hold longer", "resume"]
    transcript, _ = run_session(catalogue, matcher, lines)
    assert transcript.said(script.DOSE_THIS_ONE_TOO)
    # Six seconds of the thirty were done: twenty nine of the thirty five are left.
    assert transcript.said("Carrying on, twenty nine seconds left.")
    assert transcript.logs("exercise_done")[0]["hold_seconds"] == 70.0
