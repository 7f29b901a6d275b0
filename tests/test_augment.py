"""Training sentences wrapped in everyday talk: deterministic, the same for every class."""

from __future__ import annotations

from voicecoach.understand import augment

SAMPLES = [
    ("slow down a bit", "slower"),
    ("i am not tired", "none"),
    ("the next bus is at four", "none"),
    ("what is next", "next"),
    ("can you turn it down", "quieter"),
    ("my knee hurts", "pain"),
] * 5


def _same(text: str) -> str:
    return text


def test_wrapping_is_deterministic_and_keeps_each_label():
    once = augment.wrapped(SAMPLES, _same, 1.0)
    assert once == augment.wrapped(SAMPLES, _same, 1.0)
    labels = dict(SAMPLES)
    for copy, label in once:
        original = [s for s, lab in SAMPLES if lab == label and _shares_words(s, copy)]
        assert original, (copy, label)
        assert label in labels.values()


def test_commands_and_not_commands_get_wrapped_alike():
    labels = {label for _, label in augment.wrapped(SAMPLES, _same, 1.0)}
    assert "none" in labels
    assert labels - {"none"}


def test_a_copy_never_reads_as_a_training_sentence():
    known = {s for s, _ in SAMPLES}
    assert not known & {s for s, _ in augment.wrapped(SAMPLES, _same, 1.0)}


def test_a_negation_is_never_left_out():
    samples = [("i am not tired at all today", "none")] * 50
    for copy, _ in augment.wrapped(samples, _same, 1.0):
        assert "not" in copy.split()


def _shares_words(sentence: str, copy: str) -> bool:
    return len(set(sentence.split()) & set(copy.split())) >= len(sentence.split()) - 1


def test_nothing_is_wrapped_as_shipped():
    assert augment.wrapped(SAMPLES, _same, augment.SHARE) == []
    assert augment.key(augment.SHARE) == ""
