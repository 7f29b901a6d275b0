"""`voicecoach text`: the typed session, end to end through the command line."""

from __future__ import annotations

import io
import json

from voicecoach.app.cli import main
from voicecoach.coach import script


def run_text(monkeypatch, capsys, lines: str, *args: str) -> list[str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert main(["text", *args]) == 0
    return capsys.readouterr().out.splitlines()


def test_json_actions_carry_time_exercise_and_intent(monkeypatch, capsys):
    out = run_text(
        monkeypatch, capsys, "knee to chest\nready\n+12 pause\nresume\n", "--fast", "--json"
    )
    records = [json.loads(line) for line in out]
    assert all({"t", "action", "text", "exercise", "intent"} <= set(r) for r in records)
    pause = next(r for r in records if r["intent"] == "pause")
    assert pause["exercise"] == "knee_to_chest"
    opening = "Your left knee to your chest. Hold"
    hold = next(r for r in records if r["text"] and r["text"].startswith(opening))
    assert pause["t"] - hold["t"] == 12
    assert records[-1]["action"] == "end"
    assert {r["action"] for r in records} >= {"say", "tone", "start_timer", "log", "end"}


def test_plain_output_reads_like_a_conversation(monkeypatch, capsys):
    out = run_text(monkeypatch, capsys, "start\n", "--fast")
    assert out[0].endswith("coach: Hello, I'm your exercise coach.")
    assert any("you:   start   -> start" in line for line in out)
    assert out[-1].endswith("(session ended: input ended)")


def test_routine_option_and_unknown_routine(monkeypatch, capsys):
    out = run_text(monkeypatch, capsys, "", "--fast", "--routine", "seated")
    assert any("the seated routine" in line for line in out)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["text", "--fast", "--routine", "dancing"]) == 2
    assert "unknown routine 'dancing'" in capsys.readouterr().err


def test_real_clock_mode_runs_timers_while_nobody_types(monkeypatch, capsys):
    # A line said half a second in: the real-time path must keep time and end cleanly.
    out = run_text(monkeypatch, capsys, "+0.5 help\n")
    assert any("you:   help" in line for line in out)
    assert out[-1].endswith("(session ended: input ended)")


def test_two_sessions_with_one_database_remember_constraints_and_voice(
    monkeypatch, capsys, tmp_path
):
    db = str(tmp_path / "coach.db")
    run_text(monkeypatch, capsys, "i can't lie down\nslower\nstop\nyes\n", "--fast", "--db", db)
    out = run_text(monkeypatch, capsys, "yes\nknee to chest\n", "--fast", "--json", "--db", db)
    records = [json.loads(line) for line in out]
    voice = [r for r in records if r["action"] == "set_voice"]
    assert voice[0]["rate"] == 130
    says = [r["text"] for r in records if r["action"] == "say"]
    asked = [text for text in says if "Last time" in text]
    assert asked == [script.constraints_question(["no_lying"])]
    started = [r for r in records if r["action"] == "log" and r["kind"] == "exercise_start"]
    assert started[0]["data"]["exercise"] == "knee_to_chest_seated"


def test_a_fast_session_is_stored_with_its_own_minutes(monkeypatch, capsys, tmp_path):
    # Virtual time runs far ahead of the wall: history must say the ten minutes it took.
    from voicecoach.memory.store import Store

    db = tmp_path / "coach.db"
    run_text(monkeypatch, capsys, "start\n+600 stop\nyes\n", "--fast", "--db", str(db))
    store = Store.open(db)
    try:
        [session] = store.sessions()
    finally:
        store.close()
    assert 10 <= session.minutes < 11
