"""intents/flags.toml: one place for what interrupts, what is consequential, what answers."""

from __future__ import annotations

import io

import pytest

from voicecoach.understand.flags import CANONICAL, FlagDataError, load_flags


def test_every_intent_has_an_entry() -> None:
    flags = load_flags()
    assert set(CANONICAL) <= set(flags.table)


@pytest.mark.parametrize("intent", ["emergency", "pain", "stop", "pause", "help", "skip", "tired"])
def test_the_ways_out_and_the_brakes_interrupt_the_coach(intent: str) -> None:
    assert intent in load_flags().interrupting


def test_answers_and_consequential_intents() -> None:
    flags = load_flags()
    assert flags.answers == {"yes", "no"}
    assert {"stop", "skip", "choose_exercise", "choose_routine"} <= flags.consequential
    assert "pain" not in flags.consequential  # never made harder to say
    assert "emergency" not in flags.consequential
    assert flags.named("confirmed") == {"stop"}  # the coach asks "end the session?" first


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b"[start]\n", "no entry for"),
        (b"[nonsense]\n", "not an intent"),
        (b"[pain]\nloud = true\n", "may only set"),
        (b"[pain]\ninterrupts = 'yes'\n", "true or false"),
        (b"[pain]\nconfirmed = true\n", "confirmed is for consequential"),
        (b"[pain\n", "not valid"),
        (b"\xff\xfe[pain]", "not valid"),
    ],
)
def test_broken_flags_are_refused_with_the_reason(text: bytes, reason: str) -> None:
    with pytest.raises(FlagDataError, match=reason):
        load_flags(io.BytesIO(text))
