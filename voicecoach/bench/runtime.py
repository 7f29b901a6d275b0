"""`python -m voicecoach.bench runtime`: how fast the coach answers, from its own log.

Builds recordings of commands in several voices (synthesized, with silences between),
runs the real runtime on each (`voicecoach run --audio-in ... --audio-out ... --log ...`),
and reads the log: the time from the end of the person's speech to the first sample of
the coach's answer, and from the end of a barge-in phrase to the cut of the coach's voice.
The answer time includes the end-of-speech silence and the real processing time (the
runtime adds what decoding, matching and rendering actually took to the audio timeline).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Commands said at quiet moments (seconds into the recording), and a barge-in.
SCENARIO = [
    (32, "stretching"),
    (100, "ready"),
    (112, "pause"),
    (120, "resume"),
    (150, "how long is left"),
    (175, "stop"),  # said while the coach is talking: a barge-in
    (186, "no"),
    (230, "it hurts"),
    (245, "stop"),
    (256, "yes"),
]
VOICES = ("slt", "rms", "awb", "kal16")


def build(folder: Path, voice: str) -> Path:
    from voicecoach.voice.synth import silence, synthesize, write_wav

    pcm = b""
    for at, text in SCENARIO:
        pcm += silence(at - len(pcm) / 32000) + synthesize(text, voice)
    return write_wav(folder / f"{voice}.wav", pcm + silence(10))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(records: list[dict]) -> tuple[list[float], list[float]]:
    answers, cuts = [], []
    for i, r in enumerate(records):
        if r["type"] != "heard" or r.get("ignored"):
            continue
        later = [x for x in records[i + 1 :] if x.get("type") == "action" and x.get("start")]
        if later:
            answers.append(later[0]["start"] - r["end"])
        barge = next((x for x in records[i + 1 : i + 3] if x.get("type") == "barge_in"), None)
        if barge is not None:
            cuts.append(barge["t"] - r["end"])
    return answers, cuts


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m voicecoach.bench runtime")
    parser.add_argument("--end-silence", type=float, default=0.8)
    parser.add_argument("--voices", default=",".join(VOICES))
    args = parser.parse_args(argv)
    rows = []
    all_answers: list[float] = []
    all_cuts: list[float] = []
    with tempfile.TemporaryDirectory(prefix="vc-bench-") as tmp:
        folder = Path(tmp)
        for voice in args.voices.split(","):
            audio_in = build(folder, voice)
            log = folder / f"{voice}.jsonl"
            started = time.monotonic()
            subprocess.run(
                [sys.executable, "-m", "voicecoach", "run", "--no-db", "--audio-in", str(audio_in),
                 "--audio-out", str(folder / f"{voice}-out.wav"), "--log", str(log),
                 "--end-silence", str(args.end_silence)],
                check=True, capture_output=True,
            )  # fmt: skip
            wall = time.monotonic() - started
            records = [json.loads(line) for line in log.read_text().splitlines()]
            answers, cuts = measure(records)
            heard = sum(1 for r in records if r["type"] == "heard" and not r.get("ignored"))
            session = max((r.get("end") or r["t"]) for r in records)
            rows.append((voice, heard, answers, cuts, session, wall))
            all_answers += answers
            all_cuts += cuts

    def ms(values: list[float], p: float) -> str:
        return f"{percentile(values, p) * 1000:.0f}" if values else "-"

    print(f"end-of-speech silence: {args.end_silence:.2f} s\n")
    print(
        "| voice | commands acted on | answer median ms | answer p95 ms | barge-in cut ms "
        "| session s | wall s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for voice, heard, answers, cuts, session, wall in rows:
        cut = f"{statistics.median(cuts) * 1000:.0f}" if cuts else "-"
        print(
            f"| {voice} | {heard}/{len(SCENARIO)} | {ms(answers, 50)} | {ms(answers, 95)} "
            f"| {cut} | {session:.0f} | {wall:.1f} |"
        )
    print(f"| all | | {ms(all_answers, 50)} | {ms(all_answers, 95)} | {ms(all_cuts, 50)} | | |")
    minus = [a - args.end_silence for a in all_answers]
    cut_minus = [c - args.end_silence for c in all_cuts]
    print(
        f"\nanswer time minus the end-of-speech silence: median {ms(minus, 50)} ms, "
        f"p95 {ms(minus, 95)} ms"
    )
    print(
        f"barge-in cut minus the end-of-speech silence: median {ms(cut_minus, 50)} ms, "
        f"p95 {ms(cut_minus, 95)} ms (on a file timeline the cut is exact; a sound card adds "
        "its own buffer, measured by tests/test_playback.py: see docs/audio-output.md)"
    )
    return 0
