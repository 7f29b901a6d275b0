"""`voicecoach doctor`: plain words, never a traceback; and the systemd unit is valid."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from voicecoach.app.commands.doctor import (
    FAIL,
    OK,
    WARN,
    Check,
    check_database,
    check_device,
    guarded,
    print_checks,
)
from voicecoach.memory.store import Store

REPO = Path(__file__).resolve().parents[1]
UNIT = REPO / "deploy" / "voicecoach.service"

DEVICES = [
    {"index": 0, "name": "HDA Intel PCH: HDMI 0", "inputs": 0, "outputs": 2},
    {"index": 1, "name": "USB PnP Sound Device: Audio", "inputs": 1, "outputs": 2},
    {"index": 2, "name": "default", "inputs": 32, "outputs": 32},
]


def doctor(tmp_path: Path, *args: str, home: Path | None = None) -> subprocess.CompletedProcess:
    """Run the real command in a clean environment (PortAudio reads ALSA config at start)."""
    env = {
        **os.environ,
        "HOME": str(home or tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    return subprocess.run(
        [sys.executable, "-m", "voicecoach", "doctor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )


def no_audio_devices() -> bool:
    from voicecoach.app.commands.doctor import list_audio_devices

    return not list_audio_devices()


@pytest.mark.slow
@pytest.mark.skipif(not no_audio_devices(), reason="this machine has audio devices")
def test_machine_without_audio_devices_is_told_so(tmp_path: Path) -> None:
    result = doctor(tmp_path, "--db", str(tmp_path / "coach.db"))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split()[:3] == ["PROBLEM", "microphone", "This"]
    assert "no audio devices at all" in lines[1]
    assert "arecord -l" in result.stdout
    assert any(line.split()[:2] == ["ok", "database"] for line in lines)
    assert "will be created at the first session" in " ".join(result.stdout.split())
    assert not (tmp_path / "coach.db").exists()  # the doctor looks, it does not create
    assert "problems found" in lines[-1]


@pytest.mark.slow
def test_virtual_alsa_devices_pass(tmp_path: Path) -> None:
    from voicecoach.hear.audio import write_virtual_alsa_home

    (tmp_path / "mic.raw").write_bytes(bytes(32000))
    home = write_virtual_alsa_home(tmp_path / "vhome", tmp_path / "mic.raw")
    result = doctor(tmp_path, home=home)
    assert "Traceback" not in result.stderr
    by_name = {
        line.split()[1]: line.split()[0]
        for line in result.stdout.splitlines()
        if line.strip() and line.split()[0] in (OK, FAIL, WARN)
    }
    assert by_name["microphone"] == OK, result.stdout
    assert by_name["speaker"] == OK, result.stdout
    assert "default (device" in result.stdout


@pytest.mark.slow
def test_bad_config_is_named_and_other_checks_still_run(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('engine = "siri"\n')
    result = doctor(tmp_path, "--config", str(config), "--db", str(tmp_path / "x.db"))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert 'engine must be one of "auto", "whisper", "vosk", "pocketsphinx"' in " ".join(
        result.stdout.split()
    )
    assert " database " in result.stdout


def test_device_named_in_settings_but_absent() -> None:
    check = check_device("microphone", DEVICES, "Blue Yeti")
    assert check.status == FAIL
    assert "input_device = 'Blue Yeti'" in check.message
    assert "1: USB PnP Sound Device: Audio" in check.fix
    assert "HDMI" not in check.fix  # it cannot record


def test_device_picked_by_name_number_or_default() -> None:
    assert check_device("microphone", DEVICES, "usb pnp").message.startswith("USB PnP")
    assert check_device("speaker", DEVICES, 0).message == "HDA Intel PCH: HDMI 0 (device 0)"
    assert check_device("speaker", DEVICES, None, default=2).message == "default (device 2)"
    assert check_device("microphone", DEVICES[:1], None).status == FAIL


def test_device_that_cannot_be_opened() -> None:
    def probe(device: object) -> None:
        raise RuntimeError("Device unavailable")

    check = check_device("speaker", DEVICES, "USB", probe)
    assert check.status == FAIL
    assert "USB PnP Sound Device: Audio is there but cannot be opened" in check.message


def test_database_states(tmp_path: Path) -> None:
    db = tmp_path / "coach.db"
    assert check_database(db).status == OK
    with Store.open(db) as store:
        store.start_session(None)
    ok = check_database(db)
    assert ok.status == OK
    assert f"{db}: 1 sessions, the last on " in ok.message
    db.write_bytes(b"not a database at all" * 100)
    moved = check_database(db)
    assert moved.status == WARN
    assert "moved aside" in moved.message
    assert len(list(tmp_path.glob("coach.db.corrupt-*"))) == 1


def test_locked_database_is_a_plain_problem(tmp_path: Path) -> None:
    db = tmp_path / "coach.db"
    db.touch()
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        check = check_database(db, busy_timeout=0.1)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert check.status == FAIL
    assert "in use by another program" in check.message
    assert "systemctl --user stop voicecoach" in check.fix


def test_a_crashing_check_is_reported_not_raised() -> None:
    def broken() -> Check:
        raise KeyError("boom")

    check = guarded("voice", broken)
    assert check.status == FAIL
    assert "KeyError" in check.message


def test_missing_module_degrades_to_not_available(monkeypatch: pytest.MonkeyPatch) -> None:
    from voicecoach.app.commands.doctor import check_recognizer, check_speech

    monkeypatch.setitem(sys.modules, "voicecoach.hear.engines", None)
    monkeypatch.setitem(sys.modules, "voicecoach.voice.speech", None)
    assert check_recognizer("auto", None).message.startswith("The speech recognizer is not avail")
    assert check_speech(None, None, None).message.startswith("Text-to-speech is not available")


def test_output_says_each_fix_once(capsys: pytest.CaptureFixture[str]) -> None:
    fix = "Plug it in."
    print_checks(
        [
            Check("microphone", FAIL, "none", fix),
            Check("speaker", FAIL, "none", fix),
            Check("voice", OK, "fine"),
        ]
    )
    out = capsys.readouterr().out
    assert out.count(fix) == 1
    assert "How to fix: see above." in out
    assert out.rstrip().endswith(
        "2 problems found; fix them from the top, then run `voicecoach doctor` again."
    )


# --- the systemd unit ---------------------------------------------------------------------------


def unit_settings() -> dict[str, str]:
    values = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def test_unit_restarts_the_coach_and_starts_at_login() -> None:
    unit = unit_settings()
    assert unit["ExecStart"] == "%h/voicecoach/.venv/bin/voicecoach run"
    assert unit["Restart"] == "always"  # the coach never exits by itself: any exit is recovered
    assert unit["RestartSec"] == "5"
    assert unit["WantedBy"] == "default.target"
    assert unit["KillSignal"] == "SIGINT"  # the coach ends cleanly, like Ctrl-C


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    # %h is the home folder: give verify one where the documented install exists.
    exe = tmp_path / "voicecoach" / ".venv" / "bin" / "voicecoach"
    exe.parent.mkdir(parents=True)
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    result = subprocess.run(
        ["systemd-analyze", "verify", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # unknown keys are only warnings
