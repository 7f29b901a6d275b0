"""The phrase data and the matcher: every phrase is its own intent, non-commands are none."""

from __future__ import annotations

import io
import json
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest

from voicecoach.app.cli import main
from voicecoach.understand.intents import CANONICAL, IntentDataError, Matcher, load_intents

DATA = Path(__file__).parent / "data"
EN = tomllib.loads((Path(__file__).parents[1] / "intents" / "en.toml").read_text())


def all_phrases():
    for name, entry in EN["intents"].items():
        for phrase in entry["phrases"]:
            yield pytest.param(name, phrase, id=f"{name}:{phrase}")


def test_every_canonical_intent_has_at_least_eight_phrases():
    for name in CANONICAL:
        assert len(EN["intents"][name]["phrases"]) >= 8, name


def test_no_phrase_belongs_to_two_intents(intent_set):
    owners = defaultdict(set)
    for phrase, intent in intent_set.templates():
        owners[phrase].add(intent)
    shared = {p: o for p, o in owners.items() if len(o) > 1}
    assert not shared


def test_no_phrase_is_written_twice(intent_set):
    for intent in intent_set.intents.values():
        normal = [intent_set.normalise(p) for p in intent.phrases]
        assert len(normal) == len(set(normal)), intent.name


@pytest.mark.parametrize(("intent", "phrase"), list(all_phrases()))
def test_every_phrase_matches_its_own_intent(matcher, intent_set, intent, phrase):
    if "{" not in phrase:
        assert matcher.match(phrase, expecting_answer=True).intent == intent
        return
    slot = "exercise" if "{exercise}" in phrase else "routine"
    for spoken, ident in list(intent_set.slot_values[slot].items())[::5]:
        text = phrase.replace("{" + slot + "}", spoken)
        match = matcher.match(text)
        assert (match.intent, match.slots) == (intent, {slot: ident}), text


def test_every_exercise_and_routine_name_can_be_chosen(matcher, catalogue):
    for exercise in catalogue.exercises.values():
        match = matcher.match(f"let's do {exercise.name}")
        assert match.slots == {"exercise": exercise.id}, exercise.name
    for routine in catalogue.routines.values():
        match = matcher.match(f"the {routine.name}")
        assert match.slots == {"routine": routine.id}, routine.name


def test_ordinary_sentences_are_not_commands(matcher):
    core = tomllib.loads((DATA / "non_commands.toml").read_text())["core"]
    assert len(core) >= 40
    accepted = [(s, matcher.match(s).intent) for s in core if matcher.match(s).intent != "none"]
    assert not accepted


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("Um, OKAY what's NEXT?", "what is next"),
        ("I can't lie down, please.", "i cannot lie down"),
        ("okay", "okay"),
    ],
)
def test_normalisation(intent_set, text, normal):
    assert intent_set.normalise(text) == normal


def test_yes_and_no_only_count_when_asked(matcher):
    assert matcher.match("yes", expecting_answer=True).intent == "yes"
    assert matcher.match("yes").intent == "none"


def test_a_misheard_exercise_name_still_fills_the_slot(matcher):
    match = matcher.match("let's do the knee to chess")
    assert (match.intent, match.slots) == ("choose_exercise", {"exercise": "knee_to_chest"})


def test_consequential_intents_need_a_close_match(matcher):
    # "stop" buried in a longer sentence must not end a session.
    assert matcher.match("i need to stop at the shops later").intent == "none"


def test_bad_phrase_data_names_the_file_and_entry(catalogue):
    bad = io.BytesIO(b'[meta]\n[intents.next]\nphrases = ["next {colour}"]\n')
    bad.name = "broken.toml"
    with pytest.raises(IntentDataError, match=r"broken.toml: intent 'next'.*\{colour\}"):
        load_intents(bad, catalogue)
    missing = io.BytesIO(b'[meta]\n[intents.next]\nphrases = ["next"]\n')
    with pytest.raises(IntentDataError, match="missing intents: start"):
        load_intents(missing, catalogue)
    with pytest.raises(IntentDataError, match="not valid TOML"):
        load_intents(io.BytesIO(b"[meta\n"), catalogue)


def test_intent_command_prints_one_json_object_per_line(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("okay what's next\n\nthe cat is hungry\n"))
    assert main(["intent", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["intent"] for line in lines] == ["next", "none"]
    assert set(lines[0]) == {"text", "intent", "slots", "confidence"}


def test_intent_command_takes_sentences_as_arguments(capsys):
    assert main(["intent", "--json", "speak up", "i can't get down on the floor"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["intent"] for line in lines] == ["louder", "cant_lie_down"]


def test_matcher_is_usable_on_its_own(intent_set):
    assert Matcher(intent_set).match("").intent == "none"


@pytest.mark.parametrize(
    "text", ["i'm not tired", "i can stand", "i can lie down", "i'm not in pain", "not in bed"]
)
def test_a_negated_sentence_never_matches_the_plain_phrase(matcher, text):
    assert matcher.match(text).intent == "none"


def test_words_said_twice_count_once(matcher):
    assert matcher.match("wait wait").intent == "pause"
    assert matcher.match("yes yes", expecting_answer=True).intent == "yes"


# --- everyday wordings (phrase data) -------------------------------------------------------
# How people really talk to the coach, with fillers and contractions, and the near misses
# between intents that the phrase data has to keep apart.


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("okay what's next", "next"),
        ("um, I can't get down on the floor", "cant_lie_down"),
        ("speak up please", "louder"),
        ("hang on a sec", "pause"),
        ("that's too much for me", "easier"),
        ("erm my legs are done", "tired"),
        ("could you talk a bit slower", "slower"),
        ("I'd like to carry on", "resume"),
        ("give this one a miss", "skip"),
        ("we're done for today", "stop"),
        ("it's a bed day", "in_bed"),
        ("I'm sat on a chair", "seated"),
        ("my back is killing me", "pain"),
        ("what's my streak", "progress"),
        ("how long", "status"),  # the help line tells people to say it
        # Near twins: each goes to its own intent, not to the close phrase of another.
        ("I'm too tired to carry on", "tired"),  # not resume ("i'm ready to carry on")
        ("I'm done in", "tired"),  # not stop ("i'm done")
        ("I can't keep going", "tired"),  # not no ("no keep going")
        ("can you speed up", "faster"),  # not louder ("can you speak up")
        ("a bit quicker", "faster"),  # not quieter ("a bit quieter")
        ("you're too soft", "louder"),  # not faster ("you're too slow")
        ("can you go slower", "slower"),  # not faster ("can you go faster")
        ("I'm not doing this one", "skip"),  # not easier ("i can't do this one")
    ],
)
def test_everyday_wordings_reach_their_intent(matcher, text, intent):
    assert matcher.match(text).intent == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("no I'm fine", "no"),
        ("I'm not finished", "no"),  # not stop: the negation keeps them apart
        ("not ready", "no"),
        ("yes that's right", "yes"),
        ("still the same", "yes"),  # "is that still true today?"
    ],
)
def test_everyday_answers_count_only_when_asked(matcher, text, intent):
    assert matcher.match(text, expecting_answer=True).intent == intent
    assert matcher.match(text).intent == "none"


@pytest.mark.parametrize(
    "text",
    [
        "I'm on the phone",
        "I'm on a call",
        "I can't wait",
        "I'd rather not say",
        "I don't want to go",
        "I can do more shopping",
        "I've done enough washing",
        "can we start dinner",
        "are you ready to go",
        "I can't hear the telly",
        "the exercise before lunch",
        "hold up your arm",
        "that's true",
        "turn the telly off",
    ],
)
def test_talk_near_the_new_wordings_is_not_a_command(matcher, text):
    assert matcher.match(text).intent == "none"
