"""The catalogue against the articles' facts (voicecoach/data/seed_facts.toml), and what the
coach says of them in a session: every caution, and the movement cues of each rep."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest
from sessions import run_answering

from voicecoach.coach import script

FACTS = tomllib.loads(
    resources.files("voicecoach.data").joinpath("seed_facts.toml").read_text("utf-8")
)


def test_the_facts_cover_every_seed_exercise(catalogue):
    seeds = {e.id for e in catalogue.exercises.values() if e.source == "seed"}
    assert set(FACTS) == seeds


def _spoken(catalogue, ident: str) -> list[str]:
    """Everything the coach can say of an exercise: its data and the lines opening each
    segment of its plan."""
    e = catalogue.exercise(ident)
    lines = [e.intro, *e.steps, *e.cautions, *e.moves, *e.limit_cautions.values()]
    return lines + [script.segment_start(e, segment) for segment in script.plan(e)]


@pytest.mark.parametrize("ident", sorted(FACTS))
def test_the_catalogue_carries_the_article_facts(catalogue, ident):
    facts, e = FACTS[ident], catalogue.exercise(ident)
    assert (e.position, e.sides, e.dose.mode) == (facts["position"], facts["sides"], facts["mode"])
    dose = e.dose
    given = {"hold": dose.hold_seconds, "reps": dose.reps, "sets": dose.sets,
             "rest": dose.rest_seconds}  # fmt: skip
    for key in ("hold", "reps", "sets", "rest"):
        if key not in facts:
            continue
        low, high = facts[key]
        assert given[key] == low, (key, given[key], facts[key])  # the article's low end
        if high > low:
            assert f"{low}-{high}" in dose.note, (key, dose.note)  # the range is kept
    assert dose.sets == facts.get("sets", [1])[0]
    assert set(facts.get("equipment", [])) <= set(e.equipment)
    steps = " ".join(e.steps).lower()
    for words in facts.get("steps", []):
        assert words in steps, words
    cautions = " ".join(e.cautions).lower()
    for words in facts.get("cautions", []):
        assert words in cautions, words
    at = 0
    for words in facts.get("moves", []):  # in order, each in a later move than the last
        found = [i for i, move in enumerate(e.moves) if i >= at and words in move.lower()]
        assert found, (words, e.moves)
        at = found[0] + 1
    spoken = " ".join(_spoken(catalogue, ident)).lower()
    for words in facts.get("never", []):
        assert words not in spoken, words
    if "hold_cue" in facts:
        opening = script.segment_start(e, script.plan(e)[0]).lower()
        assert facts["hold_cue"] in opening, opening
        assert "hold for" not in opening, opening
    assert e.requires == facts.get("requires")


@pytest.mark.parametrize(
    "routine", ["stretching", "strengthening", "spasticity", "bed", "seated", "morning"]
)
@pytest.mark.parametrize("limit", [None, "i'm in my wheelchair", "i'm in bed"])
def test_every_caution_is_said_once_in_a_session(catalogue, matcher, routine, limit):
    lines = ([limit] if limit else []) + [f"the {routine} routine"]
    transcript, _ = run_answering(catalogue, matcher, lines)
    says = transcript.says()
    done = dict.fromkeys(d["exercise"] for d in transcript.logs("exercise_done"))
    assert done
    for ident in done:
        for caution in catalogue.exercise(ident).cautions:
            assert says.count(caution) == 1, (ident, caution)


def _reps_lines(catalogue, matcher, name: str, answers=None) -> list[str]:
    transcript, _ = run_answering(catalogue, matcher, [name], answers)
    return transcript.says()


def test_neck_turns_say_left_and_right(catalogue, matcher):
    says = _reps_lines(catalogue, matcher, "neck rotation")
    assert says.count("One. Slowly look to the left.") == 1
    assert says.count("Slowly look to the right.") == 5
    assert "one" not in says  # never a bare number with no direction


def test_sit_to_stand_pauses_seated_and_the_lunge_at_the_bottom(catalogue, matcher):
    says = _reps_lines(catalogue, matcher, "sit to stand")
    assert says.count("Pause, seated.") == 20  # two sets of ten
    assert not [s for s in says if "at the top" in s]
    says = _reps_lines(catalogue, matcher, "lunges")
    assert says.count("Pause at the bottom.") == 16  # eight each side
    assert not [s for s in says if "at the top" in s]


def test_the_foot_roll_rolls_rather_than_holds(catalogue, matcher):
    says = _reps_lines(catalogue, matcher, "foot roll")
    opening = [s for s in says if "for thirty seconds" in s]
    assert opening == [
        "Your left foot on the ball. Roll the ball slowly, toes to heel and back, for thirty "
        "seconds.",
        "Your right foot on the ball. Roll the ball slowly, toes to heel and back, for thirty "
        "seconds.",
    ]
