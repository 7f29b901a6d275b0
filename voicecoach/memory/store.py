"""The profile and the session log, in one SQLite file that survives power cuts.

Theory of operation
-------------------
The coach emits `Log(kind, data)` actions as things happen; the runtime hands each one to
`Store.record`, which writes it in its own transaction (WAL journal, synchronous=FULL), so
pulling the plug or SIGKILL loses at most the step in progress.  Every log is kept raw in
the `log` table; `exercises` holds one row per exercise attempt (done, skipped, swapped and
why, reps and hold seconds, pain and tiredness reports), kept up to date as logs arrive, so
history and reports are plain queries.  `constraint`, `voice` and easier/harder `swapped`
logs also update the profile that the next session starts from.

A session never ended by the coach (the process died) is marked "interrupted" when the next
one starts; `interrupted()` tells where the last one stopped so the coach can offer to
carry on.

A damaged file is never deleted: it is moved aside to `<name>.corrupt-<time>` and a fresh
database is started, with `warning` saying so.  A database locked by another process is
waited for (busy timeout) and then reported as a StoreError in plain words; a log that
could not be written stays queued and is written with the next one.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voicecoach.coach.events import Log
from voicecoach.coach.profile import Profile, Progress, ResumePoint

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
"""2: exercises may be 'stopped' (for pain, an emergency, tiredness, on request)."""
DEFAULT_BUSY_TIMEOUT = 5.0
"""Seconds to wait for another process that holds the database."""

#: `swapped` reasons that mean "this is the version I can do" and are remembered.
PREFERENCE_REASONS = ("easier", "harder")

#: end_session reasons that still deserve a resume offer (the coach did not choose to end):
#: the runtime uses "terminated" on SIGTERM (shutdown, service stop) and "error" on a crash.
RESUMABLE_END_REASONS = ("interrupted", "terminated", "error")

#: What the coach can say when the database had to be replaced (no paths: it is spoken).
SPOKEN_CORRUPT_WARNING = (
    "My saved history was damaged, so I put it aside and started a fresh one. "
    "Your settings are back to the defaults."
)

_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated REAL NOT NULL);
CREATE TABLE constraints (name TEXT PRIMARY KEY, since REAL NOT NULL);
CREATE TABLE preferred (
    exercise TEXT PRIMARY KEY, alternative TEXT NOT NULL, updated REAL NOT NULL
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    started REAL NOT NULL,
    last_activity REAL NOT NULL,
    ended REAL,
    end_reason TEXT,
    routine TEXT,
    plan TEXT  -- JSON list of exercise ids, from the `routine` log
);
CREATE TABLE log (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    t REAL NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL  -- JSON
);
CREATE INDEX log_session ON log(session_id);
CREATE TABLE exercises (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    position INTEGER,  -- exercise_start's index, in the coach's numbering
    total INTEGER,
    exercise TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('started', 'done', 'skipped', 'swapped', 'stopped')),
    swapped_to TEXT,
    reason TEXT,
    reps INTEGER,
    hold_seconds REAL,
    pain INTEGER NOT NULL DEFAULT 0,
    tired INTEGER NOT NULL DEFAULT 0,
    started REAL NOT NULL,
    finished REAL
);
CREATE INDEX exercises_session ON exercises(session_id);
"""


class StoreError(RuntimeError):
    """The database cannot be used; the message says what is wrong and what was done."""

    def __init__(self, message: str, cause: str = "other") -> None:
        super().__init__(message)
        self.cause = cause
        """One of "locked", "full", "readonly", "damaged", "other": what a retry can hope for."""

    @property
    def passing(self) -> bool:
        """True when waiting may cure it (another program's lock, a disk that fills up)."""
        return self.cause in ("locked", "full")


@dataclass(frozen=True)
class SessionSummary:
    """One session, for `voicecoach history` and the report."""

    id: int
    started: float
    """Unix time the session started."""
    ended: float | None
    """Unix time it ended (for an interrupted session: its last activity); None if open."""
    end_reason: str | None
    """Why it ended, as the coach said ("interrupted" if the process died), None if open."""
    routine: str | None
    minutes: float
    done: int
    skipped: int
    swapped: int
    pain: int
    tired: int
    stopped: int = 0
    """Exercises stopped part-way (for pain, an emergency, tiredness, on request)."""


@dataclass(frozen=True)
class ExerciseEntry:
    """One exercise attempt within a session (the per-exercise log)."""

    session_id: int
    session_started: float
    routine: str | None
    position: int | None
    exercise: str
    status: str
    """started (never finished), done, skipped, swapped or stopped (`reason` says why:
    pain, emergency, tired, asked to stop, ...)."""
    swapped_to: str | None
    reason: str | None
    reps: int | None
    hold_seconds: float | None
    pain: int
    tired: int
    started: float
    finished: float | None


@dataclass(frozen=True)
class LogEntry:
    """One raw Log action as recorded."""

    session_id: int
    t: float
    kind: str
    data: dict[str, Any]


def _is_locked(e: sqlite3.Error) -> bool:
    text = str(e).lower()
    return "locked" in text or "busy" in text


def _is_corrupt(e: sqlite3.Error) -> bool:
    # "file is not a database" and "database disk image is malformed" are plain
    # DatabaseErrors; OperationalError means locked, unreadable, full: not damage.
    return isinstance(e, sqlite3.DatabaseError) and not isinstance(e, sqlite3.OperationalError)


def _cause(e: sqlite3.Error) -> str:
    text = str(e).lower()
    if _is_locked(e):
        return "locked"
    if "full" in text:
        return "full"
    if "readonly" in text or "read-only" in text:
        return "readonly"
    return "damaged" if _is_corrupt(e) else "other"


def _error(e: sqlite3.Error, path: Path) -> StoreError:
    return StoreError(_plain(e, path), _cause(e))


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back whatever is open.  SQLite has often rolled back by itself already (a COMMIT
    that failed on a full disk), and a ROLLBACK then fails: that must not hide the cause."""
    if not conn.in_transaction:
        return
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error as e:
        log.debug("rollback failed after an error: %s", e)


def _plain(e: sqlite3.Error, path: Path) -> str:
    """A sentence a carer can act on, for errors other than damage."""
    text = str(e).lower()
    if _is_locked(e):
        return (
            f"the database {path} is in use by another program (is another voicecoach "
            "running?); nothing was lost, the last entry is kept and will be written next time"
        )
    if "readonly" in text or "read-only" in text:
        return f"the database {path} cannot be written (read-only); check its permissions"
    if "full" in text:
        return f"the disk holding {path} is full; free some space"
    if "unable to open" in text:
        return f"cannot open the database {path}; check that the folder exists and is writable"
    return f"the database {path} failed: {e}"


class Store:
    """Profile and session log in SQLite; see the module docstring."""

    def __init__(
        self,
        path: Path | str,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        self.path = Path(path).expanduser()
        self.clock = clock
        self.busy_timeout = busy_timeout
        self.warning: str | None = None
        """Set when the database had to be replaced: what happened, with paths (for logs)."""
        self.spoken_warning: str | None = None
        """The same, in a sentence the coach can say (None when all is well)."""
        self.moved_aside: Path | None = None
        self._lock = threading.RLock()
        self._pending: list[tuple[int, float, Log]] = []
        # The coach can start over after a session ended ("start again") while the runtime
        # keeps its session id; such a restart gets its own row, and later logs follow it.
        self._redirect: dict[int, int] = {}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the folder for the database {self.path}: {e}") from e
        self._conn = self._connect_checked()

    @classmethod
    def open(
        cls,
        path: Path | str,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> Store:
        """Open (or create) the database, replacing a damaged one; see `warning`."""
        return cls(path, clock=clock, busy_timeout=busy_timeout)

    # --- opening -----------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path,
            timeout=self.busy_timeout,
            isolation_level=None,  # we issue BEGIN/COMMIT ourselves: one transaction per log
            check_same_thread=False,  # the runtime may record from its own thread; _lock guards
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        return conn

    def _connect_checked(self) -> sqlite3.Connection:
        try:
            conn = self._connect()
        except sqlite3.Error as e:
            raise _error(e, self.path) from e
        try:
            self._check_and_prepare(conn)
        except StoreError:
            conn.close()
            raise
        except sqlite3.Error as e:
            conn.close()
            if not _is_corrupt(e):
                raise _error(e, self.path) from e
            self._move_aside(str(e))
            try:
                conn = self._connect()
            except sqlite3.Error as e2:
                raise StoreError(f"{self.warning}, but the new one failed too: {e2}") from e2
            try:
                self._check_and_prepare(conn)
            except (sqlite3.Error, StoreError) as e2:
                conn.close()
                raise StoreError(f"{self.warning}, but the new one failed too: {e2}") from e2
        return conn

    def _check_and_prepare(self, conn: sqlite3.Connection) -> None:
        rows = conn.execute("PRAGMA quick_check").fetchall()
        problems = [r[0] for r in rows if r[0] != "ok"]
        if problems:
            raise sqlite3.DatabaseError("integrity check failed: " + "; ".join(problems[:3]))
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit is on the SD card before record() returns, so a power cut keeps it.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        self._migrate(conn)

    def _migrate(self, conn: sqlite3.Connection) -> None:
        has_table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone()
        if has_table:
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                raise sqlite3.DatabaseError("schema_version table is empty")
            if row[0] > SCHEMA_VERSION:
                raise StoreError(
                    f"the database {self.path} was written by a newer voicecoach "
                    f"(format {row[0]}, this one reads up to {SCHEMA_VERSION}); update voicecoach"
                )
            if row[0] < SCHEMA_VERSION:
                self._upgrade(conn, row[0])
            return
        tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        if tables:
            raise StoreError(
                f"{self.path} is a database of some other program, not voicecoach's; "
                "it was left untouched: choose another file with --db or db_path"
            )
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise

    def _upgrade(self, conn: sqlite3.Connection, version: int) -> None:
        """Bring an older file up to SCHEMA_VERSION, in one transaction."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            if version < 2:
                # SQLite cannot change a CHECK constraint in place: rebuild the table.
                create = _SCHEMA[_SCHEMA.index("CREATE TABLE exercises") :]
                create = create[: create.index(";")].replace(
                    "CREATE TABLE exercises", "CREATE TABLE exercises_new"
                )
                conn.execute(create)
                conn.execute("INSERT INTO exercises_new SELECT * FROM exercises")
                conn.execute("DROP TABLE exercises")
                conn.execute("ALTER TABLE exercises_new RENAME TO exercises")
                conn.execute("CREATE INDEX exercises_session ON exercises(session_id)")
            conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
            conn.execute("COMMIT")
        except BaseException:
            _rollback(conn)
            raise

    def _move_aside(self, why: str) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self.clock()))
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while aside.exists():
            n += 1
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        try:
            self.path.rename(aside)
            # Keep the journal files next to the copy, under the names SQLite looks for.
            for suffix in ("-wal", "-shm", "-journal"):
                extra = self.path.with_name(self.path.name + suffix)
                if extra.exists():
                    extra.rename(aside.with_name(aside.name + suffix))
        except OSError as e:
            raise StoreError(
                f"the database {self.path} is damaged ({why}) and could not be moved aside: {e}; "
                "move or rename it by hand, then start again"
            ) from e
        self.moved_aside = aside
        self.warning = (
            f"the database {self.path} was damaged ({why}); it was moved aside to {aside} "
            "(nothing was deleted); starting fresh"
        )
        self.spoken_warning = SPOKEN_CORRUPT_WARNING
        log.warning(self.warning)

    # --- writing -----------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; sqlite errors become StoreError in plain words."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                raise _error(e, self.path) from e
            try:
                yield conn
                conn.execute("COMMIT")
            except sqlite3.Error as e:
                _rollback(conn)
                raise _error(e, self.path) from e
            except BaseException:
                _rollback(conn)
                raise

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._conn.execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as e:
                raise _error(e, self.path) from e

    def _set(self, conn: sqlite3.Connection, key: str, value: Any) -> None:
        conn.execute(
            "INSERT INTO settings (key, value, updated) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated = excluded.updated",
            (key, json.dumps(value), self.clock()),
        )

    def save_voice(self, rate: int, volume: float) -> None:
        with self._write() as conn:
            self._set(conn, "rate", int(rate))
            self._set(conn, "volume", float(volume))

    def save_constraints(self, constraints: Iterable[str]) -> None:
        """Replace the standing constraints with these."""
        with self._write() as conn:
            self._on_constraint(conn, 0, self.clock(), {"active": list(constraints)})

    def _add_constraint(self, conn: sqlite3.Connection, name: str) -> None:
        conn.execute(
            "INSERT OR IGNORE INTO constraints (name, since) VALUES (?, ?)", (name, self.clock())
        )

    def save_preferred(self, exercise: str, alternative: str) -> None:
        with self._write() as conn:
            self._prefer(conn, exercise, alternative)

    def _prefer(self, conn: sqlite3.Connection, exercise: str, alternative: str) -> None:
        now = self.clock()
        # Whatever led to `exercise` now leads to `alternative`, so the coach never has to
        # follow a chain; and the chosen version must not itself be swapped away (no loops).
        conn.execute(
            "UPDATE preferred SET alternative = ?, updated = ? WHERE alternative = ?",
            (alternative, now, exercise),
        )
        conn.execute("DELETE FROM preferred WHERE exercise = ?", (alternative,))
        conn.execute(
            "INSERT INTO preferred (exercise, alternative, updated) VALUES (?, ?, ?) "
            "ON CONFLICT(exercise) DO UPDATE SET "
            "alternative = excluded.alternative, updated = excluded.updated",
            (exercise, alternative, now),
        )
        # Going back to the original (harder after easier) means no preference at all.
        conn.execute("DELETE FROM preferred WHERE exercise = alternative")

    def start_session(self, routine: str | None = None) -> int:
        """Begin a session log; earlier sessions that never ended are marked interrupted."""
        now = self.clock()
        with self._write() as conn:
            conn.execute(
                "UPDATE sessions SET ended = last_activity, end_reason = 'interrupted' "
                "WHERE ended IS NULL"
            )
            return self._new_session(conn, now, routine)

    def record(self, session_id: int, entry: Log, t: float | None = None) -> None:
        """Write one Log action (and any queued earlier) in one transaction.

        `t` is when it happened (default: now).  If the database is locked the log is
        queued and StoreError raised; the queue is written with the next record() or at
        close().
        """
        with self._lock:
            # A wrong id is a bug, not a passing lock: refuse it rather than queue it forever.
            if not self._read("SELECT 1 FROM sessions WHERE id = ?", (session_id,)):
                raise StoreError(f"there is no session {session_id} in {self.path}")
            self._pending.append((session_id, self.clock() if t is None else t, entry))
            self._flush()

    def write(self, items: Iterable[tuple[int, float, Log]]) -> None:
        """Write (session id, time, log) items in one transaction, all or none.

        Unlike record(), nothing is kept on failure: the caller (the write-behind queue,
        voicecoach.memory.writer) keeps the items and tries again.
        """
        with self._lock:
            self._write_logs(list(items))

    def _flush(self) -> None:
        self._write_logs(self._pending)
        self._pending.clear()

    def _write_logs(self, items: list[tuple[int, float, Log]]) -> None:
        if not items:
            return
        redirect = dict(self._redirect)
        with self._write() as conn:
            for session_id, t, entry in items:
                sid = redirect.get(session_id, session_id)
                if entry.kind == "session_start" and self._has_ended(conn, sid):
                    redirect[session_id] = sid = self._new_session(conn, t, None)
                self._apply(conn, sid, t, entry)
        # Only after the commit: a rolled-back restart must not leave a dangling redirect.
        self._redirect = redirect

    def _has_ended(self, conn: sqlite3.Connection, sid: int) -> bool:
        row = conn.execute("SELECT ended FROM sessions WHERE id = ?", (sid,)).fetchone()
        return row is not None and row["ended"] is not None

    def _new_session(self, conn: sqlite3.Connection, t: float, routine: str | None) -> int:
        cur = conn.execute(
            "INSERT INTO sessions (started, last_activity, routine) VALUES (?, ?, ?)",
            (t, t, routine),
        )
        return int(cur.lastrowid or 0)

    def end_session(self, session_id: int, reason: str, t: float | None = None) -> None:
        """End the session unless the coach's session_end log already did."""
        with self._lock:
            self._flush()
            sid = self._redirect.get(session_id, session_id)
            with self._write() as conn:
                if not self._has_ended(conn, sid):
                    self._end(conn, sid, self.clock() if t is None else t, reason)

    def _end(self, conn: sqlite3.Connection, session_id: int, t: float, reason: str) -> None:
        conn.execute(
            "UPDATE sessions SET ended = ?, end_reason = ?, last_activity = ? WHERE id = ?",
            (t, reason, t, session_id),
        )

    # --- applying one log --------------------------------------------------------------------

    def _apply(self, conn: sqlite3.Connection, session_id: int, t: float, entry: Log) -> None:
        data = dict(entry.data)
        conn.execute(
            "INSERT INTO log (session_id, t, kind, data) VALUES (?, ?, ?, ?)",
            (session_id, t, entry.kind, json.dumps(data, default=str)),
        )
        conn.execute("UPDATE sessions SET last_activity = ? WHERE id = ?", (t, session_id))
        handler = _HANDLERS.get(entry.kind)
        if handler is None:
            log.debug("stored log of unknown kind %r", entry.kind)
            return
        handler(self, conn, session_id, t, data)

    def _on_session_start(self, conn: sqlite3.Connection, sid: int, t: float, d: dict) -> None:
        if d.get("routine"):
            conn.execute("UPDATE sessions SET routine = ? WHERE id = ?", (d["routine"], sid))

    def _on_routine(self, conn: sqlite3.Connection, sid: int, t: float, d: dict) -> None:
        plan = [str(e) for e in d.get("exercises") or []]
        conn.execute(
            "UPDATE sessions SET routine = COALESCE(?, routine), plan = ? WHERE id = ?",
            (d.get("routine"), json.dumps(plan), sid),
        )

    def _current(self, conn: sqlite3.Connection, sid: int, exercise: str | None) -> Any:
        """The row an exercise log refers to: its latest unfinished attempt, else its latest."""
        if exercise is None:
            return conn.execute(
                "SELECT * FROM exercises WHERE session_id = ? ORDER BY id DESC LIMIT 1", (sid,)
            ).fetchone()
        return conn.execute(
            "SELECT * FROM exercises WHERE session_id = ? AND exercise = ? "
            "ORDER BY status = 'started' DESC, id DESC LIMIT 1",
            (sid, exercise),
        ).fetchone()

    def _row_for(self, conn: sqlite3.Connection, sid: int, t: float, exercise: str) -> int:
        """Id of the row for `exercise`, creating one if the start was never logged."""
        row = self._current(conn, sid, exercise)
        if row is not None:
            return int(row["id"])
        last = self._current(conn, sid, None)
        cur = conn.execute(
            "INSERT INTO exercises (session_id, position, total, exercise, status, started) "
            "VALUES (?, ?, ?, ?, 'started', ?)",
            (
                sid,
                last["position"] if last is not None else None,
                last["total"] if last is not None else None,
                exercise,
                t,
            ),
        )
        return int(cur.lastrowid or 0)

    def _on_exercise_start(self, conn: sqlite3.Connection, sid: int, t: float, d: dict) -> None:
        exercise, index, total = str(d.get("exercise")), d.get("index"), d.get("total")
        last = self._current(conn, sid, None)
        if (
            last is not None
            and last["status"] == "started"
            and last["exercise"] == exercise
            and last["position"] == index
        ):
            return  # already open (a swap opened it, or the start was logged twice)
        conn.execute(
            "INSERT INTO exercises (session_id, position, total, exercise, status, started) "
            "VALUES (?, ?, ?, ?, 'started', ?)",
            (sid, index, total, exercise, t),
        )

    def _on_exercise_done(self, conn: sqlite3.Connection, sid: int, t: float, d: dict) -> None:
        row = self._row_for(conn, sid, t, str(d.get("exercise")))
        conn.execute(
            "UPDATE exercises SET status = 'done', reps = ?, hold_seconds = ?, finished = ? "
            "WHERE id = ?",
            (d.get("reps"), d.get("hold_seconds"), t, row),
        )

    def _on_exercise_stopped(self, conn: sqlite3.Connection, sid: int, t: float, d: dict) -> None:
        row = self._row_for(conn, sid, t, str(d.get("exercise")))
        conn.execute(
            "UPDATE exercises SET status = 'stopped', reason = ?, reps = ?, hold_seconds = ?, "
            "finished = ? WHERE id = ?",
            (d.get("outcome"), d.get("reps"), d.get("hold_seconds"), t, row),
        )

    def _on_exercise_skipped(self, conn: sqlite3.Connection, sid: int, t: float, d: dict) -> None:
        row = self._row_for(conn, sid, t, str(d.get("exercise")))
        conn.execute(
            "UPDATE exercises SET status = 'skipped', reason = ?, finished = ? WHERE id = ?",
            (d.get("reason"), t, row),
        )

    def _on_swapped(self, conn: sqlite3.Connection, sid: int, t: float, d: dict) -> None:
        exercise, to, reason = str(d.get("exercise")), str(d.get("to")), d.get("reason")
        row_id = self._row_for(conn, sid, t, exercise)
        conn.execute(
            "UPDATE exercises SET status = 'swapped', swapped_to = ?, reason = ?, finished = ? "
            "WHERE id = ?",
            (to, reason, t, row_id),
        )
        row = conn.execute("SELECT * FROM exercises WHERE id = ?", (row_id,)).fetchone()
        conn.execute(
            "INSERT INTO exercises (session_id, position, total, exercise, status, started) "
            "VALUES (?, ?, ?, ?, 'started', ?)",
            (sid, row["position"], row["total"], to, t),
        )
        if reason in PREFERENCE_REASONS:
            self._prefer(conn, exercise, to)

    def _bump(self, conn: sqlite3.Connection, sid: int, column: str, d: dict) -> None:
        """Count a pain or tiredness report against the exercise it was about."""
        exercise = d.get("exercise")
        if not exercise:
            return  # between exercises: only the raw log (and the session's count) has it
        row = self._current(conn, sid, str(exercise))
        if row is not None:
            conn.execute(f"UPDATE exercises SET {column} = {column} + 1 WHERE id = ?", (row["id"],))

    def _on_pain(self, conn: sqlite3.Connection, sid: int, t: float, d: dict) -> None:
        self._bump(conn, sid, "pain", d)

    def _on_tired(self, conn: sqlite3.Connection, sid: int, t: float, d: dict) -> None:
        self._bump(conn, sid, "tired", d)

    def _on_constraint(self, conn: sqlite3.Connection, sid: int, t: float, d: dict) -> None:
        """`active` (a list) is the whole standing set; else `constraint` is added."""
        active = d.get("active")
        if isinstance(active, list | tuple | set | frozenset):
            wanted = sorted({str(c) for c in active})
            placeholders = ",".join("?" * len(wanted))
            conn.execute(f"DELETE FROM constraints WHERE name NOT IN ({placeholders})", wanted)
            for name in wanted:
                self._add_constraint(conn, name)
        elif d.get("constraint"):
            self._add_constraint(conn, str(d["constraint"]))

    def _on_voice(self, conn: sqlite3.Connection, sid: int, t: float, d: dict) -> None:
        if d.get("rate") is not None:
            self._set(conn, "rate", int(d["rate"]))
        if d.get("volume") is not None:
            self._set(conn, "volume", float(d["volume"]))

    def _on_session_end(self, conn: sqlite3.Connection, sid: int, t: float, d: dict) -> None:
        self._end(conn, sid, t, str(d.get("reason") or "ended"))

    # --- reading -----------------------------------------------------------------------------

    def profile(self, defaults: Profile | None = None) -> Profile:
        """The remembered profile; values never saved come from `defaults`."""
        base = defaults or Profile()
        settings = {r["key"]: json.loads(r["value"]) for r in self._read("SELECT * FROM settings")}
        constraints = frozenset(r["name"] for r in self._read("SELECT name FROM constraints"))
        preferred = {
            r["exercise"]: r["alternative"]
            for r in self._read("SELECT exercise, alternative FROM preferred ORDER BY exercise")
        }
        return Profile(
            rate=int(settings.get("rate", base.rate)),
            volume=float(settings.get("volume", base.volume)),
            constraints=constraints | base.constraints,
            preferred={**base.preferred, **preferred},
        )

    def interrupted(self) -> ResumePoint | None:
        """Where the most recent session with any exercise stopped, if it never ended
        (or ended for one of RESUMABLE_END_REASONS).

        Sessions without exercises (just started, or quit at the greeting) are passed over,
        so calling this before or after start_session gives the same answer.  The index is
        in the coach's own numbering (as in exercise_start); routine is "" for a session
        without one.  None when that session ended normally or had nothing left to do.
        """
        for session in self._read(
            "SELECT * FROM sessions WHERE EXISTS "
            "(SELECT 1 FROM exercises e WHERE e.session_id = sessions.id) "
            "ORDER BY id DESC LIMIT 1"
        ):
            if session["end_reason"] not in (None, *RESUMABLE_END_REASONS):
                return None
            rows = self._read(
                "SELECT * FROM exercises WHERE session_id = ? ORDER BY id", (session["id"],)
            )
            return _resume_point(session, rows)
        return None

    def progress(self, now: float | None = None) -> Progress:
        """Counts for "how am I doing": this week is Monday to now, local time."""
        now = self.clock() if now is None else now
        today = dt.datetime.fromtimestamp(now).date()
        monday = today - dt.timedelta(days=today.weekday())
        week_start = dt.datetime.combine(monday, dt.time()).timestamp()
        fortnight_start = dt.datetime.combine(today - dt.timedelta(days=13), dt.time()).timestamp()
        done = self._read(
            "SELECT e.session_id, e.finished, s.started FROM exercises e "
            "JOIN sessions s ON s.id = e.session_id "
            "WHERE e.status = 'done' AND s.started <= ?",
            (now,),
        )
        sessions_all = {r["session_id"] for r in done}
        sessions_week = {r["session_id"] for r in done if r["started"] >= week_start}
        finished = [r["finished"] or r["started"] for r in done]
        days = {dt.datetime.fromtimestamp(t).date() for t in finished if t >= fortnight_start}
        pain = self._read(
            "SELECT COUNT(*) AS n FROM log WHERE kind = 'pain' AND t >= ? AND t <= ?",
            (week_start, now),
        )
        return Progress(
            sessions_this_week=len(sessions_week),
            sessions_total=len(sessions_all),
            exercises_this_week=sum(1 for t in finished if week_start <= t <= now),
            days_active_last_14=len(days),
            pain_reports_this_week=int(pain[0]["n"]),
        )

    def sessions(self, limit: int | None = None) -> list[SessionSummary]:
        """Sessions, newest first, with counts from the per-exercise log and the raw log."""
        rows = self._read(
            "SELECT s.*, "
            "(SELECT COUNT(*) FROM exercises e WHERE e.session_id = s.id "
            "  AND e.status = 'done') AS done, "
            "(SELECT COUNT(*) FROM exercises e WHERE e.session_id = s.id "
            "  AND e.status = 'skipped') AS skipped, "
            "(SELECT COUNT(*) FROM exercises e WHERE e.session_id = s.id "
            "  AND e.status = 'swapped') AS swapped, "
            "(SELECT COUNT(*) FROM exercises e WHERE e.session_id = s.id "
            "  AND e.status = 'stopped') AS stopped, "
            "(SELECT COUNT(*) FROM log l WHERE l.session_id = s.id AND l.kind = 'pain') AS pain, "
            "(SELECT COUNT(*) FROM log l WHERE l.session_id = s.id AND l.kind = 'tired') AS tired "
            "FROM sessions s ORDER BY s.started DESC, s.id DESC LIMIT ?",
            (-1 if limit is None else limit,),
        )
        return [
            SessionSummary(
                id=r["id"],
                started=r["started"],
                ended=r["ended"],
                end_reason=r["end_reason"],
                routine=r["routine"],
                minutes=((r["ended"] or r["last_activity"]) - r["started"]) / 60,
                done=r["done"],
                skipped=r["skipped"],
                swapped=r["swapped"],
                pain=r["pain"],
                tired=r["tired"],
                stopped=r["stopped"],
            )
            for r in rows
        ]

    def exercise_log(self) -> list[ExerciseEntry]:
        """Every exercise attempt, oldest first (for CSV export and the report)."""
        rows = self._read(
            "SELECT e.*, s.started AS session_started, s.routine FROM exercises e "
            "JOIN sessions s ON s.id = e.session_id ORDER BY s.started, e.session_id, e.id"
        )
        return [
            ExerciseEntry(
                session_id=r["session_id"],
                session_started=r["session_started"],
                routine=r["routine"],
                position=r["position"],
                exercise=r["exercise"],
                status=r["status"],
                swapped_to=r["swapped_to"],
                reason=r["reason"],
                reps=r["reps"],
                hold_seconds=r["hold_seconds"],
                pain=r["pain"],
                tired=r["tired"],
                started=r["started"],
                finished=r["finished"],
            )
            for r in rows
        ]

    def log_entries(self, kinds: Iterable[str] | None = None) -> list[LogEntry]:
        """Raw logs, oldest first, optionally only of some kinds."""
        if kinds is None:
            rows = self._read("SELECT * FROM log ORDER BY id")
        else:
            wanted = list(kinds)
            rows = self._read(
                f"SELECT * FROM log WHERE kind IN ({','.join('?' * len(wanted))}) ORDER BY id",
                wanted,
            )
        return [LogEntry(r["session_id"], r["t"], r["kind"], json.loads(r["data"])) for r in rows]

    def close(self) -> None:
        """Write anything queued, then close; raises StoreError if the queue cannot be written."""
        with self._lock:
            try:
                self._flush()
            finally:
                if self._pending:
                    log.error(
                        "%d log entries could not be written to %s", len(self._pending), self.path
                    )
                self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_HANDLERS: dict[str, Callable[[Store, sqlite3.Connection, int, float, dict], None]] = {
    "session_start": Store._on_session_start,
    "routine": Store._on_routine,
    "exercise_start": Store._on_exercise_start,
    "exercise_done": Store._on_exercise_done,
    "exercise_stopped": Store._on_exercise_stopped,
    "exercise_skipped": Store._on_exercise_skipped,
    "swapped": Store._on_swapped,
    "pain": Store._on_pain,
    "tired": Store._on_tired,
    "constraint": Store._on_constraint,
    "voice": Store._on_voice,
    "session_end": Store._on_session_end,
}


def _numbering_base(plan: list[str], rows: list[Any]) -> int:
    """0 or 1: how the coach numbers exercises, judged from where they sit in the plan."""
    votes = {0: 0, 1: 0}
    for r in rows:
        pos = r["position"]
        if pos is None:
            continue
        for base in votes:
            if 0 <= pos - base < len(plan) and plan[pos - base] == r["exercise"]:
                votes[base] += 1
    # voicecoach.coach.machine counts from 0; only clear evidence of counting from 1 overrides that.
    return 1 if votes[1] > votes[0] else 0


def _resume_point(session: Any, rows: list[Any]) -> ResumePoint | None:
    routine = session["routine"] or ""
    last = rows[-1]
    if last["status"] == "started":
        return ResumePoint(routine=routine, exercise=last["exercise"], index=last["position"] or 0)
    # The last exercise was finished: carry on with the next one in the plan, if any.
    plan = json.loads(session["plan"]) if session["plan"] else []
    if last["position"] is None:
        return None
    base = _numbering_base(plan, rows)
    following = last["position"] + 1
    total = last["total"] if last["total"] is not None else len(plan)
    if following - base >= total:
        return None  # the routine was finished; only the goodbye was missing
    exercise = plan[following - base] if following - base < len(plan) else ""
    return ResumePoint(routine=routine, exercise=exercise, index=following)
