"""`voicecoach history` and `voicecoach report` from a real database; the page renders."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from voicecoach.app.cli import main
from voicecoach.coach.events import Log
from voicecoach.memory.report import (
    ReportData,
    load_report_data,
    render_report,
    routine_name,
    weekly_counts,
)
from voicecoach.memory.store import Store

FIRST_MONDAY = dt.datetime(2026, 10, 5, 9, 30).timestamp()
NOW = dt.datetime(2026, 11, 20, 18, 0).timestamp()  # a Friday, seven weeks later
DAY = 86400.0
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: The screenshot's size: the page's top, or all of it for docs/ (VOICECOACH_SCREENSHOT_HEIGHT).
SHOT = (1000, int(os.environ.get("VOICECOACH_SCREENSHOT_HEIGHT", "1400")))

MORNING = ["knee_to_chest", "spinal_twist", "shoulder_flexion", "cervical_rotation", "ankle_pumps"]
STRENGTH = ["bird_dog", "sit_to_stand", "single_leg_stand", "glute_bridge", "stationary_lunge"]


class Clock:
    def __init__(self) -> None:
        self.t = FIRST_MONDAY

    def __call__(self) -> float:
        return self.t


def session(store: Store, clock: Clock, routine: str, plan: list[str], script: list[tuple]) -> None:
    """Record one session as the coach logs it; `script` is (kind, data) with shorthands."""
    sid = store.start_session(None)
    logs = [
        ("session_start", {"routine": None}),
        ("routine", {"routine": routine, "exercises": plan}),
    ]
    logs += script
    for kind, data in logs:
        clock.t += 45
        store.record(sid, Log(kind, data))


def done(
    plan: list[str],
    *,
    skip_pain: str | None = None,
    easier: dict | None = None,
    stop_after: int | None = None,
    end: str | None = "finished",
    energy: str = "ok",
    warm_up: str = "bookend_done",
    during: dict[str, list[tuple]] | None = None,
) -> list[tuple]:
    """`warm_up` is how it ended (bookend_done, bookend_skipped); `during` is logs made in
    an exercise (a dose change)."""
    out: list[tuple] = [
        ("check_in", {"energy": energy}),
        ("bookend", {"part": "warm_up", "bookend": "warm_up_lying", "seconds": 70.0}),
        (warm_up, {"part": "warm_up"}),
    ]
    for i, ex in enumerate(plan[:stop_after]):
        out.append(("exercise_start", {"exercise": ex, "index": i, "total": len(plan)}))
        out += (during or {}).get(ex, [])
        if easier and ex in easier:
            out.append(("swapped", {"exercise": ex, "to": easier[ex], "reason": "easier"}))
            ex = easier[ex]
            out.append(("exercise_start", {"exercise": ex, "index": i, "total": len(plan)}))
        if ex == skip_pain:
            out.append(("pain", {"exercise": ex, "side": "left", "said": "ow my knee"}))
            out.append(("exercise_skipped", {"exercise": ex, "reason": "asked to skip"}))
            continue
        out.append(("exercise_done", {"exercise": ex, "reps": 8, "hold_seconds": 30}))
    if stop_after is None:
        out.append(("bookend", {"part": "cool_down", "bookend": "cool_down_seated", "seconds": 55}))
        out.append(("bookend_done", {"part": "cool_down"}))
    if end:
        out.append(("session_end", {"reason": end}))
    return out


#: The catalogue's whole dose of the exercises whose dose changes below.
PRESCRIBED = {
    "glute_bridge": {"hold_seconds": 0, "reps": 10, "rest_seconds": 30},
    "knee_to_chest": {"hold_seconds": 30, "reps": 1, "rest_seconds": 0},
}


def dose(exercise: str, change: str, reason: str, **personal: int) -> tuple:
    """A `dose` log as coach.dose makes it: the whole dose, and the parts of it own."""
    whole = {**PRESCRIBED[exercise], **personal}
    return (
        "dose",
        {"exercise": exercise, "change": change, "reason": reason, **whole, "personal": personal},
    )


#: Changes of dose, by (week, session in the week): fewer reps asked for, a weekly step up
#: taken later, and one declined.
DOSE_CHANGES = {
    (1, 0): {"glute_bridge": [dose("glute_bridge", "fewer_reps", "asked", reps=8)]},
    (5, 1): {
        "knee_to_chest": [dose("knee_to_chest", "hold_longer", "progression", hold_seconds=35)]
    },
    (6, 1): {"glute_bridge": [("step_up_declined", {"exercise": "glute_bridge"})]},
}


def build_history(path: Path) -> Store:
    """Seven weeks of a plausible person: good weeks, a bad week, easier versions, pain,
    warm-ups and cool-downs (one warm-up skipped, a low-energy day), changes of dose."""
    clock = Clock()
    store = Store.open(path, clock=clock)
    per_week = [3, 4, 2, 0, 1, 3, 2]
    for week, count in enumerate(per_week):
        for n in range(count):
            clock.t = FIRST_MONDAY + week * 7 * DAY + n * 2 * DAY
            during = DOSE_CHANGES.get((week, n))
            if (week + n) % 2:
                session(
                    store,
                    clock,
                    "strengthening",
                    STRENGTH,
                    done(
                        STRENGTH,
                        easier={"bird_dog": "bird_dog_half"},
                        skip_pain="stationary_lunge" if week in (1, 2) else None,
                        during=during,
                    ),
                )
            else:
                warm_up = "bookend_skipped" if (week, n) == (2, 0) else "bookend_done"
                energy = "low" if (week, n) == (2, 0) else "ok"
                plan = done(MORNING, warm_up=warm_up, energy=energy, during=during)
                session(store, clock, "morning", MORNING, plan)
    # A bad day: can't lie down, tired, stops early.
    clock.t = FIRST_MONDAY + 6 * 7 * DAY + 3 * DAY
    sid = store.start_session(None)
    for kind, data in [
        ("session_start", {"routine": "stretching"}),
        ("routine", {"routine": "morning", "exercises": MORNING}),
        ("constraint", {"constraint": "no_lying", "active": ["no_lying"]}),
        ("bookend", {"part": "warm_up", "bookend": "warm_up_seated", "seconds": 70.0}),
        ("check_in", {"energy": "low"}),  # tired in the warm-up: a gentle session
        ("bookend_done", {"part": "warm_up"}),
        ("exercise_start", {"exercise": "knee_to_chest", "index": 0, "total": 5}),
        (
            "swapped",
            {"exercise": "knee_to_chest", "to": "knee_to_chest_seated", "reason": "no_lying"},
        ),
        ("exercise_start", {"exercise": "knee_to_chest_seated", "index": 0, "total": 5}),
        ("exercise_done", {"exercise": "knee_to_chest_seated", "reps": 0, "hold_seconds": 40}),
        ("exercise_start", {"exercise": "spinal_twist_seated", "index": 1, "total": 5}),
        (
            "symptom",
            {
                "symptom": "overheated",
                "exercise": "spinal_twist_seated",
                "side": None,
                "said": "i'm too hot",
            },
        ),
        ("tired", {"exercise": "spinal_twist_seated"}),
        ("voice", {"rate": 130, "volume": 0.9}),
        ("session_end", {"reason": "tired"}),
    ]:
        clock.t += 60
        store.record(sid, Log(kind, data))
    # And one the power cut short (never ended).
    clock.t = NOW - 3600
    session(store, clock, "morning", MORNING, done(MORNING, stop_after=2, end=None))
    return store


@pytest.fixture(scope="module")
def history_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once: every record is fsynced, a few hundred of them take a second."""
    path = tmp_path_factory.mktemp("history") / "history.db"
    build_history(path).close()
    return path


def test_weekly_counts_cover_every_week_up_to_now(history_db: Path) -> None:
    with Store.open(history_db) as store:
        weeks = weekly_counts(load_report_data(store, NOW))
    # At least 8 weeks are shown; the last has the bad day and the power cut too.
    assert [w.sessions for w in weeks] == [0, 3, 4, 2, 0, 1, 3, 4]
    assert weeks[1].monday == dt.date(2026, 10, 5)
    assert weeks[-1].monday == dt.date(2026, 11, 16)
    assert sum(w.pain for w in weeks) == 3  # weeks 1 and 2: the lunge hurt


def test_history_table(history_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "--db", str(history_db), "--limit", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
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
    ]
    assert "Thu 19 Nov 2026" in lines[2]
    assert "stopped early (tired)" in lines[2]
    assert lines[3].startswith("Fri 20 Nov 2026 17:00")
    assert "not ended" in lines[3]
    assert lines[5] == "3 sessions, 8 exercises done."
    assert lines[-1].endswith("Tired, Seated twist")


def test_history_csv_is_the_per_exercise_log(
    history_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "--db", str(history_db), "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    # 15 full sessions of 5, a row more for each of 7 easier swaps, the bad day, the power cut.
    assert len(rows) == 15 * 5 + 7 + 3 + 2
    swapped = [r for r in rows if r["status"] == "swapped"]
    assert {(r["exercise"], r["swapped_to"], r["reason"]) for r in swapped} == {
        ("bird_dog", "bird_dog_half", "easier"),
        ("knee_to_chest", "knee_to_chest_seated", "no_lying"),
    }
    skipped = [r for r in rows if r["status"] == "skipped"]
    assert {(r["exercise"], r["reason"], r["pain_reports"]) for r in skipped} == {
        ("stationary_lunge", "asked to skip", "1")
    }
    last = rows[-1]
    assert (last["exercise"], last["status"], last["position"]) == ("spinal_twist", "done", "2")
    assert rows[0]["session_start"] == "2026-10-05 09:30:00"


def test_history_without_a_database_says_so_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothing.db"
    assert main(["history", "--db", str(missing)]) == 1
    assert "there is no database at" in capsys.readouterr().err
    assert not missing.exists()


def test_report_contents(history_db: Path) -> None:
    with Store.open(history_db) as store:
        data = load_report_data(store, NOW)
    page = render_report(data)
    assert "<script" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    assert "<svg" in page
    assert page.count('<rect x="') == 6  # one bar per week with sessions
    assert "Bird dog</td><td>swapped to Half bird dog because asked for an easier version" in page
    assert 'Stationary lunge</td><td>skipped because asked to skip it</td><td class="n">3' in page
    assert "Knee to chest</td><td>swapped to Seated knee hug because can&#x27;t lie down" in page
    assert "Standing limits: can&#x27;t lie down" in page
    assert "Uses Half bird dog instead of Bird dog." in page
    assert "Speaking rate 130 words per minute, volume 90%." in page
    assert "Knee to chest at their own dose: holds 35 s (prescribed 30 s)." in page
    doses = page[page.index("<h2>Dose") : page.index("<h2>Pain")]
    assert doses.count("<tr>") == 1 + 3  # newest first
    assert doses.index("declined (or no answer)") < doses.index("weekly step up, accepted")
    assert "fewer reps</td><td>asked for it by voice</td><td>reps a set 8 (prescribed 10)" in doses
    recent = page[page.index("<h2>Recent sessions") :]
    bad_day = '(tired)</td></tr><tr class="note"><td></td><td colspan="9">warm-up done &middot; '
    assert bad_day + "check-in: low energy: a gentle session<" in recent


def test_history_csv_tables_carry_the_reports_facts(
    history_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def table(name: str) -> list[dict[str, str]]:
        assert main(["history", "--db", str(history_db), "--csv", name]) == 0
        return list(csv.DictReader(io.StringIO(capsys.readouterr().out)))

    sessions = table("sessions")
    assert len(sessions) == 17
    skipped = [r for r in sessions if r["warm_up"] == "skipped"]
    assert [(r["started"], r["check_in"], r["cool_down"]) for r in skipped] == [
        ("2026-10-19 09:30:00", "low", "done")
    ]
    assert sessions[-1]["cool_down"] == ""  # the power cut came first
    doses = table("doses")
    assert [(r["when"][:10], r["exercise"], r["change"], r["reps"]) for r in doses] == [
        ("2026-10-12", "glute_bridge", "fewer reps", "8"),
        ("2026-11-11", "knee_to_chest", "longer holds", "1"),
        ("2026-11-18", "glute_bridge", "a small step up was offered", ""),
    ]
    events = table("events")
    assert [(r["kind"], r["report"], r["words_said"]) for r in events][-2:] == [
        ("symptom", "Too hot", "i'm too hot"),
        ("tired", "Tired", ""),
    ]
    assert {r["exercise_then"] for r in events if r["kind"] == "pain"} == {
        "skipped because asked to skip it"
    }


def test_a_fall_is_the_first_thing_the_report_shows(tmp_path: Path) -> None:
    clock = Clock()
    clock.t = NOW - 86400
    with Store.open(tmp_path / "fall.db", clock=clock) as store:
        session(
            store,
            clock,
            "morning",
            MORNING,
            [
                ("exercise_start", {"exercise": "knee_to_chest", "index": 0, "total": 5}),
                ("emergency", {"exercise": "knee_to_chest"}),
                ("session_end", {"reason": "asked"}),
            ],
        )
        page = render_report(load_report_data(store, NOW))
    cards = page[page.index('<div class="cards">') :]
    assert cards.index("falls or calls for help") < cards.index("sessions in the last")
    assert '<span class="pain">Fall or call for help</span></td><td>Knee to chest' in page


def test_report_of_an_empty_database(tmp_path: Path) -> None:
    with Store.open(tmp_path / "empty.db") as store:
        page = render_report(load_report_data(store, NOW))
    assert "No sessions have been recorded yet." in page
    assert "No exercise was swapped or skipped." in page
    assert "No pain, tiredness, symptom or fall was reported." in page


def test_report_command_writes_the_file(
    history_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    assert main(["report", str(out), "--db", str(history_db)]) == 0
    assert f"Wrote {out}" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert (
        main(["report", str(tmp_path / "no" / "such" / "dir.html"), "--db", str(history_db)]) == 1
    )
    assert "cannot write" in capsys.readouterr().err


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs a headless browser: apt-get install chromium")
def test_report_renders_in_a_headless_browser(history_db: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    with Store.open(history_db) as store:
        page.write_text(render_report(load_report_data(store, NOW)), encoding="utf-8")
    shot = tmp_path / "report.png"
    assert CHROMIUM is not None
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            f"--window-size={SHOT[0]},{SHOT[1]}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert shot.exists(), result.stderr[-2000:]
    assert png_size(shot) == SHOT
    # A blank or error page compresses to almost nothing; text, tables and bars do not.
    assert shot.stat().st_size > 40_000
    if os.environ.get("VOICECOACH_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["VOICECOACH_KEEP_SCREENSHOT"])


def test_report_data_is_plain(history_db: Path) -> None:
    with Store.open(history_db) as store:
        data = load_report_data(store, NOW)
    assert isinstance(data, ReportData)
    assert data.sessions[0].started > data.sessions[-1].started
    assert sys.getsizeof(render_report(data, name=str)) < 200_000


# --- what a therapist reads: from whole coach sessions -----------------------------------------


def coach_report(
    catalogue, matcher, tmp_path: Path, lines: list[str], answering: bool = True
) -> tuple:
    """Run the coach on typed lines (then answering the obvious way, unless not
    `answering`), store its log records as the runtime does, and return (report page,
    store summaries, exercise rows)."""
    from sessions import run_answering, run_session

    run = run_answering if answering else run_session
    transcript, _ = run(catalogue, matcher, lines)
    with Store.open(tmp_path / "coach.db") as store:
        sid = store.start_session(None)
        store.write(
            (sid, NOW - 3600 + r.t, r.action)
            for r in transcript.records
            if isinstance(r.action, Log)
        )
        page = render_report(load_report_data(store, NOW))
        return page, store.sessions(), store.exercise_log()


def test_a_completed_routine_then_stop_is_completed(catalogue, matcher, tmp_path: Path) -> None:
    page, [summary], _ = coach_report(catalogue, matcher, tmp_path, ["stretching routine"])
    assert summary.end_reason == "asked to stop"  # "stop" at "another one?"
    assert "completed the routine" in page
    assert "stopped early" not in page


def test_a_session_is_filed_under_every_routine_done_in_it(
    catalogue, matcher, tmp_path: Path
) -> None:
    lines = ["stretching routine"] + ["ready"] * 6 + ["yes", "morning routine"]
    page, [summary], rows = coach_report(catalogue, matcher, tmp_path, lines)
    assert summary.routines == ("stretching", "morning")
    assert {e.routine for e in rows} == {"stretching", "morning"}
    assert f"{routine_name('stretching')} + {routine_name('morning')}" in page


def test_limits_read_as_words_and_reports_carry_side_and_words(
    catalogue, matcher, tmp_path: Path
) -> None:
    lines = [
        "i'm sitting down",
        "stretching routine",
        "ready",
        "+10 ouch my leg hurts",
        "skip",
        "ready",
        "+5 i feel dizzy",
        "i'm fine now",
    ]
    page, _, rows = coach_report(catalogue, matcher, tmp_path, lines, answering=False)
    swaps = [e for e in rows if e.status == "swapped"]
    assert swaps
    assert all(e.reason and "seated" in e.reason for e in swaps)
    assert "because sitting" in page
    assert "because seated" not in page
    assert "&ldquo;ouch my leg hurts&rdquo;" in page
    assert "&ldquo;i feel dizzy&rdquo;" in page
    assert ">Dizzy<" in page
    assert len([e for e in rows if e.status == "started"]) <= 1  # the one in hand at the end


def test_dose_done_is_shown_against_the_dose_set(catalogue, matcher, tmp_path: Path) -> None:
    page, _, rows = coach_report(catalogue, matcher, tmp_path, ["sit to stand"])
    entry = rows[0]
    assert entry.status == "done"
    assert entry.planned_reps
    assert f"{entry.reps} of {entry.planned_reps} reps" in page


def test_a_tired_exercise_is_not_finished(catalogue, matcher, tmp_path: Path) -> None:
    lines = ["morning routine", "ready", "+5 i'm tired", "next", "stop", "yes"]
    page, _, rows = coach_report(catalogue, matcher, tmp_path, lines, answering=False)
    assert (rows[0].status, rows[0].reason) == ("stopped", "tired")
    assert "stopped: tired" in page
