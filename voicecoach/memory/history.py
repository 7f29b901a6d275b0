"""Questions asked of the store: the profile, where to resume, progress, past sessions.

Pure reads of the tables the projection keeps; `read` runs one query (the Store's, which
holds its lock and turns sqlite errors into StoreError).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from voicecoach.coach.dose import Personal, Remembered
from voicecoach.coach.profile import Profile, Progress, ResumePoint
from voicecoach.coach.progression import WINDOW_DAYS, Attempt

Read = Callable[[str, Iterable[Any]], list[sqlite3.Row]]

#: end_session reasons that still deserve a resume offer (the coach did not choose to end):
#: the runtime uses "terminated" on SIGTERM (shutdown, service stop) and "error" on a crash.
RESUMABLE_END_REASONS = ("interrupted", "terminated", "error")

#: Log kinds that report how the person is: listed one by one in history and the report.
REPORT_KINDS = ("pain", "emergency", "symptom", "tired", "cant_get_up")

#: Log kinds of the warm-up and cool-down (coach.machine's bookends) and the check-in.
CARE_KINDS = ("bookend", "bookend_done", "bookend_skipped", "check_in")


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
    """The latest routine; `routines` has every routine begun in the session."""
    minutes: float
    done: int
    skipped: int
    swapped: int
    pain: int
    tired: int
    stopped: int = 0
    """Exercises stopped part-way (for pain, an emergency, tiredness, on request)."""
    routines: tuple[str, ...] = ()
    """Every routine begun in the session, in order."""
    completed: bool = False
    """The coach said the routine was complete, and nothing was begun after that."""
    symptoms: int = 0
    """Dizziness, overheating and spasms reported."""


@dataclass(frozen=True)
class ExerciseEntry:
    """One exercise attempt within a session (the per-exercise log)."""

    session_id: int
    session_started: float
    routine: str | None
    """The routine it was part of; None for an exercise chosen on its own."""
    position: int | None
    """The coach's queue index (0 is the first)."""
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
    planned_reps: int | None = None
    """The dose the coach set when it began the exercise (None if not logged)."""
    planned_hold_seconds: float | None = None
    symptoms: int = 0


@dataclass(frozen=True)
class LogEntry:
    """One raw Log action as recorded."""

    session_id: int
    t: float
    kind: str
    data: dict[str, Any]


@dataclass(frozen=True)
class SessionCare:
    """How a session was eased in and out: for the report and `history --csv sessions`."""

    warm_up: tuple[str, ...] = ()
    """Each warm-up begun: "done", "skipped" or "cut short" (begun, never finished)."""
    cool_down: tuple[str, ...] = ()
    """Each cool-down begun (one a routine), the same way."""
    energy: str | None = None
    """The check-in's answer: "low" (a gentle session; also if tired in the warm-up),
    "ok", or None if it was not asked or not answered."""
    spans: tuple[tuple[str, float, float | None], ...] = ()
    """(part, begun, done or skipped at; None if cut short) of each warm-up and cool-down."""


def session_care(entries: Iterable[LogEntry]) -> dict[int, SessionCare]:
    """session id -> its warm-ups, cool-downs and check-in, from CARE_KINDS logs in order."""
    parts: dict[int, dict[str, list[str]]] = {}
    spans: dict[int, list[tuple[str, float, float | None]]] = {}
    energy: dict[int, str] = {}
    for e in entries:
        if e.kind == "check_in":
            # A low answer stands: tiredness in the warm-up turns an "ok" day gentle.
            if energy.get(e.session_id) != "low":
                energy[e.session_id] = str(e.data.get("energy"))
            continue
        outcomes = parts.setdefault(e.session_id, {}).setdefault(str(e.data.get("part")), [])
        opened = spans.setdefault(e.session_id, [])
        if e.kind == "bookend":
            outcomes.append("cut short")  # until it is done or skipped
            opened.append((str(e.data.get("part")), e.t, None))
        elif outcomes and outcomes[-1] == "cut short":
            outcomes[-1] = "done" if e.kind == "bookend_done" else "skipped"
            opened[-1] = (opened[-1][0], opened[-1][1], e.t)
    return {
        sid: SessionCare(
            warm_up=tuple(parts.get(sid, {}).get("warm_up", ())),
            cool_down=tuple(parts.get(sid, {}).get("cool_down", ())),
            energy=energy.get(sid),
            spans=tuple(spans.get(sid, ())),
        )
        for sid in parts.keys() | energy.keys()
    }


def profile(read: Read, defaults: Profile | None = None) -> Profile:
    """The remembered profile; values never saved come from `defaults`."""
    base = defaults or Profile()
    settings = {r["key"]: json.loads(r["value"]) for r in read("SELECT * FROM settings", ())}
    constraints = frozenset(r["name"] for r in read("SELECT name FROM constraints", ()))
    preferred = {
        r["exercise"]: r["alternative"]
        for r in read("SELECT exercise, alternative FROM preferred ORDER BY exercise", ())
    }
    return Profile(
        rate=int(settings.get("rate", base.rate)),
        volume=float(settings.get("volume", base.volume)),
        constraints=constraints | base.constraints,
        preferred={**base.preferred, **preferred},
        doses={**base.doses, **doses(read)},
        step_ups=base.step_ups,
    )


def doses(read: Read) -> dict[str, Remembered]:
    """exercise id -> the dose the person settled on, and the change that led to it."""
    return {
        r["exercise"]: Remembered(
            Personal(r["hold_seconds"], r["reps"], r["rest_seconds"]), r["change"], r["reason"]
        )
        for r in read("SELECT * FROM doses ORDER BY exercise", ())
    }


def interrupted(read: Read) -> ResumePoint | None:
    """Where the most recent session with any exercise stopped, if it never ended (or
    ended for one of RESUMABLE_END_REASONS); see Store.interrupted."""
    for session in read(
        "SELECT * FROM sessions WHERE EXISTS "
        "(SELECT 1 FROM exercises e WHERE e.session_id = sessions.id) "
        "ORDER BY id DESC LIMIT 1",
        (),
    ):
        if session["end_reason"] not in (None, *RESUMABLE_END_REASONS):
            return None
        rows = read("SELECT * FROM exercises WHERE session_id = ? ORDER BY id", (session["id"],))
        return _resume_point(session, rows)
    return None


def _resume_point(session: Any, rows: list[Any]) -> ResumePoint | None:
    routine = session["routine"] or ""
    last = rows[-1]
    if last["status"] == "started":
        return ResumePoint(routine=routine, exercise=last["exercise"], index=last["position"] or 0)
    if last["position"] is None:
        return None
    # The last exercise was closed: carry on with the next one in the plan, if any.  The
    # position is the coach's index into the plan its latest `routine` log listed.
    plan = json.loads(session["plan"]) if session["plan"] else []
    following = last["position"] + 1
    if following >= len(plan):
        return None  # the routine was finished; only the goodbye was missing
    return ResumePoint(routine=routine, exercise=plan[following], index=following)


def progress(read: Read, now: float) -> Progress:
    """Counts for "how am I doing": this week is Monday to now, local time."""
    today = dt.datetime.fromtimestamp(now).date()
    monday = today - dt.timedelta(days=today.weekday())
    week_start = dt.datetime.combine(monday, dt.time()).timestamp()
    fortnight_start = dt.datetime.combine(today - dt.timedelta(days=13), dt.time()).timestamp()
    done = read(
        "SELECT e.session_id, e.exercise, e.finished, s.started FROM exercises e "
        "JOIN sessions s ON s.id = e.session_id "
        "WHERE e.status = 'done' AND s.started <= ?",
        (now,),
    )
    sessions_all = {r["session_id"] for r in done}
    sessions_week = {r["session_id"] for r in done if r["started"] >= week_start}
    finished = [r["finished"] or r["started"] for r in done]
    days = {dt.datetime.fromtimestamp(t).date() for t in finished if t >= fortnight_start}
    lately = [r["exercise"] for r, t in zip(done, finished, strict=True) if t >= fortnight_start]
    pain = read(
        "SELECT COUNT(*) AS n FROM log WHERE kind = 'pain' AND t >= ? AND t <= ?",
        (week_start, now),
    )
    return Progress(
        sessions_this_week=len(sessions_week),
        sessions_total=len(sessions_all),
        exercises_this_week=sum(1 for t in finished if week_start <= t <= now),
        days_active_last_14=len(days),
        pain_reports_this_week=int(pain[0]["n"]),
        familiar=frozenset(lately),
    )


def _exercise_count(status: str) -> str:
    return (
        f"(SELECT COUNT(*) FROM exercises e WHERE e.session_id = s.id "
        f"AND e.status = '{status}') AS {status}"
    )


def _log_count(kind: str) -> str:
    return f"(SELECT COUNT(*) FROM log l WHERE l.session_id = s.id AND l.kind = '{kind}') AS {kind}"


def sessions(read: Read, limit: int | None = None) -> list[SessionSummary]:
    """Sessions, newest first, with counts from the per-exercise log and the raw log."""
    counts = [_exercise_count(s) for s in ("done", "skipped", "swapped", "stopped")]
    counts += [_log_count(k) for k in ("pain", "tired", "symptom")]
    rows = read(
        f"SELECT s.*, {', '.join(counts)} FROM sessions s "
        "ORDER BY s.started DESC, s.id DESC LIMIT ?",
        (-1 if limit is None else limit,),
    )
    routines: dict[int, list[str]] = {}
    for r in read("SELECT session_id, routine FROM session_routines ORDER BY started", ()):
        routines.setdefault(r["session_id"], []).append(r["routine"])
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
            routines=tuple(routines.get(r["id"]) or ([r["routine"]] if r["routine"] else [])),
            completed=bool(r["completed"]),
            symptoms=r["symptom"],
        )
        for r in rows
    ]


def exercise_log(read: Read) -> list[ExerciseEntry]:
    """Every exercise attempt, oldest first (for CSV export and the report)."""
    rows = read(
        "SELECT e.*, s.started AS session_started FROM exercises e "
        "JOIN sessions s ON s.id = e.session_id ORDER BY s.started, e.session_id, e.id",
        (),
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
            planned_reps=r["planned_reps"],
            planned_hold_seconds=r["planned_hold_seconds"],
            symptoms=r["symptom"],
        )
        for r in rows
    ]


def log_entries(read: Read, kinds: Iterable[str] | None = None) -> list[LogEntry]:
    """Raw logs, oldest first, optionally only of some kinds."""
    if kinds is None:
        rows = read("SELECT * FROM log ORDER BY id", ())
    else:
        wanted = list(kinds)
        rows = read(
            f"SELECT * FROM log WHERE kind IN ({','.join('?' * len(wanted))}) ORDER BY id",
            wanted,
        )
    return [LogEntry(r["session_id"], r["t"], r["kind"], json.loads(r["data"])) for r in rows]


def step_up_facts(read: Read, now: float) -> tuple[list[Attempt], dict[str, float], bool]:
    """What coach.progression.earned needs: the attempts of the last weeks, when each
    exercise's dose last changed or a step up was declined, and whether the last session
    with any exercise had a pain, tiredness, symptom, fall or emergency report."""
    since = now - 2 * WINDOW_DAYS * 86400
    gentle = {
        r["session_id"]
        for r in read(
            "SELECT session_id, data FROM log WHERE kind = 'check_in' AND t >= ?", (since,)
        )
        if json.loads(r["data"]).get("energy") == "low"
    }
    kinds = ",".join(f"'{k}'" for k in REPORT_KINDS)
    reported = {
        (r["session_id"], json.loads(r["data"]).get("exercise"))
        for r in read(
            f"SELECT session_id, data FROM log WHERE kind IN ({kinds}) AND t >= ?", (since,)
        )
    }
    attempts = [
        Attempt(
            exercise=r["exercise"],
            t=r["started"],
            complete=r["status"] == "done"
            and r["session_id"] not in gentle
            and (r["reps"] or 0) >= (r["planned_reps"] or 0)
            and (r["hold_seconds"] or 0) >= (r["planned_hold_seconds"] or 0),
            troubled=r["status"] == "stopped"
            or r["pain"] + r["tired"] + r["symptom"] > 0
            or (r["session_id"], r["exercise"]) in reported,
        )
        for r in read("SELECT * FROM exercises WHERE started >= ? ORDER BY id", (since,))
    ]
    settled: dict[str, float] = {}
    for r in read("SELECT t, data FROM log WHERE kind IN ('dose', 'step_up_declined')", ()):
        ident = str(json.loads(r["data"]).get("exercise"))
        settled[ident] = max(settled.get(ident, 0.0), r["t"])
    last = read(
        "SELECT session_id FROM exercises WHERE started <= ? ORDER BY started DESC LIMIT 1", (now,)
    )
    troubled_last = bool(last) and any(sid == last[0]["session_id"] for sid, _ in reported)
    return attempts, settled, troubled_last
