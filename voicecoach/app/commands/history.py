"""`voicecoach history [--db PATH] [--csv [TABLE]] [--limit N]`: past sessions, for a carer
to read, or as CSV for a spreadsheet: the report's facts as four tables (see CSV_TABLES)."""

from __future__ import annotations

import argparse
import csv
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from voicecoach.memory.history import SessionCare
    from voicecoach.memory.store import ExerciseEntry, LogEntry, SessionSummary, Store

HELP = "show past sessions as a table, or export them as CSV (exercises, sessions, events, doses)"

#: `--csv TABLE`: one CSV a table, each a plain grid a spreadsheet sorts and filters; the
#: `session` column joins them.
CSV_TABLES = {
    "exercises": "one row per exercise attempt: dose done against dose set (the default)",
    "sessions": "one row per session: counts, how it ended, warm-up, cool-down, check-in",
    "events": "one row per pain, tiredness, symptom, fall or call for help, with the words",
    "doses": "one row per change of dose: the person's own and the weekly steps up",
}

CSV_COLUMNS = (
    "session",
    "session_start",
    "routine",
    "position",
    "exercise",
    "status",
    "swapped_to",
    "reason",
    "reps",
    "planned_reps",
    "hold_seconds",
    "planned_hold_seconds",
    "pain_reports",
    "tired_reports",
    "symptom_reports",
    "started",
    "finished",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from voicecoach.app.config import add_common_arguments

    add_common_arguments(parser)
    parser.add_argument(
        "--csv",
        nargs="?",
        const="exercises",
        choices=tuple(CSV_TABLES),
        metavar="TABLE",
        help="print CSV instead: "
        + "; ".join(f"{name}: {what}" for name, what in CSV_TABLES.items()),
    )
    parser.add_argument("--limit", type=int, metavar="N", help="only the N most recent sessions")


def open_existing_store(args: argparse.Namespace) -> Store | int:
    """The store named by --db / the settings, or an exit code after saying what is wrong.

    A missing file is not created: a typo in --db should not look like "no sessions".
    """
    from voicecoach.app.config import ConfigError, settings_from_args
    from voicecoach.memory.store import Store, StoreError

    try:
        path = settings_from_args(args).db_path
    except ConfigError as e:
        print(f"voicecoach: {e}", file=sys.stderr)
        return 2
    if not path.exists():
        print(
            f"voicecoach: there is no database at {path} (no session has been recorded yet, "
            "or the path is wrong; see `voicecoach config`)",
            file=sys.stderr,
        )
        return 1
    try:
        store = Store.open(path)
    except StoreError as e:
        print(f"voicecoach: {e}", file=sys.stderr)
        return 1
    if store.warning:
        print(f"voicecoach: {store.warning}", file=sys.stderr)
    return store


def run(args: argparse.Namespace) -> int:
    from voicecoach.memory.store import StoreError

    if args.limit is not None and args.limit < 1:
        print("voicecoach: --limit must be 1 or more", file=sys.stderr)
        return 2
    store = open_existing_store(args)
    if isinstance(store, int):
        return store
    try:
        with store:
            sessions = store.sessions(args.limit)
            if args.csv:
                write_table(args.csv, store, sessions, sys.stdout)
            else:
                print_table(sessions[::-1], sys.stdout)
                print_reports(store, sessions, sys.stdout)
    except StoreError as e:
        print(f"voicecoach: {e}", file=sys.stderr)
        return 1
    return 0


def write_table(name: str, store: Store, sessions: list[SessionSummary], out: TextIO) -> None:
    """CSV table `name` (one of CSV_TABLES) of `sessions` and what happened in them."""
    from voicecoach.memory.history import CARE_KINDS, REPORT_KINDS, session_care
    from voicecoach.memory.report import DOSE_KINDS

    wanted = {s.id for s in sessions}
    exercises = [e for e in store.exercise_log() if e.session_id in wanted]
    if name == "exercises":
        write_csv(exercises, out)
    elif name == "sessions":
        care = session_care(e for e in store.log_entries(CARE_KINDS) if e.session_id in wanted)
        write_sessions_csv(sessions[::-1], care, out)
    elif name == "events":
        events = [e for e in store.log_entries(REPORT_KINDS) if e.session_id in wanted]
        care = session_care(e for e in store.log_entries(CARE_KINDS) if e.session_id in wanted)
        write_events_csv(events, exercises, care, out)
    else:
        changes = [e for e in store.log_entries(DOSE_KINDS) if e.session_id in wanted]
        write_doses_csv(changes, out)


SESSION_COLUMNS = (
    "session",
    "started",
    "ended",
    "minutes",
    "routines",
    "done",
    "skipped",
    "swapped",
    "stopped",
    "pain_reports",
    "tired_reports",
    "symptom_reports",
    "how_it_ended",
    "check_in",
    "warm_up",
    "cool_down",
)


def write_sessions_csv(
    sessions: list[SessionSummary], care: dict[int, SessionCare], out: TextIO
) -> None:
    """Oldest first.  check_in is low / ok / empty; warm_up and cool_down are done, skipped
    or cut short (a cool-down a routine: "done, then skipped"), empty if none was begun."""
    from voicecoach.memory.history import SessionCare
    from voicecoach.memory.report import bookend_text, describe_end, iso_time, routines_text

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SESSION_COLUMNS)
    for s in sessions:
        c = care.get(s.id, SessionCare())
        writer.writerow(
            (
                s.id,
                iso_time(s.started),
                iso_time(s.ended) if s.ended is not None else "",
                round(s.minutes, 1),
                routines_text(s),
                s.done,
                s.skipped,
                s.swapped,
                s.stopped,
                s.pain,
                s.tired,
                s.symptoms,
                describe_end(s),
                c.energy or "",
                bookend_text(c.warm_up),
                bookend_text(c.cool_down),
            )
        )


EVENT_COLUMNS = (
    "session",
    "when",
    "kind",
    "report",
    "exercise",
    "exercise_name",
    "side",
    "during",
    "words_said",
    "exercise_then",
)


def write_events_csv(
    events: list[LogEntry],
    exercises: list[ExerciseEntry],
    care: dict[int, SessionCare],
    out: TextIO,
) -> None:
    """Each pain, tiredness, symptom, fall or call for help: kind is the log kind (pain,
    tired, symptom, emergency, cant_get_up), report says which (Dizzy, Too hot, ...), during
    where it was made as the report says it (the exercise and side, the warm-up, the
    cool-down, between exercises), exercise_then what became of the exercise (empty if
    none)."""
    from voicecoach.memory.report import (
        bookend_of,
        exercise_namer,
        iso_time,
        report_label,
        report_outcomes,
        report_place,
    )

    name = exercise_namer()
    outcome = report_outcomes(exercises, name)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EVENT_COLUMNS)
    for e in events:
        exercise = str(e.data.get("exercise") or "")
        side = e.data.get("side")
        writer.writerow(
            (
                e.session_id,
                iso_time(e.t),
                e.kind,
                report_label(e),
                exercise,
                name(exercise) if exercise else "",
                side if side in ("left", "right") else "",
                report_place(e, name, bookend_of(e, care, exercises)),
                e.data.get("said") or "",
                outcome.get((e.session_id, exercise), "") if exercise else "",
            )
        )


DOSE_COLUMNS = (
    "session",
    "when",
    "exercise",
    "exercise_name",
    "change",
    "why",
    "dose_from_then",
    "hold_seconds",
    "reps",
    "rest_seconds",
)


def write_doses_csv(changes: list[LogEntry], out: TextIO) -> None:
    """Each change of dose in the report's words, with the whole dose from then as numbers
    (empty for a declined step up: the dose stayed as it was)."""
    from voicecoach.memory.report import dose_change_words, exercise_namer, iso_time

    name = exercise_namer()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DOSE_COLUMNS)
    for e in changes:
        exercise = str(e.data.get("exercise"))
        change, why, then = dose_change_words(e)
        numbers = [e.data.get(k) for k in ("hold_seconds", "reps", "rest_seconds")]
        if e.kind != "dose":
            numbers = [None, None, None]
        writer.writerow(
            (
                e.session_id,
                iso_time(e.t),
                exercise,
                name(exercise),
                change,
                why,
                then,
                *("" if n is None else n for n in numbers),
            )
        )


def write_csv(entries: list[ExerciseEntry], out: TextIO) -> None:
    from voicecoach.memory.report import iso_time

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        writer.writerow(
            (
                e.session_id,
                iso_time(e.session_started),
                e.routine or "",
                "" if e.position is None else e.position + 1,  # people count from 1
                e.exercise,
                e.status if e.status != "started" else "not finished",
                e.swapped_to or "",
                e.reason or "",
                "" if e.reps is None else e.reps,
                "" if e.planned_reps is None else e.planned_reps,
                "" if e.hold_seconds is None else round(e.hold_seconds, 1),
                "" if e.planned_hold_seconds is None else round(e.planned_hold_seconds, 1),
                e.pain,
                e.tired,
                e.symptoms,
                iso_time(e.started),
                iso_time(e.finished) if e.finished is not None else "",
            )
        )


def print_table(sessions: list[SessionSummary], out: TextIO) -> None:
    """Oldest first, so the latest session is right above the prompt."""
    from voicecoach.memory.report import SESSION_HEADERS, SESSION_NUMERIC, session_cells

    if not sessions:
        print("No sessions recorded yet.", file=out)
        return
    header = SESSION_HEADERS
    rows = [session_cells(s) for s in sessions]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        cells = [
            cell.rjust(w) if i in SESSION_NUMERIC else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip(), file=out)
    total_done = sum(s.done for s in sessions)
    print(f"\n{len(sessions)} sessions, {total_done} exercises done.", file=out)


def print_reports(store: Store, sessions: list[SessionSummary], out: TextIO) -> None:
    """Each pain, symptom, tiredness or emergency report in `sessions`: when, where (the
    exercise and side, the warm-up or cool-down, between exercises), the words said."""
    from voicecoach.memory.history import CARE_KINDS, REPORT_KINDS, session_care
    from voicecoach.memory.report import (
        bookend_of,
        exercise_namer,
        report_label,
        report_place,
        short_date,
    )

    wanted = {s.id for s in sessions}
    reports = [r for r in store.log_entries(REPORT_KINDS) if r.session_id in wanted]
    if not reports:
        return
    care = session_care(e for e in store.log_entries(CARE_KINDS) if e.session_id in wanted)
    exercises = [e for e in store.exercise_log() if e.session_id in wanted]
    name = exercise_namer()
    print("\nReports of pain, symptoms, tiredness and falls:", file=out)
    for r in reports:
        said = r.data.get("said")
        words = f': "{said}"' if said else ""
        place = report_place(r, name, bookend_of(r, care, exercises))
        print(f"  {short_date(r.t)}  {report_label(r)}, {place}{words}", file=out)
