"""Talk that meant nothing: a sorry for what may have been meant for the coach, not for every
sentence of a TV (voicecoach.coach.unclear)."""

from __future__ import annotations

from voicecoach.coach import script
from voicecoach.coach.events import Begin, Heard, Log, Say
from voicecoach.coach.machine import Coach
from voicecoach.coach.unclear import CALM_SECONDS, QUIET_NONE, Reply, UnclearTalk

UNSURE = QUIET_NONE - 0.3  # words that might have been a command
SURE = QUIET_NONE + 0.1  # talk the recogniser is sure is not one


def test_talk_sure_to_be_for_someone_else_gets_no_sorry():
    talk = UnclearTalk()
    assert talk.reply(10.0, SURE) is Reply.NOTHING
    assert talk.reply(12.0, UNSURE) is Reply.SORRY


def test_after_two_sorries_the_coach_says_it_cannot_hear_then_goes_quiet():
    talk = UnclearTalk()
    replies = [talk.reply(10.0 + 5 * n, UNSURE) for n in range(5)]
    assert replies == [
        Reply.SORRY,
        Reply.SORRY,
        Reply.HARD_TO_HEAR,
        Reply.NOTHING,
        Reply.NOTHING,
    ]


def test_an_understood_command_brings_the_sorry_back():
    talk = UnclearTalk()
    for n in range(4):
        talk.reply(10.0 + n, UNSURE)
    talk.understood()
    assert talk.reply(20.0, UNSURE) is Reply.SORRY


def test_a_quiet_room_brings_the_sorry_back_a_talking_tv_does_not():
    talk = UnclearTalk()
    for n in range(4):
        talk.reply(10.0 + n, UNSURE)
    # The TV goes on talking (sure not to be commands): the coach stays quiet.
    t = 13.0
    while t < 13.0 + 2 * CALM_SECONDS:
        t += 5.0
        assert talk.reply(t, SURE) is Reply.NOTHING
    assert talk.reply(t + 5.0, UNSURE) is Reply.NOTHING
    # Then nothing unclear for a while: the next unclear words get their sorry.
    assert talk.reply(t + 5.0 + CALM_SECONDS, UNSURE) is Reply.SORRY


def test_typed_lines_always_get_their_sorry():
    talk = UnclearTalk.typed()
    assert [talk.reply(float(n), 0.99) for n in range(6)] == [Reply.SORRY] * 6


def _said(actions) -> list[str]:
    return [a.text for a in actions if isinstance(a, Say)]


def test_a_spoken_coach_answers_unclear_words_and_not_the_tv(catalogue):
    coach = Coach(catalogue, unclear=UnclearTalk())
    coach.handle(Begin(0.0))
    tv = coach.handle(Heard("none", 30.0, confidence=SURE, text="and now the weather"))
    assert _said(tv) == []
    assert [a.kind for a in tv if isinstance(a, Log)] == ["unanswered"]
    said = [_said(coach.handle(Heard("none", 40.0 + n, confidence=UNSURE))) for n in range(4)]
    hint = script.sorry(script.HELP["choosing"])
    assert said == [[hint], [hint], [script.HARD_TO_HEAR], []]
    # A command understood: the next unclear words get a sorry again.
    assert _said(coach.handle(Heard("help", 60.0)))
    assert _said(coach.handle(Heard("none", 70.0, confidence=UNSURE))) == [hint]


def test_the_typed_default_answers_every_unclear_line(catalogue):
    coach = Coach(catalogue)
    coach.handle(Begin(0.0))
    for n in range(4):
        said = _said(coach.handle(Heard("none", 30.0 + n, confidence=0.99)))
        assert said == [script.sorry(script.HELP["choosing"])]


def test_safety_words_are_answered_whatever_the_coach_made_of_the_tv(catalogue):
    coach = Coach(catalogue, unclear=UnclearTalk())
    coach.handle(Begin(0.0))
    for n in range(6):
        coach.handle(Heard("none", 30.0 + n, confidence=UNSURE))
    assert _said(coach.handle(Heard("pain", 40.0)))
