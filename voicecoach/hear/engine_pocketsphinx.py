"""PocketSphinx: the built-in recognizer (its wheel carries a US-English acoustic model).

At start-up a trigram language model and a pronunciation dictionary are generated from
the intent phrases (voicecoach.hear.vocab), so the decoder only knows the coach's words.  An
n-gram model rather than a strict JSGF grammar: a grammar turns about half of ordinary
sentences into a command, while an n-gram decode of a non-command comes out as a broken
word salad with low posterior confidence, which the matcher and the rejection layers
refuse.  Word and utterance confidences are lattice posteriors.  Audio goes through the
streaming denoiser first (voicecoach.hear.denoise), for files and the live stream alike:
PocketSphinx's acoustic model was trained on clean speech and suffers badly in steady noise.
"""

from __future__ import annotations

import logging
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from voicecoach.hear.denoise import Denoiser
from voicecoach.hear.recognizer import DecodingStream, Transcript
from voicecoach.hear.vocab import PhraseSource, write_pocketsphinx_files

log = logging.getLogger(__name__)

#: Decoder settings that differ from PocketSphinx's defaults, and why.
DEFAULT_CONFIG: dict[str, Any] = {
    "loglevel": "FATAL",  # its INFO chatter would drown ours
    # Posterior confidences: the default acoustic scale (20) makes every lattice posterior
    # 1.0; at 5 a clean command scores ~0.9 and word salad from ordinary talk ~0.01-0.3.
    "ascale": 5.0,
}

#: How many next-best readings a transcript carries.  Measured on the bench corpus: the top
#: three, used only when the best reading means nothing, add 1-4 points in noise for 0.7
#: points of false accepts; five took false accepts to 3% (docs/asr.md).
ALTERNATIVES = 3

_NOT_A_WORD = re.compile(r"^(<s>|</s>|<sil>|\[.*\]|\(null\)|<.*>)$", re.IGNORECASE)
_VARIANT = re.compile(r"\(\d+\)$")


def _word(raw: str) -> str | None:
    """A decoder token as the word it spells ("next(2)" -> "next"); None for silence,
    fillers and sentence marks."""
    return None if _NOT_A_WORD.match(raw) else _VARIANT.sub("", raw).lower()


def model_dir() -> Path:
    from pocketsphinx import get_model_path

    return Path(get_model_path()) / "en-us"


class PocketSphinxRecognizer:
    """Recognizer over PocketSphinx with a language model made from the phrases."""

    name = "pocketsphinx"

    def __init__(self, phrases: PhraseSource, *, denoise: bool = True, **config: Any):
        from pocketsphinx import Decoder

        started = time.perf_counter()
        base = model_dir()
        settings = {**DEFAULT_CONFIG, **config}
        with tempfile.TemporaryDirectory(prefix="voicecoach-ps-") as tmp:
            lm, dic, self.unpronounceable = write_pocketsphinx_files(
                phrases, Path(tmp), base / "cmudict-en-us.dict"
            )
            self._decoder = Decoder(hmm=str(base / "en-us"), lm=str(lm), dict=str(dic), **settings)
        self.denoise = denoise
        self._fed = 0
        self.load_seconds = time.perf_counter() - started
        log.debug("PocketSphinx ready in %.2f s", self.load_seconds)

    @staticmethod
    def _posterior(prob: float) -> float:
        # The Python API already turns the lattice's log posteriors into probabilities.
        return max(0.0, min(1.0, float(prob)))

    def transcribe(self, pcm: bytes) -> Transcript:
        """One whole utterance, decoded in one go (a file: no need to wait for speech)."""
        d = self._decoder
        if self.denoise:
            # The live stream's denoiser, so a file is heard as the microphone would be.
            denoiser = Denoiser()
            pcm = denoiser.process(pcm) + denoiser.flush()
        # A file is heard on its own: the front end's noise estimate (remove_noise) learnt
        # from earlier utterances would make the same file come out differently after them.
        d.reinit_feat()
        d.start_utt()
        if pcm:
            d.process_raw(pcm, full_utt=True)
        d.end_utt()
        return self._result(len(pcm) / 32000)

    # IncrementalDecoder: the live path, decoding while the person speaks.
    def begin(self) -> None:
        self._decoder.start_utt()
        self._fed = 0

    def accept(self, pcm: bytes) -> None:
        if pcm:
            self._decoder.process_raw(pcm, no_search=False, full_utt=False)
            self._fed += len(pcm)

    def finish(self) -> Transcript:
        self._decoder.end_utt()
        return self._result(self._fed / 32000)

    def abandon(self) -> None:
        self._decoder.end_utt()

    def peek(self) -> Transcript:
        """The best reading so far of the utterance in progress (it stays open)."""
        hyp = self._decoder.hyp()
        words = [w for w in map(_word, hyp.hypstr.split() if hyp is not None else []) if w]
        if hyp is None or not words:
            return Transcript("", 0.0, (), 0.0, self._fed / 32000, self.name)
        # Mid-utterance there is no lattice posterior yet: the reading counts as unsure,
        # and only the layered rejection's exact-phrase path can accept it.
        confidence = self._posterior(hyp.prob)
        return Transcript(
            " ".join(words),
            confidence,
            tuple((w, confidence) for w in words),
            0.0,
            self._fed / 32000,
            self.name,
        )

    def _result(self, seconds: float) -> Transcript:
        """The transcript of the utterance the decoder has just ended."""
        d = self._decoder
        hyp = d.hyp()
        if hyp is None or not hyp.hypstr.strip():
            return Transcript("", 0.0, (), 0.0, seconds, self.name)
        frame_rate = 100.0  # PocketSphinx's default 10 ms frames
        words: list[tuple[str, float]] = []
        start = end = None
        for seg in d.seg():
            word = _word(seg.word)
            if word is None:
                continue
            words.append((word, self._posterior(seg.prob)))
            start = seg.start_frame / frame_rate if start is None else start
            end = (seg.end_frame + 1) / frame_rate
        text = " ".join(w for w, _ in words)
        return Transcript(
            text,
            self._posterior(hyp.prob),
            tuple(words),
            start or 0.0,
            end if end is not None else seconds,
            self.name,
            self._alternatives(text),
        )

    def _alternatives(self, best: str, wanted: int = ALTERNATIVES) -> tuple[str, ...]:
        """Distinct next-best readings from the lattice (understand() falls back on them)."""
        out: list[str] = []
        for k, h in enumerate(self._decoder.nbest()):
            if h is None or k >= 4 * wanted or len(out) >= wanted:  # the iterator ends in None
                break
            text = " ".join(w for w in map(_word, h.hypstr.split()) if w is not None)
            if text and text != best and text not in out:
                out.append(text)
        return tuple(out)

    def stream(
        self, end_silence: float = 0.8, early_silence: float | None = None
    ) -> DecodingStream:
        """Live audio, decoded while the person speaks; the streaming denoiser in front
        follows the room's noise from the silence before and between utterances."""
        return DecodingStream(
            self,
            end_silence,
            denoiser=Denoiser() if self.denoise else None,
            early_silence=early_silence,
        )
