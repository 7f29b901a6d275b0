"""`voicecoach history [--db PATH] [--csv] [--limit N]`: past sessions, for a carer to read."""

from __future__ import annotations

import argparse
import csv
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from voicecoach.memory.store import ExerciseEntry, LogEntry, SessionSummary, Store

HELP = "show past sessions as a table, or export the per-exercise log as CSV"

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
        "--csv", action="store_true", help="print the per-exercise log as CSV instead"
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
                wanted = {s.id for s in sessions}
                write_csv([e for e in store.exercise_log() if e.session_id in wanted], sys.stdout)
            else:
                from voicecoach.memory.history import REPORT_KINDS

                wanted = {s.id for s in sessions}
                reports = [r for r in store.log_entries(REPORT_KINDS) if r.session_id in wanted]
                print_table(sessions[::-1], sys.stdout)
                print_reports(reports, sys.stdout)
    except StoreError as e:
        print(f"voicecoach: {e}", file=sys.stderr)
        return 1
    return 0


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
    from voicecoach.memory.report import session_cells

    if not sessions:
        print("No sessions recorded yet.", file=out)
        return
    header = (
        "Date",
        "Routines",
        "Minutes",
        "Done",
        "Skipped",
        "Swapped",
        "Pain",
        "Tired",
        "Symptoms",
        "Ended",
    )
    rows = [session_cells(s) for s in sessions]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    numeric = {2, 3, 4, 5, 6, 7, 8}
    for row in (header, *rows):
        cells = [
            cell.rjust(w) if i in numeric else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip(), file=out)
    total_done = sum(s.done for s in sessions)
    print(f"\n{len(sessions)} sessions, {total_done} exercises done.", file=out)


def print_reports(reports: list[LogEntry], out: TextIO) -> None:
    """Each pain, symptom, tiredness or emergency report: when, where, the words said."""
    from voicecoach.memory.report import exercise_namer, report_label, report_place, short_date

    if not reports:
        return
    name = exercise_namer()
    print("\nReports of pain, symptoms, tiredness and falls:", file=out)
    for r in reports:
        said = r.data.get("said")
        words = f': "{said}"' if said else ""
        print(f"  {short_date(r.t)}  {report_label(r)}, {report_place(r, name)}{words}", file=out)
