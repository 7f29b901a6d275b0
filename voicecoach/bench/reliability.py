"""`python -m voicecoach.bench reliability [--quick] [--skip-soak]`: faults injected and what
survived; safety phrases across levels; a 2-hour recording through `run`.

Faults: a real full disk (a 256 kB tmpfs, when run as root; else SQLite's page limit) met at
each write of a session; a lock held 1, 5 and 30 s; SIGKILL and SIGTERM at random points;
broken and non-UTF-8 data; a garbage Vosk model; no audio devices.  For each: did the coach
crash, was a finished exercise or a safety event lost, how long did the answer to "it hurts"
take (the coach plus handing its logs to the store, which must not wait for the disk).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from voicecoach.app.session import start_session
from voicecoach.coach.catalogue import load_catalogue
from voicecoach.coach.events import Heard, Log, Say
from voicecoach.coach.machine import Coach
from voicecoach.memory.store import Store
from voicecoach.memory.writer import StoreWriter

if TYPE_CHECKING:
    from voicecoach.hear.recognizer import Transcript
    from voicecoach.understand.intents import Match, Matcher

KEPT = ("exercise_done", "exercise_stopped", "pain", "emergency", "cant_get_up", "session_end")


def scripted_logs(catalogue) -> list[Log]:
    """The Log actions of a real session: two exercises done, pain in the third, ended."""
    coach = Coach(catalogue)
    logs: list[Log] = []
    t = 0.0
    script = ["start", *["next"] * 2, "pain", "stop", "yes"]
    for intent in script:
        t += 5.0
        logs += [a for a in coach.handle(Heard(intent, t)) if isinstance(a, Log)]
    return logs


def answer_ms(coach: Coach, record: Callable[[Log], None], t: float) -> float:
    """Milliseconds from hearing "it hurts" to having the spoken answer in hand."""
    started = time.perf_counter()
    said = False
    for action in coach.handle(Heard("pain", t)):
        if isinstance(action, Log):
            record(action)
        elif isinstance(action, Say):
            said = True
    assert said
    return (time.perf_counter() - started) * 1000


def kept_kinds(db: Path) -> list[str]:
    with Store.open(db) as store:
        return [e.kind for e in store.log_entries() if e.kind in KEPT]


# --- full disk -------------------------------------------------------------------------------


def mount_small_disk(folder: Path) -> bool:
    """A real 256 kB filesystem (tmpfs) at `folder`; False where mounting is not permitted."""
    if os.geteuid() != 0:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
                          capture_output=True)  # fmt: skip
    return done.returncode == 0


def fill_disk(folder: Path) -> Path:
    """Fill the disk under `folder` to the last byte; the file that filled it."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 512)
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def disk_full(catalogue, quick: bool) -> list[tuple[str, str, str, str, str]]:
    logs = scripted_logs(catalogue)
    expected = [entry.kind for entry in logs if entry.kind in KEPT]
    base = Path(tempfile.mkdtemp(prefix="vc-full-"))
    real = mount_small_disk(base)
    points = range(0, len(logs), 4 if quick else 1)
    crashed = lost = 0
    worst = 0.0
    try:
        for k in points:
            folder = base / f"k{k}"
            folder.mkdir()
            db = folder / "v.db"
            store = Store.open(db)
            writer = StoreWriter(store, store.start_session(None), retry_seconds=0.05)
            coach = Coach(catalogue)
            try:
                for entry in logs[:k]:
                    writer.record(entry)
                writer.flush(5)
                filler = fill_disk(folder) if real else None
                if not real:
                    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
                    store._conn.execute(f"PRAGMA max_page_count = {pages}")
                for entry in logs[k:]:
                    writer.record(entry)
                coach.handle(Heard("start", 1.0))
                worst = max(worst, answer_ms(coach, lambda _: None, 2.0))
                time.sleep(0.2)
                if filler is not None:
                    filler.unlink()
                else:
                    store._conn.execute("PRAGMA max_page_count = 1073741823")
                writer.flush(10)
                writer.close()
            except Exception:
                crashed += 1
                continue
            if kept_kinds(db) != expected:
                lost += 1
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        if real:
            subprocess.run(["umount", str(base)], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
    how = "tmpfs 256 kB" if real else "SQLite page limit"
    return [(f"disk full at write k (every k of {len(logs)}; {how})", str(len(points)),
             str(crashed), str(lost), f"{worst:.2f}")]  # fmt: skip


# --- locks -----------------------------------------------------------------------------------


def locks(catalogue, seconds: list[float]) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for hold in seconds:
        folder = Path(tempfile.mkdtemp(prefix="vc-lock-"))
        db = folder / "v.db"
        coach, recorder = start_session(catalogue, db)
        coach.handle(Heard("start", 1.0))
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        ms = answer_ms(coach, recorder, 2.0)
        extra = [a for a in coach.handle(Heard("stop", 3.0)) + coach.handle(Heard("yes", 4.0))
                 if isinstance(a, Log)]  # fmt: skip
        for entry in extra:
            recorder(entry)
        time.sleep(hold)
        other.execute("COMMIT")
        other.close()
        crashed = 0
        try:
            recorder.close("asked to stop", timeout=30)
        except Exception:
            crashed = 1
        kinds = kept_kinds(db)
        lost = int("pain" not in kinds or "session_end" not in kinds)
        rows.append((f"database locked {hold:g} s", "1", str(crashed), str(lost), f"{ms:.2f}"))
        shutil.rmtree(folder, ignore_errors=True)
    return rows


def _pain_session(catalogue, db: Path):
    """A session that hears "it hurts": its logs handed to the store's writer."""
    coach, recorder = start_session(catalogue, db)
    for action in coach.handle(Heard("start", 1.0)) + coach.handle(Heard("pain", 2.0)):
        if isinstance(action, Log):
            recorder(action)
    return recorder


def exit_faults(catalogue) -> list[tuple[str, str, str, str, str]]:
    """The fault outlasts the process: the disk is still full, or the lock still held, when
    the session closes.  Survived: the pain report is in the database after the next
    start, exactly once, and the old session keeps its end reason."""
    rows = []
    base = Path(tempfile.mkdtemp(prefix="vc-exit-"))
    real = mount_small_disk(base)
    for label in ("disk full until exit (tmpfs 256 kB)", "lock held past exit"):
        if "disk" in label and not real:
            continue
        db = base / "v.db"
        crashed = lost = 0
        try:
            if "disk" in label:
                _, opened = start_session(catalogue, db)  # the database exists, then fills
                opened.close("finished")
                filler = fill_disk(base)
                recorder = _pain_session(catalogue, db)
                recorder.close("terminated", timeout=1.0)
                filler.unlink()
            else:
                other = sqlite3.connect(db, isolation_level=None)
                other.execute("BEGIN EXCLUSIVE")
                recorder = _pain_session(catalogue, db)
                recorder.close("terminated", timeout=1.0)
                other.execute("COMMIT")
                other.close()
            _, again = start_session(catalogue, db)
            again.close("finished")
            with Store.open(db) as store:
                kinds = [e.kind for e in store.log_entries()]
                reasons = [s.end_reason for s in store.sessions()]
            lost = int(kinds.count("pain") != 1 or "terminated" not in reasons)
        except Exception:
            crashed = 1
        rows.append((label + ": journal, replayed at next start", "1", str(crashed), str(lost),
                     "-"))  # fmt: skip
        for leftover in base.iterdir():
            leftover.unlink()
    if real:
        subprocess.run(["umount", str(base)], capture_output=True)
    shutil.rmtree(base, ignore_errors=True)
    return rows


# --- signals ---------------------------------------------------------------------------------

_KILL_WRITER = """
import sys, time
from voicecoach.coach.events import Log
from voicecoach.memory.store import Store
from voicecoach.memory.writer import StoreWriter
store = Store.open(sys.argv[1]); writer = StoreWriter(store, store.start_session(None))
for i in range(100000):
    writer.record(Log("pain" if i % 7 == 0 else "exercise_done", {"exercise": f"e{i}"}))
    if writer.flush(5):
        print(i, flush=True)
    time.sleep(0.002)
"""


def sigkill(runs: int, rng: random.Random) -> list[tuple[str, str, str, str, str]]:
    crashed = lost = 0
    for _ in range(runs):
        folder = Path(tempfile.mkdtemp(prefix="vc-kill-"))
        db = folder / "v.db"
        proc = subprocess.Popen([sys.executable, "-c", _KILL_WRITER, str(db)],
                                stdout=subprocess.PIPE, text=True)  # fmt: skip
        time.sleep(1.0 + rng.random() * 2.0)
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        acknowledged = [int(x) for x in out.split()]
        try:
            with Store.open(db) as store:
                written = len(store.log_entries())
        except Exception:
            crashed += 1
            continue
        # Every log the writer reported as written must be there after the kill.
        if acknowledged and written < acknowledged[-1] + 1:
            lost += 1
        shutil.rmtree(folder, ignore_errors=True)
    return [("SIGKILL at a random point (writer)", str(runs), str(crashed), str(lost), "-")]


def sigterm(runs: int, rng: random.Random) -> list[tuple[str, str, str, str, str]]:
    from voicecoach.voice import synth

    folder = Path(tempfile.mkdtemp(prefix="vc-term-"))
    audio = synth.write_wav(folder / "in.wav", synth.silence(900))
    crashed = lost = 0
    for i in range(runs):
        db, out = folder / f"{i}.db", folder / f"{i}.wav"
        proc = subprocess.Popen(
            [sys.executable, "-m", "voicecoach", "run", "--engine", "pocketsphinx",
             "--audio-in", str(audio), "--audio-out", str(out), "--db", str(db)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        time.sleep(2.0 + rng.random() * 3.0)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        if proc.returncode != 0 or b"Traceback" in err:
            crashed += 1
        ok = True
        if db.exists():  # else stopped before a session began: nothing to keep
            try:
                with Store.open(db) as store:
                    sessions = store.sessions()
                import wave

                with wave.open(str(out)) as w:
                    ok = not sessions or (
                        sessions[0].end_reason in ("terminated", "input ended")
                        and w.getnframes() > 0
                    )
            except Exception:
                ok = False
        lost += int(not ok)
    shutil.rmtree(folder, ignore_errors=True)
    return [("SIGTERM at a random point (`run`)", str(runs), str(crashed), str(lost), "-")]


def sigkill_run(runs: int, rng: random.Random) -> list[tuple[str, str, str, str, str]]:
    """SIGKILL `run` at a random point of a coached session (PocketSphinx, a file played
    faster than real time).  Its `--log` file (flushed after each action is handed to the
    store) says which finished exercises and safety events the coach had produced; each
    must be in the database after the next start (which also replays any journal)."""
    import json

    from voicecoach.voice import synth

    folder = Path(tempfile.mkdtemp(prefix="vc-killrun-"))
    pcm = synth.silence(2.0)
    for words, pause in (("start", 100), ("it hurts", 20), ("resume", 200), ("stop", 5),
                         ("yes", 200)):  # fmt: skip
        pcm += synth.synthesize(words, "rms", seed=1) + synth.silence(pause)
    audio = synth.write_wav(folder / "in.wav", pcm)
    crashed = lost = after = 0
    for i in range(runs):
        db, events = folder / f"{i}.db", folder / f"{i}.jsonl"
        proc = subprocess.Popen(
            [sys.executable, "-m", "voicecoach", "run", "--engine", "pocketsphinx",
             "--audio-in", str(audio), "--audio-out", str(folder / "out.wav"), "--db", str(db),
             "--log", str(events)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(5.0 + rng.random() * 40.0)  # models load, then the session runs
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        handed = []
        for line in events.read_text().splitlines() if events.exists() else []:
            record = json.loads(line)
            if record.get("action") == "log" and record.get("kind") in KEPT:
                handed.append(record["kind"])
        try:
            from voicecoach.app.session import start_session

            _, recorder = start_session(load_catalogue(), db)  # replays, as the next run would
            recorder.close("finished")
            stored = kept_kinds(db)
        except Exception:
            crashed += 1
            continue
        missing = [k for k in set(handed) if stored.count(k) < handed.count(k)]
        lost += int(bool(missing))
        after += int(bool(handed))
    shutil.rmtree(folder, ignore_errors=True)
    label = f"SIGKILL at a random point (`run`; {after} kills after a safety event)"
    return [(label, str(runs), str(crashed), str(lost), "-")]


def fuzzed_lines(n: int, rng: random.Random) -> list[str]:
    """Lines a person, a cat on the keyboard or a broken pipe might type: command words
    shuffled, cut and repeated, stray symbols, other scripts, control characters, empties,
    very long lines; every so often a real command, so the coach moves through its states."""
    words = ["start", "stop", "it hurts", "i've fallen", "help", "yes", "no", "pause",
             "resume", "skip", "next", "slower", "faster", "repeat", "done", "tired", "easier",
             "knee to chest", "i can't get up", "how am i doing", "again", "quit"]  # fmt: skip
    junk = ["", " ", "\t", "???", "¿qué?", "Schmerz", "痛い", "🙂", "\x00", "\x1b[2J", "-" * 300]
    lines = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.35:
            lines.append(rng.choice(words))
        elif roll < 0.7:
            picked = rng.sample(words, rng.randint(1, 4))
            text = " ".join(picked)
            cut = rng.randint(0, len(text))
            lines.append(text[:cut] + rng.choice(junk) + text[cut:])
        elif roll < 0.9:
            lines.append("".join(chr(rng.randint(32, 0x2FFF)) for _ in range(rng.randint(1, 40))))
        else:
            lines.append(rng.choice(junk) * rng.randint(1, 50))
    return [line.replace("\n", " ").replace("\r", " ") for line in lines]


def fuzz_text(n: int, rng: random.Random) -> list[tuple[str, str, str, str, str]]:
    """`voicecoach text --fast` fed `n` fuzzed lines: no exception, a plain exit."""
    folder = Path(tempfile.mkdtemp(prefix="vc-fuzz-"))
    lines = "\n".join(fuzzed_lines(n, rng)) + "\n"
    done = subprocess.run(
        [sys.executable, "-m", "voicecoach", "text", "--fast", "--db", str(folder / "v.db")],
        input=lines.encode("utf-8", "surrogatepass"), capture_output=True, timeout=1800,
    )  # fmt: skip
    crashed = int(done.returncode != 0 or b"Traceback" in done.stderr)
    try:
        with Store.open(folder / "v.db") as store:
            store.sessions()
        damaged = 0
    except Exception:
        damaged = 1
    shutil.rmtree(folder, ignore_errors=True)
    return [(f"{n:,} fuzzed typed lines (`text --fast --db`)", "1", str(crashed), str(damaged),
             "-")]  # fmt: skip


# --- data, models, devices --------------------------------------------------------------------


def data_and_models() -> list[tuple[str, str, str, str, str]]:
    from importlib import resources

    from voicecoach.app.data import load_catalogue_safely
    from voicecoach.hear.engines import open_with_fallback
    from voicecoach.hear.vocab import PhraseSource
    from voicecoach.understand.intents import load_intents

    rows = []
    folder = Path(tempfile.mkdtemp(prefix="vc-data-"))
    data, good = folder / "data", folder / "good"
    data.mkdir()
    for name in ("exercises.toml", "routines.toml"):
        (data / name).write_bytes(resources.files("voicecoach.data").joinpath(name).read_bytes())
    load_catalogue_safely(good, data)
    for label, damage in (
        ("corrupt data (TOML syntax)", lambda b: b.replace(b"[[exercise]]", b"[[exercise]", 1)),
        ("non-UTF-8 data", lambda b: b[:200] + b"\xe9\xff" + b[200:]),
    ):
        original = (data / "exercises.toml").read_bytes()
        (data / "exercises.toml").write_bytes(damage(original))
        try:
            loaded = load_catalogue_safely(good, data)
            survived = int(loaded.problem is None)  # 1 = the damage went unnoticed
            crashed = 0
        except Exception:
            crashed, survived = 1, 1
        rows.append((label + ": last good copy", "1", str(crashed), str(survived), "-"))
        (data / "exercises.toml").write_bytes(original)
    model = folder / "models" / "vosk-model-small-en-us-0.15"
    for sub in ("am", "conf", "graph"):
        (model / sub).mkdir(parents=True)
    (model / "am" / "final.mdl").write_bytes(os.urandom(4096))
    (model / "conf" / "model.conf").write_text("garbage\n")
    phrases = PhraseSource.from_intents(load_intents(None, load_catalogue()))
    try:
        recognizer, why = open_with_fallback("vosk", model, phrases)
        rows.append((f"garbage Vosk model: -> {recognizer.name}", "1", "0", str(int(not why)),
                     "-"))  # fmt: skip
    except Exception:
        rows.append(("garbage Vosk model", "1", "1", "1", "-"))
    shutil.rmtree(folder, ignore_errors=True)
    done = subprocess.run([sys.executable, "-m", "voicecoach", "run", "--no-db"],
                          capture_output=True, timeout=120,
                          env={**os.environ, "AUDIODEV": "null"})  # fmt: skip
    plain = b"Traceback" not in done.stderr
    rows.append(("no audio device (`run`)", "1", str(int(not plain)), "-", "-"))
    return rows


# --- level sweep -------------------------------------------------------------------------------


#: Safety phrases and natural variants, with the intent each must be heard as.
SWEEP_PHRASES = [
    ("it hurts", "pain"),
    ("that really hurts", "pain"),
    ("i've fallen", "emergency"),
    ("i fell", "emergency"),
    ("stop", "stop"),
    ("help", "help"),
    ("help me", "help"),
]
SWEEP_VOICES = ["slt", "rms", "awb", "kal16", "espeak-us", "espeak-f3"]
SWEEP_LEVELS = [-30, -20, -10, 0, 10, 15, 20]


def level_sweep(
    quick: bool,
    engines: list[str | None],
    levels: list[int] | None = None,
    voices: list[str] | None = None,
) -> str:
    """The safety phrases at each level (dB; default SWEEP_LEVELS), in each voice (default
    SWEEP_VOICES), through each engine's file and live paths."""
    import numpy as np

    from voicecoach.hear.audio import pcm_chunks
    from voicecoach.hear.engines import open_recognizer
    from voicecoach.hear.level import Levelled
    from voicecoach.hear.recognizer import joined
    from voicecoach.hear.vocab import PhraseSource
    from voicecoach.understand.intents import Matcher, load_intents
    from voicecoach.voice import synth

    intents = load_intents(None, load_catalogue())
    matcher = Matcher(intents)
    voices = [v for v in voices or SWEEP_VOICES if v in synth.available_voices()]
    voices = voices[:2] if quick else voices
    levels = levels or ([-30, 0, 20] if quick else SWEEP_LEVELS)
    samples = {(t, v): synth.synthesize(t, v, seed=3) for t, _ in SWEEP_PHRASES for v in voices}

    def gain(pcm: bytes, db: float) -> bytes:
        x = np.frombuffer(pcm, "<i2").astype(float) * 10 ** (db / 20)
        return np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()

    out = []
    for engine in engines:
        recognizer = open_recognizer(engine, None, PhraseSource.from_intents(intents))
        levelled = Levelled(recognizer)

        def streamed(pcm: bytes, levelled: Levelled = levelled) -> Transcript:
            stream = levelled.stream(0.8)
            heard = []
            for chunk in pcm_chunks(synth.silence(1.0) + pcm + synth.silence(1.5), 0.1):
                heard += stream.feed(chunk)
            return joined(heard + stream.flush())

        paths: dict[str, Callable[[bytes], Transcript]] = {
            "file: raw": recognizer.transcribe,
            "file: levelled": levelled.transcribe,
            "stream: levelled": streamed,
        }
        lines = [f"engine: {levelled.name}; voices: {', '.join(voices)}; "
                 "cells: recognised / voices",
                 f"| phrase | path | {' | '.join(f'{d:+d} dB' for d in levels)} |",
                 "|---|---|" + "---|" * len(levels)]  # fmt: skip
        totals = {path: [0] * len(levels) for path in paths}
        # The same transcripts without the safety rescue (voicecoach.understand.rescue).
        unrescued = {path: [0] * len(levels) for path in paths}
        added: dict[str, list[float]] = {}
        for path, hear in paths.items():
            for text, intent in SWEEP_PHRASES:
                cells = []
                for i, db in enumerate(levels):
                    heard = [hear(gain(samples[(text, v)], db)) for v in voices]
                    before, after = with_and_without_rescue(heard, matcher, added)
                    hits = sum(a.intent == intent for a in after)
                    unrescued[path][i] += sum(b.intent == intent for b in before)
                    totals[path][i] += hits
                    cells.append(f"{hits}/{len(voices)}")
                lines.append(f"| {text} | {path} | {' | '.join(cells)} |")
        whole = len(voices) * len(SWEEP_PHRASES)
        for path, sums in totals.items():
            cells = [f"**{n}/{whole}**" for n in sums]
            lines.append(f"| **all** | {path} | {' | '.join(cells)} |")
        for path, sums in unrescued.items():
            cells = [f"{n}/{whole}" for n in sums]
            lines.append(f"| all, without the rescue | {path} | {' | '.join(cells)} |")
        lines += latency_lines(added)
        out.append("\n".join(lines))
    return "\n\n".join(out)


def latency_lines(added: dict[str, list[float]]) -> list[str]:
    lines = ["", "time the rescue adds to understand(), ms per utterance",
             "| utterance | n | median | p95 |", "|---|---|---|---|"]  # fmt: skip
    for kind, ms in sorted(added.items()):
        ms.sort()
        lines.append(f"| {kind} | {len(ms)} | {ms[len(ms) // 2]:.1f} | "
                     f"{ms[int(0.95 * (len(ms) - 1))]:.1f} |")  # fmt: skip
    return lines


def with_and_without_rescue(
    heard: list[Transcript], matcher: Matcher, added: dict[str, list[float]]
) -> tuple[list[Match], list[Match]]:
    """What each transcript is understood as without and with the safety rescue; the time
    the rescue adds goes into `added` by kind (understood without it, rescued, not)."""
    from voicecoach.understand.flags import NONE
    from voicecoach.understand.rejection import thresholds_for, understand

    before, after = [], []
    for t in heard:
        started = time.perf_counter()
        b = understand(t, matcher, thresholds=replace(thresholds_for(t.engine), rescue=None))
        middle = time.perf_counter()
        a = understand(t, matcher)
        took = (time.perf_counter() - middle) - (middle - started)
        kind = (
            "understood" if b.intent != NONE else "rescued" if a.intent != NONE else "not rescued"
        )
        added.setdefault(kind, []).append(took * 1000.0)
        before.append(b)
        after.append(a)
    return before, after


def wav_of_width(x, width: str) -> bytes:  # (float samples in [-1, 1], "8".."f32")
    """A 16 kHz mono WAV file of `x`, written as a recorder of that width would."""
    import struct

    import numpy as np

    if width == "f32":
        tag, bits, data = 3, 32, x.astype("<f4").tobytes()
    elif width == "8":  # unsigned, 128 = silence
        tag, bits = 1, 8
        data = (np.clip(np.round(x * 127), -128, 127) + 128).astype(np.uint8).tobytes()
    else:
        tag, bits = 1, int(width)
        top = 2 ** (bits - 1)
        v = np.clip(np.round(x * top), -top, top - 1).astype("<i4")
        data = v.tobytes() if bits == 32 else v.astype("<i2").tobytes()
        if bits == 24:
            data = v.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    block = bits // 8
    fmt = struct.pack("<HHIIHH", tag, 1, 16000, 16000 * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def width_sweep(quick: bool) -> str:
    """Safety phrases written as WAV files of each width, normal and quiet, through
    `recognize`'s path (read_wav, the level stage, the default engine)."""
    import numpy as np

    from voicecoach.hear.audio import read_wav
    from voicecoach.hear.engines import open_recognizer
    from voicecoach.hear.level import Levelled
    from voicecoach.hear.vocab import PhraseSource
    from voicecoach.understand.intents import Matcher, load_intents
    from voicecoach.understand.rejection import understand
    from voicecoach.voice import synth

    intents = load_intents(None, load_catalogue())
    matcher = Matcher(intents)
    recognizer = Levelled(open_recognizer(None, None, PhraseSource.from_intents(intents)))
    phrases = SWEEP_PHRASES[::2] if quick else SWEEP_PHRASES
    voices = [v for v in SWEEP_VOICES[:4] if v in synth.available_voices()]
    widths = ["8", "16", "24", "32", "f32"]
    levels = [0, -10, -20, -30]
    lines = [f"engine: {recognizer.name}; {len(phrases)} phrases x {len(voices)} voices",
             f"| level | {' | '.join(w if w != 'f32' else 'float32' for w in widths)} |",
             "|---|" + "---|" * len(widths)]  # fmt: skip
    for db in levels:
        cells = []
        for width in widths:
            hits = 0
            for text, intent in phrases:
                for voice in voices:
                    pcm = synth.synthesize(text, voice, seed=3)
                    x = np.frombuffer(pcm, "<i2") / 32768.0 * 10 ** (db / 20)
                    heard = recognizer.transcribe(read_wav(wav_of_width(x, width)))
                    hits += understand(heard, matcher).intent == intent
            cells.append(f"{hits}/{len(phrases) * len(voices)}")
        lines.append(f"| {db:+d} dB | {' | '.join(cells)} |")
    return "\n".join(lines)


# --- soak --------------------------------------------------------------------------------------


def soak(hours: float) -> str:
    from voicecoach.voice import synth

    folder = Path(tempfile.mkdtemp(prefix="vc-soak-"))
    path = folder / "long.wav"
    # Written in pieces, so the benchmark itself stays small: silence with a few commands.
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        commands = ["start", "stop", "no", "pause", "resume", "it hurts", "skip", "stop"]
        minutes = int(hours * 60)
        for minute in range(minutes):
            if minute % max(1, minutes // len(commands)) == 0 and commands:
                speech = synth.synthesize(commands.pop(0), "slt", seed=minute)
                w.writeframes(speech + synth.silence(60 - len(speech) / 32000))
            else:
                w.writeframes(synth.silence(60))
    rows = []
    for label, audio in (("10 minutes", None), (f"{hours:g} hours", path)):
        if audio is None:
            audio = folder / "short.wav"
            with wave.open(str(path)) as r, wave.open(str(audio), "wb") as w:
                w.setparams(r.getparams())
                w.writeframes(r.readframes(16000 * 600))
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c",
             "import resource, sys\n"
             "from voicecoach.app.cli import main\n"
             "rc = main(sys.argv[1:])\n"
             "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)\n"
             "sys.exit(rc)",
             "run", "--engine", "pocketsphinx", "--audio-in", str(audio),
             "--audio-out", str(folder / "out.wav"), "--no-db"],
            capture_output=True, text=True,
        )  # fmt: skip
        took = time.perf_counter() - started
        peak = next((int(x.split()[1]) for x in done.stdout.splitlines() if x.startswith("PEAK")),
                    0)  # fmt: skip
        rows.append(f"| {label} | {audio.stat().st_size / 1e6:.0f} MB | {peak / 1024:.0f} MB | "
                    f"{took:.0f} s | {done.returncode} |")  # fmt: skip
    shutil.rmtree(folder, ignore_errors=True)
    return "\n".join(["| input | WAV size | peak RSS | wall time | exit |", "|---|---|---|---|---|",
                      *rows])  # fmt: skip


def _rows(rows: list[tuple[str, str, str, str, str]]) -> str:
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",")]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m voicecoach.bench reliability")
    parser.add_argument("--quick", action="store_true", help="fewer points, short locks")
    parser.add_argument("--skip-soak", action="store_true")
    parser.add_argument("--soak-hours", type=float, default=2.0)
    parser.add_argument("--only", choices=["levels", "widths", "kill", "exit", "fuzz"],
                        help="one section alone")  # fmt: skip
    parser.add_argument("--engine", action="append", help="the level sweep's engines "
                        "(default: the default engine and pocketsphinx, the fallback)")  # fmt: skip
    parser.add_argument("--levels", type=_ints, help="the level sweep's levels in dB, "
                        "e.g. --levels=-30,20 (default -30,-20,-10,0,10,15,20)")  # fmt: skip
    parser.add_argument("--voices", type=lambda s: s.split(","), help="the level sweep's "
                        f"voices (default {','.join(SWEEP_VOICES)})")  # fmt: skip
    args = parser.parse_args(argv)
    # the default, and the fallback
    engines: list[str | None] = args.engine or [None, "pocketsphinx"]
    quick = args.quick
    sections: dict[str, Callable[[], str]] = {
        "levels": lambda: level_sweep(quick, engines, args.levels, args.voices),
        "widths": lambda: width_sweep(quick),
        "kill": lambda: _rows(sigkill_run(3 if quick else 10, random.Random(13))),
        "exit": lambda: _rows(exit_faults(load_catalogue())),
        "fuzz": lambda: _rows(fuzz_text(1000 if quick else 10000, random.Random(13))),
    }
    if args.only:
        print(sections[args.only](), flush=True)
        return 0
    rng = random.Random(13)
    catalogue = load_catalogue()
    rows = disk_full(catalogue, quick)
    rows += locks(catalogue, [1.0] if quick else [1.0, 5.0, 30.0])
    rows += exit_faults(catalogue)
    rows += sigkill(2 if quick else 5, rng)
    rows += sigterm(2 if quick else 5, rng)
    rows += sigkill_run(3 if quick else 10, rng)
    rows += data_and_models()
    rows += fuzz_text(1000 if quick else 10000, rng)
    print("## Faults injected\n")
    print("| fault | runs | crashed | lost / wrong | worst 'it hurts' answer (ms) |")
    print("|---|---|---|---|---|")
    print(_rows(rows), flush=True)
    print("\n## Safety phrases across levels\n")
    print(sections["levels"](), flush=True)
    print("\n## WAV widths, normal and quiet\n")
    print(sections["widths"](), flush=True)
    if not args.skip_soak:
        print("\n## Soak: a long recording through `run`\n")
        print(soak(0.5 if quick else args.soak_hours), flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n(benchmark peak RSS {peak:.0f} MB)")
    return 0
