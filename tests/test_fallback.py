"""The command fallback's policy (voicecoach.understand.fallback), with a stand-in scorer;
the real Whisper cases are in test_whisper.py."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from test_rescue import Scorer
from test_runtime import ScriptedStream, chunks, runtime_for

from voicecoach.hear.recognizer import Transcript
from voicecoach.understand.fallback import FallbackBar, written
from voicecoach.understand.rejection import WHISPER_THRESHOLDS, understand

BAR = FallbackBar(min_score=-2.0, margin=1.0)
TH = replace(WHISPER_THRESHOLDS, fallback=BAR)


def dropped(words: str, scorer: Scorer, seconds: float = 1.0, text: str = "") -> Transcript:
    """Whisper kept nothing (or `text`) of an utterance in which it made out `words`."""
    return Transcript(text, 0.5, (), 0.0, seconds, "whisper", verify=scorer, dropped=words)


def test_a_command_dropped_as_noise_is_taken_when_its_sentence_fits_clearly_best(matcher):
    m = understand(dropped("pause", Scorer({"pause": -1.2})), matcher, thresholds=TH)
    assert (m.intent, m.phrase) == ("pause", "fallback: pause")


def test_the_best_fit_must_clear_the_bar_and_beat_every_other_intent(matcher):
    poor = Scorer({"pause": -2.2})
    assert understand(dropped("pause", poor), matcher, thresholds=TH).intent == "none"
    # "help" fits nearly as well (though below the bars of its own checks): too close to call.
    close = Scorer({"pause": -1.9, "help": -2.6})
    assert understand(dropped("pause", close), matcher, thresholds=TH).intent == "none"


def test_stop_skip_and_unasked_answers_are_never_guessed(matcher):
    for word in ("skip", "yes"):
        scorer = Scorer({word: -0.3})
        assert understand(dropped(word, scorer), matcher, thresholds=TH).intent == "none"
        assert word not in scorer.asked
    asked = understand(dropped("yes", Scorer({"yes": -0.3})), matcher, True, thresholds=TH)
    assert asked.intent == "yes"


def test_long_utterances_and_early_readings_are_left_alone(matcher):
    talk = "the weather in the east tomorrow"
    scorer = Scorer({"pause": -0.5})
    assert understand(dropped(talk, scorer), matcher, thresholds=TH).intent == "none"
    assert understand(dropped("pause", scorer, 4.0), matcher, thresholds=TH).intent == "none"
    early = replace(dropped("pause", scorer), tentative=True)
    assert understand(early, matcher, thresholds=TH).intent == "none"


def test_without_guesses_only_the_safety_rescue_runs(matcher):
    scorer = Scorer({"pause": -1.0})
    assert understand(dropped("pause", scorer), matcher, thresholds=TH, guesses=False).intent == (
        "none"
    )
    hurt = Scorer({"it hurts": -1.0})
    assert understand(dropped("", hurt), matcher, thresholds=TH, guesses=False).intent == "pain"


def test_verification_rescue_and_fallback_score_in_one_batch(matcher):
    calls: list[list[str]] = []

    def scorer(sentences):
        calls.append(list(sentences))
        return [-1.0 if s == "pause" else -6.0 for s in sentences]

    understand(dropped("pause", scorer), matcher, thresholds=TH)  # type: ignore[arg-type]
    # Verification of the near miss, the rescue and the fallback: one call.
    assert len(calls) == 1
    assert {"pause", "i fell", "it hurts", "stop"} <= set(calls[0])
    assert len(calls[0]) == len(set(calls[0]))  # no sentence twice


def test_sentences_are_written_as_whisper_writes_them():
    assert written("i am tired") == "i'm tired"
    assert written("i cannot lie down") == "i can't lie down"
    assert written("pause") == "pause"


def test_i_have_is_contracted_only_before_a_participle():
    assert written("i have fallen") == "i've fallen"
    assert written("i have got cramp") == "i've got cramp"
    # "have" as the verb itself is said and written in full.
    assert written("can i have a rest") == "can i have a rest"
    assert written("i have a pain in my leg") == "i have a pain in my leg"


def test_the_coachs_own_voice_is_never_taken_for_a_command(catalogue, matcher):
    # The welcome takes ~25 s: an utterance at 4 s is over the coach's voice, one at 50 s not.
    def runtime():
        made, _ = runtime_for(catalogue, matcher)
        made.understand = partial(understand, thresholds=TH)
        return made

    over_the_coach = runtime()
    said = replace(dropped("pause", Scorer({"pause": -1.0})), start=4.0, end=4.6)
    over_the_coach.run_file(chunks(12), ScriptedStream([said]))
    assert fallbacks(over_the_coach) == [("none", None)]

    quiet = runtime()
    said = replace(dropped("slower", Scorer({"slower": -1.0})), start=50.0, end=50.6)
    quiet.run_file(chunks(60), ScriptedStream([said]))
    assert fallbacks(quiet) == [("slower", "slower")]


def fallbacks(runtime) -> list[tuple[str, str | None]]:
    records = [r for r in runtime.events.records if r["type"] == "heard"]
    return [(r["intent"], r.get("fallback")) for r in records]
