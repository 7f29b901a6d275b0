"""Text to audio: the `Speaker` protocol and its engines.

A Speaker only *renders*: text in, a `Clip` of int16 mono PCM out.  Playing is the job of
voicecoach.voice.playback, so speech and tones share one output path that can be cut at once
(barge-in) and recorded onto one timeline.

Engines, best first (`open_speaker` picks and logs which):
- `Pyttsx3Speaker`: pyttsx3 on espeak-ng, run in a worker *process* (`save_to_file` +
  `runAndWait` into a temporary WAV, read back).  A process, not a thread, because the
  espeak library is initialised once per process and a hung synthesis can only be ended by
  killing it; the worker is restarted on the next line.
- `EspeakSpeaker`: the `espeak-ng` command line (`-w FILE`), one process per line.
- `FallbackSpeaker`: tries the first, falls back to the second when it fails or hangs.
- `RecordingSpeaker`: the test double; silence of a plausible length, remembers the texts.

Levels: every engine's output is peak-normalised to SPEECH_PEAK_DBFS and then scaled by the
volume (0.3..1), so volume means the same whatever the engine (see docs/audio-output.md).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import wave
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # numpy is imported where used: the pyttsx3 worker starts without it
    import numpy as np

from voicecoach.coach.profile import (
    DEFAULT_RATE,
    DEFAULT_VOLUME,
    MAX_RATE,
    MAX_VOLUME,
    MIN_RATE,
    MIN_VOLUME,
)

log = logging.getLogger(__name__)

SPEECH_PEAK_DBFS = -3.0
"""Peak level of speech at volume 1.0; tones sit below it (voicecoach.voice.tones)."""
ESPEAK_RATE = 22050
"""espeak-ng renders at this sample rate (pyttsx3 and the command line alike)."""
RENDER_TIMEOUT = 3.0
"""Seconds one line may take to render before the engine counts as hung."""
START_TIMEOUT = 15.0
"""Seconds the pyttsx3 worker may take to start (imports are slow on a Raspberry Pi)."""


class SpeechError(RuntimeError):
    """An engine could not render a line (it failed, hung or is missing)."""


class SpeechTimeout(SpeechError):
    """An engine took longer than its timeout; it has been stopped."""


class SpeechUnavailable(SpeechError):
    """No text-to-speech engine works on this machine."""


# --- clips --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clip:
    """A piece of sound ready to play: int16 mono PCM."""

    pcm: bytes
    """Little-endian int16 samples, one channel."""
    rate: int
    """Samples per second."""
    kind: str = "speech"
    """"speech" (cut by a barge-in) or "tone" (always finishes)."""

    @property
    def seconds(self) -> float:
        return len(self.pcm) / 2 / self.rate

    def samples(self) -> np.ndarray:
        """The samples as float32 in -1..1."""
        import numpy as np

        return np.frombuffer(self.pcm, dtype="<i2").astype(np.float32) / 32768.0

    @classmethod
    def from_samples(cls, samples: np.ndarray, rate: int, kind: str = "speech") -> Clip:
        """Build a clip from float samples in -1..1 (values beyond are clipped)."""
        import numpy as np

        pcm = np.clip(np.round(np.asarray(samples) * 32767.0), -32768, 32767).astype("<i2")
        return cls(pcm.tobytes(), rate, kind)

    @classmethod
    def read_wav(cls, path: str | os.PathLike[str], kind: str = "speech") -> Clip:
        """Read a 16-bit WAV (stereo is mixed down to mono)."""
        with wave.open(str(path), "rb") as w:
            if w.getsampwidth() != 2:
                raise SpeechError(f"{path}: expected 16-bit samples, got {8 * w.getsampwidth()}")
            frames = w.readframes(w.getnframes())
            rate, channels = w.getframerate(), w.getnchannels()
        if channels > 1:
            import numpy as np

            a = np.frombuffer(frames, dtype="<i2").reshape(-1, channels).mean(axis=1)
            frames = a.astype("<i2").tobytes()
        return cls(frames, rate, kind)

    def write_wav(self, path: str | os.PathLike[str]) -> None:
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.rate)
            w.writeframes(self.pcm)


def level(samples: np.ndarray, peak_dbfs: float, volume: float = 1.0) -> np.ndarray:
    """Scale to a peak of `peak_dbfs` times `volume`; silence stays silence."""
    import numpy as np

    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    if peak < 1e-4:
        return np.zeros_like(samples, dtype=np.float32)
    gain = 10 ** (peak_dbfs / 20) * volume / peak
    return (samples * gain).astype(np.float32)


def clamp_voice(rate: int, volume: float) -> tuple[int, float]:
    """Keep rate (words per minute) and volume within what stays understandable."""
    return (
        int(min(max(int(rate), MIN_RATE), MAX_RATE)),
        float(min(max(float(volume), MIN_VOLUME), MAX_VOLUME)),
    )


def finish(raw: Clip, volume: float, engine: str) -> Clip:
    """An engine's raw output at the speech level for `volume`.  An empty line is the
    engine's error (seen once on a busy machine: a safety line came back from pyttsx3 as an
    empty file and went unsaid): the caller's fallback says it instead."""
    if not raw.pcm:
        raise SpeechError(f"{engine} wrote an empty line")
    return Clip.from_samples(level(raw.samples(), SPEECH_PEAK_DBFS, volume), raw.rate, "speech")


# --- the protocol -------------------------------------------------------------------------


class Speaker(Protocol):
    """Renders text to audio at the current voice settings."""

    @property
    def rate(self) -> int: ...

    @property
    def volume(self) -> float: ...

    def render(self, text: str) -> Clip:
        """Text to audio; raises SpeechError when the engine fails or hangs."""
        ...

    def set_voice(self, rate: int, volume: float) -> None:
        """Words per minute (clamped 90..220) and volume 0..1 (clamped 0.3..1), from now on."""
        ...

    def close(self) -> None: ...


class _VoiceSettings:
    """Rate and volume with clamping, shared by the engines."""

    def __init__(self, rate: int, volume: float) -> None:
        self._rate, self._volume = clamp_voice(rate, volume)

    @property
    def rate(self) -> int:
        return self._rate

    @property
    def volume(self) -> float:
        return self._volume

    def set_voice(self, rate: int, volume: float) -> None:
        self._rate, self._volume = clamp_voice(rate, volume)


# --- pyttsx3 in a worker process ----------------------------------------------------------


def pyttsx3_worker(argv: Sequence[str] | None = None) -> int:
    """The worker process: `RATE [VOICE]` as arguments, then one JSON request per line in
    ({"text", "path"}), one JSON reply per line out ({"ok": true} or {"ok": false, "error"}).

    The first line out is {"ready": true, "voice": ...}.  The rate is set once, at start:
    pyttsx3's espeak driver runs espeak asynchronously, and a rate set between two lines is
    sometimes lost (measured: stuck at an earlier rate for the rest of the process), so a
    new rate means a new worker.  Exactly one save_to_file per runAndWait, a fresh path each
    time: pyttsx3 keeps only the last of several queued files and repeats the last text when
    nothing is queued.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    # pyttsx3 prints "Audio saved to ..." on stdout: keep a private copy of stdout for the
    # replies and send fd 1 (print and C code alike) to stderr.
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        import ctypes

        import pyttsx3
        from pyttsx3.drivers import _espeak

        rate = int(args[0]) if args else DEFAULT_RATE
        engine = pyttsx3.init("espeak")
        if len(args) > 1 and args[1]:
            engine.setProperty("voice", args[1])
        engine.setProperty("rate", rate)
        engine.setProperty("volume", 1.0)  # the parent scales; full scale keeps precision
        # pyttsx3 declares espeak_GetParameter with one argument; it takes two.
        get_parameter = _espeak.dll.espeak_GetParameter
        get_parameter.argtypes = [ctypes.c_int, ctypes.c_int]
        voice = engine.getProperty("voice")
        # runAndWait can return before espeak (asynchronous here) has finished the line and
        # written the file: wait for pyttsx3's own "finished" notice.
        finished: queue.Queue[bool] = queue.Queue()
        engine.connect("finished-utterance", lambda **kw: finished.put(bool(kw.get("completed"))))
    except Exception as e:  # any failure here means "no pyttsx3", reported to the parent
        replies.write(json.dumps({"ready": False, "error": f"{type(e).__name__}: {e}"}) + "\n")
        return 1
    replies.write(json.dumps({"ready": True, "voice": voice}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            used = _save_line(engine, finished, req["text"], req["path"], get_parameter)
            if used != rate:
                # Seen now and then on a loaded machine (a CI run): espeak has gone back to
                # its default rate.  Setting it again and saying the line once more is
                # cheaper than the parent's new worker, and the parent still has that.
                _espeak.SetParameter(_espeak.RATE, rate, 0)
                used = _save_line(engine, finished, req["text"], req["path"], get_parameter)
            if used != rate:
                raise SpeechError(f"espeak spoke at {used} words per minute, not {rate}")
            reply: dict[str, object] = {"ok": True}
        except Exception as e:  # reported per line; the parent decides what to do
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        replies.write(json.dumps(reply) + "\n")
    return 0


def _save_line(
    engine: Any, finished: queue.Queue[bool], text: str, path: str, get_parameter: Any
) -> int:
    """One line into `path` (worker side); the rate espeak says it used."""
    from pyttsx3.drivers import _espeak

    engine.save_to_file(text, path)
    engine.runAndWait()
    try:
        completed = finished.get(timeout=30)  # the parent's timeout is shorter
    except queue.Empty:
        raise SpeechError("pyttsx3 never finished the line") from None
    if not completed or not Path(path).is_file():
        raise SpeechError("pyttsx3 wrote no file")
    return int(get_parameter(_espeak.RATE, 1))


WORKER_COMMAND = (
    sys.executable,
    "-c",
    "from voicecoach.voice.speech import pyttsx3_worker; raise SystemExit(pyttsx3_worker())",
)


class Pyttsx3Speaker(_VoiceSettings):
    """pyttsx3 (espeak-ng driver) in a worker process, guarded by timeouts.

    A hung, dead or misbehaving worker is killed and SpeechError raised; the next render
    starts a new one.  A new rate (or voice) also means a new worker, started at once in
    the background by set_voice; a new volume needs none (the parent scales the samples).
    `command` is the worker to run, given RATE and VOICE as arguments (tests pass one that
    hangs).
    """

    def __init__(
        self,
        voice: str | None = None,
        rate: int = DEFAULT_RATE,
        volume: float = DEFAULT_VOLUME,
        timeout: float = RENDER_TIMEOUT,
        start_timeout: float = START_TIMEOUT,
        command: Sequence[str] = WORKER_COMMAND,
    ) -> None:
        super().__init__(rate, volume)
        self.voice = voice
        self.timeout = timeout
        self.start_timeout = start_timeout
        self.command = list(command)
        self._proc: subprocess.Popen[str] | None = None
        self._proc_rate = 0
        self._ready = False
        self._replies: queue.Queue[str | None] = queue.Queue()
        self._dir = Path(tempfile.mkdtemp(prefix="voicecoach-tts-"))
        weakref.finalize(self, shutil.rmtree, self._dir, True)
        self._count = 0
        self.starts = 0
        """How many workers were started (one per rate, plus one per hang or crash)."""

    def set_voice(self, rate: int, volume: float) -> None:
        old = self.rate
        super().set_voice(rate, volume)
        if self.rate != old and self._proc is not None:
            self._kill()
            try:
                self._spawn()  # starts up while the caller goes on; render waits for it
            except SpeechError as e:  # a voice change must never fail; render will retry
                log.warning("%s", e)

    def start(self) -> None:
        """Have a worker ready now (render does it when needed); SpeechError if it cannot."""
        if self._proc is None or self._proc.poll() is not None or self._proc_rate != self.rate:
            self._kill()
            self._spawn()
        if not self._ready:
            ready = self._reply(self.start_timeout, "starting")
            if not ready.get("ready"):
                self._kill()
                raise SpeechError(f"pyttsx3 did not start: {ready.get('error', ready)}")
            self._ready = True
            log.debug("pyttsx3 worker ready, voice %s, rate %d", ready.get("voice"), self.rate)

    def _spawn(self) -> None:
        self.starts += 1
        self._replies = queue.Queue()
        self._ready = False
        self._proc_rate = self.rate
        try:
            self._proc = subprocess.Popen(
                [*self.command, str(self.rate), self.voice or ""],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                bufsize=1,
            )
        except OSError as e:
            self._proc = None
            raise SpeechError(f"cannot start the pyttsx3 worker: {e}") from e
        threading.Thread(
            target=_pump_lines, args=(self._proc.stdout, self._replies), daemon=True
        ).start()

    def render(self, text: str) -> Clip:
        text = " ".join(text.split())
        if not text:
            return Clip(b"", ESPEAK_RATE)
        try:
            return self._render_once(text)
        except SpeechError as e:
            # Now and then, on a loaded machine, a worker's espeak drops the rate it was
            # started with for good (it says its default, 200): a fresh worker gets it right.
            if "words per minute" not in str(e):
                raise
            log.warning("%s; saying the line again with a new worker", e)
            return self._render_once(text)

    def _render_once(self, text: str) -> Clip:
        self.start()
        assert self._proc is not None
        assert self._proc.stdin is not None
        self._count += 1
        path = self._dir / f"line{self._count}.wav"
        try:
            self._proc.stdin.write(json.dumps({"text": text, "path": str(path)}) + "\n")
            self._proc.stdin.flush()
        except OSError as e:
            self._kill()
            raise SpeechError(f"pyttsx3 worker is gone: {e}") from e
        reply = self._reply(self.timeout, "rendering")
        try:
            if not reply.get("ok"):
                raise SpeechError(f"pyttsx3 failed: {reply.get('error', reply)}")
            return finish(Clip.read_wav(path), self.volume, "pyttsx3")
        except SpeechError:
            self._kill()  # whatever went wrong, a fresh worker is the safe bet
            raise
        finally:
            path.unlink(missing_ok=True)

    def _reply(self, timeout: float, doing: str) -> dict[str, object]:
        try:
            line = self._replies.get(timeout=timeout)
        except queue.Empty:
            self._kill()
            raise SpeechTimeout(f"pyttsx3 hung {doing} (> {timeout:g} s); stopped it") from None
        if line is None:
            self._kill()
            raise SpeechError(f"pyttsx3 worker exited while {doing}")
        try:
            reply = json.loads(line)
        except json.JSONDecodeError:
            self._kill()
            raise SpeechError(f"pyttsx3 worker said something odd: {line[:80]!r}") from None
        return reply if isinstance(reply, dict) else {"error": reply}

    def _kill(self) -> None:
        proc, self._proc, self._ready = self._proc, None, False
        if proc is None:
            return
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=2)
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()

    def close(self) -> None:
        self._kill()
        shutil.rmtree(self._dir, ignore_errors=True)


def _pump_lines(stream: io.TextIOBase | None, out: queue.Queue[str | None]) -> None:
    """Move a worker's reply lines into a queue, so the reader can wait with a timeout."""
    if stream is not None:
        with contextlib.suppress(OSError, ValueError):
            for line in stream:
                out.put(line)
    out.put(None)


# --- the espeak-ng command ----------------------------------------------------------------


class EspeakSpeaker(_VoiceSettings):
    """The `espeak-ng` command line, one process per line (about 30 ms each)."""

    def __init__(
        self,
        voice: str | None = None,
        rate: int = DEFAULT_RATE,
        volume: float = DEFAULT_VOLUME,
        timeout: float = RENDER_TIMEOUT,
        program: str | None = None,
    ) -> None:
        super().__init__(rate, volume)
        self.voice = voice
        self.timeout = timeout
        found = program or shutil.which("espeak-ng") or shutil.which("espeak")
        if not found:
            raise SpeechUnavailable("espeak-ng is not installed (apt install espeak-ng)")
        self.program = found

    def render(self, text: str) -> Clip:
        text = " ".join(text.split())
        if not text:
            return Clip(b"", ESPEAK_RATE)
        with tempfile.TemporaryDirectory(prefix="voicecoach-espeak-") as tmp:
            path = Path(tmp) / "line.wav"
            cmd = [self.program, "--stdin", "-w", str(path), "-s", str(self.rate)]
            if self.voice:
                cmd += ["-v", self.voice]
            try:
                # The text goes in on stdin, so a line starting with "-" is not an option.
                done = subprocess.run(
                    cmd, input=text, text=True, capture_output=True, timeout=self.timeout
                )
            except subprocess.TimeoutExpired:
                raise SpeechTimeout(f"espeak-ng hung (> {self.timeout:g} s)") from None
            except OSError as e:
                raise SpeechError(f"cannot run {self.program}: {e}") from e
            if done.returncode != 0 or not path.is_file():
                raise SpeechError(f"espeak-ng failed: {done.stderr.strip()[:200]}")
            return finish(Clip.read_wav(path), self.volume, "espeak-ng")

    def close(self) -> None:
        pass


# --- fallback and test double -------------------------------------------------------------


class FallbackSpeaker:
    """Renders with `primary`; when it fails or hangs, with `fallback` (logged).

    After `give_up` failures in a row the primary is no longer tried, so a broken engine
    costs its timeout a few times, not on every line.
    """

    def __init__(self, primary: Speaker, fallback: Speaker, give_up: int = 3) -> None:
        self.primary, self.fallback = primary, fallback
        self.give_up = give_up
        self.failures = 0
        self.errors: list[str] = []
        """Every primary failure, for the session log."""

    @property
    def rate(self) -> int:
        return self.primary.rate

    @property
    def volume(self) -> float:
        return self.primary.volume

    @property
    def using_fallback(self) -> bool:
        return self.failures >= self.give_up

    def render(self, text: str) -> Clip:
        if not self.using_fallback:
            try:
                clip = self.primary.render(text)
                self.failures = 0
                return clip
            except SpeechError as e:
                self.failures += 1
                self.errors.append(str(e))
                log.warning("%s; this line with %s", e, type(self.fallback).__name__)
                if self.using_fallback:
                    log.warning(
                        "giving up on %s after %d failures in a row",
                        type(self.primary).__name__,
                        self.failures,
                    )
        return self.fallback.render(text)

    def set_voice(self, rate: int, volume: float) -> None:
        self.primary.set_voice(rate, volume)
        self.fallback.set_voice(rate, volume)

    def close(self) -> None:
        self.primary.close()
        self.fallback.close()


@dataclass(frozen=True)
class Spoken:
    """One line a RecordingSpeaker rendered, with the voice settings at the time."""

    text: str
    rate: int
    volume: float


@dataclass
class RecordingSpeaker:
    """Test double: silence as long as the line would take to say; remembers every line."""

    rate: int = DEFAULT_RATE
    volume: float = DEFAULT_VOLUME
    sample_rate: int = ESPEAK_RATE
    lines: list[Spoken] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rate, self.volume = clamp_voice(self.rate, self.volume)

    @property
    def texts(self) -> list[str]:
        return [s.text for s in self.lines]

    def render(self, text: str) -> Clip:
        self.lines.append(Spoken(text, self.rate, self.volume))
        words = len(text.split())
        seconds = words * 60.0 / self.rate + (0.2 if words else 0.0)
        return Clip(bytes(2 * round(seconds * self.sample_rate)), self.sample_rate)

    def set_voice(self, rate: int, volume: float) -> None:
        self.rate, self.volume = clamp_voice(rate, volume)

    def close(self) -> None:
        pass


# --- choosing an engine -------------------------------------------------------------------


def open_speaker(
    voice: str | None = None,
    rate: int = DEFAULT_RATE,
    volume: float = DEFAULT_VOLUME,
    timeout: float = RENDER_TIMEOUT,
) -> Speaker:
    """The best working engine: pyttsx3 with espeak-ng as fallback, or whichever works.

    Raises SpeechUnavailable (with what to install) when neither works.
    """
    problems: list[str] = []
    primary: Pyttsx3Speaker | None = None
    candidate = Pyttsx3Speaker(voice, rate, volume, timeout)
    try:
        if not candidate.render("ok").pcm:  # proves the whole path, not just the import
            raise SpeechError("pyttsx3 rendered nothing")
        primary = candidate
    except SpeechError as e:
        problems.append(str(e))
        log.warning("pyttsx3 does not work here (%s); trying the espeak-ng command", e)
        candidate.close()
    try:
        fallback: EspeakSpeaker | None = EspeakSpeaker(voice, rate, volume, timeout)
    except SpeechError as e:
        problems.append(str(e))
        fallback = None
    if primary and fallback:
        log.info("speech: pyttsx3 (espeak-ng), falling back to %s", fallback.program)
        return FallbackSpeaker(primary, fallback)
    if primary:
        log.warning("speech: pyttsx3 only, no espeak-ng command to fall back on")
        return primary
    if fallback:
        log.info("speech: %s command", fallback.program)
        return fallback
    raise SpeechUnavailable(
        "No text-to-speech engine works: "
        + "; ".join(problems)
        + ". Install espeak-ng (apt install espeak-ng) and pyttsx3 (pip install pyttsx3)."
    )
