"""Speech rendering: engines, voice settings, and surviving a hung engine."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest

from voicecoach.understand.intents import IntentSet
from voicecoach.voice.speech import (
    SPEECH_PEAK_DBFS,
    WORKER_COMMAND,
    Clip,
    EspeakSpeaker,
    FallbackSpeaker,
    Pyttsx3Speaker,
    RecordingSpeaker,
    SpeechError,
    SpeechTimeout,
    clamp_voice,
    open_speaker,
)

SHORT = "Lie on your back."
LONG = "Lie on your back, bend both knees, and slowly bring your right knee towards your chest."

# A worker that starts fine and then never answers: a hung synthesis.
HANGING_WORKER = (
    sys.executable,
    "-c",
    "import sys, time\nprint('{\"ready\": true}', flush=True)\nsys.stdin.readline()\n"
    "time.sleep(60)",
)
# A worker that dies on its first line.
CRASHING_WORKER = (
    sys.executable,
    "-c",
    "import sys\nprint('{\"ready\": true}', flush=True)\nsys.stdin.readline()\nsys.exit(3)",
)

# A worker whose espeak has dropped its rate: every line comes back refused for it.
RATE_DROPPED_WORKER = (
    sys.executable,
    "-c",
    "import sys\nprint('{\"ready\": true}', flush=True)\nfor _ in sys.stdin:\n"
    '    print(\'{"ok": false, "error": "SpeechError: espeak spoke at 200 words per '
    "minute, not 150\"}', flush=True)",
)

# A worker that answers every line with an empty WAV file: a line that would go unsaid.
EMPTY_LINE_WORKER = (
    sys.executable,
    "-c",
    "import json, sys, wave\nprint('{\"ready\": true}', flush=True)\nfor line in sys.stdin:\n"
    "    w = wave.open(json.loads(line)['path'], 'wb')\n"
    "    w.setnchannels(1); w.setsampwidth(2); w.setframerate(22050); w.close()\n"
    "    print('{\"ok\": true}', flush=True)",
)


def peak_dbfs(clip: Clip) -> float:
    return float(20 * np.log10(np.max(np.abs(clip.samples()))))


# --- fast ---------------------------------------------------------------------------------


def test_voice_settings_are_clamped() -> None:
    assert clamp_voice(40, 0.0) == (90, 0.3)
    assert clamp_voice(400, 2.0) == (220, 1.0)
    assert clamp_voice(150, 0.8) == (150, 0.8)


def test_recording_speaker_remembers_lines_with_their_voice() -> None:
    speaker = RecordingSpeaker()
    slow = speaker.render(LONG)
    speaker.set_voice(220, 1.5)
    fast = speaker.render(LONG)
    assert speaker.texts == [LONG, LONG]
    assert speaker.lines[1].rate == 220
    assert speaker.lines[1].volume == 1.0
    assert slow.seconds > fast.seconds > 2.0  # 15 words at 220 wpm: about 4 s
    assert not any(slow.pcm)


def test_clip_wav_round_trip(tmp_path: Path) -> None:
    clip = Clip.from_samples(np.sin(np.arange(1000) / 10) * 0.5, 16000)
    clip.write_wav(tmp_path / "c.wav")
    back = Clip.read_wav(tmp_path / "c.wav")
    assert back == clip
    assert back.seconds == pytest.approx(1000 / 16000)


class Broken:
    """A speaker that always fails, behind the Speaker interface."""

    rate, volume = 150, 0.8

    def render(self, text: str) -> Clip:
        raise SpeechError("broken on purpose")

    def set_voice(self, rate: int, volume: float) -> None:
        pass

    def close(self) -> None:
        pass


def test_fallback_speaker_uses_the_fallback_and_gives_up_after_repeated_failures() -> None:
    backup = RecordingSpeaker()
    speaker = FallbackSpeaker(Broken(), backup, give_up=2)
    speaker.render("one")
    assert not speaker.using_fallback
    speaker.render("two")
    assert speaker.using_fallback
    speaker.render("three")
    assert backup.texts == ["one", "two", "three"]
    assert speaker.errors == ["broken on purpose"] * 2
    speaker.set_voice(100, 0.5)
    assert backup.rate == 100


# --- slow: real engines -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("engine", [Pyttsx3Speaker, EspeakSpeaker])
def test_rendered_speech_is_real_and_levelled(engine: type) -> None:
    speaker = engine(volume=1.0)
    try:
        short, long = speaker.render(SHORT), speaker.render(LONG)
        assert short.rate == 22050
        assert short.kind == "speech"
        assert long.seconds > 2.5 * short.seconds > 2.0
        samples = long.samples()
        rms = float(np.sqrt(np.mean(samples**2)))
        assert rms > 0.02  # not silence
        assert peak_dbfs(long) == pytest.approx(SPEECH_PEAK_DBFS, abs=0.1)
        assert speaker.render("   ").pcm == b""
    finally:
        speaker.close()


@pytest.mark.slow
@pytest.mark.parametrize("engine", [Pyttsx3Speaker, EspeakSpeaker])
def test_rate_and_volume_change_at_once(engine: type) -> None:
    speaker = engine(rate=150, volume=1.0)
    try:
        normal = speaker.render(LONG)
        speaker.set_voice(90, 0.5)
        slow = speaker.render(LONG)
        speaker.set_voice(220, 0.5)
        fast = speaker.render(LONG)
        speaker.set_voice(150, 1.0)
        again = speaker.render(LONG)
    finally:
        speaker.close()
    assert slow.seconds / normal.seconds == pytest.approx(150 / 90, rel=0.15)
    assert fast.seconds / normal.seconds == pytest.approx(150 / 220, rel=0.15)
    assert again.seconds == pytest.approx(normal.seconds, rel=0.02)
    assert peak_dbfs(slow) == pytest.approx(SPEECH_PEAK_DBFS + 20 * np.log10(0.5), abs=0.1)


@pytest.mark.slow
def test_pyttsx3_keeps_its_announcements_off_stdout(capfd: pytest.CaptureFixture[str]) -> None:
    speaker = Pyttsx3Speaker()
    try:
        speaker.render(SHORT)
    finally:
        speaker.close()
    assert "Audio saved" not in capfd.readouterr().out


@pytest.mark.slow
def test_a_hung_engine_is_stopped_and_the_fallback_speaks() -> None:
    hung = Pyttsx3Speaker(timeout=0.5, command=HANGING_WORKER)
    backup = RecordingSpeaker()
    speaker = FallbackSpeaker(hung, backup)
    started = time.monotonic()
    clip = speaker.render(SHORT)
    assert time.monotonic() - started < 2.0  # the coach never freezes
    assert clip.seconds > 0.5
    assert backup.texts == [SHORT]
    assert "hung" in speaker.errors[0]
    with pytest.raises(SpeechTimeout):
        hung.render(SHORT)  # a new worker was started for this line, and it hung too
    assert hung.starts == 2
    speaker.close()


def test_an_empty_line_from_the_engine_is_said_by_the_fallback() -> None:
    empty = Pyttsx3Speaker(timeout=15.0, command=EMPTY_LINE_WORKER)
    backup = RecordingSpeaker()
    speaker = FallbackSpeaker(empty, backup)
    clip = speaker.render(SHORT)
    assert clip.seconds > 0.5  # never a silent line
    assert backup.texts == [SHORT]
    assert "empty" in speaker.errors[0]
    speaker.close()


@pytest.mark.slow
def test_a_crashed_worker_is_replaced_on_the_next_line() -> None:
    # The timeout only bounds a hung worker; a busy machine can take seconds to start one.
    speaker = Pyttsx3Speaker(timeout=15.0, command=CRASHING_WORKER)
    with pytest.raises(SpeechError, match="exited"):
        speaker.render(SHORT)
    speaker.command = list(WORKER_COMMAND)  # the same speaker, now with a working worker
    assert speaker.render(SHORT).seconds > 0.5
    # One new worker for the crash; on a loaded machine espeak now and then falls back to its
    # default rate, and the line is said again by one more (seen once in CI: 3 starts).
    assert 2 <= speaker.starts <= 3
    speaker.close()


@pytest.mark.slow
def test_open_speaker_prefers_pyttsx3_with_espeak_as_fallback() -> None:
    speaker = open_speaker(rate=130, volume=0.6)
    try:
        assert isinstance(speaker, FallbackSpeaker)
        assert isinstance(speaker.primary, Pyttsx3Speaker)
        assert isinstance(speaker.fallback, EspeakSpeaker)
        assert speaker.rate == 130
        assert speaker.render(SHORT).seconds > 0.5
    finally:
        speaker.close()


@pytest.mark.slow
# A lone "pause" in espeak's voice is heard as "floor" once it is resampled with an
# anti-aliasing filter (the one resampler) instead of linear interpolation; "pause please"
# is heard whole either way.
@pytest.mark.parametrize(("line", "word"), [("pause please", "pause"), ("stop please", "stop")])
def test_the_recognizer_hears_rendered_words(line: str, word: str, intent_set: IntentSet) -> None:
    asr = pytest.importorskip("voicecoach.hear.engines")
    from voicecoach.hear.resample import resample

    speaker = Pyttsx3Speaker(volume=1.0)
    try:
        clip = speaker.render(line)
    finally:
        speaker.close()
    pad = np.zeros(8000, dtype=np.float32)  # half a second of quiet either side
    audio = np.concatenate([pad, resample(clip.samples(), clip.rate, 16000), pad])
    from voicecoach.hear.vocab import PhraseSource

    recognizer = asr.open_recognizer("whisper", None, PhraseSource.from_intents(intent_set))
    assert word in recognizer.transcribe(Clip.from_samples(audio, 16000).pcm).text.split()


# A real worker whose first line comes back at espeak's default rate, as seen on a loaded
# machine; every later line is checked as usual.
ONCE_AT_DEFAULT_RATE_WORKER = (
    sys.executable,
    "-c",
    "import voicecoach.voice.speech as s\n"
    "said = s._save_line\n"
    "lines = []\n"
    "def once_default(*a):\n"
    "    lines.append(said(*a))\n"
    "    return 200 if len(lines) == 1 else lines[-1]\n"
    "s._save_line = once_default\n"
    "raise SystemExit(s.pyttsx3_worker())",
)


@pytest.mark.slow
def test_a_worker_whose_espeak_forgot_its_rate_sets_it_again_itself() -> None:
    speaker = Pyttsx3Speaker(timeout=15.0, command=ONCE_AT_DEFAULT_RATE_WORKER)
    try:
        assert speaker.render(SHORT).seconds > 0.5
        assert speaker.starts == 1  # no new worker was needed
    finally:
        speaker.close()


@pytest.mark.slow
def test_a_worker_that_lost_its_rate_is_replaced_and_the_line_said_again() -> None:
    class OnceDropped(Pyttsx3Speaker):
        """The first worker has lost its rate; the next one is a real worker."""

        def _spawn(self) -> None:
            self.command = list(RATE_DROPPED_WORKER if self.starts == 0 else WORKER_COMMAND)
            super()._spawn()

    speaker = OnceDropped(timeout=15.0)
    try:
        assert speaker.render(SHORT).seconds > 0.5
        assert speaker.starts == 2
    finally:
        speaker.close()
