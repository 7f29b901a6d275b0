"""The int8 copy of the Whisper model: CTranslate2's own format and quantization, made once
in the cache, checked on every use, made again when damaged, and never in the way."""

from __future__ import annotations

import json

import numpy as np
import pytest

from voicecoach.hear import whisper_int8
from voicecoach.hear.whisper_int8 import (
    STORED_COPY,
    STORED_INT8,
    STORED_NEW,
    ModelFile,
    ModelFileError,
    copy_problem,
    int8_folder,
    int8_model,
    quantized,
    read_model,
    write_model,
)


def small_model(rng: np.random.Generator) -> ModelFile:
    """A model.bin with the shapes of kinds Whisper has: a convolution, linear layers, an
    embedding table shared with the output projection, a layer norm, scalars."""
    f16 = np.float16
    variables = [
        ("decoder/embeddings/weight", (rng.standard_normal((50, 8)) * 0.1).astype(f16)),
        ("decoder/layer_0/ffn/linear_0/bias", rng.standard_normal(16).astype(f16)),
        ("decoder/layer_0/ffn/linear_0/weight", rng.standard_normal((16, 8)).astype(f16)),
        ("decoder/layer_norm/gamma", np.ones(8, f16)),
        ("decoder/num_heads", np.array(2, np.int8)),
        ("encoder/conv1/weight", rng.standard_normal((8, 4, 3)).astype(f16)),
        ("encoder/position_encodings/encodings", rng.standard_normal((6, 8)).astype(f16)),
    ]
    variables[2][1][3] = 0  # a row of zeros keeps a finite scale
    return ModelFile(
        "WhisperSpec", 3, variables, [("decoder/projection/weight", "decoder/embeddings/weight")]
    )


@pytest.fixture
def source(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    write_model(folder / "model.bin", small_model(np.random.default_rng(1)))
    (folder / "config.json").write_text('{"suppress_ids": []}')
    (folder / "tokenizer.json").write_text("{}")
    return folder


def test_a_model_file_reads_back_as_written(tmp_path):
    model = small_model(np.random.default_rng(0))
    write_model(tmp_path / "model.bin", model)
    again = read_model(tmp_path / "model.bin")
    assert (again.name, again.revision, again.aliases) == (
        model.name, model.revision, model.aliases,
    )  # fmt: skip
    assert [k for k, _ in again.variables] == [k for k, _ in model.variables]
    for (_, a), (_, b) in zip(again.variables, model.variables, strict=True):
        assert (a.dtype, a.shape) == (b.dtype, b.shape)
        assert np.array_equal(a, b)
    write_model(tmp_path / "again.bin", again)
    assert (tmp_path / "again.bin").read_bytes() == (tmp_path / "model.bin").read_bytes()


def test_a_damaged_model_file_is_refused_with_the_reason(tmp_path):
    write_model(tmp_path / "model.bin", small_model(np.random.default_rng(0)))
    data = (tmp_path / "model.bin").read_bytes()
    (tmp_path / "short.bin").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="ends early"):
        read_model(tmp_path / "short.bin")
    (tmp_path / "old.bin").write_bytes(b"\x05\x00\x00\x00" + data[4:])
    with pytest.raises(ModelFileError, match="binary version 5"):
        read_model(tmp_path / "old.bin")


def test_weights_are_quantized_exactly_as_ctranslate2s_converter_does():
    specs = pytest.importorskip("ctranslate2.specs")
    model = quantized(small_model(np.random.default_rng(2)))
    got = dict(model.variables)
    original = dict(small_model(np.random.default_rng(2)).variables)
    for name, spec in (
        ("decoder/layer_0/ffn/linear_0", specs.common_spec.LinearSpec()),
        ("decoder/embeddings", specs.common_spec.EmbeddingsSpec()),
    ):
        spec.weight = original[f"{name}/weight"]
        if hasattr(spec, "bias"):
            spec.bias = np.zeros(spec.weight.shape[0], np.float16)
        spec.validate()
        spec.optimize("int8")
        assert got[f"{name}/weight"].dtype == np.int8
        assert np.array_equal(got[f"{name}/weight"], spec.weight.numpy()), name
        assert np.array_equal(got[f"{name}/weight_scale"], spec.weight_scale.numpy()), name
    # Everything else is kept as it was, convolution kernels included (CTranslate2's x86-64
    # build keeps them float while loading the float16 file); the alias too.
    assert "encoder/conv1/weight_scale" not in got
    assert np.array_equal(got["encoder/conv1/weight"], original["encoder/conv1/weight"])
    assert got["encoder/conv1/weight"].dtype == np.float16
    assert got["decoder/layer_norm/gamma"].dtype == np.float16
    assert got["decoder/layer_0/ffn/linear_0/bias"].dtype == np.float16
    assert model.aliases == [("decoder/projection/weight", "decoder/embeddings/weight")]


def test_the_copy_is_made_once_then_reused(source, tmp_path):
    cache = tmp_path / "cache"
    folder, stored = int8_model(source, cache)
    assert (folder, stored) == (int8_folder(source, cache), STORED_NEW)
    assert {p.name for p in folder.iterdir()} >= {"model.bin", "config.json", "tokenizer.json"}
    made = (folder / "model.bin").stat().st_mtime_ns
    assert int8_model(source, cache) == (folder, STORED_COPY)
    assert (folder / "model.bin").stat().st_mtime_ns == made
    weights = dict(read_model(folder / "model.bin").variables)
    assert weights["decoder/layer_0/ffn/linear_0/weight"].dtype == np.int8
    assert weights["encoder/conv1/weight"].dtype == np.float16
    # An int8 model (the copy itself) is loaded as it is, with no copy.
    assert int8_model(folder, tmp_path / "other") == (folder, STORED_INT8)
    assert not (tmp_path / "other").exists()


def test_a_damaged_or_stale_copy_is_made_again(source, tmp_path):
    cache = tmp_path / "cache"
    folder, _ = int8_model(source, cache)
    model = folder / "model.bin"
    data = bytearray(model.read_bytes())
    data[-40] ^= 0xFF  # one flipped byte: same size, wrong checksum
    model.write_bytes(bytes(data))
    assert copy_problem(source, folder) == "model.bin fails its checksum"
    assert int8_model(source, cache) == (folder, STORED_NEW)
    assert copy_problem(source, folder) is None
    model.write_bytes(model.read_bytes()[:100])
    assert copy_problem(source, folder) == "model.bin has the wrong size"
    assert int8_model(source, cache)[1] == STORED_NEW
    # The model it was made from is replaced (a reinstall): the copy is stale.
    write_model(source / "model.bin", small_model(np.random.default_rng(9)))
    assert copy_problem(source, folder) == "made from another model"
    assert int8_model(source, cache)[1] == STORED_NEW
    stamp = json.loads((folder / "int8.json").read_text())
    assert stamp["made_from"]["size"] == (source / "model.bin").stat().st_size


def test_without_a_writable_cache_the_float16_model_is_loaded_and_the_reason_logged(
    source, tmp_path, caplog
):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    folder, stored = int8_model(source, blocked)
    assert folder == source
    assert stored.startswith("float16, made int8 while loading (no int8 copy:")
    assert "No int8 copy of the Whisper model" in caplog.text


def test_the_child_that_makes_the_copy_says_why_it_could_not(tmp_path, capsys):
    (tmp_path / "model.bin").write_bytes(b"\x06\x00\x00\x00")
    assert whisper_int8.main([str(tmp_path), str(tmp_path / "out")]) == 1
    assert "cannot make the int8 copy" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert whisper_int8.main([]) == 2
