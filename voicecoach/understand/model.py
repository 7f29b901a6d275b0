"""A small linear model over word and character n-grams: sentence -> intent probabilities.

Multinomial logistic regression, trained with numpy alone on sentences generated from the
templates in `intents/` plus the not-a-command sentences of `intents/en_none.toml`, so it
has a real `none` class: "the next bus is at four" is not `next` because sentences like
it were shown as `none`.  Word unigrams and bigrams carry meaning and order ("do not
stop" against "stop"); character n-grams inside words carry spelling kinship ("stretchy",
"stretching"), which helps with words no template has.

Features are hashed (crc32, stable across runs) into a fixed table, so the model is one
float32 matrix and a bias vector: no vocabulary to store.  Training is deterministic
(fixed seed, fixed order) and takes a few seconds; the result is cached under the user's
cache directory keyed by a hash of the data and of this module's settings.
"""

from __future__ import annotations

import logging
import os
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicecoach.hear.cache import cache_dir, mark_used, prune

log = logging.getLogger(__name__)

#: Hashed feature table size: 2**16 rows of float32 per class (~9 MB for 36 classes).
BITS = 16
EPOCHS = 12
BATCH = 256
LEARNING_RATE = 0.5
L2 = 1e-6
SEED = 7
#: Negating words (after contractions are expanded) and how many words after them they turn.
NEGATORS = frozenset({"not", "cannot", "never", "no", "nothing", "without", "nobody", "nor"})
NEGATION_SCOPE = 3
CLAUSE_BREAKS = frozenset({"but", "and", "so", "because"})
#: Changing anything above changes the model: part of the cache key.
VERSION = f"v1-{BITS}-{EPOCHS}-{BATCH}-{LEARNING_RATE}-{L2}-{SEED}-neg{NEGATION_SCOPE}"
_MASK = (1 << BITS) - 1


def features(sentence: str) -> np.ndarray:
    """Hashed feature ids of a normalised sentence (placeholders like {exercise} are words)."""
    words = sentence.split()
    grams = [f"w {w}" for w in words]
    padded = ["<s>", *words, "</s>"]
    grams += [f"b {a} {b}" for a, b in zip(padded, padded[1:], strict=False)]
    grams += [f"t {a} {b} {c}" for a, b, c in zip(padded, padded[1:], padded[2:], strict=False)]
    # Words in a negation's scope also count as negated words: "do not go any slower" shares
    # "n slower" with "no need to slow down" (not a command), not with "slower please".
    grams += [f"n {w}" for w in negated(words)]
    for word in words:
        if word.startswith("{"):
            continue
        marked = f"<{word}>"
        for n in (3, 4, 5):
            grams += [f"c {marked[i : i + n]}" for i in range(len(marked) - n + 1)]
    return np.fromiter(
        (zlib.crc32(g.encode()) & _MASK for g in grams), dtype=np.int64, count=len(grams)
    )


def negated(words: Sequence[str]) -> list[str]:
    """The words within NEGATION_SCOPE after a negating word, up to a clause break."""
    out: list[str] = []
    left = 0
    for word in words:
        if word in NEGATORS:
            left = NEGATION_SCOPE
        elif word in CLAUSE_BREAKS:
            left = 0
        elif left:
            out.append(word)
            left -= 1
    return out


@dataclass(frozen=True)
class Model:
    """Learned weights: probabilities for each class of `classes`."""

    classes: tuple[str, ...]
    weights: np.ndarray
    """(2**BITS, classes) float32."""
    bias: np.ndarray

    def probabilities(self, sentence: str) -> np.ndarray:
        ids = features(sentence)
        if not len(ids):
            scores = self.bias.copy()
        else:
            scores = self.weights[ids].sum(axis=0) / np.sqrt(len(ids)) + self.bias
        scores = scores - scores.max()
        exp = np.exp(scores)
        probabilities: np.ndarray = exp / exp.sum()
        return probabilities

    @property
    def nbytes(self) -> int:
        return int(self.weights.nbytes + self.bias.nbytes)


def train(samples: Sequence[tuple[str, str]], classes: Sequence[str]) -> Model:
    """Softmax regression by mini-batch gradient descent (Adagrad), deterministic."""
    index = {c: i for i, c in enumerate(classes)}
    rows = [features(s) for s, _ in samples]
    labels = np.array([index[c] for _, c in samples], dtype=np.int64)
    # Every class weighs the same in total, whatever its number of sentences.
    counts = np.bincount(labels, minlength=len(classes)).astype(np.float32)
    class_weight = (len(labels) / (len(classes) * np.maximum(counts, 1))).astype(np.float32)
    weights = np.zeros((1 << BITS, len(classes)), dtype=np.float32)
    bias = np.zeros(len(classes), dtype=np.float32)
    g2w = np.full_like(weights, 1e-8)
    g2b = np.full_like(bias, 1e-8)
    rng = np.random.default_rng(SEED)
    for _ in range(EPOCHS):
        order = rng.permutation(len(rows))
        for start in range(0, len(order), BATCH):
            batch = order[start : start + BATCH]
            ids = [rows[i] for i in batch]
            lengths = np.array([len(r) for r in ids])
            flat = np.concatenate(ids)
            scale = np.repeat(1.0 / np.sqrt(lengths), lengths)
            owner = np.repeat(np.arange(len(batch)), lengths)
            # The batch as a small dense matrix over the features it uses: BLAS does the rest.
            unique, inverse = np.unique(flat, return_inverse=True)
            dense = np.bincount(
                owner * len(unique) + inverse, weights=scale, minlength=len(batch) * len(unique)
            )
            x = dense.reshape(len(batch), len(unique)).astype(np.float32)
            scores = x @ weights[unique] + bias
            scores -= scores.max(axis=1, keepdims=True)
            prob = np.exp(scores)
            prob /= prob.sum(axis=1, keepdims=True)
            prob[np.arange(len(batch)), labels[batch]] -= 1.0
            prob *= class_weight[labels[batch]][:, None] / len(batch)
            grad = x.T @ prob + L2 * weights[unique]
            g2w[unique] += grad * grad
            weights[unique] -= LEARNING_RATE * grad / np.sqrt(g2w[unique])
            gb = prob.sum(axis=0)
            g2b += gb * gb
            bias -= LEARNING_RATE * gb / np.sqrt(g2b)
    return Model(tuple(classes), weights, bias)


def load_or_train(
    key: str,
    samples_fn: Callable[[], Sequence[tuple[str, str]]],
    classes: Sequence[str],
    directory: Path | None = None,
) -> Model:
    """The model for `key` from the cache, or trained now (and cached if we can write)."""
    path = (directory or cache_dir()) / f"intent-model-{key[:24]}-{VERSION}.npz"
    try:
        with np.load(path) as saved:
            if tuple(saved["classes"]) == tuple(classes):
                mark_used(path)
                return Model(tuple(classes), saved["weights"], saved["bias"])
    except (OSError, KeyError, ValueError):
        pass
    model = train(samples_fn(), classes)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, classes=np.array(model.classes), weights=model.weights, bias=model.bias)
        os.replace(tmp, path)
        prune(path.parent, "intent-model-*.npz", path)
    except OSError as err:  # a read-only home still works, it just trains each time
        log.info("intent model not cached (%s)", err)
    return model
