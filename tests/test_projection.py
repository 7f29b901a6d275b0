"""Whole coach sessions into the store: the rows say what the coach's log records say."""

from __future__ import annotations

from pathlib import Path

from sessions import Transcript, run_answering, run_session

from voicecoach.coach.events import Log
from voicecoach.coach.profile import Profile, ResumePoint
from voicecoach.memory.store import Store


def stored(transcript: Transcript, path: Path) -> Store:
    """The transcript's log records, written as the runtime writes them."""
    store = Store.open(path)
    sid = store.start_session(None)
    store.write((sid, r.t, r.action) for r in transcript.records if isinstance(r.action, Log))
    return store


def test_a_remembered_version_and_a_limit_leave_no_ghost_attempts(
    catalogue, matcher, tmp_path: Path
) -> None:
    """Swapped before it began (a remembered easier version, then adapted to sitting): one
    swapped row per decision at the exercise's own position, one attempt at what was done."""
    profile = Profile(
        constraints=frozenset({"no_lying"}), preferred={"knee_to_chest": "knee_to_chest_towel"}
    )
    transcript, _ = run_answering(
        catalogue, matcher, ["stretching routine"], {"choosing": "stop"}, profile=profile
    )
    with stored(transcript, tmp_path / "db") as store:
        rows = store.exercise_log()
    first = [(e.exercise, e.status, e.swapped_to, e.position) for e in rows[:3]]
    assert first[:2] == [
        ("knee_to_chest", "swapped", "knee_to_chest_towel", 0),
        ("knee_to_chest_towel", "swapped", first[2][0], 0),
    ]
    assert first[2][1:] == ("done", None, 0)
    assert not [e for e in rows if e.status == "started"]


def test_swaps_and_skips_name_their_queue_position(catalogue, matcher, tmp_path: Path) -> None:
    lines = ["stretching routine", "ready", "+5 easier", "+5 skip"]
    transcript, _ = run_session(catalogue, matcher, lines)
    with stored(transcript, tmp_path / "db") as store:
        rows = [(e.exercise, e.status, e.position) for e in store.exercise_log()]
    assert rows[:2] == [("knee_to_chest", "swapped", 0), ("knee_to_chest_towel", "skipped", 0)]


def test_skipping_an_exercise_done_earlier_leaves_the_earlier_attempt_done(
    tmp_path: Path,
) -> None:
    with Store.open(tmp_path / "db") as store:
        sid = store.start_session(None)
        for kind, data in [
            ("exercise_start", {"exercise": "ankle_pumps", "index": 0, "total": 2}),
            ("exercise_done", {"exercise": "ankle_pumps", "reps": 10, "hold_seconds": 0}),
            ("exercise_skipped", {"exercise": "ankle_pumps", "reason": "x", "index": 1}),
        ]:
            store.record(sid, Log(kind, data))
        assert [(e.status, e.position) for e in store.exercise_log()] == [
            ("done", 0),
            ("skipped", 1),
        ]


def test_resume_follows_the_coach_numbering_without_guessing(tmp_path: Path) -> None:
    """The plan changed under the exercise (a replan), so its id sits one place earlier in
    the plan than its position: the next one is still plan[position + 1]."""
    with Store.open(tmp_path / "db") as store:
        sid = store.start_session(None)
        plan = ["knee_to_chest", "spinal_twist", "calf_stretch", "ankle_pumps"]
        for kind, data in [
            ("routine", {"routine": "r", "exercises": plan}),
            ("exercise_start", {"exercise": "spinal_twist", "index": 2, "total": 4}),
            ("exercise_done", {"exercise": "spinal_twist", "reps": 0, "hold_seconds": 30}),
        ]:
            store.record(sid, Log(kind, data))
        assert store.interrupted() == ResumePoint("r", "ankle_pumps", 3)


def test_moving_on_after_saying_tired_is_stopped_for_tiredness(
    catalogue, matcher, tmp_path: Path
) -> None:
    lines = ["morning routine", "ready", "+5 i'm tired", "next", "stop", "yes"]
    transcript, _ = run_session(catalogue, matcher, lines)
    with stored(transcript, tmp_path / "db") as store:
        first = store.exercise_log()[0]
    assert (first.status, first.reason, first.tired) == ("stopped", "tired", 1)


def test_exercise_start_carries_the_planned_dose(catalogue, matcher, tmp_path: Path) -> None:
    transcript, _ = run_session(catalogue, matcher, ["sit to stand", "ready"])
    with stored(transcript, tmp_path / "db") as store:
        entry = store.exercise_log()[0]
    dose = catalogue.exercise("sit_to_stand").dose
    assert entry.planned_reps == dose.reps * dose.sets
    assert entry.routine is None  # chosen on its own


def test_a_choice_undone_leaves_no_attempt_and_no_routine(catalogue, tmp_path: Path) -> None:
    """A misheard choice, taken back before it began: nothing of it is remembered."""
    from voicecoach.coach.events import Begin, Heard
    from voicecoach.coach.machine import Coach

    coach = Coach(catalogue)
    actions = coach.handle(Begin(0.0))
    actions += coach.handle(Heard("choose_routine", 1.0, {"routine": "spasticity"}))
    actions += coach.handle(Heard("no", 2.0))  # in the warm-up
    actions += coach.handle(Heard("choose_exercise", 3.0, {"exercise": "glute_bridge"}))
    actions += coach.handle(Heard("no", 4.0))  # while it is introduced
    with Store.open(tmp_path / "db") as store:
        sid = store.start_session(None)
        store.write((sid, 0.0, a) for a in actions if isinstance(a, Log))
        assert [a.kind for a in actions if isinstance(a, Log)].count("choice_undone") == 2
        assert store.exercise_log() == []
        (session,) = store.sessions()
        assert (session.routine, session.routines) == (None, ())
