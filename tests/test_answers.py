"""Answers heard on the audio while the coach waits for one (voicecoach.understand.answers),
with a stand-in scorer; what Whisper makes of real answers is measured by `bench answers`."""

from __future__ import annotations

from dataclasses import replace

from test_rescue import Scorer, heard

from voicecoach.understand.answers import ANSWER_SENTENCES
from voicecoach.understand.rejection import understand


def test_every_answer_sentence_is_its_own_side_by_the_intents_data(matcher):
    for side, sentences in ANSWER_SENTENCES.items():
        for sentence in sentences:
            assert matcher.match(sentence, expecting_answer=True).intent == side, sentence


def test_a_lost_yes_is_heard_on_the_audio_when_an_answer_is_expected(matcher):
    # tiny.en wrote a "yes" in a TV room as "vice": the audio still fits "yes" clearly.
    scorer = Scorer({"yes": -1.2, "yeah": -1.9, "no": -4.0})
    m = understand(heard("vice", scorer), matcher, expecting_answer=True)
    assert (m.intent, m.phrase) == ("yes", "answer: yes")
    nothing = Scorer({"nope": -2.0, "yes": -4.5})
    assert understand(heard("", nothing), matcher, expecting_answer=True).intent == "no"


def test_only_while_an_answer_is_expected_and_the_coach_is_not_speaking(matcher):
    good = {"yes": -1.0}
    assert understand(heard("vice", Scorer(good)), matcher).intent == "none"
    quiet = understand(heard("vice", Scorer(good)), matcher, expecting_answer=True, guesses=False)
    assert quiet.intent == "none"


def test_only_after_a_yes_or_no_question(matcher):
    # Waiting for "ready" expects an answer too, but a TV's "yes" must not start a hold.
    m = understand(
        heard("vice", Scorer({"yes": -1.0})), matcher, expecting_answer=True, asked=False
    )
    assert m.intent == "none"


def test_the_coach_says_which_questions_want_a_yes_or_a_no(catalogue):
    from voicecoach.coach.events import Begin, Heard
    from voicecoach.coach.machine import Coach, Phase

    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    assert coach.phase == Phase.CHOOSING
    assert not coach.asks_yes_no
    coach.handle(Heard("start", 1.0))
    coach.handle(Heard("stop", 2.0))
    assert coach.phase == Phase.CONFIRM_STOP
    assert coach.asks_yes_no


def test_both_sides_fitting_alike_or_poorly_is_no_answer(matcher):
    alike = Scorer({"yes": -1.5, "no": -2.2})  # within the margin: TV fits both
    assert understand(heard("hmm", alike), matcher, expecting_answer=True).intent == "none"
    poor = Scorer({"yes": -2.8})  # clear of the other side, but a poor fit
    assert understand(heard("hmm", poor), matcher, expecting_answer=True).intent == "none"


def test_long_tentative_or_understood_utterances_are_left_alone(matcher):
    good = {"yes": -0.5}
    long = heard("well i was thinking about it", Scorer(good))
    assert understand(long, matcher, expecting_answer=True).intent == "none"
    slow = heard("vice", Scorer(good), seconds=4.0)
    assert understand(slow, matcher, expecting_answer=True).intent == "none"
    early = replace(heard("vice", Scorer(good)), tentative=True)
    assert understand(early, matcher, expecting_answer=True).intent == "none"
    scorer = Scorer({"pause": -0.3, "yes": -0.1})
    assert understand(heard("pause", scorer), matcher, expecting_answer=True).intent == "pause"
    assert "yeah" not in scorer.asked


def test_a_lost_safety_word_comes_before_an_answer(matcher):
    scorer = Scorer({"it hurts": -1.5, "yes": -1.0})
    assert understand(heard("", scorer), matcher, expecting_answer=True).intent == "pain"
