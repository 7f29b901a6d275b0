"""Endpointing with a TV that talks all the time (issue 10): the background's steady level,
a command found in continuous babble, babble alone opening nothing, quiet speech in a
quiet room still found."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from voicecoach.hear.audio import pcm_chunks
from voicecoach.voice import synth

HAVE_VAD = (
    importlib.util.find_spec("onnxruntime") is not None
    and importlib.util.find_spec("faster_whisper") is not None
)
needs_vad = pytest.mark.skipif(not HAVE_VAD, reason="onnxruntime / faster-whisper missing")
needs_synth = pytest.mark.skipif(
    not {"slt", "kal16"} <= set(synth.available_voices()),
    reason="flite, espeak-ng and sox are needed to synthesize test speech",
)
RATE = 16000
SPEECH_RMS = 2000.0  # a person a metre or two away, about -24 dBFS


def test_background_is_a_percentile_of_the_last_seconds():
    from voicecoach.hear.vad import FRAME_SECONDS, Background

    bg = Background(seconds=1.0, warmup=0.5, percentile=50.0, fall=None)
    for _ in range(int(0.4 / FRAME_SECONDS)):
        bg.add(40.0)
    assert bg.level is None  # not learnt yet
    for _ in range(int(0.2 / FRAME_SECONDS)):
        bg.add(40.0)
    assert bg.level == 40.0
    for _ in range(int(1.0 / FRAME_SECONDS) + 4):  # a louder room, for longer than the window
        bg.add(60.0)
    assert bg.level == 60.0


def _command(text: str, voice: str, gain_db: float = 0.0) -> tuple[np.ndarray, int, int]:
    """The command at SPEECH_RMS active level (times the gain), and where its speech is."""
    from voicecoach.bench.noises import speech_power

    x = np.frombuffer(synth.synthesize(text, voice, pad=0.0), "<i2").astype(np.float64)
    x *= SPEECH_RMS / np.sqrt(speech_power(x)) * 10 ** (gain_db / 20)
    loud = np.flatnonzero(np.abs(x) > 0.02 * np.max(np.abs(x)))
    return x, int(loud[0]), int(loud[-1]) + 1


def _pcm(x: np.ndarray) -> bytes:
    return np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()


def _hiss(seconds: float, rms: float = 10.0) -> np.ndarray:
    """A microphone's own faint noise."""
    return synth.pink_noise(int(seconds * RATE), seed=5) * rms


def _live(pcm: bytes):
    """The utterances of `run`'s live path (level stage, denoiser, Silero endpointer)."""
    from voicecoach.bench.endpoint import live_stream

    stream = live_stream(None, {}, 0.8, True)
    heard = [t for chunk in pcm_chunks(pcm, 0.1) for t in stream.feed(chunk)]
    return heard + stream.flush()


@pytest.fixture(scope="module")
def babble() -> np.ndarray:
    """30 s of three people talking at once, 14 dB below the person's speech."""
    from voicecoach.bench.noises import babble_track

    return babble_track(30.0, talkers=3, seed=4) * SPEECH_RMS * 10 ** (-14 / 20)


@pytest.mark.slow
@needs_vad
@needs_synth
def test_babble_alone_opens_no_utterance_once_learnt(babble):
    heard = _live(_pcm(babble + _hiss(30.0)))
    # The first second is how the background is learnt; after that the TV opens nothing.
    assert [t for t in heard if t.start > 1.0] == []


@pytest.mark.slow
@needs_vad
@needs_synth
@pytest.mark.parametrize("voice", ["slt", "kal16"])
def test_a_command_in_continuous_babble_is_one_utterance_near_its_words(babble, voice):
    x, first, last = _command("i'm stuck in my chair today", voice)
    at = 15 * RATE
    room = babble + _hiss(30.0)
    room[at : at + len(x)] += x
    onset, offset = (at + first) / RATE, (at + last) / RATE
    heard = [t for t in _live(_pcm(room)) if t.start > 1.0]
    # Before the gate, this utterance ran on with the TV to the 12 s maximum.
    (u,) = heard
    # The pre-roll in front of it is the TV's: only 0.3 s of it is kept, not 0.5 s.
    assert onset - 0.4 <= u.start <= onset + 0.1
    assert offset - 0.1 <= u.end <= offset + 1.0


@pytest.mark.slow
@needs_vad
@needs_synth
@pytest.mark.parametrize("gain_db", [0.0, -30.0])
def test_speech_in_a_quiet_room_is_found_at_any_level(gain_db):
    x, first, last = _command("it hurts", "slt", gain_db)
    room = _hiss(8.0)
    at = 3 * RATE
    room[at : at + len(x)] += x
    heard = _live(_pcm(room))
    (u,) = heard
    # Very quiet speech is lifted by the level stage over its first few frames, so its
    # utterance may begin a frame or two after the first faint sound; it keeps the ending.
    assert u.start <= (at + first) / RATE + 0.1
    assert u.end >= (at + last) / RATE


@pytest.mark.slow
@needs_vad
@needs_synth
def test_without_the_gate_the_babble_holds_the_command_open(babble):
    """The measurement the gate answers: the same command, the gate off (as before)."""
    from voicecoach.bench.endpoint import live_stream

    x, first, last = _command("i'm stuck in my chair today", "slt")
    at = 15 * RATE
    room = babble + _hiss(30.0)
    room[at : at + len(x)] += x
    stream = live_stream(None, {"foreground_db": None}, 0.8, True)
    heard = [t for c in pcm_chunks(_pcm(room), 0.1) for t in stream.feed(c)] + stream.flush()
    mine = [t for t in heard if t.start < (at + last) / RATE and t.end > (at + first) / RATE]
    assert max(t.end - t.start for t in mine) > 5.0


@pytest.mark.slow
@needs_vad
@needs_synth
def test_a_soft_word_soon_after_the_tv_goes_off_is_heard(babble):
    """The background falls within a second or two when the room goes quiet: a person
    speaking more softly than the TV was is not judged against it once it has stopped."""
    x, first, last = _command("it hurts", "kal16")
    loud_tv = babble[: 8 * RATE] * 10 ** (20 / 20)  # 6 dB louder than the person
    room = _hiss(14.0)
    room[: len(loud_tv)] += loud_tv
    at = 10 * RATE  # 2 s after the TV stops
    room[at : at + len(x)] += x
    onset, offset = (at + first) / RATE, (at + last) / RATE
    heard = [t for t in _live(_pcm(room)) if t.end > 8.5]
    (u,) = heard
    assert u.start <= onset + 0.1
    assert u.end >= offset


class _Collect:
    """A SpeechListener that keeps what it is handed."""

    def __init__(self) -> None:
        self.audio = b""
        self.ended: list = []

    def speech_started(self, audio: bytes) -> None:
        self.audio = audio

    def speech_continues(self, frame: bytes) -> None:
        self.audio += frame

    def speech_paused(self, silence: float, voiced: float) -> None:
        pass

    def speech_ended(self, utterance) -> None:
        self.ended.append(utterance)


def _track(voiced: list[bool], hold_silence: bool) -> _Collect:
    from voicecoach.hear.endpoint import UtteranceTracker

    listener = _Collect()
    tracker = UtteranceTracker(
        0.032, 0.8, pre_roll=0.064, start_frames=2, min_speech=0.0, max_utterance=12.0,
        tail=0.096, listener=listener, hold_silence=hold_silence,
    )  # fmt: skip
    for i, v in enumerate(voiced):
        tracker.frame(bytes([i % 256, 0]) * 512, v, i * 0.032)
    return listener


def test_the_decoder_is_not_handed_what_follows_the_utterance():
    """In a TV room the end-of-speech silence is the TV: only the utterance (speech, its
    pauses, the tail) reaches the listener; a pause inside it goes in when speech resumes."""
    pause, after = [False] * 12, [False] * 40  # 0.38 s inside, then the end
    voiced = [False] * 3 + [True] * 10 + pause + [True] * 8 + after
    held = _track(voiced, hold_silence=True)
    (utterance,) = held.ended
    assert held.audio == utterance.audio
    assert len(utterance.audio) == (10 + 12 + 8 + 3) * 1024  # speech, pause, speech, tail
    # Without holding back, the listener also had the rest of the end-of-speech silence.
    whole = _track(voiced, hold_silence=False)
    assert whole.audio.startswith(held.audio)
    assert len(whole.audio) > len(held.audio)
