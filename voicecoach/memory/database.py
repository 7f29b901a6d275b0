"""Opening the SQLite file: the schema, upgrades, and recovery from a damaged or locked file.

A damaged file is never deleted: it is moved aside to `<name>.corrupt-<time>` and a fresh
database is started, with a warning saying so.  A file locked by another process is waited
for (busy timeout) and then reported as a StoreError in plain words.  Every error leaves
this module as a StoreError whose `cause` says what a retry can hope for.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SCHEMA_VERSION = 4
"""2: exercises may be 'stopped' (for pain, an emergency, tiredness, on request).
3: every routine of a session (`session_routines`), whether the session ended with its
routine completed, the routine and the planned dose of each attempt, symptom counts.
4: the person's own dose of each exercise (`doses`, from the coach's `dose` logs)."""
DEFAULT_BUSY_TIMEOUT = 5.0
"""Seconds to wait for another process that holds the database."""

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
CREATE TABLE doses (
    exercise TEXT PRIMARY KEY,
    hold_seconds INTEGER,  -- NULL: the catalogue's
    reps INTEGER,
    rest_seconds INTEGER,
    change TEXT NOT NULL,  -- the last change asked for (hold_shorter ...)
    reason TEXT NOT NULL,  -- asked (by voice) or progression (a weekly step up)
    updated REAL NOT NULL
);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    started REAL NOT NULL,
    last_activity REAL NOT NULL,
    ended REAL,
    end_reason TEXT,
    routine TEXT,  -- the latest routine (session_routines has them all)
    plan TEXT,  -- JSON list of exercise ids, from the latest `routine` log
    completed INTEGER NOT NULL DEFAULT 0  -- a routine_done with nothing begun after it
);
CREATE TABLE session_routines (
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    routine TEXT NOT NULL,
    started REAL NOT NULL,
    completed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, routine)
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
    position INTEGER,  -- the coach's queue index (exercise_start, swapped, exercise_skipped)
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
    finished REAL,
    routine TEXT,  -- the routine it was part of, None for an exercise chosen on its own
    planned_reps INTEGER,  -- the dose exercise_start announced, to compare with what was done
    planned_hold_seconds REAL,
    symptom INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX exercises_session ON exercises(session_id);
"""

#: The columns of `exercises` in format 1 (before the table was rebuilt for 'stopped').
_V1_EXERCISE_COLUMNS = (
    "id, session_id, position, total, exercise, status, swapped_to, reason, reps, "
    "hold_seconds, pain, tired, started, finished"
)

#: Columns format 3 added to tables that already existed, with their declarations.
_V3_COLUMNS = {
    "sessions": [("completed", "INTEGER NOT NULL DEFAULT 0")],
    "exercises": [
        ("routine", "TEXT"),
        ("planned_reps", "INTEGER"),
        ("planned_hold_seconds", "REAL"),
        ("symptom", "INTEGER NOT NULL DEFAULT 0"),
    ],
}


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


def error(e: sqlite3.Error, path: Path) -> StoreError:
    return StoreError(_plain(e, path), _cause(e))


def rollback(conn: sqlite3.Connection) -> None:
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


@dataclass
class Opened:
    """A connection ready for use, and what had to be done to get it."""

    conn: sqlite3.Connection
    warning: str | None = None
    """Set when the database had to be replaced: what happened, with paths (for logs)."""
    moved_aside: Path | None = None


def open_database(path: Path, clock: Callable[[], float], busy_timeout: float) -> Opened:
    """Connect, check, create or upgrade; a damaged file is moved aside and replaced."""
    try:
        conn = _connect(path, busy_timeout)
    except sqlite3.Error as e:
        raise error(e, path) from e
    try:
        _check_and_prepare(conn, path)
    except StoreError:
        conn.close()
        raise
    except sqlite3.Error as e:
        conn.close()
        if not _is_corrupt(e):
            raise error(e, path) from e
        aside, warning = _move_aside(path, str(e), clock)
        try:
            conn = _connect(path, busy_timeout)
        except sqlite3.Error as e2:
            raise StoreError(f"{warning}, but the new one failed too: {e2}") from e2
        try:
            _check_and_prepare(conn, path)
        except (sqlite3.Error, StoreError) as e2:
            conn.close()
            raise StoreError(f"{warning}, but the new one failed too: {e2}") from e2
        return Opened(conn, warning, aside)
    return Opened(conn)


def _connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path,
        timeout=busy_timeout,
        isolation_level=None,  # we issue BEGIN/COMMIT ourselves: one transaction per write
        check_same_thread=False,  # the writer thread records; the Store's lock guards
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    return conn


def _check_and_prepare(conn: sqlite3.Connection, path: Path) -> None:
    rows = conn.execute("PRAGMA quick_check").fetchall()
    problems = [r[0] for r in rows if r[0] != "ok"]
    if problems:
        raise sqlite3.DatabaseError("integrity check failed: " + "; ".join(problems[:3]))
    if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        conn.execute("PRAGMA journal_mode = WAL")
    # FULL: a commit is on the SD card before record() returns, so a power cut keeps it.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    _migrate(conn, path)


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if has_table:
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            raise sqlite3.DatabaseError("schema_version table is empty")
        if row[0] > SCHEMA_VERSION:
            raise StoreError(
                f"the database {path} was written by a newer voicecoach "
                f"(format {row[0]}, this one reads up to {SCHEMA_VERSION}); update voicecoach"
            )
        if row[0] < SCHEMA_VERSION:
            _upgrade(conn, row[0])
        return
    tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    if tables:
        raise StoreError(
            f"{path} is a database of some other program, not voicecoach's; "
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
        rollback(conn)
        raise


def _create_statement(table: str) -> str:
    create = _SCHEMA[_SCHEMA.index(f"CREATE TABLE {table} ") :]
    return create[: create.index(";")]


def _upgrade(conn: sqlite3.Connection, version: int) -> None:
    """Bring an older file up to SCHEMA_VERSION, in one transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if version < 2:
            # SQLite cannot change a CHECK constraint in place: rebuild the table.
            create = _create_statement("exercises")
            conn.execute(create.replace("CREATE TABLE exercises", "CREATE TABLE exercises_new"))
            conn.execute(
                f"INSERT INTO exercises_new ({_V1_EXERCISE_COLUMNS}) "
                f"SELECT {_V1_EXERCISE_COLUMNS} FROM exercises"
            )
            conn.execute("DROP TABLE exercises")
            conn.execute("ALTER TABLE exercises_new RENAME TO exercises")
            conn.execute("CREATE INDEX exercises_session ON exercises(session_id)")
        if version < 3:
            _upgrade_to_3(conn)
        if version < 4:
            create = _create_statement("doses")
            conn.execute(create.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1))
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise


def _upgrade_to_3(conn: sqlite3.Connection) -> None:
    for table, columns in _V3_COLUMNS.items():
        have = {r["name"] for r in conn.execute(f"PRAGMA table_info({table})")}
        for name, declaration in columns:
            if name not in have:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {declaration}")
    conn.execute(_create_statement("session_routines"))
    # Older files knew only each session's last routine: file its exercises under that.
    conn.execute(
        "INSERT INTO session_routines (session_id, routine, started) "
        "SELECT id, routine, started FROM sessions WHERE routine IS NOT NULL"
    )
    conn.execute(
        "UPDATE exercises SET routine = "
        "(SELECT routine FROM sessions s WHERE s.id = exercises.session_id)"
    )


def _move_aside(path: Path, why: str, clock: Callable[[], float]) -> tuple[Path, str]:
    """Rename a damaged file (never delete it); returns where it went and what to say."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(clock()))
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        path.rename(aside)
        # Keep the journal files next to the copy, under the names SQLite looks for.
        for suffix in ("-wal", "-shm", "-journal"):
            extra = path.with_name(path.name + suffix)
            if extra.exists():
                extra.rename(aside.with_name(aside.name + suffix))
    except OSError as e:
        raise StoreError(
            f"the database {path} is damaged ({why}) and could not be moved aside: {e}; "
            "move or rename it by hand, then start again"
        ) from e
    warning = (
        f"the database {path} was damaged ({why}); it was moved aside to {aside} "
        "(nothing was deleted); starting fresh"
    )
    log.warning(warning)
    return aside, warning
