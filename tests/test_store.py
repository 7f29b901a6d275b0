"""The SQLite store: remembering across sessions, surviving SIGKILL, damaged and locked files."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from voicecoach.coach.events import Log
from voicecoach.coach.profile import Profile, Progress, ResumePoint
from voicecoach.memory.store import SPOKEN_CORRUPT_WARNING, Store, StoreError

MONDAY_9AM = dt.datetime(2026, 11, 16, 9, 0).timestamp()
DAY = 24 * 3600.0


class FakeClock:
    def __init__(self, t: float = MONDAY_9AM) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "voicecoach.db"


def play(store: Store, sid: int, clock: FakeClock, logs: list[tuple[str, dict]]) -> None:
    for kind, data in logs:
        clock.advance(30)
        store.record(sid, Log(kind, data))


STRETCHING = ["knee_to_chest", "spinal_twist", "calf_stretch"]


def stretching_session(done: int = 3) -> list[tuple[str, dict]]:
    """Logs as the coach emits them for the stretching routine, `done` exercises finished."""
    logs: list[tuple[str, dict]] = [
        ("session_start", {"routine": None}),
        ("routine", {"routine": "stretching", "exercises": STRETCHING}),
    ]
    for i, ex in enumerate(STRETCHING[:done]):
        logs.append(("exercise_start", {"exercise": ex, "index": i, "total": 3}))
        logs.append(("exercise_done", {"exercise": ex, "reps": 0, "hold_seconds": 60}))
    return logs


def test_two_sessions_remember_constraints_and_voice(db: Path, clock: FakeClock) -> None:
    with Store.open(db, clock=clock) as store:
        assert store.profile() == Profile()
        sid = store.start_session(None)
        play(
            store,
            sid,
            clock,
            [
                ("session_start", {"routine": None}),
                ("constraint", {"constraint": "no_lying", "active": ["no_lying"]}),
                ("voice", {"rate": 130, "volume": 0.95}),
                ("session_end", {"reason": "finished"}),
            ],
        )
    clock.advance(DAY)
    with Store.open(db, clock=clock) as store:
        profile = store.profile()
        assert profile.constraints == frozenset({"no_lying"})
        assert (profile.rate, profile.volume) == (130, 0.95)
        sid = store.start_session(None)
        # The person says they can now lie down again, and can't stand today.
        play(
            store,
            sid,
            clock,
            [
                ("constraint", {"constraint": None, "active": []}),
                ("constraint", {"constraint": "no_standing", "active": ["no_standing"]}),
                ("session_end", {"reason": "finished"}),
            ],
        )
    with Store.open(db, clock=clock) as store:
        assert store.profile().constraints == frozenset({"no_standing"})
        assert store.profile().rate == 130


def test_profile_defaults_fill_what_was_never_saved(db: Path, clock: FakeClock) -> None:
    with Store.open(db, clock=clock) as store:
        assert store.profile(Profile(rate=170, volume=0.5)) == Profile(rate=170, volume=0.5)
        store.save_voice(120, 0.6)
        assert store.profile(Profile(rate=170, volume=0.5)) == Profile(rate=120, volume=0.6)
        store.save_constraints(["seated", "no_lying"])
        store.save_constraints(["seated"])
        assert store.profile().constraints == frozenset({"seated"})


def test_easier_swap_is_remembered_and_never_chains_or_loops(db: Path, clock: FakeClock) -> None:
    with Store.open(db, clock=clock) as store:
        sid = store.start_session("stretching")
        play(
            store,
            sid,
            clock,
            [
                ("exercise_start", {"exercise": "bird_dog", "index": 0, "total": 2}),
                ("swapped", {"exercise": "bird_dog", "to": "bird_dog_arms", "reason": "easier"}),
                (
                    "swapped",
                    {"exercise": "bird_dog_arms", "to": "seated_reach", "reason": "easier"},
                ),
                ("swapped", {"exercise": "x", "to": "x_seated", "reason": "no_standing"}),
            ],
        )
        assert store.profile().preferred == {
            "bird_dog": "seated_reach",
            "bird_dog_arms": "seated_reach",
        }
        play(
            store,
            sid,
            clock,
            [
                ("swapped", {"exercise": "seated_reach", "to": "bird_dog", "reason": "harder"}),
            ],
        )
        # Back to the original: no preference leads anywhere from bird_dog any more.
        assert "bird_dog" not in store.profile().preferred
        assert store.profile().preferred == {
            "seated_reach": "bird_dog",
            "bird_dog_arms": "bird_dog",
        }


def test_per_exercise_rows_follow_the_logs(db: Path, clock: FakeClock) -> None:
    with Store.open(db, clock=clock) as store:
        sid = store.start_session(None)
        play(
            store,
            sid,
            clock,
            [
                ("session_start", {"routine": "stretching"}),
                ("routine", {"routine": "stretching", "exercises": STRETCHING}),
                ("exercise_start", {"exercise": "knee_to_chest", "index": 0, "total": 3}),
                (
                    "swapped",
                    {"exercise": "knee_to_chest", "to": "seated_knee_lift", "reason": "no_lying"},
                ),
                ("exercise_start", {"exercise": "seated_knee_lift", "index": 0, "total": 3}),
                ("pain", {"exercise": "seated_knee_lift"}),
                ("exercise_done", {"exercise": "seated_knee_lift", "reps": 6, "hold_seconds": 0}),
                ("exercise_start", {"exercise": "spinal_twist", "index": 1, "total": 3}),
                ("tired", {"exercise": "spinal_twist"}),
                ("exercise_skipped", {"exercise": "spinal_twist", "reason": "asked to skip"}),
                ("pain", {"exercise": None}),
                ("session_end", {"reason": "stopped"}),
            ],
        )
        rows = [
            (e.exercise, e.status, e.swapped_to, e.reason, e.reps, e.pain, e.tired)
            for e in store.exercise_log()
        ]
        assert rows == [
            ("knee_to_chest", "swapped", "seated_knee_lift", "no_lying", None, 0, 0),
            ("seated_knee_lift", "done", None, None, 6, 1, 0),
            ("spinal_twist", "skipped", None, "asked to skip", None, 0, 1),
        ]
        [summary] = store.sessions()
        assert (summary.routine, summary.end_reason) == ("stretching", "stopped")
        assert (summary.done, summary.skipped, summary.swapped) == (1, 1, 1)
        assert (summary.pain, summary.tired) == (2, 1)
        assert summary.minutes == pytest.approx(12 * 30 / 60)
        assert store.interrupted() is None
        kinds = [e.kind for e in store.log_entries()]
        assert kinds[0] == "session_start"
        assert kinds[-1] == "session_end"
        assert len(store.log_entries(["pain"])) == 2


KILLED_WRITER = textwrap.dedent(
    """
    import sys, time
    from voicecoach.coach.events import Log
    from voicecoach.memory.store import Store

    store = Store.open(sys.argv[1])
    sid = store.start_session(None)
    logs = [
        ("session_start", {"routine": None}),
        ("routine", {"routine": "stretching",
                     "exercises": ["knee_to_chest", "spinal_twist", "calf_stretch"]}),
        ("exercise_start", {"exercise": "knee_to_chest", "index": 0, "total": 3}),
        ("exercise_done", {"exercise": "knee_to_chest", "reps": 0, "hold_seconds": 60}),
        ("exercise_start", {"exercise": "spinal_twist", "index": 1, "total": 3}),
        ("pain", {"exercise": "spinal_twist"}),
    ]
    for kind, data in logs:
        store.record(sid, Log(kind, data))
    print("recorded", flush=True)
    time.sleep(60)
    """
)


def test_sigkill_mid_session_keeps_the_log_and_offers_resume(db: Path, tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(KILLED_WRITER)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "recorded"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    with Store.open(db) as store:
        assert store.warning is None
        assert store.interrupted() == ResumePoint("stretching", "spinal_twist", 1)
        assert [e.kind for e in store.log_entries()] == [
            "session_start",
            "routine",
            "exercise_start",
            "exercise_done",
            "exercise_start",
            "pain",
        ]
        [summary] = store.sessions()
        assert (summary.ended, summary.done, summary.pain) == (None, 1, 1)
        # The next session marks the dead one interrupted; the offer stands until the new one
        # does an exercise, so it does not matter whether the coach asks before or after.
        sid = store.start_session(None)
        assert store.interrupted() == ResumePoint("stretching", "spinal_twist", 1)
        assert store.sessions()[1].end_reason == "interrupted"
        store.record(
            sid, Log("exercise_start", {"exercise": "calf_stretch", "index": 0, "total": 1})
        )
        assert store.interrupted() == ResumePoint("", "calf_stretch", 0)


def test_resume_goes_on_to_the_next_exercise_or_not_at_all(db: Path, clock: FakeClock) -> None:
    with Store.open(db, clock=clock) as store:
        sid = store.start_session(None)
        play(store, sid, clock, stretching_session(done=2))
        assert store.interrupted() == ResumePoint("stretching", "calf_stretch", 2)
        play(store, sid, clock, stretching_session(done=3)[-2:])
        assert store.interrupted() is None  # all done, only the goodbye was lost
        sid = store.start_session(None)
        play(store, sid, clock, stretching_session(done=1))
        store.end_session(sid, "terminated")  # the service was stopped: still worth offering
        assert store.interrupted() == ResumePoint("stretching", "spinal_twist", 1)
        sid = store.start_session(None)
        play(store, sid, clock, stretching_session(done=1))
        store.end_session(sid, "stopped")
        assert store.interrupted() is None


def test_restart_after_the_end_is_a_new_session(db: Path, clock: FakeClock) -> None:
    with Store.open(db, clock=clock) as store:
        sid = store.start_session(None)
        play(store, sid, clock, [*stretching_session(1), ("session_end", {"reason": "stopped"})])
        play(store, sid, clock, [*stretching_session(2), ("session_end", {"reason": "finished"})])
        store.end_session(sid, "quit")
        first, second = store.sessions()[::-1]
        assert (first.done, first.end_reason) == (1, "stopped")
        assert (second.done, second.end_reason) == (2, "finished")


def test_progress_counts_this_week_and_the_last_fortnight(db: Path, clock: FakeClock) -> None:
    clock.t = MONDAY_9AM - 13 * DAY  # Tuesday two weeks ago
    with Store.open(db, clock=clock) as store:
        for _day in range(3):  # Tue, Wed, Thu two weeks ago
            sid = store.start_session(None)
            play(store, sid, clock, [*stretching_session(1), ("session_end", {"reason": "x"})])
            clock.advance(DAY)
        clock.t = MONDAY_9AM  # this week: two sessions on Monday, one quit at the greeting
        for done in (3, 2, 0):
            sid = store.start_session(None)
            play(store, sid, clock, [*stretching_session(done), ("pain", {"exercise": None})])
            store.end_session(sid, "stopped")
        expected = Progress(
            sessions_this_week=2,
            sessions_total=5,
            exercises_this_week=5,
            days_active_last_14=3,  # Wed, Thu and Monday; asked on Tuesday, that Tue is day 15
            pain_reports_this_week=3,
            familiar=frozenset(STRETCHING[:3]),  # done in the last fourteen days
        )
        assert store.progress(now=MONDAY_9AM + DAY) == expected


def test_garbage_file_is_moved_aside_and_a_new_one_works(db: Path, clock: FakeClock) -> None:
    db.parent.mkdir(parents=True)
    garbage = bytes(range(256)) * 16
    db.write_bytes(garbage)
    with Store.open(db, clock=clock) as store:
        assert store.moved_aside is not None
        assert store.moved_aside.read_bytes() == garbage  # kept, not deleted
        assert store.moved_aside.name.startswith("voicecoach.db.corrupt-")
        assert store.warning is not None
        assert "damaged" in store.warning
        assert str(store.moved_aside) in store.warning
        assert store.spoken_warning == SPOKEN_CORRUPT_WARNING
        sid = store.start_session(None)
        play(store, sid, clock, stretching_session(1))
    with Store.open(db, clock=clock) as store:
        assert store.warning is None
        assert store.sessions()[0].done == 1


def test_damaged_pages_are_moved_aside_too(db: Path, clock: FakeClock) -> None:
    with Store.open(db, clock=clock) as store:
        sid = store.start_session(None)
        play(store, sid, clock, stretching_session(3) * 30)
    size = db.stat().st_size
    assert size > 4 * 4096
    with db.open("r+b") as f:  # keep the header, wreck the pages after it
        f.seek(1024)
        f.write(b"\xff" * (size - 1024))
    with Store.open(db, clock=clock) as store:
        assert store.moved_aside is not None
        assert store.moved_aside.exists()
        assert store.sessions() == []


def test_someone_elses_database_is_left_alone(db: Path) -> None:
    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    with pytest.raises(StoreError, match="some other program.*untouched"):
        Store.open(db)
    assert [p.name for p in db.parent.iterdir()] == ["voicecoach.db"]


def test_locked_database_gives_a_plain_error_and_loses_nothing(db: Path, clock: FakeClock) -> None:
    store = Store.open(db, clock=clock, busy_timeout=0.1)
    sid = store.start_session(None)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    other.execute("INSERT INTO settings (key, value, updated) VALUES ('other', '1', 0)")
    with pytest.raises(StoreError, match="in use by another program.*nothing was lost") as err:
        store.record(sid, Log("session_start", {"routine": "stretching"}))
    assert "Traceback" not in str(err.value)
    assert "sqlite" not in str(err.value).lower()
    other.execute("COMMIT")
    other.close()
    store.record(sid, Log("exercise_start", {"exercise": "calf_stretch", "index": 0, "total": 1}))
    assert [e.kind for e in store.log_entries()] == ["session_start", "exercise_start"]
    assert store.sessions()[0].routine == "stretching"
    store.close()
    with sqlite3.connect(db) as check:
        assert check.execute("SELECT value FROM settings WHERE key = 'other'").fetchone() == ("1",)


def test_opening_a_database_locked_from_birth_says_so(db: Path) -> None:
    db.parent.mkdir(parents=True)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    other.execute("CREATE TABLE placeholder (x)")
    try:
        with pytest.raises(StoreError, match="in use by another program"):
            Store.open(db, busy_timeout=0.1)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert db.exists()
    assert not list(db.parent.glob("*.corrupt-*"))


def test_unknown_session_is_an_error_not_a_silent_loss(db: Path) -> None:
    with Store.open(db) as store, pytest.raises(StoreError, match="no session 99"):
        store.record(99, Log("pain", {"exercise": None}))


def test_log_data_is_stored_as_json(db: Path) -> None:
    with Store.open(db) as store:
        sid = store.start_session(None)
        store.record(sid, Log("device", {"what": "microphone", "path": Path("/dev/x")}))
        [entry] = store.log_entries()
        assert entry.data == {"what": "microphone", "path": "/dev/x"}
    with sqlite3.connect(db) as conn:
        assert (
            json.loads(conn.execute("SELECT data FROM log").fetchone()[0])["what"] == "microphone"
        )


def test_resume_after_adapted_exercises_counts_from_zero(db: Path, clock: FakeClock) -> None:
    """Every exercise swapped for a seated version, resumed half way: no id matches the plan."""
    with Store.open(db, clock=clock) as store:
        sid = store.start_session(None)
        play(
            store,
            sid,
            clock,
            [
                ("routine", {"routine": "stretching", "exercises": STRETCHING}),
                ("exercise_start", {"exercise": "spinal_twist_seated", "index": 1, "total": 3}),
                (
                    "exercise_done",
                    {"exercise": "spinal_twist_seated", "reps": 0, "hold_seconds": 30},
                ),
            ],
        )
        assert store.interrupted() == ResumePoint("stretching", "calf_stretch", 2)
