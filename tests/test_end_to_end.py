"""The whole product on recorded speech: `voicecoach run --audio-in ... --audio-out ... --log ...`.

Speech is synthesized (several voices), placed on a timeline with silences, and read by
the real recognizer; the coach's voice and tones go to a WAV on the same timeline.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import wave

import numpy as np
import pytest

from voicecoach.coach import script

pytestmark = pytest.mark.slow

#: (seconds into the recording, what the person says, voice)
SCENARIO = [
    (32, "stretching", "slt"),
    (55, "skip", "rms"),  # the warm-up
    (112, "ready", "awb"),
    (124, "pause", "slt"),
    (132, "resume", "kal16"),
    (162, "i can't lie down", "kal16"),
    (212, "it hurts", "rms"),
    (227, "stop", "slt"),
    (238, "yes", "rms"),
]
EXPECTED = [
    "choose_routine", "skip", "start", "pause", "resume", "cant_lie_down", "pain", "stop", "yes",
]  # fmt: skip


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> dict:
    from voicecoach.voice.synth import silence, synthesize, write_wav

    folder = tmp_path_factory.mktemp("e2e")
    pcm = b""
    for at, text, voice in SCENARIO:
        pcm += silence(at - len(pcm) / 32000) + synthesize(text, voice)
    pcm += silence(10)
    audio_in = write_wav(folder / "in.wav", pcm)
    out, log = folder / "out.wav", folder / "log.jsonl"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "voicecoach", "run", "--audio-in", str(audio_in),
         "--audio-out", str(out), "--log", str(log), "--db", str(folder / "coach.db")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in log.read_text().splitlines()]
    return {
        "records": records, "out": out, "seconds": time.monotonic() - started,
        "db": folder / "coach.db",
    }  # fmt: skip


def test_the_log_shows_what_was_heard_in_order(session):
    records = session["records"]
    heard = [r["intent"] for r in records if r["type"] == "heard" and not r.get("ignored")]
    assert heard == EXPECTED


def test_the_coach_answers_each_command(session):
    records = session["records"]
    answers = {}
    for i, r in enumerate(records):
        if r["type"] == "heard" and not r.get("ignored"):
            said = next(x for x in records[i + 1 :] if x.get("action") == "say")
            answers[r["intent"]] = said["text"]
    assert answers["choose_routine"].startswith("Let's do the stretching routine")
    assert answers["skip"] == script.BOOKEND_SKIPPED["warm_up"]
    assert answers["start"] == "Your left knee to your chest. Hold for thirty seconds."
    assert answers["pause"] == script.PAUSED
    assert answers["resume"].startswith("Carrying on")
    assert answers["cant_lie_down"] == script.CONSTRAINT_ACK["no_lying"]
    assert answers["pain"] == script.PAIN_STOP
    assert answers["stop"] == script.STOP_QUESTION
    assert answers["yes"] == script.GOODBYE
    assert records[-1]["action"] == "end"


def test_the_output_holds_speech_and_tones_on_the_timeline(session):
    with wave.open(str(session["out"])) as w:
        rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(float)
    plays = [r for r in session["records"] if r["type"] == "action" and r.get("start") is not None]
    assert len(samples) / rate >= max(r["end"] for r in plays) - 0.1

    def loudness(start: float, end: float) -> float:
        part = samples[int(start * rate) : int(end * rate)]
        return float(np.sqrt(np.mean(part**2))) if len(part) else 0.0

    for r in plays:
        assert loudness(r["start"], r["end"]) > 100, r
    # Between the hold's start and its halfway cue the coach is silent.
    opening = "Your left knee to your chest. Hold for thirty seconds."
    hold = next(r for r in plays if r.get("text") == opening)
    tone = next(r for r in plays if r.get("name") == "hold_start" and r["start"] >= hold["start"])
    assert loudness(tone["end"] + 0.2, tone["end"] + 5) < 50


def test_history_keeps_the_recordings_own_minutes(session):
    # The file is decoded far faster than it plays; the session took about four minutes of
    # audio (the goodbye at 238 s), and that is what history must say.
    from voicecoach.memory.store import Store

    store = Store.open(session["db"])
    try:
        [summary] = store.sessions()
    finally:
        store.close()
    assert 3.8 <= summary.minutes <= 4.5


def test_it_finishes_in_seconds(session):
    assert session["seconds"] < 60
