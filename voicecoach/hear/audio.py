"""Audio input: frames with timestamps, WAV files, the microphone, and device listing.

Everything the recognizers see is 16 kHz mono signed 16-bit little-endian PCM.  WAV files
of any rate, width (8/16/24/32-bit integer, 32/64-bit float) and channel count are
converted on reading; a microphone that only offers 44.1 or 48 kHz is resampled on the
fly.  Time comes from the audio (samples counted), never from the wall clock.

The microphone is sounddevice's RawInputStream; its callback runs on PortAudio's thread
and only queues bytes, so nothing slow ever happens there.
"""

from __future__ import annotations

import io
import queue
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from voicecoach.hear.resample import Resampler, resample, to_int16

RATE = 16000
WIDTH = 2

_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE


@dataclass(frozen=True)
class AudioChunk:
    """A piece of 16-bit mono audio and where it starts on its source's timeline."""

    audio: bytes
    """int16 little-endian mono samples."""
    rate: int = RATE
    timestamp: float = 0.0
    """Seconds since the start of the source (file: from the audio; mic: since stream start)."""

    @property
    def seconds(self) -> float:
        return len(self.audio) / (WIDTH * self.rate)

    @property
    def end(self) -> float:
        return self.timestamp + self.seconds


class AudioSource(Protocol):
    """Where timed audio comes from (a WAV file, a microphone): iterate, then close."""

    def __iter__(self) -> Iterator[AudioChunk]: ...

    def close(self) -> None:
        """Stop reading; an iteration in progress ends."""
        ...


# --- WAV reading ----------------------------------------------------------------------------


def _chunks_of_riff(data: bytes) -> dict[bytes, bytes]:
    if len(data) < 12 or data[:4] not in (b"RIFF", b"RIFX") or data[8:12] != b"WAVE":
        raise ValueError("not a WAV file (no RIFF/WAVE header)")
    if data[:4] == b"RIFX":
        raise ValueError("big-endian WAV (RIFX) is not supported; convert it with sox first")
    chunks: dict[bytes, bytes] = {}
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = data[pos + 8 : pos + 8 + size]
        chunks.setdefault(cid, body)
        pos += 8 + size + (size & 1)
    return chunks


@dataclass(frozen=True)
class WavFormat:
    """What a WAV's 'fmt ' chunk says."""

    tag: int
    channels: int
    rate: int
    width: int
    """Bytes per sample."""
    bits: int


def _parse_fmt(fmt: bytes) -> WavFormat:
    if len(fmt) < 16:
        raise ValueError("WAV 'fmt ' chunk is too short")
    tag, channels, rate, _, _block, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == _EXTENSIBLE and len(fmt) >= 26:
        tag = struct.unpack("<H", fmt[24:26])[0]
    if channels < 1 or rate < 1000 or bits == 0:
        raise ValueError(f"WAV header makes no sense ({channels} channels, {rate} Hz, {bits} bits)")
    width = (bits + 7) // 8
    if not ((tag == _PCM and width in (1, 2, 3, 4)) or (tag == _FLOAT and width in (4, 8))):
        raise ValueError(
            f"unsupported WAV encoding (format tag {tag}, {bits} bits); "
            "use PCM 8/16/24/32-bit or float 32/64-bit"
        )
    return WavFormat(tag, channels, rate, width, bits)


def _samples(raw: bytes, f: WavFormat):  # -> np.ndarray (frames, channels), float in [-1, 1]
    """Whole frames of raw WAV data as floats; 8-bit WAV is unsigned, the rest signed."""
    import numpy as np

    raw = raw[: len(raw) // (f.width * f.channels) * f.width * f.channels]
    if f.tag == _PCM and f.width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float64) - 128.0) / 128.0
    elif f.tag == _PCM and f.width in (2, 4):
        x = np.frombuffer(raw, f"<i{f.width}").astype(np.float64) / float(2 ** (8 * f.width - 1))
    elif f.tag == _PCM:  # 24-bit
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = np.where(v >= 1 << 23, v - (1 << 24), v).astype(np.float64) / float(1 << 23)
    else:
        x = np.nan_to_num(np.frombuffer(raw, f"<f{f.width}").astype(np.float64))
        x = np.clip(x, -1.0, 1.0)
    return x.reshape(-1, f.channels)


def decode_wav(data: bytes):  # -> tuple[np.ndarray, int]
    """WAV bytes -> (float samples in [-1, 1], shape (frames, channels); sample rate)."""
    chunks = _chunks_of_riff(data)
    if b"fmt " not in chunks or b"data" not in chunks:
        raise ValueError("WAV file has no 'fmt ' or 'data' chunk")
    f = _parse_fmt(chunks[b"fmt "])
    return _samples(chunks[b"data"], f), f.rate


class WavStream:
    """A WAV file read a block at a time as timed 16 kHz chunks: memory stays flat however
    long the recording.  The header is checked on opening (ValueError in plain words)."""

    def __init__(self, path: str | Path, chunk_seconds: float = 0.1, block_seconds: float = 2.0):
        self.path = Path(path)
        self.chunk_seconds = chunk_seconds
        try:
            self._file = self.path.open("rb")
        except OSError as e:
            raise ValueError(f"cannot read {path}: {e.strerror or e}") from e
        try:
            self.format, self._data_left = self._header()
        except BaseException:
            self._file.close()
            raise
        self._block = max(1, int(block_seconds * self.format.rate))

    def _header(self) -> tuple[WavFormat, int]:
        head = self._file.read(12)
        _chunks_of_riff(head)  # checks RIFF/WAVE (no chunks read yet)
        fmt: WavFormat | None = None
        while True:
            h = self._file.read(8)
            if len(h) < 8:
                raise ValueError("WAV file has no 'fmt ' or 'data' chunk")
            cid, size = h[:4], struct.unpack("<I", h[4:])[0]
            if cid == b"fmt ":
                fmt = _parse_fmt(self._file.read(size + (size & 1)))
            elif cid == b"data":
                if fmt is None:
                    raise ValueError("WAV file has its 'data' before its 'fmt ' chunk")
                # 0 or 0xFFFFFFFF: written while recording, size unknown; read to the end.
                return fmt, (1 << 62) if size in (0, 0xFFFFFFFF) else size
            else:
                self._file.seek(size + (size & 1), 1)

    def __iter__(self) -> Iterator[AudioChunk]:
        f = self.format
        frame_bytes = f.width * f.channels
        resampler = Resampler(f.rate, RATE) if f.rate != RATE else None
        pending = b""
        t = 0.0
        step = max(1, int(round(self.chunk_seconds * RATE))) * WIDTH
        try:
            while self._data_left > 0:
                raw = self._file.read(min(self._block * frame_bytes, self._data_left))
                if not raw:
                    break
                self._data_left -= len(raw)
                pending += self._convert(raw, resampler)
                while len(pending) >= step:
                    yield AudioChunk(pending[:step], RATE, t)
                    t += step / (WIDTH * RATE)
                    pending = pending[step:]
            if resampler is not None:
                pending += to_int16(resampler.flush())
            for pos in range(0, len(pending), step):
                yield AudioChunk(pending[pos : pos + step], RATE, t)
                t += len(pending[pos : pos + step]) / (WIDTH * RATE)
        finally:
            self.close()

    def _convert(self, raw: bytes, resampler: Resampler | None) -> bytes:
        x = _samples(raw, self.format)
        mono = x.mean(axis=1) if x.shape[1] > 1 else x[:, 0]
        if resampler is not None:
            mono = resampler.process(mono)
        return to_int16(mono)

    def close(self) -> None:
        self._file.close()


def read_wav(path: str | Path | bytes) -> bytes:
    """A WAV file (path or bytes) as 16 kHz mono int16 PCM, whatever its format.

    Raises ValueError with a plain reason for anything that is not a readable WAV.
    """
    if isinstance(path, bytes | bytearray):
        data = bytes(path)
    else:
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise ValueError(f"cannot read {path}: {e.strerror or e}") from e
    x, rate = decode_wav(data)
    mono = x.mean(axis=1) if x.shape[1] > 1 else x[:, 0]
    if rate != RATE:
        mono = resample(mono, rate, RATE)
    return to_int16(mono)


def wav_chunks(source: str | Path | bytes, chunk_seconds: float = 0.1) -> Iterator[AudioChunk]:
    """A WAV file (or its bytes, or raw 16 kHz PCM already read) as timed 16 kHz chunks.

    A file is read a block at a time (WavStream); use WavStream directly to have its
    header checked before the first chunk is wanted.
    """
    if isinstance(source, str | Path):
        yield from WavStream(source, chunk_seconds)
        return
    pcm = read_wav(source) if not _is_raw(source) else bytes(source)
    yield from pcm_chunks(pcm, chunk_seconds)


def _is_raw(source: object) -> bool:
    return isinstance(source, bytes | bytearray) and bytes(source[:4]) != b"RIFF"


def pcm_chunks(pcm: bytes, chunk_seconds: float = 0.1, rate: int = RATE) -> Iterator[AudioChunk]:
    """Split int16 mono PCM into chunks of `chunk_seconds`, timestamped from 0."""
    step = max(1, int(round(chunk_seconds * rate))) * WIDTH
    for pos in range(0, len(pcm), step):
        yield AudioChunk(pcm[pos : pos + step], rate, pos / (WIDTH * rate))


def pcm_to_wav_bytes(pcm: bytes, rate: int = RATE) -> bytes:
    """Wrap int16 mono PCM in a WAV header."""
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(WIDTH)
        w.setframerate(rate)
        w.writeframes(pcm)
    return buf.getvalue()


# --- devices and the microphone ------------------------------------------------------------


class NoInputDevice(RuntimeError):
    """No usable microphone; the message says what to check."""


NO_INPUT_HELP = (
    "I cannot find a microphone. Check that one is plugged in and switched on, then run "
    "`voicecoach devices` to see the audio devices this computer knows about, and pick one "
    "with --input-device NAME or --input-device NUMBER."
)


def list_devices() -> list[dict[str, Any]]:
    """Audio devices PortAudio sees: name, index, inputs, outputs, default_rate.

    An empty list (never an exception) when there are none or PortAudio cannot start.
    """
    try:
        import sounddevice as sd

        devices = sd.query_devices()
    except Exception:  # noqa: BLE001 - no PortAudio, no ALSA, no devices: all mean "none"
        return []
    return [
        {
            "index": int(d["index"]),
            "name": str(d["name"]),
            "inputs": int(d["max_input_channels"]),
            "outputs": int(d["max_output_channels"]),
            "default_rate": float(d["default_samplerate"]),
        }
        for d in devices
    ]


def _resolve_input(sd, device: int | str | None) -> dict[str, Any]:
    """The sounddevice info of the chosen input device, or NoInputDevice."""
    try:
        if isinstance(device, str) and device.strip().isdigit():
            device = int(device)
        info = sd.query_devices(device, "input")
    except (ValueError, sd.PortAudioError) as e:
        which = "the default input device" if device is None else f"input device {device!r}"
        raise NoInputDevice(f"{NO_INPUT_HELP} (PortAudio could not open {which}: {e})") from e
    if int(info["max_input_channels"]) < 1:
        raise NoInputDevice(f"{NO_INPUT_HELP} ({info['name']!r} has no input channels)")
    return dict(info)


class MicrophoneSource:
    """Live audio from a microphone as 16 kHz AudioChunks (iterate; close() to stop).

    Opens the device at 16 kHz when it accepts that, otherwise at its default rate and
    resamples.  Timestamps count samples since the stream started.
    """

    def __init__(
        self,
        device: int | str | None = None,
        rate: int = RATE,
        chunk_seconds: float = 0.1,
        *,
        read_timeout: float = 2.0,
    ):
        import sounddevice as sd

        info = _resolve_input(sd, device)
        self.device_name = str(info["name"])
        self.rate = rate
        self.chunk_seconds = chunk_seconds
        self.read_timeout = read_timeout
        self.overflows = 0
        self._queue: queue.Queue[bytes | None] = queue.Queue()
        self._closed = threading.Event()
        index = int(info["index"])
        self.device_rate = self._pick_rate(sd, index, rate, float(info["default_samplerate"]))
        self._resampler = Resampler(self.device_rate, rate) if self.device_rate != rate else None
        try:
            self._stream = sd.RawInputStream(
                samplerate=self.device_rate,
                blocksize=int(self.device_rate * chunk_seconds),
                device=index,
                channels=1,
                dtype="int16",
                callback=self._callback,
            )
            self._stream.start()
        except sd.PortAudioError as e:
            raise NoInputDevice(
                f"{NO_INPUT_HELP} (opening {self.device_name!r} failed: {e})"
            ) from e
        self._samples = 0

    @staticmethod
    def _pick_rate(sd, index: int, rate: int, default: float) -> int:
        for candidate in (rate, int(default), 48000, 44100):
            try:
                sd.check_input_settings(
                    device=index, channels=1, dtype="int16", samplerate=candidate
                )
                return candidate
            except Exception:  # noqa: BLE001, S112 - try the next rate
                continue
        return int(default)

    def _callback(self, indata, frames, time_info, status) -> None:
        # PortAudio's thread: queue the bytes and nothing else.
        if status:
            self.overflows += 1
        self._queue.put(bytes(indata))

    def __iter__(self) -> Iterator[AudioChunk]:
        import numpy as np

        while not self._closed.is_set():
            try:
                data = self._queue.get(timeout=self.read_timeout)
            except queue.Empty as e:
                if self._closed.is_set():
                    break
                raise NoInputDevice(
                    f"The microphone {self.device_name!r} stopped sending sound. "
                    "Check its cable, then run `voicecoach devices`."
                ) from e
            if data is None:
                break
            if self._resampler is not None:
                x = np.frombuffer(data, "<i2").astype(np.float64) / 32768.0
                data = to_int16(self._resampler.process(x))
            chunk = AudioChunk(data, self.rate, self._samples / self.rate)
            self._samples += len(data) // WIDTH
            yield chunk

    def close(self) -> None:
        """Stop the stream; an iteration in progress ends."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._queue.put(None)
        try:
            self._stream.stop()
            self._stream.close()
        except Exception:  # noqa: BLE001 - closing a device that vanished is fine
            pass

    def __enter__(self) -> MicrophoneSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- a virtual ALSA microphone (for tests) -------------------------------------------------


def virtual_alsa_config(raw_path: str | Path, rate: int = RATE) -> str:
    """An ~/.asoundrc whose default capture device plays back `raw_path` (int16 mono).

    The ALSA `file` plugin reads captured frames from `infile`; its slave is the `null`
    device, which accepts anything.  Playback goes to `null` too.  Point HOME at a
    directory holding this as `.asoundrc` before sounddevice is imported (PortAudio reads
    the ALSA configuration once, when it starts).
    """
    return f"""\
pcm.vcmic_file {{
    type file
    slave.pcm "vcmic_null"
    file "/dev/null"
    infile "{Path(raw_path).resolve()}"
    format "raw"
}}
pcm.vcmic_null {{
    type null
}}
pcm.vcmic {{
    type plug
    slave {{
        pcm "vcmic_file"
        format S16_LE
        rate {rate}
        channels 1
    }}
    hint.description "voicecoach virtual microphone"
}}
pcm.!default {{
    type asym
    playback.pcm "vcmic_null"
    capture.pcm "vcmic"
}}
"""


def write_virtual_alsa_home(home: str | Path, raw_path: str | Path, rate: int = RATE) -> Path:
    """Make `home` a HOME whose ALSA default capture device reads `raw_path`."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    (home / ".asoundrc").write_text(virtual_alsa_config(raw_path, rate))
    return home
