"""Moonshine for the bench (voicecoach.bench.engine_moonshine, moonshine_int8): the model
search says what is missing, the int8 rewrite keeps a graph's answers, and, where a model is
found ($VOICECOACH_MOONSHINE_MODEL or the packages), spoken commands are understood."""

from __future__ import annotations

import numpy as np
import pytest

from voicecoach.bench.engine_moonshine import MODEL_ENV, find_model
from voicecoach.understand.rejection import understand
from voicecoach.voice import synth

HAVE_MOONSHINE = find_model()[2] is None
needs_moonshine = pytest.mark.skipif(
    not HAVE_MOONSHINE, reason=f"no Moonshine model (moonshine-cpp, or ${MODEL_ENV})"
)
needs_synth = pytest.mark.skipif(
    not {"slt", "rms"} <= set(synth.available_voices()),
    reason="flite and sox are needed to synthesize test speech",
)


def test_a_folder_without_the_model_is_named(tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime")
    monkeypatch.setenv(MODEL_ENV, str(tmp_path))
    path, tokenizer, problem = find_model()
    assert path == tmp_path
    assert tokenizer is None
    assert str(tmp_path) in str(problem)
    (tmp_path / "encoder_model.ort").write_bytes(b"x")
    (tmp_path / "decoder_model_merged.ort").write_bytes(b"x")
    (tmp_path / "tokenizer.json").write_text("{}")
    assert find_model() == (tmp_path, tmp_path / "tokenizer.json", None)


def _dequantizing_graph(q: np.ndarray, scale: float, offset: float):
    """x @ (Cast(q) * scale + offset): the form of the weights in Moonshine's .ort files."""
    from onnx import TensorProto, helper, numpy_helper

    nodes = [
        helper.make_node("Cast", ["q"], ["w_cast"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["w_cast", "scale"], ["w_mul"]),
        helper.make_node("Add", ["w_mul", "offset"], ["w"]),
        helper.make_node("MatMul", ["x", "w"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, q.shape[0]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, q.shape[1]])],
        [
            numpy_helper.from_array(q, "q"),
            numpy_helper.from_array(np.array([scale], np.float32), "scale"),
            numpy_helper.from_array(np.array([offset], np.float32), "offset"),
        ],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_folding_the_dequantization_keeps_the_graphs_answers():
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from voicecoach.bench.moonshine_int8 import _fold_dequantization

    rng = np.random.default_rng(0)
    q = rng.integers(-128, 128, (8, 5)).astype(np.int8)
    model = _dequantizing_graph(q, 0.02, -0.1)
    x = rng.standard_normal((1, 8)).astype(np.float32)

    def run(m) -> np.ndarray:
        session = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
        return session.run(None, {"x": x})[0]

    before = run(model)
    assert _fold_dequantization(model.graph) == 1
    assert [n.op_type for n in model.graph.node] == ["MatMul"]
    np.testing.assert_allclose(run(model), before, rtol=1e-5)
    np.testing.assert_allclose(before, x @ (q.astype(np.float32) * 0.02 - 0.1), rtol=1e-5)


@pytest.fixture(scope="module")
def moonshine():
    from voicecoach.bench.engine_moonshine import MoonshineRecognizer

    return MoonshineRecognizer()


@pytest.mark.slow
@needs_moonshine
@needs_synth
@pytest.mark.parametrize(
    ("text", "voice", "intent"),
    [("pause", "slt", "pause"), ("it hurts", "rms", "pain"), ("next", "slt", "next")],
)
def test_moonshine_understands_spoken_commands(moonshine, matcher, text, voice, intent):
    t = moonshine.transcribe(synth.synthesize(text, voice, seed=5))
    assert t.engine == "moonshine"
    assert understand(t, matcher, thresholds=moonshine.thresholds).intent == intent, t.text
    assert 0.0 < t.confidence <= 1.0
    assert t.verify is not None
    said, other = t.verify([text, "i've fallen"])
    assert said > other


@needs_moonshine
def test_moonshine_hears_nothing_in_silence(moonshine):
    assert moonshine.transcribe(synth.silence(2.0)).text == ""
