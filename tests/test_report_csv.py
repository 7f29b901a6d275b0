"""The report and `history --csv` tell the same facts: typed coach sessions on a virtual clock
are stored in a real SQLite file, then the page and each CSV table are read back."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from sessions import run_answering, run_session

from voicecoach.app.cli import main
from voicecoach.coach.events import Log
from voicecoach.memory.report import load_report_data, render_report
from voicecoach.memory.store import Store

MONDAY = dt.datetime(2026, 11, 16, 9, 0).timestamp()
NOW = dt.datetime(2026, 11, 20, 18, 0).timestamp()
DAY = 86400.0

#: Three mornings, as typed: (lines, whether to answer the obvious way after them).
MORNINGS: list[tuple[list[str], bool]] = [
    # Low on energy: a gentle session, the warm-up and cool-down done.
    (["i'm low on energy", "morning routine"], True),
    # Fine; the warm-up skipped, fewer reps asked for, then pain with the words said.
    (
        [
            "i feel fine",
            "strengthening routine",
            "+10 skip",
            "ready",
            "+3 fewer reps",
            "+5 ouch my knee hurts",
            "skip",
            "stop",
            "yes",
        ],
        False,
    ),
    # "Stop" in the middle of the warm-up: cut short.
    (["morning routine", "+10 stop", "yes"], False),
    # Pain in the warm-up (no exercise yet): it is skipped.
    (["morning routine", "+10 ouch it hurts", "skip", "stop", "yes"], False),
]


@pytest.fixture(scope="module")
def week_db(catalogue, matcher, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("week") / "coach.db"
    now = [MONDAY]  # the store's clock: each session starts when its morning does
    with Store.open(path, clock=lambda: now[0]) as store:
        for day, (lines, answering) in enumerate(MORNINGS):
            run = run_answering if answering else run_session
            transcript, _ = run(catalogue, matcher, lines)
            now[0] = MONDAY + day * DAY
            sid = store.start_session(None)
            store.write(
                (sid, now[0] + r.t, r.action)
                for r in transcript.records
                if isinstance(r.action, Log)
            )
    return path


def table(db: Path, name: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, str]]:
    assert main(["history", "--db", str(db), "--csv", name]) == 0
    return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))


def test_the_report_shows_each_sessions_warm_up_cool_down_and_check_in(week_db: Path) -> None:
    with Store.open(week_db) as store:
        data = load_report_data(store, NOW)
    page = render_report(data)
    low, skipped, cut, _ = sorted(data.care.items())
    assert (low[1].warm_up, low[1].cool_down, low[1].energy) == (("done",), ("done",), "low")
    assert (skipped[1].warm_up, skipped[1].cool_down, skipped[1].energy) == (("skipped",), (), "ok")
    assert (cut[1].warm_up, cut[1].cool_down, cut[1].energy) == (("cut short",), (), None)
    assert (
        "warm-up done &middot; cool-down done &middot; check-in: low energy: a gentle session"
        in page
    )
    assert '<td colspan="9">warm-up skipped &middot; check-in: felt fine</td>' in page
    assert '<td colspan="9">warm-up cut short</td>' in page


def test_csv_sessions_carry_the_warm_up_cool_down_and_check_in(
    week_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = table(week_db, "sessions", capsys)
    assert [(r["check_in"], r["warm_up"], r["cool_down"]) for r in rows] == [
        ("low", "done", "done"),
        ("ok", "skipped", ""),
        ("", "cut short", ""),
        ("", "skipped", ""),
    ]
    assert rows[0]["started"] == "2026-11-16 09:00:00"
    assert rows[0]["how_it_ended"] == "completed the routine"
    assert rows[1]["pain_reports"] == "1"


def test_csv_events_carry_the_words_said_and_what_became_of_the_exercise(
    week_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pain, in_warm_up = table(week_db, "events", capsys)
    assert (pain["kind"], pain["report"], pain["exercise"]) == ("pain", "Pain", "glute_bridge")
    assert pain["words_said"] == "ouch my knee hurts"
    assert pain["exercise_then"] == "skipped because pain"
    assert pain["when"].startswith("2026-11-17 ")
    assert pain["during"] == "Glute bridge"
    assert (in_warm_up["exercise"], in_warm_up["during"]) == ("", "the warm-up")
    assert (in_warm_up["words_said"], in_warm_up["exercise_then"]) == ("ouch it hurts", "")
    with Store.open(week_db) as store:
        page = render_report(load_report_data(store, NOW))
    assert "&ldquo;ouch my knee hurts&rdquo;" in page
    assert "<td>the warm-up</td><td>&ldquo;ouch it hurts&rdquo;" in page


def test_csv_doses_carry_the_change_why_and_the_dose_from_then(
    week_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    [change] = table(week_db, "doses", capsys)
    assert (change["exercise"], change["change"], change["why"]) == (
        "glute_bridge",
        "fewer reps",
        "asked for it by voice",
    )
    assert change["reps"] == "9"
    assert change["dose_from_then"].startswith("reps a set 9 (prescribed ")
    with Store.open(week_db) as store:
        page = render_report(load_report_data(store, NOW))
    assert change["dose_from_then"] in page  # the same words on the page


def test_plain_csv_is_still_the_per_exercise_log_and_limit_applies_to_every_table(
    week_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "--db", str(week_db), "--csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header.startswith("session,session_start,routine,position,exercise,status")
    for name in ("events", "doses", "sessions"):
        assert len(table(week_db, name, capsys)) > 0
        assert main(["history", "--db", str(week_db), "--csv", name, "--limit", "1"]) == 0
        rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
        # The last morning alone: its pain in the warm-up, no change of dose.
        assert {r["session"] for r in rows} == ({"4"} if name != "doses" else set())


def test_history_says_a_report_in_the_warm_up_was_in_the_warm_up(
    week_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "--db", str(week_db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].endswith('Pain, Glute bridge: "ouch my knee hurts"')
    assert lines[-1].endswith('Pain, the warm-up: "ouch it hurts"')
