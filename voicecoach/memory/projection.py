"""The coach's Log records, projected into rows: what each one says, written down.

Every log is kept raw in `log`; the tables beside it are kept up to date from what the
records themselves say, with no guessing about the coach:

- `exercise_start{exercise, index, total, routine, planned_reps, planned_hold_seconds}`
  opens an attempt at queue position `index`, filed under `routine`;
- `exercise_done` / `exercise_stopped{outcome}` close the open attempt at that exercise;
- `exercise_skipped{index, reason}` and `swapped{index, to, reason}` close the open attempt,
  or, when the coach decided before starting it (a limit, a remembered version), write a
  row of their own at `index`; a swap never opens an attempt: the coach's exercise_start
  for the new version does;
- `pain`, `tired`, `symptom` count against the attempt they were about;
- `choice_undone{exercise, index, routine}` takes back what a misheard choice opened: the
  attempt at `index`, never begun, and the routine, if nothing was done under it;
- `routine{routine}` files the session under that routine too; `routine_done` marks it
  completed, until anything is begun after it;
- `constraint`, `voice` and easier/harder `swapped` update the profile, and `dose{exercise,
  change, reason, personal}` the person's own dose of that exercise (`doses`).

Kinds not listed here are kept raw only, so the coach can add kinds freely.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

from voicecoach.coach.events import Log

log = logging.getLogger(__name__)

#: `swapped` reasons that mean "this is the version I can do" and are remembered.
PREFERENCE_REASONS = ("easier", "harder")

Data = dict[str, Any]


def apply(conn: sqlite3.Connection, sid: int, t: float, entry: Log) -> None:
    """Keep `entry` raw and project it into the tables, inside the caller's transaction."""
    data = dict(entry.data)
    conn.execute(
        "INSERT INTO log (session_id, t, kind, data) VALUES (?, ?, ?, ?)",
        (sid, t, entry.kind, json.dumps(data, default=str)),
    )
    conn.execute("UPDATE sessions SET last_activity = ? WHERE id = ?", (t, sid))
    handler = _HANDLERS.get(entry.kind)
    if handler is None:
        log.debug("stored log of unknown kind %r", entry.kind)
        return
    handler(conn, sid, t, data)


def starts_new_session(conn: sqlite3.Connection, sid: int, entry: Log) -> bool:
    """A session_start after the coach ended the session: "start again" in the same run,
    which the runtime still calls by the old session id."""
    return entry.kind == "session_start" and has_ended(conn, sid)


def has_ended(conn: sqlite3.Connection, sid: int) -> bool:
    row = conn.execute("SELECT ended FROM sessions WHERE id = ?", (sid,)).fetchone()
    return row is not None and row["ended"] is not None


def new_session(conn: sqlite3.Connection, t: float, routine: str | None) -> int:
    cur = conn.execute(
        "INSERT INTO sessions (started, last_activity, routine) VALUES (?, ?, ?)",
        (t, t, routine),
    )
    return int(cur.lastrowid or 0)


def end_session(conn: sqlite3.Connection, sid: int, t: float, reason: str) -> None:
    conn.execute(
        "UPDATE sessions SET ended = ?, end_reason = ?, last_activity = ? WHERE id = ?",
        (t, reason, t, sid),
    )


# --- the profile --------------------------------------------------------------------------


def set_setting(conn: sqlite3.Connection, key: str, value: Any, t: float) -> None:
    conn.execute(
        "INSERT INTO settings (key, value, updated) VALUES (?, ?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated = excluded.updated",
        (key, json.dumps(value), t),
    )


def add_constraint(conn: sqlite3.Connection, name: str, t: float) -> None:
    conn.execute("INSERT OR IGNORE INTO constraints (name, since) VALUES (?, ?)", (name, t))


def replace_constraints(conn: sqlite3.Connection, names: Iterable[str], t: float) -> None:
    wanted = sorted({str(c) for c in names})
    placeholders = ",".join("?" * len(wanted))
    conn.execute(f"DELETE FROM constraints WHERE name NOT IN ({placeholders})", wanted)
    for name in wanted:
        add_constraint(conn, name, t)


def prefer(conn: sqlite3.Connection, exercise: str, alternative: str, t: float) -> None:
    # Whatever led to `exercise` now leads to `alternative`, so the coach never has to
    # follow a chain; and the chosen version must not itself be swapped away (no loops).
    conn.execute(
        "UPDATE preferred SET alternative = ?, updated = ? WHERE alternative = ?",
        (alternative, t, exercise),
    )
    conn.execute("DELETE FROM preferred WHERE exercise = ?", (alternative,))
    conn.execute(
        "INSERT INTO preferred (exercise, alternative, updated) VALUES (?, ?, ?) "
        "ON CONFLICT(exercise) DO UPDATE SET "
        "alternative = excluded.alternative, updated = excluded.updated",
        (exercise, alternative, t),
    )
    # Going back to the original (harder after easier) means no preference at all.
    conn.execute("DELETE FROM preferred WHERE exercise = alternative")


# --- one handler per kind -------------------------------------------------------------------


def _open_attempt(conn: sqlite3.Connection, sid: int, exercise: str) -> Any:
    """The attempt at `exercise` begun and not yet closed, if any."""
    return conn.execute(
        "SELECT * FROM exercises WHERE session_id = ? AND exercise = ? AND status = 'started' "
        "ORDER BY id DESC LIMIT 1",
        (sid, exercise),
    ).fetchone()


def _attempt(conn: sqlite3.Connection, sid: int, t: float, d: Data) -> int:
    """Id of the open attempt a closing log is about; a row of its own if its start was
    never recorded (a log lost with the process), at the position the log names, if any."""
    exercise = str(d.get("exercise"))
    row = _open_attempt(conn, sid, exercise)
    if row is not None:
        return int(row["id"])
    cur = conn.execute(
        "INSERT INTO exercises (session_id, position, exercise, status, started, routine) "
        "VALUES (?, ?, ?, 'started', ?, (SELECT routine FROM sessions WHERE id = ?))",
        (sid, d.get("index"), exercise, t, sid),
    )
    return int(cur.lastrowid or 0)


def _on_session_start(conn: sqlite3.Connection, sid: int, t: float, d: Data) -> None:
    if d.get("routine"):
        conn.execute("UPDATE sessions SET routine = ? WHERE id = ?", (d["routine"], sid))


def _on_routine(conn: sqlite3.Connection, sid: int, t: float, d: Data) -> None:
    plan = [str(e) for e in d.get("exercises") or []]
    conn.execute(
        "UPDATE sessions SET routine = COALESCE(?, routine), plan = ?, completed = 0 WHERE id = ?",
        (d.get("routine"), json.dumps(plan), sid),
    )
    if d.get("routine"):
        conn.execute(
            "INSERT INTO session_routines (session_id, routine, started) VALUES (?, ?, ?) "
            "ON CONFLICT DO UPDATE SET completed = 0",
            (sid, d["routine"], t),
        )


def _on_routine_done(conn: sqlite3.Connection, sid: int, t: float, d: Data) -> None:
    conn.execute("UPDATE sessions SET completed = 1 WHERE id = ?", (sid,))
    if d.get("routine"):
        conn.execute(
            "UPDATE session_routines SET completed = 1 WHERE session_id = ? AND routine = ?",
            (sid, d["routine"]),
        )


def _on_exercise_start(conn: sqlite3.Connection, sid: int, t: float, d: Data) -> None:
    exercise, index = str(d.get("exercise")), d.get("index")
    conn.execute("UPDATE sessions SET completed = 0 WHERE id = ?", (sid,))
    last = conn.execute(
        "SELECT * FROM exercises WHERE session_id = ? ORDER BY id DESC LIMIT 1", (sid,)
    ).fetchone()
    if last is not None and (last["status"], last["exercise"], last["position"]) == (
        "started",
        exercise,
        index,
    ):
        return  # the same attempt introduced again (the routine chosen again at once)
    conn.execute(
        "INSERT INTO exercises (session_id, position, total, exercise, status, started, "
        "routine, planned_reps, planned_hold_seconds) "
        "VALUES (?, ?, ?, ?, 'started', ?, ?, ?, ?)",
        (
            sid,
            index,
            d.get("total"),
            exercise,
            t,
            _routine_of(conn, sid, d),
            d.get("planned_reps"),
            d.get("planned_hold_seconds"),
        ),
    )


def _routine_of(conn: sqlite3.Connection, sid: int, d: Data) -> str | None:
    """The routine exercise_start names (None: chosen on its own); logs written before it
    named one are filed under the session's routine."""
    if "routine" in d:
        return None if d["routine"] is None else str(d["routine"])
    row = conn.execute("SELECT routine FROM sessions WHERE id = ?", (sid,)).fetchone()
    return None if row is None else row["routine"]


def _on_exercise_done(conn: sqlite3.Connection, sid: int, t: float, d: Data) -> None:
    conn.execute(
        "UPDATE exercises SET status = 'done', reps = ?, hold_seconds = ?, finished = ? "
        "WHERE id = ?",
        (d.get("reps"), d.get("hold_seconds"), t, _attempt(conn, sid, t, d)),
    )


def _on_exercise_stopped(conn: sqlite3.Connection, sid: int, t: float, d: Data) -> None:
    conn.execute(
        "UPDATE exercises SET status = 'stopped', reason = ?, reps = ?, hold_seconds = ?, "
        "finished = ? WHERE id = ?",
        (d.get("outcome"), d.get("reps"), d.get("hold_seconds"), t, _attempt(conn, sid, t, d)),
    )


def _on_exercise_skipped(conn: sqlite3.Connection, sid: int, t: float, d: Data) -> None:
    conn.execute(
        "UPDATE exercises SET status = 'skipped', reason = ?, finished = ? WHERE id = ?",
        (d.get("reason"), t, _attempt(conn, sid, t, d)),
    )


def _on_swapped(conn: sqlite3.Connection, sid: int, t: float, d: Data) -> None:
    exercise, to, reason = str(d.get("exercise")), str(d.get("to")), d.get("reason")
    conn.execute(
        "UPDATE exercises SET status = 'swapped', swapped_to = ?, reason = ?, finished = ? "
        "WHERE id = ?",
        (to, reason, t, _attempt(conn, sid, t, d)),
    )
    if reason in PREFERENCE_REASONS:
        prefer(conn, exercise, to, t)


def _count(column: str) -> Callable[[sqlite3.Connection, int, float, Data], None]:
    """A pain, tiredness or symptom report, counted against the attempt it was about."""

    def handler(conn: sqlite3.Connection, sid: int, t: float, d: Data) -> None:
        exercise = d.get("exercise")
        if not exercise:
            return  # between exercises: only the raw log (and the session's count) has it
        row = (
            _open_attempt(conn, sid, str(exercise))
            or conn.execute(
                "SELECT id FROM exercises WHERE session_id = ? AND exercise = ? "
                "ORDER BY id DESC LIMIT 1",
                (sid, exercise),
            ).fetchone()
        )
        if row is not None:
            conn.execute(f"UPDATE exercises SET {column} = {column} + 1 WHERE id = ?", (row["id"],))

    return handler


def _on_constraint(conn: sqlite3.Connection, sid: int, t: float, d: Data) -> None:
    """`active` (a list) is the whole standing set; else `constraint` is added."""
    active = d.get("active")
    if isinstance(active, list | tuple | set | frozenset):
        replace_constraints(conn, active, t)
    elif d.get("constraint"):
        add_constraint(conn, str(d["constraint"]), t)


def _on_voice(conn: sqlite3.Connection, sid: int, t: float, d: Data) -> None:
    if d.get("rate") is not None:
        set_setting(conn, "rate", int(d["rate"]), t)
    if d.get("volume") is not None:
        set_setting(conn, "volume", float(d["volume"]), t)


def _on_dose(conn: sqlite3.Connection, sid: int, t: float, d: Data) -> None:
    """The parts of the dose that differ from the catalogue's; none left: no row."""
    personal = d.get("personal") or {}
    exercise = str(d.get("exercise"))
    if not personal:
        conn.execute("DELETE FROM doses WHERE exercise = ?", (exercise,))
        return
    conn.execute(
        "INSERT INTO doses (exercise, hold_seconds, reps, rest_seconds, change, reason, updated) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(exercise) DO UPDATE SET "
        "hold_seconds = excluded.hold_seconds, reps = excluded.reps, "
        "rest_seconds = excluded.rest_seconds, change = excluded.change, "
        "reason = excluded.reason, updated = excluded.updated",
        (
            exercise,
            personal.get("hold_seconds"),
            personal.get("reps"),
            personal.get("rest_seconds"),
            str(d.get("change")),
            str(d.get("reason") or "asked"),
            t,
        ),
    )


def _on_choice_undone(conn: sqlite3.Connection, sid: int, t: float, d: Data) -> None:
    if d.get("exercise"):
        conn.execute(
            "DELETE FROM exercises WHERE session_id = ? AND exercise = ? AND position IS ? "
            "AND status = 'started'",
            (sid, str(d["exercise"]), d.get("index")),
        )
    if d.get("routine"):
        conn.execute(
            "DELETE FROM session_routines WHERE session_id = ? AND routine = ? AND NOT EXISTS "
            "(SELECT 1 FROM exercises WHERE session_id = ? AND routine = ?)",
            (sid, d["routine"], sid, d["routine"]),
        )
        conn.execute(
            "UPDATE sessions SET routine = (SELECT routine FROM session_routines "
            "WHERE session_id = ? ORDER BY started DESC LIMIT 1) WHERE id = ?",
            (sid, sid),
        )


def _on_session_end(conn: sqlite3.Connection, sid: int, t: float, d: Data) -> None:
    end_session(conn, sid, t, str(d.get("reason") or "ended"))


_HANDLERS: dict[str, Callable[[sqlite3.Connection, int, float, Data], None]] = {
    "session_start": _on_session_start,
    "routine": _on_routine,
    "routine_done": _on_routine_done,
    "exercise_start": _on_exercise_start,
    "exercise_done": _on_exercise_done,
    "exercise_stopped": _on_exercise_stopped,
    "exercise_skipped": _on_exercise_skipped,
    "choice_undone": _on_choice_undone,
    "swapped": _on_swapped,
    "pain": _count("pain"),
    "tired": _count("tired"),
    "symptom": _count("symptom"),
    "constraint": _on_constraint,
    "voice": _on_voice,
    "dose": _on_dose,
    "session_end": _on_session_end,
}
