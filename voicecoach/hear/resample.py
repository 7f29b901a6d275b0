"""The one resampler: microphones and WAV files into 16 kHz, speech and tones to the speaker.

A streaming windowed-sinc resampler, low-passed against aliasing.  Each output sample is
computed at its exact rational position in the input, so chunk boundaries do not matter:
feeding a signal in pieces gives the same samples as feeding it whole.  Between two rates
whose ratio is p/q in lowest terms there are only q distinct positions between input
samples, so the filter taps for each are computed once (a polyphase table) rather than for
every output sample: resampling a second of speech for the speaker takes milliseconds.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

Samples = npt.NDArray[np.float64]

HALF_WIDTH = 16
"""Filter half-length in output-rate samples (or input-rate when upsampling)."""
MAX_PHASES = 4096
"""Rate pairs needing more distinct positions than this compute the taps per sample."""


def _kernel(d: Samples, cutoff: float, w: int) -> Samples:
    """The low-pass sinc, Hann-windowed over +-w input samples, at distances `d`."""
    window = 0.5 + 0.5 * np.cos(np.pi * np.clip(d / w, -1.0, 1.0))
    return np.asarray(2 * cutoff * np.sinc(2 * cutoff * d) * window, dtype=np.float64)


@lru_cache(maxsize=16)
def _phase_table(src: int, dst: int, cutoff: float, w: int) -> Samples:
    """Taps for every position between input samples: row k is position k/dst."""
    offsets = np.arange(-w + 1, w + 1)
    frac = np.arange(dst) / dst
    table = _kernel(frac[:, None] - offsets[None, :], cutoff, w)
    table.setflags(write=False)
    return table


class Resampler:
    """Streaming resampler of mono float samples from `src` Hz to `dst` Hz."""

    def __init__(self, src: int, dst: int, half_width: int = HALF_WIDTH) -> None:
        g = math.gcd(src, dst)
        self.src, self.dst = src // g, dst // g
        scale = min(1.0, dst / src)
        self._cutoff = 0.5 * scale * 0.94  # cycles per input sample, a little under Nyquist
        self._w = int(math.ceil(half_width / scale))  # input samples each side
        self._offsets = np.arange(-self._w + 1, self._w + 1)
        self._table = (
            _phase_table(self.src, self.dst, self._cutoff, self._w)
            if self.dst <= MAX_PHASES
            else None
        )
        self._buf: Samples = np.zeros(self._w, dtype=np.float64)  # left context is silence
        self._base = -self._w  # absolute input index of _buf[0]
        self._n = 0  # next output sample
        self._total_in = 0

    def _emit(self, last_n: int) -> Samples:
        """Output samples self._n .. last_n - 1 (their input is all in the buffer)."""
        count = last_n - self._n
        if count <= 0:
            return np.zeros(0)
        table = self._table
        out = self._direct(last_n) if table is None else self._polyphase(count, table)
        self._n = last_n
        keep_from = int((self._n * self.src) // self.dst) - self._w + 1 - self._base
        if keep_from > 0:
            self._buf = self._buf[keep_from:]
            self._base += keep_from
        return out

    def _polyphase(self, count: int, table: Samples) -> Samples:
        # Outputs dst apart sit exactly src inputs apart at the same position between
        # samples: one matrix product per position over a strided view of the input.
        windows = sliding_window_view(self._buf, 2 * self._w)
        out = np.empty(count)
        for k in range(min(self.dst, count)):
            n = self._n + k
            rows = (count - k + self.dst - 1) // self.dst
            first = (n * self.src) // self.dst - self._w + 1 - self._base
            taps = windows[first : first + self.src * (rows - 1) + 1 : self.src]
            out[k :: self.dst] = taps @ table[n * self.src % self.dst]
        return out

    def _direct(self, last_n: int) -> Samples:
        # Rate pairs with too many positions for a table: the taps of every sample.
        n = np.arange(self._n, last_n, dtype=np.int64)
        idx = (n * self.src) // self.dst
        pos = idx[:, None] + self._offsets[None, :] - self._base
        d = ((n * self.src % self.dst) / self.dst)[:, None] - self._offsets[None, :]
        return np.asarray(np.sum(self._buf[pos] * _kernel(d, self._cutoff, self._w), axis=1))

    def process(self, x: npt.ArrayLike) -> Samples:
        """Feed input samples; returns the output samples that are now fully determined."""
        x = np.asarray(x, dtype=np.float64)
        self._buf = np.concatenate([self._buf, x])
        self._total_in += len(x)
        available = self._base + len(self._buf)  # input indices < available are known
        # Output n needs input up to idx(n) + w.
        last_n = max(self._n, ((available - self._w) * self.dst) // self.src + 1)
        last_n = min(last_n, self._expected_out())
        while last_n > self._n and ((last_n - 1) * self.src) // self.dst + self._w >= available:
            last_n -= 1
        return self._emit(last_n)

    def _expected_out(self) -> int:
        return (self._total_in * self.dst + self.src - 1) // self.src

    def flush(self) -> Samples:
        """The rest of the output, as if the input were followed by silence."""
        self._buf = np.concatenate([self._buf, np.zeros(self._w + 1)])
        return self._emit(self._expected_out())


BLOCK = 16384
"""Input samples fed at a time by `resample`, so memory stays small for long signals."""


def resample(x: npt.ArrayLike, src: int, dst: int) -> Samples:
    """A whole mono float signal from `src` Hz to `dst` Hz (ceil(len * dst / src) samples)."""
    x = np.asarray(x, dtype=np.float64)
    if src == dst:
        return x
    r = Resampler(src, dst)
    pieces = [r.process(x[i : i + BLOCK]) for i in range(0, len(x), BLOCK)]
    return np.concatenate([*pieces, r.flush()])


def to_int16(x: npt.ArrayLike) -> bytes:
    """Float samples in [-1, 1] as int16 little-endian PCM (clipped)."""
    return np.clip(np.round(np.asarray(x) * 32768.0), -32768, 32767).astype("<i2").tobytes()
