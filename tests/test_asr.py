"""Recognizer plumbing without audio: vocabulary, grammar, result parsing, engine choice,
and the layered rejection.  Milliseconds each (no model, no synthesis)."""

from __future__ import annotations

import json
import shutil
import sys

import pytest

from voicecoach.hear.engine_vosk import UNK, VoskRecognizer, model_words, parse_result
from voicecoach.hear.engines import describe_choice, find_vosk_model, open_recognizer
from voicecoach.hear.recognizer import RecognizerUnavailable, Transcript
from voicecoach.hear.vocab import (
    PhraseSource,
    arpa_lm,
    carrier_fills,
    dictionary_text,
    ipa_to_arpabet,
    pronunciations,
    vosk_grammar,
)
from voicecoach.understand.rejection import Thresholds, understand


@pytest.fixture(scope="module")
def source(intent_set):
    return PhraseSource.from_intents(intent_set)


# --- vocabulary ---------------------------------------------------------------------------


def test_ipa_maps_to_arpabet():
    assert ipa_to_arpabet("ɡlˈuːt") == "G L UW T"
    assert ipa_to_arpabet("flˈɛksɚ") == "F L EH K S ER"
    assert ipa_to_arpabet("tʃˈɛst") == "CH EH S T"
    assert ipa_to_arpabet("ʘ") is None  # a click: nothing to map it to


def test_words_missing_from_the_cmu_dictionary_get_pronunciations():
    base = {"the": ("DH AH", "DH IY"), "bridge": ("B R IH JH",)}
    found, missing = pronunciations(["the", "glute", "flexor", "quadruped", "bridge"], base)
    assert found["glute"] == ("G L UW T",)
    assert found["the"] == ("DH AH", "DH IY")
    assert "quadruped" in found
    assert missing == []


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_unknown_words_are_guessed_by_espeak():
    found, missing = pronunciations(["zorblat"], {})
    assert missing == []
    assert found["zorblat"][0].startswith("Z ")


def test_dictionary_numbers_alternate_pronunciations():
    text = dictionary_text({"the": ("DH AH", "DH IY")})
    assert text.splitlines() == ["the DH AH", "the(2) DH IY"]


def test_every_phrase_word_is_in_the_recognizer_vocabulary(source, intent_set):
    words = set(source.words())
    assert set(intent_set.vocabulary()) <= words


def test_lm_sentences_are_balanced_but_reach_every_slot_value(source):
    sentences = source.sentences(per_template=3)
    slotted = [t for t in source.templates if "{" in t]
    assert slotted, "the phrase data has slotted templates"
    # Far fewer sentences than the full expansion, so "let us do the" does not dominate.
    assert len(sentences) < len(source.phrases()) / 2
    text = "\n".join(sentences)
    for values in source.slot_values.values():
        for value in values:
            assert value in text


def test_each_slotted_template_gets_its_own_few_values(source):
    fills = carrier_fills(source.templates, source.slot_values, 3)
    assert set(fills) == {t for t in source.templates if "{" in t}
    for fill_list in fills.values():
        slot = next(iter(fill_list[0]))
        assert len({f[slot] for f in fill_list}) == min(3, len(source.slot_values[slot]))


def test_a_new_template_leaves_every_other_templates_values_alone():
    # Handing values out in turn moved every later exercise name to another sentence
    # whenever a template was added anywhere, and with it what PocketSphinx heard.
    names = tuple(f"exercise {n}" for n in range(200))
    templates = [f"carrier {n} {{exercise}}" for n in range(30)]
    before = carrier_fills(templates, {"exercise": names}, 3)
    after = carrier_fills(
        [*templates[:10], "new {exercise}", *templates[10:]], {"exercise": names}, 3
    )
    assert len(after.pop("new {exercise}")) == 3
    assert after == before
    assert carrier_fills(templates, {"exercise": names}, 3) == before  # and on every run
    source = PhraseSource(tuple(templates), {"exercise": names})
    taken = {f["exercise"] for fills in before.values() for f in fills}
    assert 60 < len(taken) <= 90
    assert set(names) - taken <= set(source.sentences())  # the rest on their own


def test_short_safety_sentences_weigh_more_in_the_lm(source, intent_set):
    from voicecoach.hear.vocab import SAFETY_REPEATS

    sentences = source.sentences()
    # "it hurts" and "help me" are said more often than any ordinary command's sentence.
    assert "it hurts" in source.emphasis
    assert "help me" in source.emphasis
    assert sentences.count("it hurts") == 1 + SAFETY_REPEATS
    assert sentences.count("next") == 1
    # Long or slotted sentences, and other intents' sentences, are never emphasised.
    assert all(len(s.split()) <= 3 and "{" not in s for s in source.emphasis)
    safety = {t for t, intent in intent_set.templates() if intent_set.safety(intent)}
    assert set(source.emphasis) <= safety


def test_contracted_twins_are_in_the_lm_sentences():
    s = PhraseSource.from_phrases(["i am tired"])
    s = PhraseSource(s.templates, {}, frozenset(), {"i'm": "i am"})
    assert "i'm tired" in s.sentences()


def test_cannot_has_its_contracted_twin_so_cant_is_not_heard_as_can():
    s = PhraseSource.from_phrases(["i cannot lie down"])
    s = PhraseSource(s.templates, {}, frozenset(), {"can't": "cannot"})
    assert "i can't lie down" in s.sentences()
    assert "can't" in s.words()


def test_arpa_lm_covers_the_words():
    lm = arpa_lm(["next one", "go back", "pause"])
    assert "\\data\\\nngram 1=7" in lm  # 5 words + <s> + </s>
    assert lm.rstrip().endswith("\\end\\")
    for word in ("next", "one", "go", "back", "pause", "<s>", "</s>"):
        assert f" {word} " in lm or f" {word}\n" in lm


def test_vosk_grammar_has_phrases_words_and_unk(source):
    grammar = json.loads(vosk_grammar(source))
    assert grammar[-1] == UNK
    assert "pause" in grammar
    assert any(" " in g for g in grammar)  # whole phrases, not only words
    assert set(source.words()) <= set(grammar)


def test_vosk_grammar_drops_words_the_model_lacks():
    s = PhraseSource.from_phrases(["next one", "glute bridge"])
    grammar = json.loads(vosk_grammar(s, known={"next", "one", "bridge"}))
    assert grammar == ["next one", "bridge", "next", "one", UNK]


# --- Vosk results -------------------------------------------------------------------------


def test_parse_vosk_result_with_word_confidences():
    result = {
        "result": [
            {"conf": 0.9, "start": 0.3, "end": 0.6, "word": "next"},
            {"conf": 0.7, "start": 0.6, "end": 0.9, "word": "one"},
        ],
        "text": "next one",
    }
    t = parse_result(json.dumps(result))
    assert t.text == "next one"
    assert t.words == (("next", 0.9), ("one", 0.7))
    assert t.confidence == pytest.approx(0.8)
    assert (t.start, t.end) == (0.3, 0.9)


def test_unknown_words_are_left_out_of_the_text_but_lower_the_confidence():
    result = {
        "result": [
            {"conf": 1.0, "start": 0.1, "end": 0.4, "word": "[unk]"},
            {"conf": 0.9, "start": 0.4, "end": 0.7, "word": "stop"},
            {"conf": 1.0, "start": 0.7, "end": 1.0, "word": "[unk]"},
        ],
        "text": "[unk] stop [unk]",
    }
    t = parse_result(result)
    assert t.text == "stop"
    assert t.confidence == pytest.approx(0.3)


@pytest.mark.parametrize("raw", ['{"text": ""}', "", '{"result": [{"word": "[unk]", "conf": 1}]}'])
def test_nothing_heard_is_an_empty_transcript(raw):
    t = parse_result(raw, audio_seconds=1.5)
    assert t.text == ""
    assert t.confidence == 0.0


def test_model_words_reads_the_graph_word_list(tmp_path):
    (tmp_path / "graph").mkdir()
    (tmp_path / "graph" / "words.txt").write_text("<eps> 0\nnext 1\npause 2\n")
    assert model_words(tmp_path) == {"<eps>", "next", "pause"}
    assert model_words(tmp_path / "graph" / "nothing") is None


# --- engine choice ------------------------------------------------------------------------


def fake_vosk_layout(folder):
    for sub in ("am", "conf", "graph"):
        (folder / sub).mkdir(parents=True)
    return folder


def no_whisper(monkeypatch, tmp_path):
    """Make the Whisper model look missing (an empty folder)."""
    (tmp_path / "no-whisper").mkdir()
    monkeypatch.setenv("VOICECOACH_WHISPER_MODEL", str(tmp_path / "no-whisper"))


def test_pocketsphinx_when_neither_whisper_nor_vosk(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICECOACH_MODELS", str(tmp_path))
    no_whisper(monkeypatch, tmp_path)
    assert find_vosk_model() is None
    name, why = describe_choice()
    assert name == "pocketsphinx"
    assert "Whisper is unavailable" in why
    assert "model.bin is missing" in why


def test_vosk_when_an_english_model_is_there_and_no_whisper(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICECOACH_MODELS", str(tmp_path))
    no_whisper(monkeypatch, tmp_path)
    fake_vosk_layout(tmp_path / "vosk-model-fr-0.22")
    assert find_vosk_model() is None  # French does not count
    small = fake_vosk_layout(tmp_path / "vosk-model-small-en-us-0.15")
    fake_vosk_layout(tmp_path / "vosk-model-en-us-0.22")
    assert find_vosk_model() == small  # small first: it runs on a Pi
    assert describe_choice()[0] == "vosk"
    assert describe_choice("pocketsphinx")[0] == "pocketsphinx"


def test_forcing_vosk_without_a_model_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICECOACH_MODELS", str(tmp_path))
    with pytest.raises(RecognizerUnavailable, match="models download"):
        open_recognizer("vosk", None, PhraseSource.from_phrases(["next"]))


def test_a_folder_that_is_not_a_model_is_refused(tmp_path):
    with pytest.raises(RecognizerUnavailable, match="not a Vosk model"):
        VoskRecognizer(tmp_path, PhraseSource.from_phrases(["next"]))


def test_unknown_engine_is_refused():
    with pytest.raises(RecognizerUnavailable, match="unknown engine"):
        describe_choice("kaldi")


# --- layered rejection --------------------------------------------------------------------


def heard(text: str, confidence: float = 0.9, word_conf: float | None = None) -> Transcript:
    c = confidence if word_conf is None else word_conf
    return Transcript(text, confidence, tuple((w, c) for w in text.split()))


def test_a_next_best_reading_is_used_when_the_best_means_nothing(matcher):
    from dataclasses import replace

    salad = heard("leg us eat a sheer")
    assert understand(salad, matcher).intent == "none"
    assert (
        understand(
            replace(salad, alternatives=("let us eat easier", "make it easier")), matcher
        ).intent
        == "easier"
    )
    # ... but never for a command that costs much if wrong, nor an answer nobody asked for.
    assert understand(replace(salad, alternatives=("stop",)), matcher).intent == "none"
    assert understand(replace(salad, alternatives=("yes",)), matcher).intent == "none"
    assert (
        understand(replace(salad, alternatives=("yes",)), matcher, expecting_answer=True).intent
        == "yes"
    )
    # The best reading wins when it means something.
    assert (
        understand(replace(heard("pause"), alternatives=("make it easier",)), matcher).intent
        == "pause"
    )


def test_a_clear_command_is_understood(matcher):
    m = understand(heard("next exercise"), matcher)
    assert m.intent == "next"
    assert 0.5 < m.confidence <= 1.0


def test_nothing_heard_is_none(matcher):
    assert understand(Transcript("", 0.0), matcher).intent == "none"


def test_an_unsure_recognizer_is_not_obeyed(matcher):
    th = Thresholds(
        min_utterance=0.3, min_consequential=0.6, min_word_consequential=0.5, exact=1.01
    )
    assert understand(heard("next exercise", 0.1), matcher, thresholds=th).intent == "none"
    assert understand(heard("next exercise", 0.5), matcher, thresholds=th).intent == "next"


def test_words_too_doubtful_to_obey_are_still_a_guess_to_ask_about(matcher):
    th = Thresholds(
        min_utterance=0.3, min_consequential=0.6, min_word_consequential=0.5, exact=1.01
    )
    doubted = understand(heard("next exercise", 0.1), matcher, thresholds=th)
    assert (doubted.intent, doubted.guess) == ("none", "next")
    # A yes or a no is never a guess: "did you say yes?" helps nobody.
    assert understand(heard("yes please", 0.1), matcher, thresholds=th).guess == ""


def test_consequential_commands_need_more_certainty(matcher):
    th = Thresholds(
        min_utterance=0.1, min_consequential=0.6, min_word_consequential=0.5, exact=1.01
    )
    assert understand(heard("stop", 0.4), matcher, thresholds=th).intent == "none"
    assert understand(heard("stop", 0.9), matcher, thresholds=th).intent == "stop"
    # the same certainty is enough for an ordinary command
    assert understand(heard("pause", 0.4), matcher, thresholds=th).intent == "pause"
    # one weak word is enough to doubt a consequential command
    assert understand(heard("stop", 0.9, word_conf=0.2), matcher, thresholds=th).intent == "none"


def test_a_whole_phrase_heard_exactly_passes_a_low_floor(matcher):
    th = Thresholds(min_utterance=0.3, min_consequential=0.6, min_word_consequential=0.1)
    assert understand(heard("next exercise", 0.1), matcher, thresholds=th).intent == "next"
    assert understand(heard("stop", 0.1), matcher, thresholds=th).intent == "stop"
    # ... but not when it is only near a phrase
    assert (
        understand(heard("go to next exercise now", 0.1), matcher, thresholds=th).intent == "none"
    )


def test_each_engine_has_its_own_scale(matcher):
    # a PocketSphinx posterior of 0.01 is a fine answer; a Vosk confidence of 0.01 is not
    ps = Transcript("go to the next exercise", 0.01, (("next", 0.5),), engine="pocketsphinx")
    vosk = Transcript("go to the next exercise", 0.01, (("next", 0.5),), engine="vosk")
    assert understand(ps, matcher).intent == "next"
    assert understand(vosk, matcher).intent == "none"


def test_yes_and_no_are_reported_whether_or_not_a_question_was_asked(matcher):
    assert understand(heard("yes"), matcher).intent == "yes"
    assert understand(heard("yes"), matcher, expecting_answer=True).intent == "yes"
    assert understand(heard("no"), matcher, expecting_answer=True).intent == "no"
    # ... but an answer nobody asked for must be heard as surely as a consequential command.
    th = Thresholds(min_utterance=0.3, min_consequential=0.6, min_word_consequential=0.5)
    assert understand(heard("yes", 0.4), matcher, thresholds=th).intent == "none"
    assert (
        understand(heard("yes", 0.4), matcher, expecting_answer=True, thresholds=th).intent == "yes"
    )


def test_chatter_is_none(matcher):
    assert understand(heard("the cat has been sick on the carpet"), matcher).intent == "none"


# --- the benchmark's scoring --------------------------------------------------------------


def test_benchmark_scores_accuracy_false_accepts_and_rejects():
    from voicecoach.bench.asr import Item, score, table

    items = [
        Item("a.wav", "next one", "next", {}, "heldout", "slt", None),
        Item("b.wav", "pause", "pause", {}, "heldout", "espeak-us", None),
        Item(
            "c.wav",
            "do the bridge",
            "choose_exercise",
            {"exercise": "glute_bridge"},
            "grammar",
            "rms",
            10.0,
        ),
        Item("d.wav", "nice weather", "none", {}, "negative", "awb", None),
        Item("e.wav", "the next bus", "none", {}, "negative", "awb", 10.0),
    ]
    results = [
        {"file": "a.wav", "intent": "next", "slots": {}, "latency": 0.05},
        {"file": "b.wav", "intent": "none", "slots": {}, "latency": 0.07},
        {
            "file": "c.wav",
            "intent": "choose_exercise",
            "slots": {"exercise": "bird_dog"},
            "latency": 0.09,
        },
        {"file": "d.wav", "intent": "none", "slots": {}, "latency": 0.04},
        {"file": "e.wav", "intent": "next", "slots": {}, "latency": 0.06},
    ]
    s = score(items, {"results": results, "rtf": 0.1, "load_seconds": 0.2, "peak_rss_mb": 40})
    assert s["accuracy"]["heldout"]["clean"] == 0.5
    assert s["accuracy"]["grammar"]["10 dB"] == 0.0  # wrong slot is wrong
    assert s["false_accept"] == 0.5
    assert s["false_reject"] == pytest.approx(1 / 3)
    assert s["latency_median_ms"] == pytest.approx(60)
    assert "| held-out phrasings | 50.0% |" in table("pocketsphinx", s)


def test_benchmark_counts_what_a_spoken_session_would_answer_with_a_sorry():
    from voicecoach.bench.asr import Item, score

    items = [
        Item("a.wav", "pause", "pause", {}, "heldout", "slt", None),
        Item("b.wav", "next one", "next", {}, "heldout", "slt", None),
        Item("c.wav", "nice weather", "none", {}, "negative", "awb", None),
        Item("d.wav", "purple", "none", {}, "negative", "awb", None),
    ]
    none = {"intent": "none", "slots": {}, "latency": 0.05}
    results = [
        {**none, "file": "a.wav", "heard": "pours", "confidence": 0.4},  # a sorry
        {**none, "file": "b.wav", "heard": "", "confidence": 1.0},  # no words: silence
        {**none, "file": "c.wav", "heard": "nice weather", "confidence": 0.95},  # talk
        {**none, "file": "d.wav", "heard": "purple", "confidence": 0.5},  # a sorry
    ]
    s = score(items, {"results": results, "rtf": 0.1, "load_seconds": 0.2, "peak_rss_mb": 40})
    assert s["talk_sorry"] == 0.5
    assert s["missed_silently"] == 0.5


def test_stage_breakdown_names_the_stage_that_lost_each_command(matcher):
    from voicecoach.bench import asr_stages
    from voicecoach.bench.asr import Item, condition

    assert asr_stages.endpoint_verdict([], 1.0, 2.0) == "no utterance"
    assert asr_stages.endpoint_verdict([[0.9, 2.2, "x"]], 1.0, 2.0) == "ok"
    assert asr_stages.endpoint_verdict([[0.1, 2.2, "x"]], 1.0, 2.0) == "opened by noise"
    assert asr_stages.endpoint_verdict([[0.9, 1.5, "x"]], 1.0, 2.0) == "cut short"
    assert asr_stages.endpoint_verdict([[0.9, 1.4, "a"], [1.5, 2.1, "b"]], 1.0, 2.0) == "split"
    pcm = bytes(2 * 16000 * 3)  # 3 s: speech from 1.0 to 2.7 s with a 0.3 s trail
    assert len(asr_stages.oracle_cut(pcm, 1.0, 0.3)) == 2 * int(16000 * 2.1)

    def item(name, text, intent, kind="grammar"):
        return Item(name, text, intent, {}, kind, "slt", 10.0, "babble")

    items = [
        item("a", "next", "next"),
        item("b", "next", "next"),
        item("c", "next", "next"),
        item("d", "next", "next"),
        item("e", "pause", "pause", kind="heldout"),  # never broken down
    ]

    def r(name, intent, oracle, matched, endpoint="ok", text="next"):
        return {
            "file": name,
            "intent": intent,
            "slots": {},
            "endpoint": endpoint,
            "oracle_text": text,
            "oracle_intent": oracle,
            "oracle_slots": {},
            "oracle_matched": matched,
            "oracle_matched_slots": {},
        }

    run = {
        "results": [
            r("a", "next", "next", "next"),
            r("b", "none", "next", "next", endpoint="opened by noise"),
            r("c", "none", "none", "next"),
            r("d", "none", "none", "none", text=""),
            r("e", "none", "none", "none"),
        ]
    }
    counts = asr_stages.breakdown(items, run, matcher, condition)
    assert dict(counts["babble 10 dB"]) == {
        "right": 1,
        "endpoint: opened by noise": 1,
        "rejection": 1,
        "transcription: nothing heard": 1,
    }
    assert "| endpoint: opened by noise | 1 |" in asr_stages.stage_table(counts)


# --- Vosk, incrementally (a test double behind the vosk module's interface) ---------------


class FakeKaldi:
    """Ends a segment by itself after the second piece of audio, as Vosk does at a pause."""

    def __init__(self, model, rate, grammar=None):
        self.grammar, self.calls, self.resets = grammar, 0, 0

    def SetWords(self, on):  # noqa: N802 - vosk's names
        pass

    def AcceptWaveform(self, pcm):  # noqa: N802
        self.calls += 1
        return self.calls == 2

    def Result(self):  # noqa: N802
        return json.dumps(
            {
                "result": [
                    {"word": "make", "conf": 0.9, "start": 0.1, "end": 0.3},
                    {"word": "it", "conf": 0.8, "start": 0.3, "end": 0.4},
                ],
                "text": "make it",
            }
        )

    def FinalResult(self):  # noqa: N802
        self.calls = 0
        return json.dumps(
            {
                "result": [{"word": "easier", "conf": 0.7, "start": 0.9, "end": 1.3}],
                "text": "easier",
            }
        )

    def Reset(self):  # noqa: N802
        self.calls, self.resets = 0, self.resets + 1


@pytest.fixture
def fake_vosk(tmp_path, monkeypatch):
    import types

    module = types.SimpleNamespace(
        SetLogLevel=lambda level: None, Model=lambda path: path, KaldiRecognizer=FakeKaldi
    )
    monkeypatch.setitem(sys.modules, "vosk", module)
    return VoskRecognizer(
        fake_vosk_layout(tmp_path / "vosk-model-small-en-us-0.15"),
        PhraseSource.from_phrases(["make it easier"]),
    )


def test_vosk_keeps_the_segments_it_ends_by_itself(fake_vosk):
    fake_vosk.begin()
    for _ in range(3):
        fake_vosk.accept(b"\0" * 3200)
    t = fake_vosk.finish()
    assert t.text == "make it easier"
    assert t.confidence == pytest.approx(0.7)  # the least sure piece
    assert (t.start, t.end) == (0.1, 1.3)


def test_vosk_drops_an_abandoned_utterance(fake_vosk):
    fake_vosk.begin()
    fake_vosk.accept(b"\0" * 3200)
    fake_vosk.accept(b"\0" * 3200)  # a segment ended ...
    fake_vosk.abandon()  # ... but the utterance was too short to count
    assert fake_vosk._recognizer.resets == 1
    fake_vosk.begin()
    fake_vosk.accept(b"\0" * 3200)
    assert fake_vosk.finish().text == "easier"


def test_joining_one_piece_keeps_its_next_best_readings_and_two_pieces_drop_them():
    from voicecoach.hear.recognizer import joined

    one = Transcript("next", 0.9, (("next", 0.9),), 1.0, 1.5, "pocketsphinx", ("text",))
    assert joined([one]).alternatives == ("text",)
    assert joined([Transcript("", 0.0), one]) == one  # an empty piece is no piece
    two = joined([one, Transcript("one", 0.5, (("one", 0.5),), 2.0, 2.4, "", ("won",))])
    assert (two.text, two.confidence, two.alternatives) == ("next one", 0.5, ())


def test_the_safety_corpus_says_every_phrasing_in_every_voice_and_scores_it_apart(matcher):
    from voicecoach.bench import safety_words
    from voicecoach.bench.asr import Item, score, table

    kinds = {kind: said for kind, _, said in safety_words.rows(matcher, voices=3)}
    assert set(kinds) == {"safety", "short"}
    hurts = [row for row in kinds["safety"] if row[0] == "it hurts"]
    assert hurts == [("it hurts", "pain", {})] * (3 * safety_words.TAKES)
    assert {intent for _, intent, _ in kinds["safety"]} == {"stop", "pain", "help", "emergency"}
    assert ("start it", "start", {}) in kinds["short"]
    talk = safety_words.talk(voices=3)
    assert talk.count("help yourself") == 3 * safety_words.TAKES
    # Short talk is scored as non-commands: none of it may mean anything as written.
    assert {matcher.match(t, expecting_answer=True).intent for t in talk} == {"none"}

    items = [
        Item("a.wav", "i fell", "emergency", {}, "safety", "slt", None),
        Item("b.wav", "i feel fine", "feel_better", {}, "short", "slt", None),
        Item("c.wav", "i feel fine", "feel_better", {}, "short", "rms", None),
    ]
    results = [
        {"file": "a.wav", "intent": "feel_better", "slots": {}, "latency": 0.1},
        {"file": "b.wav", "intent": "feel_better", "slots": {}, "latency": 0.1},
        {"file": "c.wav", "intent": "emergency", "slots": {}, "latency": 0.1},
    ]
    s = score(items, {"results": results, "rtf": 0.1, "load_seconds": 0.2, "peak_rss_mb": 40})
    assert s["accuracy"] == {"safety": {"clean": 0.0}, "short": {"clean": 0.5}}
    assert "| short commands (--safety) | 50.0% |" in table("whisper", s)
