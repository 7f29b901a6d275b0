"""Resource budget of the running coach: peak memory, start-to-ready time, idle CPU.

`python -m voicecoach.bench resources [--engine pocketsphinx] [--seconds 40] [--runs 3]`

Runs the real `voicecoach run` (microphone in, speaker out) in a child process, on
virtual ALSA devices that keep real time: the microphone is the ALSA `file` plugin reading
a named pipe that this benchmark fills with quiet room noise at 16 kHz, and the speaker
writes into another pipe that is drained at the same pace.  (The plain `null` device is
not used: it has no clock, so audio code spins on it and the CPU figure would be
meaningless.)  Nothing touches the user's sound devices or database.

- ready: from starting the process to the coach's first action (it starts listening, then
  greets), read from its --log file; includes Python start-up, imports, model loading.
- peak RSS: the coach process's VmHWM, and the highest sum of it and its child processes
  (the speech worker) seen while sampling.
- idle CPU: CPU time of the coach and its children per second of wall time, over the
  seconds when it was only listening (after its speech had played, no action under way).

Targets (issue 5, for a Raspberry Pi 3/4): peak RSS <= 100 MB with PocketSphinx, ready
<= 2 s, idle CPU <= 15% of one core.  Run on the Pi itself for the numbers that count.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

RATE = 16000
CHUNK_SECONDS = 0.1
TARGETS = {"rss_mb": 100.0, "ready_s": 2.0, "idle_cpu": 0.15}

ASOUNDRC = """\
pcm.bench_null {{ type null }}
pcm.bench_mic_file {{
    type file
    slave.pcm "bench_null"
    file "/dev/null"
    infile "{mic}"
    format "raw"
}}
pcm.bench_mic {{
    type plug
    slave {{ pcm "bench_mic_file" format S16_LE rate {rate} channels 1 }}
}}
pcm.bench_speaker_file {{
    type file
    slave.pcm "bench_null"
    file "{speaker}"
    format "raw"
}}
pcm.bench_speaker {{
    type plug
    slave {{ pcm "bench_speaker_file" format S16_LE rate {rate} channels 1 }}
}}
pcm.!default {{
    type asym
    playback.pcm "bench_speaker"
    capture.pcm "bench_mic"
}}
"""


@dataclass(frozen=True)
class Run:
    ready_s: float
    rss_mb: float
    """The coach process alone (VmHWM)."""
    rss_with_children_mb: float
    idle_cpu: float
    """Fraction of one core."""
    idle_seconds: float
    busy_cpu: float
    """Over the whole run, speech included."""


def room_noise(seconds: float, level: int = 40, seed: int = 5) -> bytes:
    """Quiet, steady noise like a USB microphone's floor in a quiet room (about -58 dBFS)."""
    rng = random.Random(seed)
    n = int(seconds * RATE)
    samples = (max(-32768, min(32767, int(rng.gauss(0, level)))) for _ in range(n))
    return b"".join(s.to_bytes(2, "little", signed=True) for s in samples)


class PacedPipes:
    """Fill the microphone pipe and drain the speaker pipe at real time, on threads.

    Both pipes are opened read-write here, so opening them from ALSA never blocks and a
    reader or writer that comes and goes (PortAudio probes devices) never sees EOF.
    """

    def __init__(self, folder: Path) -> None:
        self.mic = folder / "mic.fifo"
        self.speaker = folder / "speaker.fifo"
        os.mkfifo(self.mic)
        os.mkfifo(self.speaker)
        self._mic_fd = os.open(self.mic, os.O_RDWR)
        self._speaker_fd = os.open(self.speaker, os.O_RDWR | os.O_NONBLOCK)
        self._stop = threading.Event()
        noise = room_noise(10.0)
        self._noise = noise + noise  # so any slice wraps around without a copy per chunk
        self._noise_len = len(noise)
        self._threads = [
            threading.Thread(target=self._fill, daemon=True),
            threading.Thread(target=self._drain, daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _fill(self) -> None:
        size = int(RATE * CHUNK_SECONDS) * 2
        start, i = time.monotonic(), 0
        while not self._stop.is_set():
            offset = (i * size) % self._noise_len
            chunk = self._noise[offset : offset + size]
            os.write(self._mic_fd, chunk)  # blocks when the pipe is full: nobody is reading
            i += 1
            self._stop.wait(max(0.0, start + i * CHUNK_SECONDS - time.monotonic()))

    def _drain(self) -> None:
        budget = int(RATE * CHUNK_SECONDS) * 2
        start, i = time.monotonic(), 0
        while not self._stop.is_set():
            with contextlib.suppress(BlockingIOError):  # nothing played in this slice
                os.read(self._speaker_fd, budget)
            i += 1
            self._stop.wait(max(0.0, start + i * CHUNK_SECONDS - time.monotonic()))

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=2)
        os.close(self._mic_fd)
        os.close(self._speaker_fd)


# --- /proc sampling -----------------------------------------------------------------------------


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (all threads)


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            found += kids
            todo += kids
    return found


def family_sample(pid: int) -> tuple[int, int]:
    """(CPU ticks, RSS kB) of a process and its descendants; gone processes count 0."""
    ticks = rss = 0
    for p in [pid, *descendants(pid)]:
        try:
            ticks += _cpu_ticks(p)
            rss += _status_kb(p, "VmRSS")
        except (OSError, IndexError, ValueError):
            continue
    return ticks, rss


# --- one run -----------------------------------------------------------------------------------


def coach_command(engine: str, workdir: Path) -> list[str]:
    return [
        sys.executable, "-m", "voicecoach", "run",
        "--engine", engine,
        "--db", str(workdir / "bench.db"),
        "--log", str(workdir / "log.jsonl"),
    ]  # fmt: skip


def read_records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def measure(engine: str, seconds: float, verbose: bool = False) -> Run:
    from voicecoach.hear.cache import cache_dir

    tick = os.sysconf("SC_CLK_TCK")
    with tempfile.TemporaryDirectory(prefix="voicecoach-bench-") as tmp:
        work = Path(tmp)
        pipes = PacedPipes(work)
        home = work / "home"
        home.mkdir()
        (home / ".asoundrc").write_text(
            ASOUNDRC.format(mic=pipes.mic, speaker=pipes.speaker, rate=RATE)
        )
        env = {
            **os.environ,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(work / "config"),
            "XDG_DATA_HOME": str(work / "data"),
            # The learned intent model, as install.sh leaves it: start-up is measured as
            # a person meets it, not with a first-ever training run.
            "XDG_CACHE_HOME": str(cache_dir().parent),
        }
        log_path = work / "log.jsonl"
        started = time.monotonic()
        child = subprocess.Popen(
            coach_command(engine, work),
            env=env,
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=None if verbose else subprocess.DEVNULL,
        )
        try:
            ready_at = _wait_ready(child, log_path, started)
            samples: list[tuple[float, int, int, int]] = []  # wall, ticks, rss, records
            while time.monotonic() - ready_at < seconds and child.poll() is None:
                ticks, rss = family_sample(child.pid)
                samples.append((time.monotonic(), ticks, rss, len(read_records(log_path))))
                time.sleep(1.0)
            peak_own = _status_kb(child.pid, "VmHWM") if child.poll() is None else 0
        finally:
            clean = _stop(child)
            pipes.close()
        if not clean:
            print(
                "warning: the coach did not exit within 10 s of SIGINT and was killed",
                file=sys.stderr,
            )
        elif child.returncode not in (0, 130, -signal.SIGINT):
            raise RuntimeError(f"the coach exited with {child.returncode} during the benchmark")
        records = read_records(log_path)
    # Sound the coach was making, on our clock (its log times count from when it was ready).
    spans = [
        (ready_at + r["start"], ready_at + r["end"])
        for r in records
        if r.get("start") is not None and r.get("end") is not None
    ]
    return _summarise(ready_at - started, samples, spans, peak_own, tick)


def _wait_ready(child: subprocess.Popen, log_path: Path, started: float) -> float:
    while time.monotonic() - started < 60:
        if child.poll() is not None:
            raise RuntimeError(
                f"the coach stopped before it was ready (exit code {child.returncode}); "
                "run with --verbose to see why"
            )
        if log_path.exists() and log_path.stat().st_size > 0:
            return time.monotonic()
        time.sleep(0.01)
    raise RuntimeError("the coach was not ready after 60 seconds")


def _stop(child: subprocess.Popen) -> bool:
    """Stop the coach as the service does (SIGINT); False if it had to be killed."""
    if child.poll() is not None:
        return True
    child.send_signal(signal.SIGINT)
    try:
        child.wait(timeout=10)
        return True
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        return False


def _summarise(
    ready_s: float,
    samples: list[tuple[float, int, int, int]],
    spans: list[tuple[float, float]],
    peak_own_kb: int,
    tick: int,
) -> Run:
    if len(samples) < 2:
        raise RuntimeError("the run was too short to measure")
    idle_ticks = idle_wall = 0.0
    for (t0, c0, _, n0), (t1, c1, _, n1) in itertools.pairwise(samples):
        # Idle: no sound playing (with half a second of slack) and no new action.
        quiet = all(t1 <= start - 0.5 or t0 >= end + 0.5 for start, end in spans)
        if quiet and n1 == n0:
            idle_ticks += c1 - c0
            idle_wall += t1 - t0
    total_wall = samples[-1][0] - samples[0][0]
    total_ticks = samples[-1][1] - samples[0][1]
    return Run(
        ready_s=ready_s,
        rss_mb=peak_own_kb / 1024,
        rss_with_children_mb=max(s[2] for s in samples) / 1024,
        idle_cpu=(idle_ticks / tick) / idle_wall if idle_wall else float("nan"),
        idle_seconds=idle_wall,
        busy_cpu=(total_ticks / tick) / total_wall,
    )


# --- the command ---------------------------------------------------------------------------------


def report(engine: str, runs: list[Run]) -> str:
    def row(name: str, values: list[float], fmt: str, target: str, ok: bool | None) -> str:
        med = statistics.median(values)
        verdict = "" if ok is None else (" ok" if ok else " **over**")
        spread = f"{fmt.format(min(values))}-{fmt.format(max(values))}"
        return f"| {name} | {fmt.format(med)} | {spread} | {target}{verdict} |"

    ready = [r.ready_s for r in runs]
    rss = [r.rss_mb for r in runs]
    rss_all = [r.rss_with_children_mb for r in runs]
    idle = [r.idle_cpu * 100 for r in runs]
    busy = [r.busy_cpu * 100 for r in runs]
    idle_s = statistics.median(r.idle_seconds for r in runs)
    lines = [
        f"Engine {engine}, {len(runs)} run(s), {os.cpu_count()} CPUs, {_cpu_model()}; "
        f"idle measured over {idle_s:.0f} s per run.",
        "",
        "| measure | median | range | target |",
        "|---|---|---|---|",
        row("start to ready (s)", ready, "{:.2f}", "<= 2 s", max(ready) <= TARGETS["ready_s"]),
        row("peak RSS, coach (MB)", rss, "{:.0f}", "<= 100 MB", max(rss) <= TARGETS["rss_mb"]),
        row("peak RSS, with speech worker (MB)", rss_all, "{:.0f}", "", None),
        row("CPU while idle-listening (% of a core)", idle, "{:.1f}", "<= 15%",
            max(idle) <= TARGETS["idle_cpu"] * 100),
        row("CPU over the whole run, speech included (%)", busy, "{:.1f}", "", None),
    ]  # fmt: skip
    return "\n".join(lines)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "Model")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m voicecoach.bench resources", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--engine", default="pocketsphinx", choices=["whisper", "pocketsphinx", "vosk"]
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=40.0,
        help="how long to watch after the coach is ready (default 40)",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--verbose", action="store_true", help="show the coach's own log")
    args = parser.parse_args(argv)
    runs = []
    for i in range(args.runs):
        try:
            runs.append(measure(args.engine, args.seconds, args.verbose))
        except RuntimeError as e:
            print(f"run {i + 1}: {e}", file=sys.stderr)
            return 1
        print(f"run {i + 1}: {runs[-1]}", file=sys.stderr)
    print(report(args.engine, runs))
    return 0
