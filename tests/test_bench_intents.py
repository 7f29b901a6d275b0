"""The intent benchmarks' own bookkeeping: folds of templates for choosing the policy, and
rounds whose intents the recogniser does not have yet."""

from __future__ import annotations

import pytest

from voicecoach.bench.intent_policy import FOLDS, Case, fold_set, left_out, tally
from voicecoach.bench.intents import Round, leave_out_unknown, main, score
from voicecoach.understand.intents import Candidate, Policy


def test_a_fold_leaves_out_every_fourth_template_of_each_intent(intent_set):
    subset = fold_set(intent_set, 1)
    for name, intent in intent_set.intents.items():
        kept = subset.intents[name].trees
        if len(intent.trees) > 1:
            assert kept == tuple(t for n, t in enumerate(intent.trees) if n % FOLDS != 1)
    assert len(subset.negatives) < len(intent_set.negatives)
    assert subset.digest != intent_set.digest


def test_left_out_sentences_come_labelled_with_their_slots_filled(intent_set):
    cases = list(left_out(intent_set, 0))
    labels = {intent for _, intent, _ in cases}
    assert "none" in labels
    assert "choose_exercise" in labels
    for sentence, intent, slots in cases:
        assert "{" not in sentence
        if slots:
            assert intent in ("choose_exercise", "choose_routine")


def test_the_policy_tally_counts_right_wrong_and_false_accepts(matcher):
    cases = [
        Case("pause", {}, Candidate("a", "pause", 0.7, 0.1, "a", {})),
        Case("pause", {}, Candidate("b", "skip", 0.95, 0.0, "b", {})),
        Case("none", {}, Candidate("c", "louder", 0.85, 0.1, "c", {})),
    ]
    lenient = tally(matcher, cases, Policy(0.6, 0.9, 0.6))
    assert (lenient.right, lenient.wrong, lenient.consequential_wrong) == (1, 1, 1)
    assert lenient.false_accepts == 1
    strict = tally(matcher, cases, Policy(0.9, 0.99, 0.9))
    assert (strict.right, strict.wrong, strict.false_accepts, strict.safety_missed) == (0, 0, 0, 2)


def test_commands_of_intents_not_yet_known_are_set_apart(capsys):
    rnd = Round("r", [("go on", "start", {}), ("hold it longer", "hold_forever", {})], [])
    leave_out_unknown([rnd], {"start"})
    assert rnd.commands == [("go on", "start", {})]
    assert "hold_forever" in capsys.readouterr().out


def test_false_accepts_are_kept_with_the_intent_they_became():
    rnd = Round("r", [], ["the kettle is on", "pause the film"], ["please don't pause"])
    answers = {"pause the film": "pause", "please don't pause": "pause"}
    s = score(lambda text, _command: (answers.get(text, "none"), {}, "", {}), rnd)
    assert s.false_accepts == ["pause the film"]
    assert s.negation_accepts == ["please don't pause"]
    assert s.accepted == [
        ("non-command", "pause", "pause the film"),
        ("negation", "pause", "please don't pause"),
    ]


def test_false_accepts_are_listed_for_the_development_sets_only(capsys):
    with pytest.raises(SystemExit):
        main(["--new-only", "--false-accepts"])
    assert "--dev" in capsys.readouterr().err


def test_missed_commands_asked_about_are_counted_apart():
    rnd = Round("r", [("go on then", "next", {}), ("um", "pause", {})], ["pass the salt"])
    guesses = {"go on then": "next", "um": "skip", "pass the salt": "start"}
    s = score(lambda text, _command: ("none", {}, guesses[text], {}), rnd)
    assert sum(s.missed.values()) == 2
    assert (s.asked_right, s.asked_wrong, s.talk_asked) == (1, 1, 1)
