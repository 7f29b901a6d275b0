"""The safety rescue's policy (voicecoach.understand.rescue), with a stand-in scorer; the real
Whisper cases are in test_whisper.py."""

from __future__ import annotations

from dataclasses import replace

from test_runtime import ScriptedStream, chunks, runtime_for

from voicecoach.hear.recognizer import Transcript
from voicecoach.understand.rejection import understand
from voicecoach.understand.rescue import RESCUE_SENTENCES


class Scorer:
    """A stand-in for Whisper's teacher-forced scoring that remembers what it was asked."""

    def __init__(self, good: dict[str, float]) -> None:
        self.good = good
        self.asked: list[str] = []
        self.calls = 0

    def __call__(self, sentences):
        self.calls += 1
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


def test_an_understood_command_stays_when_no_safety_sentence_fits(matcher):
    scorer = Scorer({"next": -0.3, "help": -3.0})
    assert understand(heard("next", scorer), matcher).intent == "next"
    # One scoring call for confirmation and the second look together.
    assert scorer.calls == 1
    assert scorer.asked == ["next", *RESCUE_SENTENCES]


def test_a_safety_word_misheard_as_another_command_is_taken_on_a_second_look(matcher):
    # flite's "stop" in pink noise, decoded "start": "stop" fits the audio nearly as well.
    m = understand(heard("start", Scorer({"start": -2.0, "stop": -2.8})), matcher)
    assert (m.intent, m.phrase) == ("stop", "rescued: stop")
    # flite's "i've fallen", decoded "i'm fine": the fall fits better than the words.
    m = understand(heard("i'm fine", Scorer({"i'm fine": -2.4, "i've fallen": -1.3})), matcher)
    assert m.intent == "emergency"


def test_symptoms_misheard_as_other_words_are_rescued_too(matcher):
    # "too hot" written "too hard" (easier), "dizzy" written "busy" (nothing): the symptom
    # fits the audio better than the words Whisper wrote.
    m = understand(
        heard("i'm too hard", Scorer({"i'm too hard": -2.2, "i'm too hot": -1.2})), matcher
    )
    assert (m.intent, m.phrase) == ("overheated", "rescued: i'm too hot")
    m = understand(
        heard("i feel busy", Scorer({"i feel busy": -1.5, "i feel dizzy": -1.6})), matcher
    )
    assert m.intent == "dizzy"
    # A real "too hard": the symptom fits far worse, the command stays.
    m = understand(heard("too hard", Scorer({"too hard": -0.8, "i'm too hot": -3.5})), matcher)
    assert m.intent == "easier"


def test_the_second_look_leaves_commands_the_audio_says_clearly(matcher):
    # A real "start": "stop" scores far below it (measured: 2.7 or more).
    assert understand(heard("start", Scorer({"start": -1.0, "stop": -2.8})), matcher).intent == (
        "start"
    )
    # Both fit poorly: the safety sentence must reach its own floor too.
    assert understand(heard("start", Scorer({"start": -2.9, "stop": -3.6})), matcher).intent == (
        "start"
    )
    # A safety intent heard is never replaced by another one.
    tired = Scorer({"i'm tired": -1.0, "help": -0.5})
    assert understand(heard("i'm tired", tired), matcher).intent == "tired"
    assert "help" not in tired.asked
    # Nor a long utterance or an early reading.
    long = Scorer({"start the stretching routine": -1.0, "stop": -0.5})
    assert understand(heard("start the stretching routine", long, 4.0), matcher).intent != "stop"
    early = replace(heard("start", Scorer({"start": -2.0, "stop": -1.0})), tentative=True)
    assert understand(early, matcher).intent == "start"


def test_words_refused_by_confirmation_still_get_the_rescue(matcher):
    # Whisper's "it hurts in" (pink 5 dB): pain as words, refused on the audio without the
    # prompt (-3.2 < -3.0), while "it hurts" itself fits the audio at -2.1.
    m = understand(heard("it hurts in", Scorer({"it hurts in": -3.2, "it hurts": -2.1})), matcher)
    assert (m.intent, m.phrase) == ("pain", "rescued: it hurts")
    # A refused echo that no safety sentence fits stays nothing.
    assert understand(heard("pause", Scorer({"pause": -3.5, "stop": -2.6})), matcher).intent == (
        "none"
    )
    # Nor is a long utterance rescued once refused.
    said = "my knee really hurts when i bend it"
    long = Scorer({said: -3.5, "it hurts": -1.0})
    assert understand(heard(said, long, 4.0), matcher).intent == "none"
    assert "it hurts" not in long.asked
    # Nor an early reading refused: the final transcript follows.
    early = replace(
        heard("it hurts in", Scorer({"it hurts in": -3.2, "it hurts": -2.1})), tentative=True
    )
    assert understand(early, matcher).intent == "none"


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
