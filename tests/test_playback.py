"""Audio out: the mixer, the WAV timeline, and sounddevice on a virtual ALSA speaker."""

from __future__ import annotations

import fcntl
import json
import os
import select
import subprocess
import sys
import textwrap
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from voicecoach.hear.resample import resample
from voicecoach.voice.playback import FADE_SECONDS, Mixer, WavTimelineOut, soft_limit
from voicecoach.voice.speech import Clip, EspeakSpeaker
from voicecoach.voice.tones import tone

RATE = 8000


def const(value: float, seconds: float, rate: int = RATE, kind: str = "speech") -> Clip:
    return Clip.from_samples(np.full(round(seconds * rate), value), rate, kind)


def read(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32768.0, w.getframerate()


# --- mixer and WAV timeline ---------------------------------------------------------------


def test_wav_timeline_places_clips_at_their_sample_offsets(tmp_path: Path) -> None:
    out = WavTimelineOut(tmp_path / "t.wav", RATE)
    assert out.play(const(0.25, 0.5), at=1.0) == pytest.approx(1.5)
    out.play(const(0.125, 0.25, kind="tone"), at=2.0)
    out.close()
    a, rate = read(tmp_path / "t.wav")
    assert rate == RATE
    assert len(a) == round(2.25 * RATE)
    nz = np.nonzero(a)[0]
    assert nz[0] == RATE  # first sample exactly at 1.0 s
    assert np.allclose(a[RATE : RATE + RATE // 2], 0.25, atol=1e-4)
    assert not a[RATE + RATE // 2 : 2 * RATE].any()
    assert np.allclose(a[2 * RATE :], 0.125, atol=1e-4)


def test_overlapping_clips_are_mixed_and_limited(tmp_path: Path) -> None:
    out = WavTimelineOut(tmp_path / "t.wav", RATE)
    out.play(const(0.25, 1.0), at=0.0)
    out.play(const(0.125, 0.5, kind="tone"), at=0.25)
    out.play(const(0.9, 0.1, kind="tone"), at=0.5)  # 0.25 + 0.9 would clip
    out.close()
    a, _ = read(tmp_path / "t.wav")
    assert a[RATE // 8] == pytest.approx(0.25, abs=1e-4)
    assert a[3 * RATE // 8] == pytest.approx(0.375, abs=1e-4)
    loud = a[RATE // 2 : RATE // 2 + RATE // 10]
    assert loud.min() > 0.9
    assert loud.max() < 1.0


def test_speech_without_a_time_queues_after_speech_but_tones_play_now(tmp_path: Path) -> None:
    out = WavTimelineOut(tmp_path / "t.wav", RATE)
    assert out.play(const(0.1, 1.0)) == pytest.approx(1.0)
    assert out.play(const(0.1, 1.0)) == pytest.approx(2.0)
    out.advance(0.5)
    assert out.play(const(0.1, 0.2, kind="tone")) == pytest.approx(0.7)
    assert out.busy_until() == pytest.approx(2.0)


def test_stop_speech_cuts_speech_with_a_short_fade_and_lets_tones_finish(tmp_path: Path) -> None:
    out = WavTimelineOut(tmp_path / "t.wav", RATE)
    out.play(const(0.5, 2.0), at=0.0)
    out.play(const(0.5, 1.0), at=2.0)  # queued line: cancelled too
    out.play(const(0.25, 1.5, kind="tone"), at=0.5)
    out.stop_speech(at=1.0)
    out.play(const(0.1, 0.5), at=3.0)  # said after the barge-in: kept
    out.close()
    a, _ = read(tmp_path / "t.wav")
    fade = round(FADE_SECONDS * RATE)
    assert a[RATE - 1] == pytest.approx(0.75, abs=1e-4)
    assert a[RATE + fade // 2] < 0.75
    assert a[RATE + fade // 2] > 0.25
    assert np.allclose(a[RATE + fade : 2 * RATE], 0.25, atol=1e-4)  # only the tone
    assert not a[2 * RATE : 3 * RATE].any()  # the queued line is gone
    assert np.allclose(a[3 * RATE :], 0.1, atol=1e-4)


def _session(out: WavTimelineOut, forget: bool) -> None:
    """Lines, tones, a barge-in and a gap, as a file session plays them; with `forget`, the
    time before each event is declared settled first (as the runtime does)."""
    events = [
        (0.0, lambda: out.play(const(0.25, 1.2), at=0.5)),
        (1.0, lambda: out.play(const(0.125, 0.3, kind="tone"), at=1.0)),
        (1.1, lambda: out.play(const(0.2, 2.0), at=1.7)),  # queued behind the first line
        (3.1, lambda: out.stop_speech(at=3.1)),  # barge-in, 1.4 s into the second line
        (6.0, lambda: out.play(const(0.3, 1.5), at=6.0)),  # after a silence
        (9.4, lambda: out.play(const(0.1, 0.5, kind="tone"), at=9.4)),
    ]
    for t, event in events:
        if forget:
            out.forget_before(t)
        event()
    if forget:
        out.forget_before(9.9)


def test_a_wav_written_as_the_session_goes_is_the_one_written_at_the_end(tmp_path: Path) -> None:
    at_end = WavTimelineOut(tmp_path / "end.wav", RATE)
    _session(at_end, forget=False)
    at_end.close()
    going = WavTimelineOut(tmp_path / "going.wav", RATE)
    _session(going, forget=True)
    # Written already up to the last whole second before the last sound's end (9.9 s) ...
    assert (tmp_path / "going.wav").stat().st_size >= 44 + 2 * 9 * RATE
    assert going.busy_until() == pytest.approx(9.9)
    going.close()
    a, _ = read(tmp_path / "end.wav")
    b, _ = read(tmp_path / "going.wav")
    assert len(a) == round(9.9 * RATE)  # ... and never past it
    assert np.array_equal(a, b)


def test_writing_a_clip_out_does_not_move_the_end_its_caller_was_told(tmp_path: Path) -> None:
    # Timers are set to the end a line was given and compared with busy_until() later: a
    # start rounded to the sample grid would reorder a timer and a command due together.
    out = WavTimelineOut(tmp_path / "t.wav", RATE)
    end = out.play(const(0.2, 2.0), at=0.30001)
    out.forget_before(1.0)  # its start is written out
    assert out.busy_until() == end


def test_nothing_is_written_past_the_last_sound(tmp_path: Path) -> None:
    out = WavTimelineOut(tmp_path / "t.wav", RATE)
    out.play(const(0.25, 0.5), at=0.2)
    out.forget_before(30.0)  # the file read on in silence
    out.play(const(0.25, 0.5), at=31.0)
    out.close()
    a, _ = read(tmp_path / "t.wav")
    assert len(a) == round(31.5 * RATE)
    assert np.allclose(a[round(31.0 * RATE) :], 0.25, atol=1e-4)
    assert not a[round(0.7 * RATE) : round(31.0 * RATE)].any()


def test_mixer_cuts_within_one_block_when_the_cut_is_already_past() -> None:
    """A device renders ahead of time: a cut 'now' lands at the start of the next block."""
    mixer = Mixer(RATE)
    block = RATE // 50
    mixer.add(const(0.5, 2.0), start=0.0)
    for i in range(10):
        mixer.render(i * block, block, block_time=i * block / RATE)
    mixer.cut_speech(at=0.05)  # already rendered up to 0.2 s
    nxt = mixer.render(10 * block, block, block_time=10 * block / RATE)
    fade = round(FADE_SECONDS * RATE)
    assert nxt[0] > 0.4
    assert not nxt[fade:].any()
    assert not mixer.render(11 * block, block, 11 * block / RATE).any()
    assert mixer.busy_until() == 0.0


def test_resample_keeps_duration_and_pitch() -> None:
    t = np.arange(22050) / 22050
    x = np.sin(2 * np.pi * 440 * t)
    y = resample(x, 22050, 48000)
    assert len(y) == 48000
    spectrum = np.abs(np.fft.rfft(y))
    assert np.argmax(spectrum) == pytest.approx(440, abs=1)  # 1 s long: bin = Hz


def test_soft_limit_is_identity_below_the_knee_and_bounded_above() -> None:
    x = np.linspace(-3, 3, 1001)
    y = soft_limit(x)
    quiet = np.abs(x) <= 0.9
    assert np.array_equal(y[quiet], x[quiet])
    assert np.all(np.abs(y) <= 1.0)
    assert np.all(np.diff(y) >= 0)  # monotonic: no folding
    assert np.all(np.diff(y[np.abs(x) < 1.5]) > 0)


# --- sounddevice on a virtual ALSA device -------------------------------------------------

DEVICE_RATE = 48000


class VirtualSpeaker:
    """An ALSA `file` device writing into a FIFO that a thread drains at real-time pace.

    The small pipe makes PortAudio block like a sound card would, and the thread keeps
    every sample that reached the "speaker" with the time it was played.
    """

    def __init__(self, home: Path) -> None:
        home.mkdir(exist_ok=True)
        self.home = home
        fifo = home / "speaker.fifo"
        os.mkfifo(fifo)
        (home / ".asoundrc").write_text(
            textwrap.dedent(f"""\
            pcm.!default {{
                type plug
                slave {{ pcm "speaker" format S16_LE rate {DEVICE_RATE} channels 1 }}
            }}
            pcm.speaker {{
                type file
                slave.pcm "null"
                file "{fifo}"
                format "raw"
            }}
            """)
        )
        self.fifo = fifo
        self._chunks: list[bytes] = []
        self.t0: float | None = None
        self.plug()

    def plug(self) -> None:
        """Connect the speaker (again): start draining the FIFO."""
        # O_RDWR: a FIFO that always has a writer never reads as EOF (PortAudio opens and
        # closes the device while it probes).
        self._fd = os.open(self.fifo, os.O_RDWR | os.O_NONBLOCK)
        fcntl.fcntl(self._fd, 1031, 4096)  # F_SETPIPE_SZ: ~43 ms of audio, like a sound card
        self._stop = threading.Event()
        self._pull = threading.Event()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def unplug(self) -> None:
        """Pull the plug: the writer's next write fails (EPIPE), as with a lost device."""
        self._pull.set()
        self._thread.join()
        os.close(self._fd)

    def _drain(self) -> None:
        got, start = 0, None
        while not self._pull.is_set():
            if not select.select([self._fd], [], [], 0.05)[0]:
                if self._stop.is_set():
                    return  # stopped, and the pipe is empty: all that was played is here
                continue
            try:
                data = os.read(self._fd, 960)
            except BlockingIOError:
                continue
            now = time.monotonic()
            if self.t0 is None:
                self.t0 = now
            if start is None:
                start = now
            self._chunks.append(data)
            got += len(data)
            ahead = got / 2 / DEVICE_RATE - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)

    def samples(self) -> np.ndarray:
        self._stop.set()
        self._thread.join()
        os.close(self._fd)
        raw = b"".join(self._chunks)
        return np.frombuffer(raw[: len(raw) // 2 * 2], "<i2") / 32768.0

    def run(self, script: str) -> dict[str, float]:
        done = self.command("-c", script)
        return json.loads(done.stdout.strip().splitlines()[-1])

    def command(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run python with these arguments, with this speaker as the default device."""
        env = {**os.environ, "HOME": str(self.home)}
        env.pop("ALSA_CONFIG_PATH", None)
        done = subprocess.run(
            [sys.executable, *args], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done


PLAY_SCRIPT = """
import json, time
import numpy as np
from voicecoach.voice.playback import SoundDeviceOut
from voicecoach.voice.speech import Clip, EspeakSpeaker
from voicecoach.voice.tones import tone

out = SoundDeviceOut(rate=48000)
time.sleep(0.2)
tone_at = out.play(tone("hold_start"))
t = np.arange(3 * 22050) / 22050
speech = Clip.from_samples(0.5 * np.sin(2 * np.pi * 300 * t), 22050)  # a long "line"
out.play(speech, at=tone_at + 0.3)
time.sleep(tone_at + 0.3 + 1.0 - out.now())  # one second into the line...
stopped = time.monotonic()
out.stop_speech()  # ...the user barges in
time.sleep(0.5)
out.close()
print(json.dumps({"stopped": stopped, "rate": out.rate, "underflows": out.underflows}))
"""


@pytest.mark.slow
def test_sounddevice_plays_on_a_virtual_alsa_device_and_barge_in_cuts_fast(
    tmp_path: Path,
) -> None:
    speaker = VirtualSpeaker(tmp_path / "home")
    result = speaker.run(PLAY_SCRIPT)
    heard = speaker.samples()
    assert speaker.t0 is not None
    assert result["rate"] == DEVICE_RATE
    loud = np.nonzero(np.abs(heard) > 1e-3)[0]
    assert len(loud), "nothing reached the speaker"

    # The cue arrived intact: it matches the generated tone, resampled to the device rate.
    cue = resample(tone("hold_start").samples(), 22050, DEVICE_RATE)
    around = heard[max(0, loud[0] - 400) : loud[0] + len(cue) + 400]
    lags = np.correlate(around, cue, mode="valid")
    start = max(0, loud[0] - 400) + int(np.argmax(lags))
    got = heard[start : start + len(cue)]
    corr = float(np.dot(got, cue) / (np.linalg.norm(got) * np.linalg.norm(cue)))
    assert corr > 0.98
    assert np.max(np.abs(got)) == pytest.approx(np.max(np.abs(cue)), rel=0.05)

    # The line played for about a second, then stopped within 300 ms of stop_speech().
    speech = np.nonzero(np.abs(heard[start + len(cue) :]) > 1e-3)[0] + start + len(cue)
    first, last = speech[0], speech[-1]
    assert (last - first) / DEVICE_RATE == pytest.approx(1.0, abs=0.15)
    cut_off = speaker.t0 + last / DEVICE_RATE - result["stopped"]
    print(f"barge-in cut-off on the virtual device: {1000 * cut_off:.0f} ms")
    assert 0 < cut_off < 0.3


@pytest.mark.slow
def test_say_speaks_on_the_speaker(tmp_path: Path) -> None:
    speaker = VirtualSpeaker(tmp_path / "home")
    started = time.monotonic()
    speaker.command("-m", "voicecoach", "say", "--tone", "rep", "Lie on your back.")
    took = time.monotonic() - started
    heard = speaker.samples()
    loud = np.nonzero(np.abs(heard) > 1e-3)[0]
    seconds = (loud[-1] - loud[0]) / DEVICE_RATE
    line = EspeakSpeaker().render("Lie on your back.").samples()
    voiced = np.nonzero(np.abs(line) > 1e-3)[0]
    expected = tone("rep").seconds + 0.1 + voiced[-1] / 22050  # cue, gap, the whole line
    # A busy machine can stretch the gap by a few tens of milliseconds (a late period on
    # the paced device); a lost cue or a clipped line is off by far more.
    assert seconds == pytest.approx(expected, abs=0.08)
    assert took > seconds  # it waited for the line to be heard before exiting
    assert np.max(np.abs(heard)) > 0.5  # speech at its level, not just the quiet cue


def no_device_env(tmp_path: Path) -> dict[str, str]:
    """An ALSA configuration with no usable device, whatever the machine has."""
    conf = tmp_path / "empty.conf"
    conf.write_text("pcm.!default { type hw card 97 }\n")
    return {**os.environ, "ALSA_CONFIG_PATH": str(conf), "HOME": str(tmp_path)}


@pytest.mark.slow
def test_say_without_a_speaker_says_what_to_check_and_offers_a_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "voicecoach", "say", "hello"],
        env=no_device_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "voicecoach devices" in done.stderr
    assert "--out" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


@pytest.mark.slow
def test_say_renders_to_a_wav_file(tmp_path: Path) -> None:
    out = tmp_path / "line.wav"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "voicecoach",
            "say",
            "--out",
            str(out),
            "--rate",
            "120",
            "Breathe",
            "out",
            "slowly.",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # pyttsx3's chatter stays off stdout
    a, rate = read(out)
    assert rate == 22050
    assert len(a) / rate > 1.0
    assert np.sqrt(np.mean(a**2)) > 0.02


LOST_SCRIPT = """
import json, time
from voicecoach.voice.playback import SoundDeviceOut
from voicecoach.voice.tones import tone

out = SoundDeviceOut(rate=48000)
out.play(tone("hold_start"))
out.wait(timeout=5)
time.sleep(0.3)  # and through the virtual device's own buffer
print("played", flush=True)  # the test pulls the plug now
deadline = time.monotonic() + 10
while out.lost is None and time.monotonic() < deadline:
    time.sleep(0.02)
lost = out.lost
out.play(tone("rep"))  # while lost: must not raise
print("lost", flush=True)  # the test plugs it back in
out.reopen()
out.play(tone("rest_over"))
out.wait(timeout=5)
out.close()
print(json.dumps({"lost": lost, "after": out.lost}))
"""


def find(heard: np.ndarray, name: str) -> tuple[int, float]:
    """Where the cue `name` best matches what was heard, and how well (correlation 0..1)."""
    cue = resample(tone(name).samples(), 22050, DEVICE_RATE)
    n = len(heard) + len(cue)
    spectrum = np.fft.rfft(heard, n) * np.conj(np.fft.rfft(cue, n))
    corr = np.fft.irfft(spectrum, n)[: len(heard) - len(cue) + 1]  # = np.correlate, valid
    at = int(np.argmax(corr))
    got = heard[at : at + len(cue)]
    return at, float(np.dot(got, cue) / (np.linalg.norm(got) * np.linalg.norm(cue) + 1e-12))


@pytest.mark.slow
def test_a_lost_speaker_is_reported_and_reopened(tmp_path: Path) -> None:
    speaker = VirtualSpeaker(tmp_path / "home")
    env = {**os.environ, "HOME": str(speaker.home)}
    env.pop("ALSA_CONFIG_PATH", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", LOST_SCRIPT],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().strip() == "played"
        speaker.unplug()
        assert proc.stdout.readline().strip() == "lost"
        speaker.plug()
        out, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    result = json.loads(out.strip().splitlines()[-1])
    assert "stopped" in result["lost"]
    assert result["after"] is None
    heard = speaker.samples()
    before, before_match = find(heard, "hold_start")
    after, after_match = find(heard, "rest_over")
    assert before_match > 0.98  # heard before the plug was pulled
    assert after_match > 0.98  # and after it was back
    assert after > before


NO_DEVICE_SCRIPT = """
import json
from voicecoach.voice.playback import NoOutputDevice, SoundDeviceOut
try:
    SoundDeviceOut()
except NoOutputDevice as e:
    print(json.dumps({"message": str(e)}))
"""


@pytest.mark.slow
def test_no_speaker_gives_a_plain_message(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", NO_DEVICE_SCRIPT],
        env=no_device_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    message = json.loads(done.stdout.strip().splitlines()[-1])["message"]
    assert "voicecoach devices" in message
    assert "plugged in" in message
