"""`python -m voicecoach.bench timeline`: does a spoken session keep true time?

Scripted spoken sessions in several voices (the person's lines synthesized with flite or
espeak-ng) run through the real runtime (`voicecoach run --audio-in ... --audio-out ...
--log ...`); everything is read back from the log's output timeline:
- every hold: announced seconds against what a listener hears, hold tone to release tone;
- every rest: announced against the end of "Rest for ..." to the rest-over tone;
- cue spacing: the gaps of the three-two-one count (1 s each) and where "halfway" falls;
- safety words said in the middle of the coach's sentence (emergency, pain, stop): how long
  after the word's end the coach's voice is cut and its safety answer starts;
- commands heard but not acted on (ignored while the coach spoke, echo aside);
- after "stop" and "yes", whether "start" a minute later begins a new session in the same
  process.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voicecoach.app.runtime import ACTED_EARLY

#: The main session: a short-hold exercise done seated, with sides, holds and rests; "slower"
#: said over the welcome (an ordinary command while the coach speaks).
MAIN = [(8, "slower"), (29, "seated march"), (100, "ready")]
MAIN_SECONDS = 330
#: Safety runs: the word said 8 s into the welcome (mid-sentence in every voice).
SAFETY = {"emergency": "i've fallen", "pain": "it hurts", "stop": "stop"}
SAFETY_AT = 8.0
#: After "stop": "yes" said to overlap the end of "Do you want to end the session? Say yes
#: or no.", then "start" a minute later.
YES_AFTER_STOP = 4.0
START_AFTER_YES = 60.0
VOICES = ("slt", "rms", "awb", "kal16")
RATE = 32000  # bytes a second of 16 kHz 16-bit audio


def _numbers() -> dict[str, int]:
    from voicecoach.coach.script import number

    return {number(n): n for n in range(1, 100)}


def announced(text: str, kind: str) -> float | None:
    """Seconds in "Hold for twenty seconds." / "Rest for one minute."."""
    found = re.search(rf"{kind} for ([a-z ]+?) (seconds?|minutes?)\b", text)
    if not found:
        return None
    n = _numbers().get(found.group(1))
    if n is None:
        return None
    return float(n * 60 if found.group(2).startswith("minute") else n)


@dataclass
class Result:
    """What one voice's runs showed."""

    holds: list[tuple[float, float]] = field(default_factory=list)
    rests: list[tuple[float, float]] = field(default_factory=list)
    count_gaps: list[float] = field(default_factory=list)
    halfway: list[float] = field(default_factory=list)
    """Halfway cue minus half the hold."""
    safety: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    """intent -> (voice cut, answer start) seconds after the word's end."""
    safety_missed: list[str] = field(default_factory=list)
    heard: int = 0
    dropped: int = 0
    second_session: bool = False


def plays(records: list[dict]) -> list[dict]:
    return [r for r in records if r.get("type") == "action" and r.get("start") is not None]


def hold_seconds(before: list[dict], text: str) -> float | None:
    """A hold's announced seconds; a repeated alternating hold says only its side ("Lift
    your left knee.") and holds for what that side was last announced with."""
    if (seconds := announced(text, "Hold")) is not None:
        return seconds
    full = (
        s["text"]
        for s in reversed(before)
        if s.get("action") == "say" and s["text"].startswith(text) and "Hold for" in s["text"]
    )
    return announced(next(full, ""), "Hold")


def measure_holds(records: list[dict], result: Result) -> None:
    sounds = plays(records)
    for i, r in enumerate(sounds):
        if r.get("name") == "hold_start":
            line = next((s for s in reversed(sounds[:i]) if s.get("action") == "say"), None)
            seconds = hold_seconds(sounds[:i], line["text"]) if line else None
            later = sounds[i + 1 :]
            release = next((s for s in later if s.get("name") in {"release", "hold_start"}), None)
            if seconds is None or release is None or release.get("name") != "release":
                continue  # interrupted (pain, pause, stop): not a whole hold
            result.holds.append((seconds, release["start"] - r["start"]))
            counts = [
                s["start"]
                for s in later
                if s["start"] <= release["start"] and s.get("name") == "countdown"
            ]
            marks = [*counts, release["start"]]
            result.count_gaps += [b - a for a, b in zip(marks, marks[1:], strict=False)]
            half = next(
                (
                    s
                    for s in later
                    if s.get("text") == "Halfway there." and s["start"] <= release["start"]
                ),
                None,
            )
            if half is not None:
                result.halfway.append(half["start"] - r["start"] - seconds / 2)
        elif r.get("action") == "say" and (seconds := announced(r.get("text") or "", "Rest")):
            over = next((s for s in sounds[i + 1 :] if s.get("name") == "rest_over"), None)
            between = [
                s
                for s in sounds[i + 1 :]
                if over
                and s["start"] < over["start"]
                and s.get("action") == "say"
                and s.get("kind") == "question"
            ]
            if over is not None and not between:
                result.rests.append((seconds, over["start"] - r["end"]))


def measure_safety(records: list[dict], intent: str, result: Result) -> None:
    sounds = [s for s in plays(records) if s.get("action") == "say"]
    for i, r in enumerate(records):
        if r.get("type") != "heard" or r.get("intent") != intent or r.get("ignored"):
            continue
        speaking = [s for s in sounds if s["start"] <= r["start"] < s["end"]]
        if not speaking:
            continue  # not said over the coach
        barge = next((x for x in records[i + 1 :] if x.get("type") == "barge_in"), None)
        answer = next(
            (
                x
                for x in records[i + 1 :]
                if x.get("action") == "say" and x.get("start") is not None
            ),
            None,
        )
        if barge is None or answer is None:
            break
        result.safety.setdefault(intent, []).append(
            (barge["t"] - r["end"], answer["start"] - r["end"])
        )
        return
    result.safety_missed.append(intent)


def measure_heard(records: list[dict], result: Result) -> None:
    for r in records:
        if r.get("type") != "heard" or r.get("intent") == "none":
            continue
        result.heard += 1
        # An echo is not a command, and an utterance acted on early was not dropped.
        if r.get("ignored") and r["ignored"] not in ("echo", ACTED_EARLY):
            result.dropped += 1


def measure_restart(records: list[dict], result: Result) -> None:
    ends = [i for i, r in enumerate(records) if r.get("action") == "end"]
    if not ends:
        return
    after = records[ends[0] + 1 :]
    result.second_session = any(
        r.get("action") == "log" and r.get("kind") == "session_start" for r in after
    )


def build(
    folder: Path, name: str, lines: Sequence[tuple[float, str]], voice: str, seconds: float
) -> Path:
    from voicecoach.voice.synth import silence, synthesize, write_wav

    pcm = b""
    for at, text in lines:
        pcm += silence(max(0.0, at - len(pcm) / RATE)) + synthesize(text, voice)
    pcm += silence(max(5.0, seconds - len(pcm) / RATE))
    return write_wav(folder / f"{name}-{voice}.wav", pcm)


def safety_lines(intent: str, voice: str) -> tuple[list[tuple[float, str]], float]:
    lines = [(SAFETY_AT, SAFETY[intent])]
    if intent != "stop":
        return lines, 40.0
    from voicecoach.voice.synth import synthesize

    end = SAFETY_AT + len(synthesize("stop", voice)) / RATE
    yes = end + YES_AFTER_STOP
    return [*lines, (yes, "yes"), (yes + START_AFTER_YES, "start")], yes + START_AFTER_YES + 30


def run(folder: Path, audio_in: Path, code: str | None) -> list[dict[str, Any]]:
    log = audio_in.with_suffix(".jsonl")
    env = dict(os.environ)
    if code:
        env["PYTHONPATH"] = code
    subprocess.run(
        [sys.executable, "-m", "voicecoach", "run", "--no-db", "--audio-in", str(audio_in),
         "--audio-out", str(audio_in.with_suffix(".out.wav")), "--log", str(log)],
        check=True, capture_output=True, env=env, cwd=folder,
    )  # fmt: skip
    return [json.loads(line) for line in log.read_text().splitlines()]


def measure_voice(folder: Path, voice: str, code: str | None) -> Result:
    result = Result()
    records = run(folder, build(folder, "main", MAIN, voice, MAIN_SECONDS), code)
    measure_holds(records, result)
    measure_heard(records, result)
    for intent in SAFETY:
        lines, seconds = safety_lines(intent, voice)
        records = run(folder, build(folder, intent, lines, voice, seconds), code)
        measure_safety(records, intent, result)
        measure_heard(records, result)
        if intent == "stop":
            measure_restart(records, result)
    return result


def worst(pairs: list[tuple[float, float]]) -> str:
    if not pairs:
        return "-"
    off = max(pairs, key=lambda p: abs(p[1] - p[0]))
    return f"{off[1] - off[0]:+.2f}"


def report(rows: list[tuple[str, Result]]) -> None:
    print(
        "| voice | holds within ±0.3 s | worst hold (heard - announced) s | rests within ±0.3 s "
        "| worst rest s | count gaps s (min-max) | halfway off s (max) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for voice, r in rows:
        ok_h = sum(abs(h - a) <= 0.3 for a, h in r.holds)
        ok_r = sum(abs(h - a) <= 0.3 for a, h in r.rests)
        gaps = f"{min(r.count_gaps):.2f}-{max(r.count_gaps):.2f}" if r.count_gaps else "-"
        half = f"{max(abs(x) for x in r.halfway):.2f}" if r.halfway else "-"
        print(
            f"| {voice} | {ok_h}/{len(r.holds)} | {worst(r.holds)} | {ok_r}/{len(r.rests)} "
            f"| {worst(r.rests)} | {gaps} | {half} |"
        )
    print()
    print("| voice | safety word | voice cut after the word s | answer starts after the word s |")
    print("|---|---|---:|---:|")
    for voice, r in rows:
        for intent in SAFETY:
            for cut, answer in r.safety.get(intent, []):
                print(f"| {voice} | {intent} | {cut:.2f} | {answer:.2f} |")
            if intent in r.safety_missed:
                print(f"| {voice} | {intent} | not acted on | - |")
    print()
    print("| voice | commands heard | heard but dropped | new session on 'start' after the end |")
    print("|---|---:|---:|---|")
    for voice, r in rows:
        print(f"| {voice} | {r.heard} | {r.dropped} | {'yes' if r.second_session else 'no'} |")
    everything = [p for _, r in rows for p in r.holds + r.rests]
    answers = [a for _, r in rows for v in r.safety.values() for _, a in v]
    print()
    if everything:
        within = sum(abs(h - a) <= 0.3 for a, h in everything)
        print(f"holds and rests within ±0.3 s: {within}/{len(everything)}")
    if answers:
        print(
            f"safety answer after the word: median {statistics.median(answers):.2f} s, "
            f"max {max(answers):.2f} s"
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m voicecoach.bench timeline")
    parser.add_argument("--voices", default=",".join(VOICES))
    parser.add_argument("--code", help="run the runtime from this source folder (for a before)")
    parser.add_argument("--keep", type=Path, help="keep recordings and logs in this folder")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="vc-timeline-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for voice in args.voices.split(","):
            rows.append((voice, measure_voice(folder, voice, args.code)))
    report(rows)
    return 0
