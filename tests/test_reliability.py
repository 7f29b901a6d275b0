"""Reliability: faults a real home brings (full disk, locked database, SIGTERM, broken data,
broken models, loud or clipped speech) and what must survive them.

Every test here is fast; the real full disk (tmpfs), long locks, SIGKILL at random points
and the 2-hour soak run in `python -m voicecoach.bench reliability`.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path

import pytest
from sessions import run_session

from voicecoach.app.session import start_session
from voicecoach.bench.reliability import fill_disk, mount_small_disk
from voicecoach.coach import script
from voicecoach.coach.events import Heard, Log, Say, TimerExpired
from voicecoach.memory.store import Store, StoreError
from voicecoach.memory.writer import StoreWriter

pytestmark = pytest.mark.reliability


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "voicecoach.db"


def fill_up(store: Store) -> None:
    """A real SQLITE_FULL from here on: the file may not grow by a single page."""
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")


def make_room(store: Store) -> None:
    store._conn.execute("PRAGMA max_page_count = 1073741823")


def big(i: int) -> Log:
    # Wide enough that a few fill a page, so the full disk is met within a few writes.
    return Log("exercise_start", {"exercise": f"ex{i}", "index": i, "total": 99, "pad": "x" * 900})


# --- the store itself ----------------------------------------------------------------------


def test_disk_full_mid_session_is_a_plain_store_error_not_a_raw_sqlite_one(db: Path) -> None:
    store = Store.open(db)
    sid = store.start_session(None)
    fill_up(store)
    with pytest.raises(StoreError) as err:
        store.write([(sid, float(i), big(i)) for i in range(50)])
    assert err.value.cause == "full"
    assert "full" in str(err.value)
    assert "rollback" not in str(err.value).lower()
    make_room(store)
    store.write([(sid, 99.0, Log("pain", {"exercise": None}))])  # the store still works
    assert store.log_entries(["pain"])
    store.close()


def test_disk_full_before_the_database_exists_says_full(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk with no room for even the schema: every new connection may grow by nothing."""
    from voicecoach.memory import database

    connect = database._connect

    def full_from_birth(path: Path, busy_timeout: float) -> sqlite3.Connection:
        conn = connect(path, busy_timeout)
        conn.execute("PRAGMA max_page_count = 1")
        return conn

    monkeypatch.setattr(database, "_connect", full_from_birth)
    with pytest.raises(StoreError) as err:
        Store.open(db)
    assert err.value.cause == "full"
    assert "no transaction" not in str(err.value)


def test_old_format_is_upgraded_and_can_record_a_stopped_exercise(db: Path) -> None:
    conn = sqlite3.connect(db)
    from voicecoach.memory import database

    # Format 1: no 'stopped' status and none of the columns format 3 added.
    schema = database._SCHEMA.replace(", 'stopped'", "")
    schema = (
        schema[: schema.index("CREATE TABLE session_routines")]
        + schema[schema.index("CREATE TABLE log") :]
    )
    halves = schema.split("CREATE TABLE exercises")
    parts = dict(zip(("sessions", "exercises"), halves, strict=True))
    for table, columns in database._V3_COLUMNS.items():
        for name, declaration in columns:
            parts[table] = re.sub(rf",\s*{name} {re.escape(declaration)}[^\n]*", "", parts[table])
    schema = "CREATE TABLE exercises".join(parts.values())
    conn.executescript(schema + "; INSERT INTO schema_version VALUES (1);")
    conn.close()
    with Store.open(db) as store:
        sid = store.start_session(None)
        store.record(sid, Log("exercise_start", {"exercise": "bird_dog", "index": 0, "total": 1}))
        store.record(
            sid,
            Log("exercise_stopped", {"exercise": "bird_dog", "outcome": "pain", "reps": 2}),
        )
        (entry,) = store.exercise_log()
    assert (entry.status, entry.reason, entry.reps) == ("stopped", "pain", 2)


# --- writing behind the coach ---------------------------------------------------------------


class Gate(Store):
    """A store whose writes wait on a gate (a lock held by someone else, a slow card)."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.gate = threading.Event()

    def write(self, items):  # type: ignore[no-untyped-def]
        self.gate.wait()
        super().write(items)


def test_record_never_waits_for_the_disk(db: Path) -> None:
    store = Gate.open(db)
    writer = StoreWriter(store, store.start_session(None))
    writer.record(Log("pain", {"exercise": None}))  # returns although the write is stuck
    assert writer.pending == 1
    store.gate.set()
    assert writer.flush(timeout=5)
    writer.close()
    assert [e.kind for e in Store.open(db).log_entries()] == ["pain"]


def test_disk_full_keeps_logs_in_memory_says_so_once_and_writes_them_later(db: Path) -> None:
    store = Store.open(db)
    writer = StoreWriter(
        store, store.start_session(None), retry_seconds=0.02, full_notice=script.NOTEBOOK_FULL
    )
    fill_up(store)
    for i in range(40):
        writer.record(big(i))
    writer.record(Log("pain", {"exercise": "ex39"}))
    assert not writer.flush(timeout=0.5)
    assert writer.trouble is not None
    assert writer.trouble.cause == "full"
    assert writer.take_notice() == script.NOTEBOOK_FULL
    assert writer.take_notice() is None  # once
    make_room(store)
    assert writer.flush(timeout=5)
    writer.close()
    kinds = [e.kind for e in Store.open(db).log_entries()]
    assert kinds == ["exercise_start"] * 40 + ["pain"]


def test_a_lock_held_by_another_program_loses_nothing_and_keeps_the_order(db: Path) -> None:
    store = Store.open(db, busy_timeout=0.05)
    writer = StoreWriter(store, store.start_session(None), retry_seconds=0.02)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    for kind in ("session_start", "pain", "emergency"):
        writer.record(Log(kind, {"exercise": None}))
    assert not writer.flush(timeout=0.3)
    assert writer.trouble is not None
    assert writer.trouble.cause == "locked"
    other.execute("COMMIT")
    other.close()
    assert writer.flush(timeout=5)
    writer.close()
    assert [e.kind for e in Store.open(db).log_entries()] == ["session_start", "pain", "emergency"]


def test_a_database_that_cannot_be_opened_at_first_is_opened_later(db: Path) -> None:
    tries: list[int] = []

    def opener() -> tuple[Store, int]:
        tries.append(1)
        if len(tries) < 3:
            raise StoreError("the disk holding it is full; free some space", "full")
        store = Store.open(db)
        return store, store.start_session(None)

    writer = StoreWriter(opener=opener, retry_seconds=0.02)
    writer.record(Log("pain", {"exercise": None}))
    writer.end_session("finished")
    assert writer.flush(timeout=5)
    writer.close()
    with Store.open(db) as store:
        assert [e.kind for e in store.log_entries()] == ["pain"]
        assert store.sessions()[0].end_reason == "finished"


def test_what_cannot_be_written_by_close_is_logged_not_raised(db: Path, caplog) -> None:
    store = Store.open(db)
    writer = StoreWriter(store, store.start_session(None), retry_seconds=0.02)
    fill_up(store)
    for i in range(40):
        writer.record(big(i))
    writer.close(timeout=0.2)
    assert writer.unsaved
    assert "not saved" in caplog.text


def test_an_unusable_database_never_stops_the_session(catalogue, tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("")
    coach, recorder = start_session(catalogue, tmp_path / "not-a-folder" / "v.db")
    assert script.NOTEBOOK_UNAVAILABLE in coach.warnings
    said = [a.text for a in coach.handle(Heard("start", 1.0)) if isinstance(a, Say)]
    assert script.NOTEBOOK_UNAVAILABLE in said
    for action in coach.handle(Heard("pain", 2.0)):
        if isinstance(action, Log):
            recorder(action)  # kept, never raised
    recorder.close("asked to stop", timeout=5)
    assert recorder.writer is not None
    assert recorder.writer.unsaved


# --- what is queued at exit is spilled to a journal and replayed at the next start -------


def journals(db: Path) -> list[Path]:
    return sorted(db.parent.glob(f"{db.name}.unsaved-*.jsonl"))


def pain_session(catalogue, db: Path):
    """A session that hears "it hurts" while another program holds the database's lock."""
    coach, recorder = start_session(catalogue, db)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    for action in coach.handle(Heard("start", 1.0)) + coach.handle(Heard("pain", 2.0)):
        if isinstance(action, Log):
            recorder(action)
    return recorder, other


def test_records_queued_at_exit_under_a_held_lock_are_written_at_the_next_start(
    catalogue, db: Path
) -> None:
    recorder, other = pain_session(catalogue, db)
    recorder.close("terminated", timeout=0.3)  # the lock outlives the process
    assert recorder.writer is not None
    assert recorder.writer.spilled
    assert not recorder.writer.unsaved
    assert len(journals(db)) == 1
    other.execute("COMMIT")
    other.close()
    with Store.open(db) as store:
        assert "pain" not in [e.kind for e in store.log_entries()]  # not in the database yet
    coach, again = start_session(catalogue, db)
    assert script.NOTEBOOK_CAUGHT_UP in coach.warnings
    again.close("finished")
    with Store.open(db) as store:
        assert [e.kind for e in store.log_entries()].count("pain") == 1
        first = store.sessions()[-1]
        assert first.end_reason == "terminated"  # its true end, not "interrupted"
    assert not journals(db)


def test_a_replay_cut_short_after_its_commit_does_not_write_twice(catalogue, db: Path) -> None:
    from voicecoach.memory.journal import replay_pending

    recorder, other = pain_session(catalogue, db)
    recorder.close("terminated", timeout=0.3)
    other.execute("COMMIT")
    other.close()
    (spill,) = journals(db)
    kept = spill.read_bytes()
    with Store.open(db) as store:
        assert replay_pending(store, db) > 0
        spill.write_bytes(kept)  # as if the process died between the commit and the unlink
        assert replay_pending(store, db) == 0
        assert [e.kind for e in store.log_entries()].count("pain") == 1
    assert not journals(db)


def test_a_journal_cut_short_by_a_power_cut_keeps_its_whole_lines(db: Path) -> None:
    from voicecoach.memory.journal import Journal, replay_pending

    with Store.open(db) as store:
        sid = store.start_session(None)
    journal = Journal(db)
    entries = [(1.0, Log("pain", {"exercise": None})), (2.0, Log("exercise_done", {}))]
    assert not journal.spill(sid, entries)
    text = journal.path.read_bytes().rstrip(b"\0")
    journal.path.write_bytes(text[:-9])  # the last line torn
    with Store.open(db) as store:
        assert replay_pending(store, db) == 1
        assert [e.kind for e in store.log_entries()] == ["pain"]


def test_a_clean_close_leaves_no_journal_only_an_empty_spare(catalogue, db: Path) -> None:
    coach, recorder = start_session(catalogue, db)
    for action in coach.handle(Heard("start", 1.0)) + coach.handle(Heard("pain", 2.0)):
        if isinstance(action, Log):
            recorder(action)
    recorder.close("finished")
    assert not journals(db)
    spare = db.with_name(db.name + ".unsaved-spare")
    assert spare.read_bytes().strip(b"\0") == b""
    _, again = start_session(catalogue, db)  # the next session takes it over
    assert not spare.exists()
    again.close("finished")


@pytest.fixture
def small_disk(tmp_path: Path):
    """A real 256 kB filesystem (tmpfs); skipped where mounting is not permitted."""
    import os
    import subprocess

    folder = tmp_path / "disk"
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    if not mount_small_disk(folder):
        pytest.skip("mounting a tmpfs is not permitted here")
    yield folder
    subprocess.run(["umount", str(folder)], capture_output=True)


def test_records_queued_at_exit_on_a_full_disk_survive_to_the_next_start(
    catalogue, small_disk: Path
) -> None:
    db = small_disk / "voicecoach.db"
    coach, recorder = start_session(catalogue, db)
    assert recorder.writer is not None
    recorder.writer._retry = 0.02
    filler = fill_disk(small_disk)
    for action in coach.handle(Heard("start", 1.0)) + coach.handle(Heard("pain", 2.0)):
        if isinstance(action, Log):
            recorder(action)
    recorder.close("terminated", timeout=0.5)  # the disk is still full at exit
    assert recorder.writer.spilled
    assert not recorder.writer.unsaved
    filler.unlink()  # room again, as after a clear-out
    coach, again = start_session(catalogue, db)
    assert script.NOTEBOOK_CAUGHT_UP in coach.warnings
    again.close("finished")
    with Store.open(db) as store:
        kinds = [e.kind for e in store.log_entries()]
        assert kinds.count("pain") == 1
        assert [s.end_reason for s in store.sessions()] == ["finished", "terminated"]


# --- the coach answers first ----------------------------------------------------------------


def test_a_locked_database_does_not_delay_the_answer_to_it_hurts(catalogue, db: Path) -> None:
    """The writer is stuck on a lock; the coach's answer comes back all the same."""
    coach, recorder = start_session(catalogue, db)
    store = recorder.store
    assert store is not None
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    said: list[str] = []
    try:
        for action in coach.handle(Heard("start", 1.0)) + coach.handle(Heard("pain", 2.0)):
            if isinstance(action, Log):
                recorder(action)  # must return at once although the file is locked
            elif isinstance(action, Say):
                said.append(action.text)
        assert script.PAIN_STOP in said
        assert recorder.writer is not None
        assert recorder.writer.pending > 0
    finally:
        other.execute("COMMIT")
        other.close()
    recorder.close("asked to stop")
    kinds = [e.kind for e in Store.open(db).log_entries()]
    assert "pain" in kinds


def test_timer_expiry_is_harmless_after_close(catalogue, db: Path) -> None:
    coach, recorder = start_session(catalogue, db)
    recorder.close("finished")
    for action in coach.handle(TimerExpired("t1", 99.0)):
        if isinstance(action, Log):
            recorder(action)  # logged as not saved, never raised


# --- safety holds are sticky; outcomes are recorded truthfully ------------------------------

HOLD_CUES = {script.RELEASE, script.HALFWAY, script.TEN_LEFT, "three", "two", "one"}


def cues_after(transcript, t: float) -> list[str]:
    return [
        r.action.text
        for r in transcript.records
        if r.t > t and isinstance(r.action, Say) and r.action.text in HOLD_CUES
    ]


@pytest.mark.parametrize("trouble", ["ow it hurts", "i've fallen over", "i can't get up"])
def test_stop_then_no_after_a_safety_report_does_not_restart_the_hold(
    catalogue, matcher, trouble: str
) -> None:
    lines = ["knee to chest", "ready", f"+10 {trouble}", "+5 stop", "+2 no", "+300 hello"]
    transcript, coach = run_session(catalogue, matcher, lines)
    declined = transcript.said(script.STOP_QUESTION)[0]
    assert not cues_after(transcript, declined.t)
    assert not [s for s in transcript.says() if "left" in s and s.startswith("Okay")]
    assert transcript.said(script.STOP_CANCELLED_ON_HOLD)
    assert not transcript.said(script.STOP_CANCELLED)


@pytest.mark.parametrize(
    ("trouble", "asides"),
    [
        ("ow it hurts", ["pause", "yes"]),  # a yes to nothing is not "resume"
        ("i've fallen over", ["yes"]),
        ("ow it hurts", ["i'm tired", "no"]),  # carrying on after tiredness
    ],
)
def test_only_an_explicit_resume_restarts_and_then_from_the_start_of_the_hold(
    catalogue, matcher, trouble: str, asides: list[str]
) -> None:
    lines = ["knee to chest", "ready", f"+10 {trouble}", *[f"+3 {a}" for a in asides]]
    transcript, _ = run_session(catalogue, matcher, [*lines, "+200 hello"])
    stopped = transcript.said(script.PAIN_STOP if "hurts" in trouble else script.EMERGENCY_STOP)
    assert not cues_after(transcript, stopped[0].t)
    transcript, _ = run_session(catalogue, matcher, [*lines, "+3 resume"])
    gentle = {script.RESUME_CAREFUL, script.RESUME_AFTER_EMERGENCY}
    gently = [r for r in transcript.records if getattr(r.action, "text", None) in gentle]
    assert gently
    assert [t for t in transcript.said(script.HALFWAY) if t.t > gently[-1].t]


def test_i_cant_get_up_asks_whether_they_have_fallen_and_yes_is_the_emergency_path(
    catalogue, matcher
) -> None:
    lines = ["knee to chest", "ready", "+10 i can't get up", "+3 yes"]
    transcript, coach = run_session(catalogue, matcher, lines)
    asked = transcript.said(script.FALL_QUESTION)[0]
    assert transcript.said(script.EMERGENCY_STOP)[0].t <= asked.t
    assert [r for r in transcript.said(script.EMERGENCY_HELP) if r.t >= asked.t]
    assert transcript.logs("cant_get_up") == [{"exercise": "knee_to_chest"}]
    assert transcript.logs("emergency") == [
        {"exercise": "knee_to_chest", "side": "left", "said": "yes"}
    ]


def test_i_cant_get_up_then_no_helps_them_up_and_pauses(catalogue, matcher) -> None:
    lines = ["knee to chest", "ready", "+10 i can't get up", "+3 no", "+300 hello"]
    transcript, coach = run_session(catalogue, matcher, lines)
    assert transcript.said(script.GET_UP_HELP)
    assert not transcript.logs("emergency")
    assert not cues_after(transcript, transcript.said(script.GET_UP_HELP)[0].t)


def test_silence_after_i_cant_get_up_is_never_taken_for_an_answer(catalogue, matcher) -> None:
    lines = ["knee to chest", "ready", "+10 i can't get up", "+900 hello"]
    transcript, coach = run_session(catalogue, matcher, lines)
    asked = transcript.said(script.FALL_QUESTION)[0]
    assert transcript.said(script.EMERGENCY_HELP)  # how to get help, once, then a quiet wait
    assert not cues_after(transcript, asked.t)
    assert not transcript.said(script.GET_UP_HELP)
    assert transcript.ended().reason == "input ended"


def test_cant_get_up_is_a_safety_intent_that_interrupts() -> None:
    from voicecoach.understand.flags import load_flags

    flags = load_flags()
    assert "cant_get_up" in flags.interrupting
    assert flags.table["cant_get_up"].safety


@pytest.mark.parametrize(
    ("lines", "outcome"),
    [
        (["+10 ow it hurts", "+3 stop", "+2 yes"], "pain"),
        (["+10 i've fallen over", "+3 stop", "+2 yes"], "emergency"),
        (["+10 i can't get up", "+3 yes", "+3 stop", "+2 yes"], "emergency"),
        (["+10 i'm tired", "+3 yes"], "tired"),
    ],
)
def test_an_exercise_cut_short_is_recorded_as_stopped_not_done(
    catalogue, matcher, db: Path, lines: list[str], outcome: str
) -> None:
    transcript, _ = run_session(catalogue, matcher, ["knee to chest", "ready", *lines])
    assert not transcript.logs("exercise_done")
    (stopped,) = transcript.logs("exercise_stopped")
    assert (stopped["exercise"], stopped["outcome"]) == ("knee_to_chest", outcome)
    with Store.open(db) as store:
        sid = store.start_session(None)
        for kind in LOG_ORDER(transcript):
            store.record(sid, kind)
        (entry,) = store.exercise_log()
        assert (entry.status, entry.reason) == ("stopped", outcome)
        assert store.progress().exercises_this_week == 0
        assert store.sessions()[0].done == 0


def LOG_ORDER(transcript) -> list[Log]:  # noqa: N802 - reads as a phrase in the test
    return [r.action for r in transcript.records if isinstance(r.action, Log)]


def test_skipping_after_pain_says_why_in_the_log(catalogue, matcher) -> None:
    transcript, _ = run_session(catalogue, matcher, ["knee to chest", "ready", "+5 ow it hurts",
                                                     "+3 skip"])  # fmt: skip
    assert transcript.logs("exercise_skipped")[0]["reason"] == "pain"


def test_a_finished_exercise_is_still_done(catalogue, matcher) -> None:
    transcript, _ = run_session(catalogue, matcher, ["knee to chest", "ready", "+600 stop", "yes"])
    assert transcript.logs("exercise_done")
    assert not transcript.logs("exercise_stopped")


# --- signals: the session is closed with its reason and the output WAV written ---------------


def _has_spoken(events: Path) -> bool:
    """The coach has put a line on the output timeline (a Say record has its end time)."""
    return (
        events.exists()
        and '"action": "say"' in events.read_text()
        and ('"end": ' in events.read_text())
    )


@pytest.mark.parametrize(("sig", "reason"), [("SIGTERM", "terminated"), ("SIGINT", "interrupted")])
def test_a_signal_closes_the_session_with_its_reason_and_writes_the_wav(
    tmp_path: Path, sig: str, reason: str
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time
    import wave

    from voicecoach.voice import synth

    audio_in = synth.write_wav(tmp_path / "in.wav", synth.silence(900))
    db, out, events = tmp_path / "v.db", tmp_path / "out.wav", tmp_path / "events.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "voicecoach", "run", "--engine", "pocketsphinx",
         "--audio-in", str(audio_in), "--audio-out", str(out), "--db", str(db),
         "--log", str(events)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": "."},
        # A suite started in the background (`cmd &` in a script) runs with SIGINT ignored,
        # which children inherit, and Python then never raises KeyboardInterrupt.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not _has_spoken(events) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(getattr(signal, sig))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
    with wave.open(str(out)) as w:
        assert w.getnframes() > 0  # the welcome, at least
    with Store.open(db) as store:
        assert store.sessions()[0].end_reason == reason


def test_audio_in_is_read_in_blocks_and_matches_reading_it_whole(tmp_path: Path) -> None:
    import numpy as np

    from voicecoach.hear.audio import WavStream, read_wav

    rng = np.random.default_rng(1)
    stereo = (rng.standard_normal((44100 * 3, 2)) * 3000).astype("<i2")
    path = tmp_path / "s.wav"
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(stereo.tobytes())
    stream = WavStream(path, block_seconds=0.5)
    chunks = iter(stream)
    next(chunks)
    assert stream._file.tell() < path.stat().st_size / 4  # only the first block was read
    whole = read_wav(path)
    streamed = b"".join(c.audio for c in WavStream(path, block_seconds=0.5))
    assert len(streamed) == len(whole)
    a = np.frombuffer(streamed, "<i2").astype(int)
    b = np.frombuffer(whole, "<i2").astype(int)
    assert np.max(np.abs(a - b)) <= 1


def test_the_no_microphone_hint_names_an_option_that_exists() -> None:
    from voicecoach.app.cli import build_parser
    from voicecoach.hear.audio import NO_INPUT_HELP

    run = build_parser()._subparsers._group_actions[0].choices["run"]  # type: ignore[union-attr]
    options = {o for a in run._actions for o in a.option_strings}
    named = {w.strip(".,") for w in NO_INPUT_HELP.split() if w.startswith("--")}
    assert named
    assert named <= options


# --- broken data and broken models: named, spoken, and the coach carries on -----------------


def packaged_copy(folder: Path) -> Path:
    from importlib import resources

    folder.mkdir(parents=True)
    for name in ("exercises.toml", "routines.toml"):
        (folder / name).write_bytes(resources.files("voicecoach.data").joinpath(name).read_bytes())
    return folder


def test_data_that_is_not_utf8_names_the_file_and_line(tmp_path: Path) -> None:
    from voicecoach.coach.catalogue import CatalogueError, load_catalogue

    data = packaged_copy(tmp_path / "data")
    text = (data / "exercises.toml").read_bytes()
    at = text.index(b"name = ")
    (data / "exercises.toml").write_bytes(text[:at] + b"\xe9" + text[at:])  # Latin-1, say
    line = text[:at].count(b"\n") + 1
    with pytest.raises(CatalogueError, match=rf"exercises.toml: not UTF-8.*line {line}.*UTF-8"):
        load_catalogue(data / "exercises.toml", data / "routines.toml")


def test_broken_exercises_fall_back_to_the_last_good_copy(tmp_path: Path, catalogue) -> None:
    from voicecoach.app.data import load_catalogue_safely

    good = load_catalogue_safely(tmp_path / "last-good", packaged_copy(tmp_path / "data"))
    assert good.problem is None
    broken = tmp_path / "data" / "exercises.toml"
    broken.write_text(broken.read_text().replace("[[exercise]]", "[[exercise]\n", 1))
    loaded = load_catalogue_safely(tmp_path / "last-good", tmp_path / "data")
    assert loaded.problem is not None
    assert "exercises.toml" in loaded.problem
    assert "line" in loaded.problem
    assert "reinstall" in loaded.problem
    assert set(loaded.catalogue.exercises) == set(catalogue.exercises)


def test_broken_exercises_with_no_good_copy_are_named_in_plain_words(tmp_path: Path) -> None:
    from voicecoach.app.data import DataTrouble, load_catalogue_safely

    data = packaged_copy(tmp_path / "data")
    (data / "exercises.toml").write_bytes(b"\xff\xfe broken")
    with pytest.raises(DataTrouble, match="exercises.toml: not UTF-8.*line 1") as err:
        load_catalogue_safely(tmp_path / "nothing-here", data)
    assert "Traceback" not in str(err.value)


def test_doctor_blames_the_data_not_the_recognizer(monkeypatch, tmp_path: Path) -> None:
    from voicecoach.app.commands import doctor
    from voicecoach.coach import catalogue as catalogue_module
    from voicecoach.coach.catalogue import CatalogueError

    def broken(*_: object) -> None:
        raise CatalogueError("exercises.toml: not valid TOML: Expected ']' (at line 3, column 9)")

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # no last good copy
    monkeypatch.setattr(catalogue_module, "load_catalogue", broken)
    monkeypatch.setattr("voicecoach.app.data.load_catalogue", broken)
    data = doctor.check_data()
    assert data.status == doctor.FAIL
    assert "exercises.toml" in data.message
    assert "line 3" in data.message
    recognizer = doctor.check_recognizer("pocketsphinx", None)
    assert recognizer.status != doctor.FAIL
    assert "pocketsphinx" not in recognizer.fix.lower()


def garbage_vosk_model(root: Path) -> Path:
    model = root / "vosk-model-small-en-us-0.15"
    for sub in ("am", "conf", "graph"):
        (model / sub).mkdir(parents=True)
    (model / "am" / "final.mdl").write_bytes(bytes(range(256)) * 20)
    (model / "conf" / "model.conf").write_text("garbage\n")
    (model / "graph" / "words.txt").write_text("a 1\n")
    return model


def test_a_garbage_vosk_model_gives_way_to_pocketsphinx_and_says_so(
    tmp_path: Path, monkeypatch, intent_set
) -> None:
    from voicecoach.hear.engines import describe_choice, open_with_fallback
    from voicecoach.hear.vocab import PhraseSource

    model = garbage_vosk_model(tmp_path)
    monkeypatch.setenv("VOICECOACH_MODELS", str(tmp_path))
    name, why = describe_choice(None, None)  # what `voicecoach models` tells
    assert name != "vosk"
    assert "Vosk with the model" not in why
    recognizer, fell_back = open_with_fallback("vosk", model, PhraseSource.from_intents(intent_set))
    assert recognizer.name != "vosk"
    assert fell_back is not None
    assert recognizer.name in fell_back


# --- level: loud, clipped and quiet speech heard alike ------------------------------------


def test_declip_gives_a_clipped_wave_its_peaks_back() -> None:
    import numpy as np

    from voicecoach.hear.level import CLIP_LEVEL, declip, level_utterance

    t = np.arange(1600) / 16000
    wave = 60000 * np.sin(2 * np.pi * 200 * t)
    clipped = np.clip(wave, -32768, 32767)
    redrawn = declip(clipped)
    tops = np.abs(redrawn) > CLIP_LEVEL * 1.2
    assert tops.any()  # humps above the flat tops, where the wave was cut
    assert np.all(np.sign(redrawn[tops]) == np.sign(wave[tops]))
    out = np.frombuffer(level_utterance(clipped.astype("<i2").tobytes()), "<i2")
    assert np.max(np.abs(out)) < 32000  # turned down: no longer clipped


def test_a_hard_clipped_wave_gets_humps_near_its_true_height() -> None:
    import numpy as np

    from voicecoach.hear.level import CLIP_LEVEL, declip

    t = np.arange(1600) / 16000
    wave = 6 * 32767 * np.sin(2 * np.pi * 200 * t)  # a +15 dB shout: the tops cut sixfold
    clipped = np.clip(wave, -32768, 32767)
    redrawn = declip(clipped)
    assert np.max(np.abs(redrawn)) > 3 * CLIP_LEVEL  # a flat top's hump is drawn tall
    # Closer to the wave that was cut than the flat tops were.
    assert np.corrcoef(redrawn, wave)[0, 1] > np.corrcoef(clipped, wave)[0, 1] + 0.03


def burst(amplitude: float, seconds: float = 0.6):  # -> np.ndarray
    """Speech-like: a 180 Hz buzz with a syllable envelope."""
    import numpy as np

    t = np.arange(int(16000 * seconds)) / 16000
    return amplitude * np.sin(2 * np.pi * 180 * t) * np.sin(np.pi * t / seconds) ** 0.5


def through(stage, x):  # -> np.ndarray
    import numpy as np

    out = [stage.process(x[i : i + 1600].astype("<i2").tobytes()) for i in range(0, len(x), 1600)]
    return np.frombuffer(b"".join(out) + stage.flush(), "<i2").astype(float)


def test_the_live_stage_leaves_ordinary_speech_untouched() -> None:
    import numpy as np

    from voicecoach.hear.level import StreamLevel

    pcm = (8000 * np.sin(np.arange(1600) / 5)).astype("<i2").tobytes()  # peaks near -12 dBFS
    stage = StreamLevel()
    assert stage.process(pcm) + stage.flush() == pcm


def test_the_live_stage_lifts_quiet_speech_but_not_the_pause_before_it() -> None:
    import numpy as np

    from voicecoach.hear.level import NOISE_CEILING, QUIET_PEAK_DBFS, StreamLevel

    rng = np.random.default_rng(1)
    hiss = rng.normal(0, 3, 16000)  # a quiet room, about -80 dBFS
    speech = burst(300.0)  # quiet speech: peaks near -40 dBFS
    x = np.concatenate([hiss, speech + hiss[: len(speech)], hiss])
    out = through(StreamLevel(), x)
    pause, said = out[:16000], out[16000 : 16000 + len(speech)]
    assert np.sqrt(np.mean(pause**2)) < 5  # the pause before speech is not turned up
    quiet = 10 ** (QUIET_PEAK_DBFS / 20) * 32767
    assert np.max(np.abs(said)) > 0.5 * quiet  # the words are (about 20 dB louder)
    after = out[16000 + len(speech) :]
    assert np.sqrt(np.mean(after**2)) <= NOISE_CEILING  # nor the hiss afterwards, past the cap


def test_the_live_stage_turns_a_shout_down_without_clipping_it_again() -> None:
    import numpy as np

    from voicecoach.hear.level import StreamLevel

    shout = np.clip(burst(10 * 32767.0), -32768, 32767)  # +20 dB: cut tenfold
    out = through(StreamLevel(), np.concatenate([np.zeros(4800), shout]))
    assert np.mean(np.abs(out) >= 32000) < 0.001  # no flat tops left


def test_the_live_stage_meets_a_shout_before_its_first_loud_sound_passes() -> None:
    import numpy as np

    from voicecoach.hear.level import StreamLevel, level_utterance

    # A shout's quieter consonant, then its clipped vowel: without looking ahead the gain
    # fell only once the vowel had come, so the consonant and the vowel's start went on
    # at full volume (re-clipped, 20 dB louder than the rest).
    rng = np.random.default_rng(2)
    consonant = rng.normal(0, 6000, 1200)  # 75 ms of hiss, unclipped
    vowel = np.clip(burst(10 * 32767.0, 0.3), -32768, 32767)
    x = np.concatenate([np.zeros(4800), consonant, vowel, np.zeros(4800)])
    live = through(StreamLevel(), np.clip(x, -32768, 32767))
    whole = np.frombuffer(level_utterance(np.clip(x, -32768, 32767).astype("<i2").tobytes()), "<i2")
    assert len(live) == len(x)  # everything fed comes out once, in order
    assert np.max(np.abs(live)) <= 1.1 * np.max(np.abs(whole))  # as loud as the file path's
    start = 4800 + 1200
    assert np.max(np.abs(live[4800:start])) < 0.5 * np.max(np.abs(live[start:]))


def test_a_clipped_run_across_two_chunks_is_redrawn_as_if_whole() -> None:
    import numpy as np

    from voicecoach.hear.level import StreamLevel

    shout = np.clip(burst(10 * 32767.0, 0.3), -32768, 32767)
    x = np.concatenate([np.zeros(1600), shout, np.zeros(1600)])
    outs = []
    for size in (1600, 1597, 333):  # chunk edges fall inside different clipped runs
        stage = StreamLevel()
        pieces = [stage.process(x[i : i + size].astype("<i2").tobytes())
                  for i in range(0, len(x), size)]  # fmt: skip
        outs.append(np.frombuffer(b"".join(pieces) + stage.flush(), "<i2").astype(float))
    assert all(len(out) == len(x) for out in outs)
    assert np.max(np.abs(outs[1] - outs[0])) <= 1
    assert np.max(np.abs(outs[2] - outs[0])) <= 1


class RecordingDecoder:
    """Test double for IncrementalDecoder: keeps each utterance's audio, hears nothing."""

    def __init__(self) -> None:
        self.utterances: list[bytes] = []
        self._pieces: list[bytes] = []

    def begin(self) -> None:
        self._pieces = []

    def accept(self, pcm: bytes) -> None:
        self._pieces.append(pcm)

    def finish(self):  # -> Transcript
        from voicecoach.hear.recognizer import Transcript

        self.utterances.append(b"".join(self._pieces))
        return Transcript("", 0.0)

    def peek(self):  # -> Transcript
        from voicecoach.hear.recognizer import Transcript

        return Transcript("", 0.0)

    def abandon(self) -> None:
        self._pieces = []


@pytest.mark.skipif(
    "slt" not in __import__("voicecoach.voice.synth").voice.synth.available_voices(),
    reason="flite is needed to synthesize test speech",
)
def test_the_live_path_gives_the_recognizer_a_shout_whole_and_levelled_as_a_file() -> None:
    """What Whisper (and the safety rescue, which scores the same audio) gets from `run`'s
    live path for a +20 dB "stop": the whole word, from before its first sound, levelled
    as `recognize` levels a file, with no flat tops.  (It used to begin inside the word,
    and its first syllable came through clipped.)"""
    import numpy as np

    from voicecoach.hear.audio import pcm_chunks
    from voicecoach.hear.engine_whisper import whisper_denoiser
    from voicecoach.hear.level import CLIP_LEVEL, LevelledStream, StreamLevel, level_utterance
    from voicecoach.hear.recognizer import DecodingStream
    from voicecoach.hear.vad import SileroEndpointer
    from voicecoach.voice import synth

    for voice in ("slt", "kal16"):
        said = np.frombuffer(synth.synthesize("stop", voice, seed=3), "<i2").astype(float)
        loud = np.clip(np.round(said * 10), -32768, 32767).astype("<i2").tobytes()
        decoder = RecordingDecoder()
        inner = DecodingStream(decoder, 0.8, whisper_denoiser(), SileroEndpointer)
        stream = LevelledStream(inner, StreamLevel())
        for chunk in pcm_chunks(synth.silence(1.0) + loud + synth.silence(1.5), 0.1):
            stream.feed(chunk)
        stream.flush()
        assert len(decoder.utterances) == 1, voice
        got = np.frombuffer(decoder.utterances[0], "<i2").astype(float)
        # The word itself (its faint lead-in may come through louder: nothing loud is
        # coming yet), with room before it, as a file has.
        word = int(np.flatnonzero(np.abs(got) > 0.1 * np.max(np.abs(got)))[0])
        assert word > 0.15 * 16000, voice
        as_file = np.frombuffer(level_utterance(loud), "<i2").astype(float)
        assert np.max(np.abs(got)) <= 1.05 * np.max(np.abs(as_file)), voice
        assert np.mean(np.abs(got) >= CLIP_LEVEL) == 0, voice


@pytest.mark.skipif(
    not {"espeak-f3", "kal16"}
    <= set(__import__("voicecoach.voice.synth").voice.synth.available_voices()),
    reason="espeak-ng and flite are needed to synthesize test speech",
)
def test_ive_fallen_shouted_and_clipped_is_an_emergency_on_the_live_path(matcher) -> None:
    """+20 dB (cut tenfold), through `run`'s live path with the default engine: espeak-f3's
    was heard as nothing before the stage looked ahead and the VAD kept 0.5 s before."""
    import numpy as np

    from voicecoach.hear.audio import pcm_chunks
    from voicecoach.hear.engine_whisper import WhisperRecognizer
    from voicecoach.hear.level import Levelled
    from voicecoach.hear.recognizer import joined
    from voicecoach.understand.rejection import understand
    from voicecoach.voice import synth

    recognizer = Levelled(WhisperRecognizer())
    for voice in ("espeak-f3", "kal16"):
        said = np.frombuffer(synth.synthesize("i've fallen", voice, seed=3), "<i2")
        loud = np.clip(np.round(said.astype(float) * 10), -32768, 32767).astype("<i2")
        stream = recognizer.stream(0.8)
        heard = []
        for chunk in pcm_chunks(synth.silence(1.0) + loud.tobytes() + synth.silence(1.5), 0.1):
            heard += stream.feed(chunk)
        transcript = joined(heard + stream.flush())
        assert understand(transcript, matcher).intent == "emergency", (voice, transcript.text)


@pytest.mark.skipif(
    "slt" not in __import__("voicecoach.voice.synth").voice.synth.available_voices(),
    reason="flite is needed to synthesize test speech",
)
def test_it_hurts_shouted_and_clipped_is_still_it_hurts(intent_set, matcher) -> None:
    import numpy as np

    from voicecoach.hear.engine_whisper import WhisperRecognizer
    from voicecoach.hear.level import Levelled
    from voicecoach.understand.rejection import understand
    from voicecoach.voice import synth

    # The default engine.  (PocketSphinx, the fallback, still loses it at +15-20 dB: its
    # grammar-bound language model bends clipped sound towards other commands.)  Unlevelled,
    # kal16's +25 and +30 dB "stop" is heard as "start".
    recognizer = Levelled(WhisperRecognizer())
    cases = [
        ("it hurts", "pain", "slt", (-30, 0, 15, 20)),
        ("it hurts", "pain", "rms", (-30, 0, 15, 25)),
        ("stop", "stop", "kal16", (25, 30)),
    ]  # +15 dB and more clip hard
    for text, intent, voice, levels in cases:
        pcm = np.frombuffer(synth.synthesize(text, voice, seed=3), "<i2").astype(float)
        for db in levels:
            loud = np.clip(np.round(pcm * 10 ** (db / 20)), -32768, 32767)
            heard = recognizer.transcribe(loud.astype("<i2").tobytes())
            assert understand(heard, matcher).intent == intent, (voice, db, heard.text)


def test_every_wav_width_decodes_to_the_same_samples_within_its_step() -> None:
    import numpy as np

    from voicecoach.bench.reliability import wav_of_width
    from voicecoach.hear.audio import read_wav

    x = 0.01 * np.sin(np.arange(3200) / 7)  # quiet: -40 dBFS
    want = x * 32768
    for width, step in (("8", 256), ("16", 1), ("24", 1), ("32", 1), ("f32", 1)):
        got = np.frombuffer(read_wav(wav_of_width(x, width)), "<i2").astype(float)
        # Within half a step of the width (plus rounding to 16 bits); 8-bit is unsigned,
        # so a sign error would be off by full scale, not by a step.
        assert np.max(np.abs(got - want)) <= step / 2 + 1, width


@pytest.mark.skipif(
    "slt" not in __import__("voicecoach.voice.synth").voice.synth.available_voices(),
    reason="flite is needed to synthesize test speech",
)
def test_safety_words_read_from_any_wav_width_normal_and_quiet(matcher) -> None:
    import numpy as np

    from voicecoach.bench.reliability import wav_of_width
    from voicecoach.hear.audio import read_wav
    from voicecoach.hear.engine_whisper import WhisperRecognizer
    from voicecoach.hear.level import Levelled
    from voicecoach.understand.rejection import understand
    from voicecoach.voice import synth

    recognizer = Levelled(WhisperRecognizer())
    pcm = np.frombuffer(synth.synthesize("it hurts", "rms", seed=3), "<i2") / 32768.0
    # 8-bit keeps 48 dB: quiet 8-bit speech is the format's limit (docs/benchmarks.md).
    cases = [(w, db) for w in ("16", "24", "32", "f32") for db in (0, -30)] + [("8", 0)]
    for width, db in cases:
        heard = recognizer.transcribe(read_wav(wav_of_width(pcm * 10 ** (db / 20), width)))
        assert understand(heard, matcher).intent == "pain", (width, db, heard.text)


def test_a_disk_that_filled_between_sessions_still_takes_the_journal(
    catalogue, small_disk: Path
) -> None:
    db = small_disk / "voicecoach.db"
    _, first = start_session(catalogue, db)
    first.close("finished")  # leaves its reservation as the spare
    filler = fill_disk(small_disk)
    coach, recorder = start_session(catalogue, db)  # full before the session's row
    assert script.NOTEBOOK_UNAVAILABLE in coach.warnings
    for action in coach.handle(Heard("start", 1.0)) + coach.handle(Heard("pain", 2.0)):
        if isinstance(action, Log):
            recorder(action)
    recorder.close("terminated", timeout=0.5)
    assert recorder.writer is not None
    assert recorder.writer.spilled
    filler.unlink()
    _, again = start_session(catalogue, db)
    again.close("finished")
    with Store.open(db) as store:
        assert [e.kind for e in store.log_entries()].count("pain") == 1
        assert "terminated" in [s.end_reason for s in store.sessions()]


@pytest.mark.skipif(
    not {"slt", "rms", "awb"}
    <= set(__import__("voicecoach.voice.synth").voice.synth.available_voices()),
    reason="flite is needed to synthesize test speech",
)
def test_pocketsphinx_hears_it_hurts_shouted_and_whispered_on_both_paths(
    intent_set, matcher
) -> None:
    """The fallback engine, no fakes: +20 dB (cut tenfold) through `recognize` and `run`'s
    live path, and -30 dB through the live path.  Before the cubic humps and the stream's
    gain, all of these were lost."""
    import numpy as np

    from voicecoach.hear.audio import pcm_chunks
    from voicecoach.hear.engine_pocketsphinx import PocketSphinxRecognizer
    from voicecoach.hear.level import Levelled
    from voicecoach.hear.recognizer import joined
    from voicecoach.hear.vocab import PhraseSource
    from voicecoach.understand.rejection import understand
    from voicecoach.voice import synth

    recognizer = Levelled(PocketSphinxRecognizer(PhraseSource.from_intents(intent_set)))

    def live(pcm: bytes):
        stream = recognizer.stream(0.8)
        heard = []
        for chunk in pcm_chunks(synth.silence(1.0) + pcm + synth.silence(1.5), 0.1):
            heard += stream.feed(chunk)
        return joined(heard + stream.flush())

    for voice in ("slt", "rms", "awb"):
        pcm = np.frombuffer(synth.synthesize("it hurts", voice, seed=3), "<i2").astype(float)
        for db, paths in ((20, (recognizer.transcribe, live)), (-30, (live,))):
            level = np.clip(np.round(pcm * 10 ** (db / 20)), -32768, 32767).astype("<i2")
            for hear in paths:
                heard = hear(level.tobytes())
                assert understand(heard, matcher).intent == "pain", (voice, db, heard.text)


def test_a_journal_that_outgrows_its_reservation_on_a_full_disk_keeps_what_fits(
    small_disk: Path,
) -> None:
    from voicecoach.memory import journal

    db = small_disk / "voicecoach.db"
    spill = journal.Journal(db)
    fill_disk(small_disk)
    entries = [(float(i), big(i)) for i in range(200)]  # about 200 kB: three times the room
    left = spill.spill(None, entries)
    assert 0 < len(left) < len(entries)
    kept = journal.read(spill.path).entries
    assert [t for t, _ in kept] == [t for t, _ in entries[: len(entries) - len(left)]]
