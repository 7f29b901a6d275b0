"""The profile and the session log, in one SQLite file that survives power cuts.

Theory of operation
-------------------
The coach emits `Log(kind, data)` actions as things happen; the write-behind queue
(voicecoach.memory.writer) hands them to `Store.write`, or a caller to `Store.record`, and
each batch is one transaction (WAL journal, synchronous=FULL), so pulling the plug or
SIGKILL loses at most the step in progress.  The work is split by job:

- voicecoach.memory.database opens the file: schema, upgrades, a damaged file moved aside
  (`warning` says so), plain-words StoreErrors;
- voicecoach.memory.projection turns each log into rows, writing what the record says;
- voicecoach.memory.history answers questions (profile, resume point, progress, sessions).

This class holds them together: one connection behind a lock, the transactions, the queue
of logs a locked file could not take yet, and the session ids of restarts ("start again"
after the end gets its own session row while the runtime keeps its id).

A session never ended by the coach (the process died) is marked "interrupted" when the next
one starts; `interrupted()` tells where the last one stopped so the coach can offer to
carry on.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from voicecoach.coach import progression
from voicecoach.coach.events import Log
from voicecoach.coach.profile import Profile, Progress, ResumePoint
from voicecoach.memory import history, projection
from voicecoach.memory.database import (
    DEFAULT_BUSY_TIMEOUT,
    SCHEMA_VERSION,
    SPOKEN_CORRUPT_WARNING,
    StoreError,
    error,
    open_database,
    rollback,
)
from voicecoach.memory.history import (
    RESUMABLE_END_REASONS,
    ExerciseEntry,
    LogEntry,
    SessionSummary,
)
from voicecoach.memory.journal import Entry
from voicecoach.memory.projection import PREFERENCE_REASONS

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "PREFERENCE_REASONS",
    "RESUMABLE_END_REASONS",
    "SCHEMA_VERSION",
    "SPOKEN_CORRUPT_WARNING",
    "ExerciseEntry",
    "LogEntry",
    "SessionSummary",
    "Store",
    "StoreError",
]

log = logging.getLogger(__name__)


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
        self._lock = threading.RLock()
        self._pending: list[tuple[int, float, Log]] = []
        # The coach can start over after a session ended ("start again") while the runtime
        # keeps its session id; such a restart gets its own row, and later logs follow it.
        self._redirect: dict[int, int] = {}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create the folder for the database {self.path}: {e}") from e
        opened = open_database(self.path, clock, busy_timeout)
        self._conn = opened.conn
        self.warning: str | None = opened.warning
        """Set when the database had to be replaced: what happened, with paths (for logs)."""
        self.spoken_warning: str | None = SPOKEN_CORRUPT_WARNING if opened.warning else None
        """The same, in a sentence the coach can say (None when all is well)."""
        self.moved_aside: Path | None = opened.moved_aside

    @classmethod
    def open(
        cls,
        path: Path | str,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> Store:
        """Open (or create) the database, replacing a damaged one; see `warning`."""
        return cls(path, clock=clock, busy_timeout=busy_timeout)

    # --- transactions --------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; sqlite errors become StoreError in plain words."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                raise error(e, self.path) from e
            try:
                yield conn
                conn.execute("COMMIT")
            except sqlite3.Error as e:
                rollback(conn)
                raise error(e, self.path) from e
            except BaseException:
                rollback(conn)
                raise

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._conn.execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as e:
                raise error(e, self.path) from e

    # --- writing -------------------------------------------------------------------------------

    def save_voice(self, rate: int, volume: float) -> None:
        with self._write() as conn:
            projection.set_setting(conn, "rate", int(rate), self.clock())
            projection.set_setting(conn, "volume", float(volume), self.clock())

    def save_constraints(self, constraints: Iterable[str]) -> None:
        """Replace the standing constraints with these."""
        with self._write() as conn:
            projection.replace_constraints(conn, constraints, self.clock())

    def save_preferred(self, exercise: str, alternative: str) -> None:
        with self._write() as conn:
            projection.prefer(conn, exercise, alternative, self.clock())

    def start_session(self, routine: str | None = None) -> int:
        """Begin a session log; earlier sessions that never ended are marked interrupted."""
        now = self.clock()
        with self._write() as conn:
            conn.execute(
                "UPDATE sessions SET ended = last_activity, end_reason = 'interrupted' "
                "WHERE ended IS NULL"
            )
            return projection.new_session(conn, now, routine)

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
                if projection.starts_new_session(conn, sid, entry):
                    redirect[session_id] = sid = projection.new_session(conn, t, None)
                projection.apply(conn, sid, t, entry)
        # Only after the commit: a rolled-back restart must not leave a dangling redirect.
        self._redirect = redirect

    def end_session(self, session_id: int, reason: str, t: float | None = None) -> None:
        """End the session unless the coach's session_end log already did."""
        with self._lock:
            self._flush()
            sid = self._redirect.get(session_id, session_id)
            with self._write() as conn:
                if not projection.has_ended(conn, sid):
                    projection.end_session(conn, sid, self.clock() if t is None else t, reason)

    def session_now(self, session_id: int) -> int:
        """The row that `session_id`'s logs go to now (a restart in the same run has its own)."""
        with self._lock:
            return self._redirect.get(session_id, session_id)

    def replay(self, key: str, session_id: int | None, entries: list[Entry]) -> bool:
        """Write a spilled journal (voicecoach.memory.journal) in one transaction, marking
        `key` as replayed in the same transaction; False (and nothing written) if `key` was
        replayed before.  A session id the database does not know gets a new row."""
        with self._lock, self._write() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS replayed_journals (name TEXT PRIMARY KEY, t REAL)"
            )
            seen = "SELECT 1 FROM replayed_journals WHERE name = ?"
            if conn.execute(seen, (key,)).fetchone():
                return False
            known = "SELECT 1 FROM sessions WHERE id = ?"
            sid = session_id
            if entries and (sid is None or not conn.execute(known, (sid,)).fetchone()):
                sid = projection.new_session(conn, entries[0][0], None)
            for t, what in entries:
                assert sid is not None
                if isinstance(what, str):
                    if not projection.has_ended(conn, sid):
                        projection.end_session(conn, sid, t, what)
                    continue
                if projection.starts_new_session(conn, sid, what):
                    sid = projection.new_session(conn, t, None)
                projection.apply(conn, sid, t, what)
            conn.execute("INSERT INTO replayed_journals VALUES (?, ?)", (key, self.clock()))
            return True

    # --- reading (voicecoach.memory.history) ----------------------------------------------------

    def profile(self, defaults: Profile | None = None) -> Profile:
        """The remembered profile; values never saved come from `defaults`."""
        return history.profile(self._read, defaults)

    def interrupted(self) -> ResumePoint | None:
        """Where the most recent session with any exercise stopped, if it never ended
        (or ended for one of RESUMABLE_END_REASONS).

        Sessions without exercises (just started, or quit at the greeting) are passed over,
        so calling this before or after start_session gives the same answer.  The index is
        the coach's own (as in exercise_start); routine is "" for a session without one.
        None when that session ended normally or had nothing left to do.
        """
        return history.interrupted(self._read)

    def progress(self, now: float | None = None) -> Progress:
        """Counts for "how am I doing": this week is Monday to now, local time."""
        return history.progress(self._read, self.clock() if now is None else now)

    def step_ups(self, now: float | None = None) -> frozenset[str]:
        """Exercises that earned the offer of a small step up (coach.progression)."""
        now = self.clock() if now is None else now
        attempts, settled, troubled = history.step_up_facts(self._read, now)
        return progression.earned(attempts, settled, now, troubled)

    def sessions(self, limit: int | None = None) -> list[SessionSummary]:
        """Sessions, newest first, with counts from the per-exercise log and the raw log."""
        return history.sessions(self._read, limit)

    def exercise_log(self) -> list[ExerciseEntry]:
        """Every exercise attempt, oldest first (for CSV export and the report)."""
        return history.exercise_log(self._read)

    def log_entries(self, kinds: Iterable[str] | None = None) -> list[LogEntry]:
        """Raw logs, oldest first, optionally only of some kinds."""
        return history.log_entries(self._read, kinds)

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
