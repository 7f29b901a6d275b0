"""Moonshine base (English, ONNX Runtime), measured beside Whisper tiny.en: bench only.

Not one of the coach's engines (voicecoach.hear.engines never opens it): it exists so that
`python -m voicecoach.bench asr --engine moonshine` can hear the same corpus through the
same live stream (streaming denoiser, Silero end of speech) and the same understanding as
Whisper, with only the model changed (docs/benchmarks.md, issue 10 eighth pass).

Where the model comes from: the only English Moonshine weights in a registry package are
base-en in `moonshine-cpp` (PyPI, MIT; `models/base-en/*.ort`, ONNX Runtime's own format,
weights stored 8-bit and dequantized as the graph runs).  That wheel is built for x86-64
only, but the two .ort files are plain data that the `onnxruntime` wheel (which
faster-whisper already brings, aarch64 included) runs.  The SentencePiece tokenizer as
`tokenizer.json` comes from `useful-moonshine-onnx` (MIT; the same 32768-token vocabulary).
$VOICECOACH_MOONSHINE_MODEL names a folder holding all three files; without it, both
packages are looked for.

Decoding: greedy, at most ~6.5 tokens a second of audio (Moonshine's own bound), the text
normalised and repeats collapsed as Whisper's.  Confidence is exp(average token
log-probability), as Whisper's; below MIN_AVG_LOGPROB the words are dropped as doubted,
and Whisper's typical hallucinations as noise.  Moonshine has no no-speech probability and
no prompt.  Verification: `Transcript.verify` scores sentences teacher-forced on the
encoded audio (mean token log-probability, as Whisper's `align`), so the closed-set layers
of voicecoach.understand can run on it (`verification = False` turns that off).
"""

from __future__ import annotations

import importlib.util
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach.hear.engine_whisper import (
    HALLUCINATIONS,
    MIN_AVG_LOGPROB,
    collapse_repeats,
    normalize,
    whisper_denoiser,
)
from voicecoach.hear.recognizer import (
    DecodingStream,
    Doubted,
    RecognizerUnavailable,
    Transcript,
)
from voicecoach.understand.rejection import WHISPER_THRESHOLDS, Thresholds

RATE = 16000
MODEL_ENV = "VOICECOACH_MOONSHINE_MODEL"
MODEL_NAMES = ("encoder_model", "decoder_model_merged")
#: The package's .ort files, or ONNX files made from them by voicecoach.bench.moonshine_int8
#: (preferred when both are there: the .ort graphs dequantize every weight on every run).
SUFFIXES = (".onnx", ".ort")
#: Moonshine base's decoder: layers, key/value heads, head size (its config).
LAYERS, HEADS, HEAD_DIM = 8, 8, 52
START, END = 1, 2
#: Moonshine's own bound on the output: tokens per second of audio.
TOKENS_PER_SECOND = 6.5
#: Sentences per teacher-forced call (memory grows with the batch, as Whisper's align).
SCORE_BATCH = 6
#: Not tuned for Moonshine: its confidence and verification scores are on Whisper's scale
#: (exp of the mean token log-probability; mean teacher-forced log-probability), so the
#: measurement uses Whisper's bars as they are.
MOONSHINE_THRESHOLDS: Thresholds = WHISPER_THRESHOLDS


def _package_file(package: str, *parts: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations)), *parts)
    return path if path.exists() else None


def model_files(path: Path) -> tuple[Path, Path] | None:
    """(encoder, decoder) in `path`, ONNX before .ort, or None."""
    for suffix in SUFFIXES:
        encoder, decoder = (path / (name + suffix) for name in MODEL_NAMES)
        if encoder.is_file() and decoder.is_file():
            return encoder, decoder
    return None


def find_model(path: Path | None = None) -> tuple[Path | None, Path | None, str | None]:
    """(model folder, tokenizer.json, why they cannot be used or None)."""
    if importlib.util.find_spec("onnxruntime") is None:
        return None, None, "onnxruntime is not installed"
    if path is None and os.environ.get(MODEL_ENV):
        path = Path(os.environ[MODEL_ENV])
    path = path or _package_file("moonshine_cpp", "models", "base-en")
    if path is None:
        return None, None, f"no Moonshine model (pip install moonshine-cpp, or set {MODEL_ENV})"
    if model_files(path) is None:
        return path, None, f"no Moonshine encoder and decoder (.onnx or .ort) in {path}"
    tokenizer = path / "tokenizer.json"
    if not tokenizer.is_file():
        tokenizer = _package_file("moonshine_onnx", "assets", "tokenizer.json") or tokenizer
    if not tokenizer.is_file():
        return path, None, "no tokenizer.json (pip install --no-deps useful-moonshine-onnx)"
    return path, tokenizer, None


@dataclass(frozen=True)
class Decoded:
    """One decode (kept as `last` for the bench's records)."""

    raw: str
    text: str
    avg_logprob: float
    words: tuple[tuple[str, float], ...]
    rejected: str = ""
    doubtful: bool = False
    no_speech_prob: float = math.nan
    """Moonshine has none (the bench's records ask for it)."""


def _log_softmax_at(logits: np.ndarray, index: int) -> float:
    top = float(logits.max())
    return float(logits[index]) - top - math.log(float(np.exp(logits - top).sum()))


def _matched(
    words: Sequence[str], spelled: Sequence[tuple[str, float]], otherwise: float
) -> tuple[tuple[str, float], ...]:
    """The final (collapsed) words with the confidences of their first spelling, in order
    (as Whisper's); a word not found gets `otherwise`."""
    out: list[tuple[str, float]] = []
    i = 0
    for word in words:
        while i < len(spelled) and spelled[i][0] != word:
            i += 1
        out.append((word, spelled[i][1] if i < len(spelled) else otherwise))
        i += 1
    return tuple(out)


def _written(sentence: str) -> str:
    """A command as Moonshine writes it: "It hurts." (capital, full stop)."""
    sentence = sentence.strip()
    return sentence[:1].upper() + sentence[1:] + "."


class MoonshineRecognizer:
    """Recognizer over Moonshine base (ONNX Runtime), decoding each utterance when it ends."""

    name = "moonshine"
    thresholds = MOONSHINE_THRESHOLDS

    def __init__(self, model: Path | None = None, *, threads: int = 1, denoise: bool = True):
        path, tokenizer_file, problem = find_model(model)
        files = model_files(path) if path is not None else None
        if problem or files is None or tokenizer_file is None:
            raise RecognizerUnavailable(problem or "no Moonshine model")
        import onnxruntime
        import tokenizers

        started = time.perf_counter()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # The package's .ort graphs turn every weight into float on every run: an arena
        # keeps those copies for good (621 MB after one decode, 367 MB peak without it).
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        providers = ["CPUExecutionProvider"]
        encoder, decoder = files
        self._encoder = onnxruntime.InferenceSession(str(encoder), options, providers=providers)
        self._decoder = onnxruntime.InferenceSession(str(decoder), options, providers=providers)
        self._tokenizer = tokenizers.Tokenizer.from_file(str(tokenizer_file))
        self._spaced = [
            (self._tokenizer.id_to_token(i) or "").startswith("\u2581")
            for i in range(self._tokenizer.get_vocab_size())
        ]
        self.path = path
        self.denoise = denoise
        self.verification = True
        self.vad_options: dict[str, Any] = {}
        self.last: Decoded | None = None
        self._pieces: list[bytes] = []
        self.load_seconds = time.perf_counter() - started

    # -- decoding --

    def _empty_cache(self, batch: int) -> dict[str, np.ndarray]:
        return {
            f"past_key_values.{layer}.{part}.{kv}": np.zeros(
                (batch, HEADS, 0, HEAD_DIM), np.float32
            )
            for layer in range(LAYERS)
            for part in ("decoder", "encoder")
            for kv in ("key", "value")
        }

    def encode(self, pcm: bytes) -> np.ndarray:
        x = np.frombuffer(pcm[: len(pcm) // 2 * 2], "<i2").astype(np.float32) / 32768.0
        return self._encoder.run(None, {"input_values": x[None]})[0]

    def _greedy(self, hidden: np.ndarray, limit: int) -> tuple[list[int], list[float]]:
        cache = self._empty_cache(1)
        tokens: list[int] = []
        logprobs: list[float] = []
        ids = [[START]]
        for step in range(limit):
            logits, *present = self._decoder.run(
                None,
                {
                    "input_ids": np.asarray(ids, np.int64),
                    "encoder_hidden_states": hidden,
                    "use_cache_branch": np.asarray([step > 0]),
                    **cache,
                },
            )
            last = logits[0, -1]
            token = int(last.argmax())
            logprobs.append(_log_softmax_at(last, token))
            if token == END:
                break
            tokens.append(token)
            ids = [[token]]
            # The encoder's keys and values are computed once, on the first step.
            for name, value in zip(list(cache), present, strict=True):
                if step == 0 or ".decoder." in name:
                    cache[name] = value
        return tokens, logprobs

    def _word_confidences(
        self, tokens: Sequence[int], logprobs: Sequence[float]
    ) -> list[tuple[str, float]]:
        """Each word's weakest token probability, words as the tokenizer spells them."""
        groups: list[tuple[list[int], float]] = []
        for token, lp in zip(tokens, logprobs, strict=False):
            p = math.exp(lp)
            if groups and not self._spaced[token]:
                groups[-1] = (groups[-1][0] + [token], min(groups[-1][1], p))
            else:
                groups.append(([token], p))
        return [
            (w, p) for group, p in groups for w in normalize(self._tokenizer.decode(group)).split()
        ]

    def decode(self, pcm: bytes) -> tuple[Decoded, np.ndarray | None]:
        seconds = len(pcm) / (2 * RATE)
        if seconds < 0.1:
            return Decoded("", "", -math.inf, (), "too short"), None
        hidden = self.encode(pcm)
        tokens, logprobs = self._greedy(hidden, int(math.ceil(seconds * TOKENS_PER_SECOND)) + 4)
        avg = sum(logprobs) / len(logprobs) if logprobs else -math.inf
        raw = self._tokenizer.decode(tokens)
        words = collapse_repeats(normalize(raw).split())
        text = " ".join(words)
        kept = _matched(words, self._word_confidences(tokens, logprobs), math.exp(avg))
        rejected, doubtful = "", False
        if text in HALLUCINATIONS:
            rejected = "nothing but a typical hallucination" if text else "empty"
        elif avg < MIN_AVG_LOGPROB:
            rejected, doubtful = f"avg log-prob {avg:.2f} < {MIN_AVG_LOGPROB}", True
        return Decoded(raw, "" if rejected else text, avg, kept, rejected, doubtful), hidden

    # -- closed-set verification --

    def score(self, sentences: Sequence[str], hidden: np.ndarray) -> list[float]:
        """Mean teacher-forced log-probability of each sentence's tokens (as Moonshine
        writes it) on the encoded audio; higher fits better."""
        encoded = [self._tokenizer.encode(_written(s)).ids for s in sentences]
        scores: list[float] = []
        for first in range(0, len(encoded), SCORE_BATCH):
            part = encoded[first : first + SCORE_BATCH]
            width = max(len(ids) for ids in part)
            ids = np.zeros((len(part), width), np.int64)
            for row, tokens in enumerate(part):
                ids[row, : len(tokens)] = tokens  # causal: padding after a row changes nothing
            logits = self._decoder.run(
                None,
                {
                    "input_ids": ids,
                    "encoder_hidden_states": np.repeat(hidden, len(part), axis=0),
                    "use_cache_branch": np.asarray([False]),
                    **self._empty_cache(len(part)),
                },
            )[0]
            for row, tokens in enumerate(part):
                said = [
                    _log_softmax_at(logits[row, i - 1], tokens[i]) for i in range(1, len(tokens))
                ]
                scores.append(sum(said) / len(said) if said else -math.inf)
        return scores

    # -- Recognizer --

    def transcribe(self, pcm: bytes) -> Transcript:
        seconds = len(pcm) / (2 * RATE)
        decoded, hidden = self.decode(pcm)
        self.last = decoded
        verify = None
        if hidden is not None and self.verification:
            verify = lambda sentences: self.score(sentences, hidden)  # noqa: E731
        confidence = max(0.0, min(1.0, math.exp(decoded.avg_logprob)))
        if not decoded.text:
            dropped = " ".join(collapse_repeats(normalize(decoded.raw).split()))
            doubted = Doubted(confidence, decoded.words) if decoded.doubtful else None
            return Transcript(
                "",
                0.0,
                (),
                0.0,
                seconds,
                self.name,
                verify=verify,
                dropped=dropped,
                doubted=doubted,
            )
        return Transcript(
            decoded.text, confidence, decoded.words, 0.0, seconds, self.name, verify=verify
        )

    def begin(self) -> None:
        self._pieces = []

    def accept(self, pcm: bytes) -> None:
        self._pieces.append(pcm)

    def finish(self) -> Transcript:
        pcm, self._pieces = b"".join(self._pieces), []
        return self.transcribe(pcm)

    def abandon(self) -> None:
        self._pieces = []

    def peek(self) -> Transcript:
        return self.transcribe(b"".join(self._pieces))

    def stream(
        self, end_silence: float = 0.8, early_silence: float | None = None
    ) -> DecodingStream:
        """The same live path as Whisper's: denoiser, Silero end of speech, decode at the end."""
        from voicecoach.hear.vad import SileroEndpointer

        return DecodingStream(
            self,
            end_silence,
            denoiser=whisper_denoiser() if self.denoise else None,
            endpointer=SileroEndpointer,
            early_silence=early_silence,
            **self.vad_options,
        )
