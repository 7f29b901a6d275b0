"""The carers' report shows the dose done against the dose planned and the catalogue's, and
every change of dose: the person's own by voice and the weekly steps up, with when and why."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from voicecoach.coach.events import Log
from voicecoach.memory.report import load_report_data, render_report
from voicecoach.memory.store import Store

NOW = dt.datetime(2026, 11, 20, 18, 0).timestamp()
DAY = 86400.0


def record(store: Store, t: float, logs: list[tuple[str, dict]]) -> None:
    sid = store.start_session(None)
    for n, (kind, data) in enumerate(logs):
        store.record(sid, Log(kind, data), t + 30 * n)


def test_the_report_shows_dose_changes_with_when_and_why(tmp_path: Path) -> None:
    start = {"index": 0, "total": 1, "routine": None}
    with Store.open(tmp_path / "coach.db", clock=lambda: NOW) as store:
        record(
            store,
            NOW - 3 * DAY,
            [
                ("exercise_start", {"exercise": "knee_to_chest", **start}),
                (
                    "dose",
                    {
                        "exercise": "knee_to_chest",
                        "change": "hold_shorter",
                        "reason": "asked",
                        "hold_seconds": 25,
                        "reps": 1,
                        "rest_seconds": 0,
                        "personal": {"hold_seconds": 25},
                    },
                ),
                ("exercise_done", {"exercise": "knee_to_chest", "reps": 0, "hold_seconds": 50}),
            ],
        )
        planned = {"planned_reps": 14, "planned_hold_seconds": 0}
        record(
            store,
            NOW - DAY,
            [
                (
                    "dose",
                    {
                        "exercise": "bird_dog",
                        "change": "more_reps",
                        "reason": "progression",
                        "hold_seconds": 3,
                        "reps": 7,
                        "rest_seconds": 30,
                        "personal": {"reps": 7},
                    },
                ),
                ("exercise_start", {"exercise": "bird_dog", **start, **planned}),
                ("exercise_done", {"exercise": "bird_dog", "reps": 14, "hold_seconds": 0}),
                ("step_up_declined", {"exercise": "sit_to_stand"}),
            ],
        )
        page = render_report(load_report_data(store, NOW))
    section = page[page.index("weekly steps up</h2>") :]
    section = section[: section.index("<h2>")]
    rows = section.split("<tr>")[2:]
    assert len(rows) == 3
    assert "Sit to stand" in rows[0]
    assert "declined" in rows[0]
    assert "Bird dog" in rows[1]
    assert "more reps" in rows[1]
    assert "weekly step up, accepted" in rows[1]
    assert "reps a set 7 (prescribed 6)" in rows[1]
    assert "Knee to chest" in rows[2]
    assert "shorter holds" in rows[2]
    assert "asked for it by voice" in rows[2]
    assert "holds 25 s (prescribed 30 s)" in rows[2]
    assert "Tue 17 Nov 2026 18:00" in rows[2]  # when
    # Done of planned, beside the catalogue's dose: 2 x 30 s held is prescribed.
    attempts = page[page.index("Exercises in the last") :]
    assert "60 s held" in attempts
    assert "14 of 14 reps" in attempts
    assert "12 reps" in attempts  # bird dog: 2 sets of 6 prescribed, 2 of 7 done
    remembered = page[page.index("What the coach remembers") :]
    assert "Knee to chest at their own dose: holds 25 s (prescribed 30 s)." in remembered
    assert "Bird dog at their own dose: reps a set 7 (prescribed 6)." in remembered


def test_no_changes_say_the_prescribed_doses_were_used(tmp_path: Path) -> None:
    with Store.open(tmp_path / "coach.db", clock=lambda: NOW) as store:
        page = render_report(load_report_data(store, NOW))
    assert "The prescribed doses were used throughout." in page
