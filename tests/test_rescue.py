"""The safety rescue's policy (voicecoach.understand.rescue), with a stand-in scorer; the real
Whisper cases are in test_whisper.py."""

from __future__ import annotations

from dataclasses import replace

from test_runtime import ScriptedStream, chunks, runtime_for

from voicecoach.hear.recognizer import Transcript
from voicecoach.understand.rejection import understand


class Scorer:
    """A stand-in for Whisper's teacher-forced scoring that remembers what it was asked."""

    def __init__(self, good: dict[str, float]) -> None:
        self.good = good
        self.asked: list[str] = []

    def __call__(self, sentences):
        self.asked += sentences
        return [self.good.get(s, -6.0) for s in sentences]


def heard(text: str, scorer: Scorer, seconds: float = 1.0, engine: str = "whisper") -> Transcript:
    return Transcript(text, 0.6, (), 0.0, seconds, engine, verify=scorer)


def test_a_short_utterance_that_fits_a_safety_sentence_is_rescued(matcher):
    # "i tell" fits the audio better than "i fell" by more than verification's margin.
    m = understand(heard("i tell", Scorer({"i fell": -2.0, "i tell": -1.0})), matcher)
    assert (m.intent, m.phrase) == ("emergency", "rescued: i fell")
    assert understand(heard("", Scorer({"it hurts": -1.9})), matcher).intent == "pain"


def test_a_poor_fit_is_not_rescued(matcher):
    assert understand(heard("i tell", Scorer({"i fell": -2.6})), matcher).intent == "none"


def test_long_or_tentative_utterances_are_not_rescued(matcher):
    good = {"help": -1.0, "hop": -0.2, "the weather in the east": -0.2}
    assert understand(heard("the weather in the east", Scorer(good)), matcher).intent == "none"
    assert understand(heard("hop", Scorer(good), seconds=4.0), matcher).intent == "none"
    early = replace(heard("hop", Scorer(good)), tentative=True)
    assert understand(early, matcher).intent == "none"


def test_an_understood_command_is_not_held_up(matcher):
    scorer = Scorer({"next": -0.3, "help": -0.1})
    assert understand(heard("next", scorer), matcher).intent == "next"
    assert "i've fallen" not in scorer.asked  # the rescue never ran


def test_engines_that_cannot_verify_are_unaffected(matcher):
    t = Transcript("i tell", 0.6, (), 0.0, 1.0, "pocketsphinx")
    assert understand(t, matcher).intent == "none"


def test_the_session_log_says_what_was_rescued(catalogue, matcher):
    runtime, _ = runtime_for(catalogue, matcher)
    misheard = replace(
        heard("i tell", Scorer({"i fell": -2.0, "i tell": -1.0})), start=6.0, end=6.8
    )
    runtime.run_file(chunks(12), ScriptedStream([misheard]))
    records = [r for r in runtime.events.records if r["type"] == "heard"]
    assert [(r["intent"], r.get("rescued")) for r in records] == [("emergency", "i fell")]
