"""The alternatives graph: adapt() under every constraint, easier / harder, loop safety."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sessions import run_answering

from voicecoach.coach import script
from voicecoach.coach.adapt import (
    NO_VERSION,
    Adaptation,
    adapt,
    breaks,
    easier,
    fits,
    harder,
    order_routine,
)
from voicecoach.coach.catalogue import POSITIONS, Catalogue, Dose, Exercise, load_catalogue
from voicecoach.coach.constraints import ALLOWED, CONSTRAINTS
from voicecoach.coach.events import Log

CATALOGUE = load_catalogue()
IDS = list(CATALOGUE.exercises)
SEEDS = [e.id for e in CATALOGUE.exercises.values() if e.source == "seed"]
SUBSETS = [frozenset(s) for n in range(len(CONSTRAINTS) + 1) for s in combinations(CONSTRAINTS, n)]


def test_each_constraint_allows_known_positions():
    assert set(ALLOWED) == set(CONSTRAINTS)
    assert all(ALLOWED[c] <= set(POSITIONS) for c in CONSTRAINTS)
    assert ALLOWED["no_lying"] == {"seated", "standing"}
    # No kneeling on all fours for someone who cannot stand: it starts from the floor.
    assert ALLOWED["no_standing"] == {"lying", "seated", "bed"}
    assert ALLOWED["in_bed"] == {"bed", "seated"}
    assert ALLOWED["seated"] == {"seated"}


@pytest.mark.parametrize("constraints", SUBSETS, ids=lambda s: "+".join(sorted(s)) or "none")
def test_every_exercise_adapts_or_says_why(constraints):
    for ident in IDS:
        a = adapt(CATALOGUE, ident, constraints)
        assert a.original.id == ident
        if a.exercise is None:
            assert a.reason.strip(), ident
            assert not a.swapped
            assert a.skipped
        else:
            assert fits(a.exercise, constraints), (ident, a.exercise.id)
            assert a.swapped == (a.exercise.id != ident)
            assert bool(a.reason) == a.swapped, ident


@pytest.mark.parametrize("constraint", ["no_lying", "no_standing", "in_bed"])
def test_no_seed_exercise_is_skipped_for_one_constraint(constraint):
    for ident in SEEDS:
        assert adapt(CATALOGUE, ident, [constraint]).exercise is not None, ident


def test_seated_skips_only_what_cannot_be_done_sitting():
    skipped = [i for i in SEEDS if adapt(CATALOGUE, i, ["seated"]).exercise is None]
    assert skipped == ["hip_flexor_stretch"]
    reason = adapt(CATALOGUE, "hip_flexor_stretch", ["seated"]).reason
    assert reason == CATALOGUE.exercise("hip_flexor_stretch").not_adaptable["seated"]


def test_no_constraints_leaves_everything_unchanged():
    for ident in IDS:
        a = adapt(CATALOGUE, ident, [])
        assert a == Adaptation(CATALOGUE.exercise(ident), CATALOGUE.exercise(ident), "")
        assert not a.swapped


@pytest.mark.parametrize(
    ("ident", "constraints", "expected", "reason"),
    [
        ("knee_to_chest", ["no_lying"], "knee_to_chest_seated", "so you don't have to lie down"),
        ("knee_to_chest", ["in_bed"], "knee_to_chest_bed", "so you can do it in bed"),
        ("knee_to_chest", ["seated"], "knee_to_chest_seated", "so you can stay seated"),
        ("knee_to_chest", ["no_standing"], "knee_to_chest", ""),
        (
            "knee_to_chest",
            ["no_lying", "no_standing"],
            "knee_to_chest_seated",
            "so you don't have to lie down",
        ),
        (
            "bird_dog",
            ["no_lying"],
            "bird_dog_seated",
            "so you don't have to get down on your hands and knees",
        ),
        ("sit_to_stand", ["no_standing"], "leg_extension_seated", "so you don't have to stand"),
        (
            "sit_to_stand",
            ["in_bed"],
            "leg_extension_seated",
            "so you can do it sitting on the edge of your bed",
        ),
        (
            "hip_flexor_stretch",
            ["no_lying"],
            "hip_flexor_stretch_standing",
            "so you don't have to lie down",
        ),
        ("hip_flexor_stretch", ["in_bed"], "hip_flexor_stretch", ""),
        (
            "calf_stretch",
            ["no_standing", "in_bed"],
            "ankle_stretch",
            "so you don't have to stand and can do it sitting on the edge of your bed",
        ),
        (
            "spinal_twist",
            ["in_bed", "no_lying"],
            "spinal_twist_seated",
            "so you don't have to lie down and can do it sitting on the edge of your bed",
        ),
    ],
)
def test_known_swaps(ident, constraints, expected, reason):
    a = adapt(CATALOGUE, ident, constraints)
    assert a.exercise is not None
    assert (a.exercise.id, a.reason) == (expected, reason)


def test_skip_when_lying_and_standing_are_both_ruled_out():
    # Bed stretch -> (no_lying) standing version -> (no_standing) back to the bed one: a loop
    # in the data that adapt must walk out of, with the reason the versions give.
    a = adapt(CATALOGUE, "hip_flexor_stretch_standing", ["no_lying", "no_standing"])
    assert a.exercise is None
    assert "sitting" in a.reason


def test_unknown_constraint_or_exercise_is_an_error():
    with pytest.raises(ValueError, match="upside_down"):
        adapt(CATALOGUE, "knee_to_chest", ["upside_down"])
    with pytest.raises(KeyError):
        adapt(CATALOGUE, "cartwheel", [])


def test_fits_and_breaks():
    knee = CATALOGUE.exercise("knee_to_chest")
    assert fits(knee, [])
    assert fits(knee, ["no_standing"])
    assert not fits(knee, ["no_lying"])
    assert breaks(knee, ["seated", "no_lying", "no_standing"]) == ("no_lying", "seated")


def test_easier_and_harder():
    assert easier(CATALOGUE, "knee_to_chest").id == "knee_to_chest_towel"
    assert harder(CATALOGUE, "knee_to_chest_towel").id == "knee_to_chest"
    assert harder(CATALOGUE, "spinal_twist").id == "supine_twist"
    assert easier(CATALOGUE, "supine_twist").id == "spinal_twist"
    assert harder(CATALOGUE, "single_leg_stand").id == "stationary_lunge"
    assert harder(CATALOGUE, "cervical_rotation") is None
    assert easier(CATALOGUE, "knee_to_chest_seated") is None
    for ident in SEEDS:
        assert easier(CATALOGUE, ident) is not None, ident


@pytest.mark.parametrize("constraints", SUBSETS, ids=lambda s: "+".join(sorted(s)) or "none")
def test_easier_never_needs_a_ruled_out_position(constraints):
    """Saying "easier" after adapting keeps you where you are."""
    for ident in IDS:
        e, lighter = CATALOGUE.exercise(ident), easier(CATALOGUE, ident)
        if lighter is not None and fits(e, constraints):
            assert fits(lighter, constraints), (ident, lighter.id)


def test_easier_and_harder_chains_end():
    for ident in IDS:
        for step in (easier, harder):
            seen, current = set(), CATALOGUE.exercise(ident)
            while current is not None:
                assert current.id not in seen
                seen.add(current.id)
                current = step(CATALOGUE, current.id)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(IDS), st.sets(st.sampled_from(CONSTRAINTS)))
def test_adapt_terminates_and_fits_on_the_real_data(ident, constraints):
    a = adapt(CATALOGUE, ident, constraints)
    assert a.exercise is None or fits(a.exercise, constraints)
    assert a.exercise is not None or a.reason


# --- arbitrary graphs, not just our data --------------------------------------------------

DOSE = Dose(mode="hold", hold_seconds=10)


@st.composite
def graphs(draw: st.DrawFn) -> Catalogue:
    """Random exercises with random (possibly looping, possibly useless) alternatives."""
    n = draw(st.integers(1, 7))
    ids = [f"e{i}" for i in range(n)]
    exercises = {}
    for ident in ids:
        alternatives = draw(st.dictionaries(st.sampled_from(CONSTRAINTS), st.sampled_from(ids)))
        reasons = draw(st.dictionaries(st.sampled_from(CONSTRAINTS), st.just("Not today.")))
        exercises[ident] = Exercise(
            id=ident, name=ident, aliases=(), position=draw(st.sampled_from(POSITIONS)),
            kind="stretch", areas=("hips",), equipment=(), sides="none", intro="I.",
            steps=("S.",), dose=DOSE, cautions=(), alternatives=alternatives,
            not_adaptable=reasons,
        )  # fmt: skip
    return Catalogue(exercises=exercises, routines={})


@settings(max_examples=300, deadline=None)
@given(graphs(), st.sets(st.sampled_from(CONSTRAINTS)), st.data())
def test_adapt_is_loop_safe_on_any_graph(catalogue, constraints, data):
    ident = data.draw(st.sampled_from(list(catalogue.exercises)))
    a = adapt(catalogue, ident, constraints)
    if a.exercise is None:
        assert a.reason in ("Not today.", NO_VERSION)
        # Nothing reachable along the alternatives of broken constraints fits.
        frontier, seen = [catalogue.exercise(ident)], {ident}
        while frontier:
            current = frontier.pop()
            assert not fits(current, constraints)
            for c in breaks(current, constraints):
                target = current.alternatives.get(c)
                if target and target not in seen:
                    seen.add(target)
                    frontier.append(catalogue.exercise(target))
    else:
        assert fits(a.exercise, constraints)


# --- whole routines, typed, for each limit ---------------------------------------------------

LIMITS = {
    "no_lying": "i can't lie down",
    "no_standing": "i can't stand",
    "in_bed": "i'm in bed",
    "seated": "i use a wheelchair",
}


@pytest.mark.parametrize(
    "routine", ["stretching", "strengthening", "spasticity", "bed", "seated", "morning"]
)
@pytest.mark.parametrize("limit", sorted(LIMITS))
@pytest.mark.parametrize("when", ["before", "during"])
def test_a_limit_never_yields_an_exercise_in_the_wrong_position(
    catalogue, matcher, routine, limit, when
):
    # "during": said when the coach waits for "ready" before the first exercise's steps end.
    lines = (
        [LIMITS[limit], routine]
        if when == "before"
        else [f"the {routine} routine", "ready", LIMITS[limit]]
    )
    transcript, _ = run_answering(catalogue, matcher, lines)
    said_at = transcript.said(script.CONSTRAINT_ACK[limit])[0].t
    started = [
        (r.t, r.action.data["exercise"])
        for r in transcript.records
        if isinstance(r.action, Log) and r.action.kind == "exercise_start"
    ]
    later = [ident for t, ident in started if t > said_at]
    assert later or when == "during"
    for ident in later:
        assert fits(catalogue.exercise(ident), {limit}), (ident, limit)
    done = [d["exercise"] for d in transcript.logs("exercise_done")]
    assert len(done) == len(set(done)), done  # nothing twice after adapting
    if limit in {"seated", "in_bed"}:  # nobody sitting in their chair is told to fetch one
        assert not [r for r in transcript.said("sturdy chair") if r.t >= said_at]


def test_a_wheelchair_user_gets_no_floor_work(catalogue, matcher):
    transcript, _ = run_answering(catalogue, matcher, ["i use a wheelchair", "strengthening"])
    started = [d["exercise"] for d in transcript.logs("exercise_start")]
    assert "bird_dog_seated" in started
    assert all(catalogue.exercise(i).position == "seated" for i in started)


def test_in_bed_the_bird_dog_stays_in_bed(catalogue):
    adaptation = adapt(catalogue, "bird_dog", ["in_bed"])
    assert adaptation.exercise is not None
    assert adaptation.exercise.position == "bed"
    # A seated version offered in bed is done on the bed's edge, and says so.
    adaptation = adapt(catalogue, "sit_to_stand", ["in_bed"])
    assert "edge of your bed" in adaptation.reason


def test_easier_is_gentler_and_never_gets_you_up(catalogue):
    for e in catalogue.exercises.values():
        if e.easier is None:
            continue
        easier = catalogue.exercise(e.easier)
        if e.position == "bed":  # nobody in bed is asked to sit up to make it easier
            assert easier.position == "bed", e.id
        if e.dose.mode == easier.dose.mode == "hold":
            assert easier.dose.hold_seconds <= e.dose.hold_seconds, e.id
    one_leg = catalogue.exercise(catalogue.exercise("hip_flexor_stretch").easier)
    assert (one_leg.position, one_leg.sides) == ("bed", "each")  # not lying on your front


def test_order_routine_keeps_positions_together_and_drops_repeats(catalogue):
    ids = ["bird_dog", "sit_to_stand", "single_leg_stand", "glute_bridge", "stationary_lunge"]
    assert order_routine(catalogue, ids, []) == [
        "glute_bridge",
        "bird_dog",
        "sit_to_stand",
        "single_leg_stand",
        "stationary_lunge",
    ]
    # With no standing, sit to stand and the lunge both become the seated leg extension.
    ordered = order_routine(catalogue, ids, ["no_standing"])
    assert "stationary_lunge" not in ordered
    assert ordered.index("glute_bridge") < ordered.index("sit_to_stand")
    assert order_routine(catalogue, ids, ["no_standing"], done=["leg_extension_seated"]) == [
        "glute_bridge",
        "bird_dog",
        "single_leg_stand",
    ]
