"""End to end: synthesized speech -> real recognizer -> matcher -> intent.

Several voices, some with noise, and ordinary sentences that must come back `none`.
The recognizer is loaded once per module; the whole file takes a few seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from voicecoach.hear.audio import AudioChunk, pcm_chunks
from voicecoach.hear.endpoint import Endpointer
from voicecoach.hear.engines import find_vosk_model
from voicecoach.hear.recognizer import Transcript
from voicecoach.hear.vocab import PhraseSource
from voicecoach.understand.rejection import understand
from voicecoach.voice import synth

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not {"slt", "rms", "awb", "kal16", "espeak-us", "espeak-gb-slow"}
        <= set(synth.available_voices()),
        reason="flite, espeak-ng and sox are needed to synthesize test speech",
    ),
]


@pytest.fixture(scope="module")
def pocketsphinx(intent_set):
    from voicecoach.hear.engine_pocketsphinx import PocketSphinxRecognizer

    return PocketSphinxRecognizer(PhraseSource.from_intents(intent_set))


COMMANDS = [
    # (text, voice, snr dB or None, intent, slots)
    ("next exercise", "slt", None, "next", {}),
    ("pause", "rms", None, "pause", {}),
    ("say that again", "awb", None, "repeat", {}),
    ("i am tired", "kal16", None, "tired", {}),
    # "let us do the glute bridge" was here: flite's slt and rms say its "do" so that
    # PocketSphinx gives it a posterior just under the bar (0.038) and the slot is refused;
    # it passed only after other files had warmed the front end's noise estimate.  This
    # wording is heard right in all four flite voices.
    ("can we do the glute bridge", "slt", None, "choose_exercise", {"exercise": "glute_bridge"}),
    ("make it easier", "rms", 20.0, "easier", {}),
    ("can you speak louder", "awb", 20.0, "louder", {}),
    # 20 dB, not 10: at 10 dB PocketSphinx gets about 60% (docs/benchmarks.md), so any one
    # 10 dB sample is a coin toss that a phrase added to intents/ can flip.
    ("i cannot stand up", "rms", 20.0, "cant_stand", {}),
    # espeak's robotic voices are much harder for PocketSphinx: short words often fail
    # (see docs/benchmarks.md); a longer phrase gets through.
    ("i need a rest", "espeak-us", None, "tired", {}),
    # slow speech (flite stretched by half, espeak at 110 words a minute)
    ("can you slow down", "slt-slow", None, "slower", {}),
    ("i need a break", "espeak-gb-slow", None, "tired", {}),
]

NON_COMMANDS = [
    ("the cat has been sick on the carpet again", "slt"),
    ("did you remember to pick up my prescription", "rms"),
    ("the kids are coming round on sunday", "awb"),
    ("what time is the football on", "kal16"),
]


@pytest.mark.parametrize(("text", "voice", "snr", "intent", "slots"), COMMANDS)
def test_spoken_commands_are_understood(pocketsphinx, matcher, text, voice, snr, intent, slots):
    pcm = synth.synthesize(text, voice, snr_db=snr, seed=11)
    t = pocketsphinx.transcribe(pcm)
    m = understand(t, matcher)
    assert (m.intent, dict(m.slots)) == (intent, slots), f"heard {t.text!r}"


@pytest.mark.parametrize(("text", "voice"), NON_COMMANDS)
def test_ordinary_talk_is_not_a_command(pocketsphinx, matcher, text, voice):
    t = pocketsphinx.transcribe(synth.synthesize(text, voice))
    assert understand(t, matcher).intent == "none", f"heard {t.text!r}"


def test_a_file_is_heard_the_same_whatever_was_decoded_before(pocketsphinx):
    said = synth.synthesize("let us do the glute bridge", "slt", seed=11)
    first = pocketsphinx.transcribe(said)
    for text, voice in (("pause", "rms"), ("the kids are coming round on sunday", "awb")):
        pocketsphinx.transcribe(synth.synthesize(text, voice, snr_db=10.0, seed=3))
    assert pocketsphinx.transcribe(said) == first


def test_a_clear_yes_is_yes_whether_or_not_the_coach_asked(pocketsphinx, matcher):
    t = pocketsphinx.transcribe(synth.synthesize("yes", "slt"))
    assert understand(t, matcher, expecting_answer=True).intent == "yes"
    assert understand(t, matcher, expecting_answer=False).intent == "yes"


def test_transcripts_carry_word_confidences_and_times(pocketsphinx):
    t = pocketsphinx.transcribe(synth.synthesize("next one", "slt", pad=0.5))
    assert isinstance(t, Transcript)
    assert [w for w, _ in t.words] == ["next", "one"]
    assert t.alternatives  # next-best readings from the lattice, distinct from the best
    assert t.text not in t.alternatives
    assert all(0.0 <= c <= 1.0 for _, c in t.words)
    assert 0.3 < t.start < t.end <= len(synth.synthesize("next one", "slt", pad=0.5)) / 32000


def two_utterances(gap: float) -> bytes:
    return (
        synth.synthesize("pause", "slt", pad=0.5)
        + synth.silence(gap)
        + synth.synthesize("next exercise", "rms", pad=0.5)
    )


def test_the_stream_cuts_utterances_at_silence(pocketsphinx, matcher):
    stream = pocketsphinx.stream(end_silence=0.6)
    heard: list[Transcript] = []
    for chunk in pcm_chunks(two_utterances(1.0), 0.1):
        heard.extend(stream.feed(chunk))
    heard.extend(stream.flush())
    assert [understand(t, matcher).intent for t in heard] == ["pause", "next"]
    assert heard[0].end < heard[1].start  # times on the audio's timeline, in order


class SpyDecoder:
    """The real decoder, noting when each piece of audio reached it."""

    def __init__(self, inner):
        self.inner, self.chunk, self.calls = inner, 0, []

    def begin(self):
        self.calls.append(("begin", self.chunk))
        self.inner.begin()

    def accept(self, pcm):
        self.calls.append(("accept", self.chunk))
        self.inner.accept(pcm)

    def finish(self):
        self.calls.append(("finish", self.chunk))
        return self.inner.finish()

    def abandon(self):
        self.calls.append(("abandon", self.chunk))
        self.inner.abandon()


def test_the_stream_decodes_while_the_person_speaks(pocketsphinx, matcher):
    from voicecoach.hear.recognizer import DecodingStream

    spy = SpyDecoder(pocketsphinx)
    stream = DecodingStream(spy, end_silence=0.6)
    pcm = synth.synthesize("make it easier", "slt", pad=0.3) + synth.silence(1.0)
    heard: list[Transcript] = []
    for spy.chunk, chunk in enumerate(pcm_chunks(pcm, 0.1)):
        heard.extend(stream.feed(chunk))
    assert [understand(t, matcher).intent for t in heard] == ["easier"]
    begin = next(i for kind, i in spy.calls if kind == "begin")
    finish = next(i for kind, i in spy.calls if kind == "finish")
    during = {i for kind, i in spy.calls if kind == "accept" and begin <= i < finish}
    # Audio reached the decoder chunk by chunk, not all at once when speech ended.
    assert len(during) >= (finish - begin) - 1 >= 10
    # Whole and streamed decoding agree on a clean command.
    assert pocketsphinx.transcribe(synth.synthesize("make it easier", "slt")).text == heard[0].text


class DelayLine:
    """A denoiser that only delays: the timeline must come out the same."""

    delay = 0.016

    def __init__(self):
        self.held = b"\0" * int(self.delay * 32000)

    def process(self, pcm):
        data = self.held + pcm
        cut = len(data) - int(self.delay * 32000)
        out, self.held = data[:cut], data[cut:]
        return out

    def flush(self):
        rest, self.held = self.held, b""
        return rest


def test_a_denoiser_in_the_stream_keeps_the_timeline(pocketsphinx):
    from voicecoach.hear.recognizer import DecodingStream

    pcm = two_utterances(1.0)

    def heard(denoiser):
        stream = DecodingStream(pocketsphinx, end_silence=0.6, denoiser=denoiser)
        out = [t for c in pcm_chunks(pcm, 0.1) for t in stream.feed(c)]
        return out + stream.flush()

    plain, delayed = heard(None), heard(DelayLine())
    assert [t.text for t in delayed] == [t.text for t in plain] == ["pause", "next exercise"]
    for a, b in zip(plain, delayed, strict=True):
        # Shifted by 16 ms against the endpointer's 30 ms frames: a frame either way.
        assert b.start == pytest.approx(a.start, abs=0.035)
        assert b.end == pytest.approx(a.end, abs=0.05)


def test_speech_too_short_to_count_is_dropped_by_the_decoder():
    from voicecoach.hear.recognizer import DecodingStream

    class Recorder:
        def __init__(self):
            self.calls = []

        def begin(self):
            self.calls.append("begin")

        def accept(self, pcm):
            self.calls.append("accept")

        def finish(self):
            raise AssertionError("nothing to finish")

        def abandon(self):
            self.calls.append("abandon")

    rec = Recorder()
    stream = DecodingStream(rec)
    stream.speech_started(b"\0" * 960)
    stream.speech_ended(None)
    assert rec.calls == ["begin", "accept", "abandon"]
    assert stream.flush() == []


def test_a_longer_end_silence_waits_through_a_pause():
    pcm = two_utterances(0.4)  # 0.4 s gap + 1 s of padding between the words
    short = Endpointer(end_silence=0.5).feed_all(pcm_chunks(pcm, 0.1))
    patient = Endpointer(end_silence=2.0).feed_all(pcm_chunks(pcm, 0.1))
    assert len(short) == 2
    assert len(patient) == 1


def test_the_endpointer_tells_its_listener_what_it_hears():
    class Listener:
        audio, ended = b"", []

        def speech_started(self, audio):
            self.audio = audio

        def speech_continues(self, frame):
            self.audio += frame

        def speech_paused(self, silence, voiced):
            pass

        def speech_ended(self, utterance):
            self.ended.append(utterance)

    listener = Listener()
    pcm = synth.synthesize("pause", "awb", pad=0.5) + synth.silence(1.0)
    (u,) = Endpointer(end_silence=0.5, listener=listener).feed_all(pcm_chunks(pcm, 0.1))
    assert listener.ended == [u]
    # The listener heard the utterance from its first frame, trailing silence included.
    assert listener.audio.startswith(u.audio)
    assert len(listener.audio) > len(u.audio)


def test_endpointer_keeps_the_timeline_of_its_chunks():
    pcm = synth.synthesize("pause", "awb", pad=0.5)
    chunks = [AudioChunk(c.audio, c.rate, c.timestamp + 100.0) for c in pcm_chunks(pcm, 0.1)]
    (u,) = Endpointer(end_silence=0.5).feed_all(chunks)
    assert 100.0 < u.start < 100.6 < u.end < 102.0


def test_recognize_command_prints_one_json_line_per_file(tmp_path):
    good = synth.write_wav(tmp_path / "next.wav", synth.synthesize("next exercise", "slt"))
    # The same kind of command as a 44.1 kHz stereo file: converted, not refused.
    stereo = tmp_path / "pause_stereo.wav"
    subprocess.run(
        [
            "sox",
            "-R",
            str(synth.write_wav(tmp_path / "p.wav", synth.synthesize("pause", "slt"))),
            "-r",
            "44100",
            "-c",
            "2",
            str(stereo),
        ],
        check=True,
    )
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"this is not audio")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "voicecoach",
            "recognize",
            "--json",
            "--engine",
            "pocketsphinx",
            str(good),
            str(bad),
            str(stereo),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0  # one file was bad ...
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["file"] for r in rows] == [str(good), str(stereo)]  # ... the others still ran
    assert [r["intent"] for r in rows] == ["next", "pause"]
    for r in rows:
        assert set(r) == {"file", "text", "intent", "slots", "confidence"}
    assert "bad.wav" in proc.stderr
    assert "not a WAV" in proc.stderr


VOSK_MODEL = find_vosk_model()


@pytest.mark.skipif(
    VOSK_MODEL is None,
    reason="no English Vosk model under models/ (`voicecoach models download` fetches one)",
)
def test_vosk_understands_commands_and_ignores_chatter(intent_set, matcher):
    from voicecoach.hear.engine_vosk import VoskRecognizer

    vosk = VoskRecognizer(VOSK_MODEL, PhraseSource.from_intents(intent_set))
    for text, voice, snr, intent, slots in COMMANDS[:5]:
        t = vosk.transcribe(synth.synthesize(text, voice, snr_db=snr))
        m = understand(t, matcher)
        assert (m.intent, dict(m.slots)) == (intent, slots), f"heard {t.text!r}"
    for text, voice in NON_COMMANDS:
        t = vosk.transcribe(synth.synthesize(text, voice))
        assert understand(t, matcher).intent == "none", f"heard {t.text!r}"
