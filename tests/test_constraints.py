"""Constraints are defined once (coach.constraints); everything keyed by them follows it."""

from __future__ import annotations

import pytest

from voicecoach.coach import adapt, script
from voicecoach.coach.catalogue import POSITIONS
from voicecoach.coach.constraints import ALLOWED, CONSTRAINTS, INTENT_CONSTRAINT, fits_position
from voicecoach.memory import report
from voicecoach.understand.flags import CANONICAL


def test_every_constraint_is_set_by_a_known_intent():
    assert sorted(INTENT_CONSTRAINT.values()) == sorted(CONSTRAINTS)
    assert set(INTENT_CONSTRAINT) <= set(CANONICAL)


def test_every_constraint_allows_some_known_positions():
    assert set(ALLOWED) == set(CONSTRAINTS)
    for allowed in ALLOWED.values():
        assert allowed
        assert allowed <= set(POSITIONS)


@pytest.mark.parametrize(
    "words",
    [
        script.CONSTRAINT_ACK,
        script.CONSTRAINT_ALREADY,
        script.CONSTRAINT_MEMORY,
        adapt.SWAP_REASONS,
    ],
    ids=["ack", "already", "memory", "swap reason"],
)
def test_every_constraint_is_worded(words):
    assert set(words) == set(CONSTRAINTS)


def test_the_report_names_every_constraint():
    assert set(CONSTRAINTS) <= set(report.REASONS)


def test_a_position_fits_only_what_every_constraint_allows():
    assert fits_position("lying", ())
    assert fits_position("seated", CONSTRAINTS)
    assert not fits_position("standing", ("no_standing",))
    assert not fits_position("bed", ("no_lying", "in_bed"))
