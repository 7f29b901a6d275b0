"""A short utterance is read early, after a little silence: a safety word acts on that
reading, without waiting for the whole end-of-speech silence; anything else waits."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_runtime import ScriptedStream, chunks, runtime_for, said

from voicecoach.coach import script
from voicecoach.hear.audio import pcm_chunks
from voicecoach.hear.recognizer import Transcript
from voicecoach.understand.rejection import understand
from voicecoach.voice import synth


def stream_through(recognizer, pcm: bytes, early: float | None):
    stream = recognizer.stream(end_silence=0.8, early_silence=early)
    out: list[tuple[float, Transcript]] = []
    for chunk in pcm_chunks(pcm, 0.1):
        out += [(chunk.timestamp + chunk.seconds, t) for t in stream.feed(chunk)]
    return out + [(len(pcm) / 32000, t) for t in stream.flush()]


@pytest.fixture(scope="module")
def whisper():
    from voicecoach.hear.engine_whisper import WhisperRecognizer

    return WhisperRecognizer()


@pytest.mark.slow
def test_a_short_safety_word_is_read_early_and_then_finally(whisper, matcher):
    pcm = synth.silence(1.0) + synth.synthesize("it hurts", "rms") + synth.silence(1.5)
    heard = stream_through(whisper, pcm, early=0.3)
    early = [(at, t) for at, t in heard if t.tentative]
    final = [(at, t) for at, t in heard if not t.tentative]
    assert len(early) == 1
    assert len(final) == 1
    assert understand(early[0][1], matcher).intent == "pain"
    assert early[0][1].utterance == final[0][1].utterance
    # Read when 0.3 s of silence had passed, half a second before the utterance ended.
    assert final[0][0] - early[0][0] >= 0.4


@pytest.mark.slow
def test_long_talk_and_streams_without_early_reading_are_only_read_at_the_end(whisper):
    sentence = "well i was telling my sister about the garden and the roses this morning"
    long_talk = synth.silence(1.0) + synth.synthesize(sentence, "slt") + synth.silence(1.5)
    assert not [t for _, t in stream_through(whisper, long_talk, early=0.3) if t.tentative]
    short = synth.silence(1.0) + synth.synthesize("it hurts", "rms") + synth.silence(1.5)
    assert not [t for _, t in stream_through(whisper, short, early=None) if t.tentative]


def early(text: str, start: float, end: float, utterance: int) -> Transcript:
    return replace(said(text, start, end), tentative=True, utterance=utterance)


def final(text: str, start: float, end: float, utterance: int) -> Transcript:
    return replace(said(text, start, end), utterance=utterance)


def test_the_runtime_acts_on_an_early_safety_word_and_lets_its_final_go(catalogue, matcher):
    runtime, out = runtime_for(catalogue, matcher)
    stream = ScriptedStream([early("it hurts", 6.0, 6.9, 1), final("it hurts", 6.0, 7.4, 1)])
    runtime.run_file(chunks(20), stream)
    records = [r for r in runtime.events.records if r["type"] == "heard"]
    assert [(r.get("intent"), r.get("ignored")) for r in records] == [
        ("pain", None),
        (None, "already acted on its early reading"),
    ]
    assert records[0]["early"] is True
    answer = next(c for c in out.clips if getattr(c[0], "text", "") == script.PAIN_STOP)
    assert answer[1] == pytest.approx(7.0, abs=0.11)  # when the early reading came


def test_an_early_reading_that_is_not_a_safety_word_waits_for_the_final(catalogue, matcher):
    runtime, _ = runtime_for(catalogue, matcher)
    stream = ScriptedStream(
        [early("knee to", 50.0, 50.8, 1), final("knee to chest", 50.0, 51.5, 1)]
    )
    runtime.run_file(chunks(70), stream)
    heard = [
        (r["intent"], r.get("ignored")) for r in runtime.events.records if r["type"] == "heard"
    ]
    assert heard == [("choose_exercise", None)]


def test_an_abandoned_early_reading_does_not_swallow_the_next_utterance(catalogue, matcher):
    runtime, _ = runtime_for(catalogue, matcher)
    # Utterance 1 was read early as a pain word, then dropped as too short (no final);
    # utterance 2 is a different one and is acted on.
    stream = ScriptedStream([early("ow", 6.0, 6.5, 1), final("stop", 30.0, 30.6, 2)])
    runtime.run_file(chunks(40), stream)
    heard = [
        (r.get("intent"), r.get("ignored")) for r in runtime.events.records if r["type"] == "heard"
    ]
    assert heard[-1] == ("stop", None)
