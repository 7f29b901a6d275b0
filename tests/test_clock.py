"""The segment clock on its own: a segment plus the time in, due cues and the next deadline out."""

from __future__ import annotations

import pytest

from voicecoach.coach.clock import SegmentClock, cues, from_rep_start
from voicecoach.coach.script import REPS_LEAD_IN, SHORT_HOLD, Segment, plan

HOLD = Segment("hold", 30.0, "left")
REPS = Segment("reps", REPS_LEAD_IN + 3 * 4.0, None, 3, 4.0, moves=((0.0, "Up."), (2.0, "Down.")))


def names(clock: SegmentClock) -> list[str]:
    return [name for _, name in cues(clock.segment)]


def test_a_hold_counts_halfway_ten_left_three_two_one_and_release():
    assert cues(HOLD) == [
        (15.0, "halfway"), (20.0, "ten_left"), (27.0, "count_3"), (28.0, "count_2"),
        (29.0, "count_1"), (30.0, "release"),
    ]  # fmt: skip


def test_a_short_hold_only_says_when_to_let_go():
    short = Segment("hold", SHORT_HOLD - 2, None)
    assert cues(short) == [(SHORT_HOLD - 2, "release")]


def test_the_clock_waits_for_the_opening_line_then_runs_from_then():
    clock = SegmentClock.at(0, HOLD)
    assert clock.started is None
    assert clock.elapsed(50.0) == 0.0
    clock = clock.run(100.0)
    assert clock.elapsed(107.5) == pytest.approx(7.5)
    assert clock.wait(100.0) == pytest.approx(15.0)
    assert clock.wait(110.0) == pytest.approx(5.0)


def test_due_gives_each_cue_once_in_order_and_the_next_deadline_moves_on():
    clock = SegmentClock.at(0, HOLD).run(0.0)
    clock, due = clock.due(14.9)
    assert due == []
    clock, due = clock.due(15.0)
    assert due == ["halfway"]
    assert clock.wait(15.0) == pytest.approx(5.0)
    clock, due = clock.due(15.0)
    assert due == []  # given once
    clock, due = clock.due(28.5)  # a late timer: everything due comes at once, in order
    assert due == ["ten_left", "count_3", "count_2"]
    assert not clock.over
    clock, due = clock.due(30.0)
    assert due == ["count_1", "release"]
    assert clock.over


def test_a_resumed_hold_carries_on_with_the_time_it_had_left():
    clock = SegmentClock.at(0, HOLD, elapsed=16.0)
    assert not clock.fresh
    assert clock.fired == 1  # halfway was given before the pause
    assert clock.elapsed(0.0) == 16.0  # while its opening line is said
    clock = clock.run(200.0)
    assert clock.wait(200.0) == pytest.approx(4.0)  # ten seconds left at 20
    _, due = clock.due(204.0)
    assert due == ["ten_left"]


def test_reps_count_each_rep_with_its_moves_in_time_then_end():
    assert cues(REPS) == [
        (2.0, "rep_1"), (4.0, "move_1"), (6.0, "rep_2"), (8.0, "move_1"), (10.0, "rep_3"),
        (12.0, "move_1"), (14.0, "reps_done"),
    ]  # fmt: skip
    clock = SegmentClock.at(0, REPS).run(0.0)
    assert clock.reps_left() == 3
    clock, _ = clock.due(2.0)
    assert clock.reps_left() == 2


def test_reps_resume_from_the_start_of_the_rep_that_was_cut_short():
    assert from_rep_start(REPS, 7.5) == pytest.approx(6.0 - 0.001)
    assert from_rep_start(REPS, 1.0) == 1.0  # still in the lead-in
    assert from_rep_start(HOLD, 7.5) == 7.5  # a hold carries on where it was
    clock = SegmentClock.at(0, REPS, from_rep_start(REPS, 7.5))
    assert names(clock)[clock.fired] == "rep_2"  # counted again


def test_rests_warn_ten_seconds_before_the_end_only_when_long():
    assert cues(Segment("rest", 30.0)) == [(20.0, "rest_ten_left"), (30.0, "rest_over")]
    assert cues(Segment("rest", 20.0)) == [(20.0, "rest_over")]


def test_a_change_of_sides_ends_when_its_time_is_up(catalogue):
    sided = next(e for e in catalogue.exercises.values() if e.sides == "each")
    switch = next(s for s in plan(sided) if s.kind == "switch")
    assert cues(switch) == [(switch.seconds, "switch_done")]
    clock, due = SegmentClock.at(3, switch).run(0.0).due(switch.seconds)
    assert due == ["switch_done"]
    assert clock.over
    assert clock.index == 3
