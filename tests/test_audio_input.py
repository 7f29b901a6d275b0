"""Audio input: WAV conversion, resampling, noise reduction, devices, the microphone."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from voicecoach.hear.audio import (
    AudioChunk,
    NoInputDevice,
    list_devices,
    pcm_to_wav_bytes,
    read_wav,
    virtual_alsa_config,
    wav_chunks,
)
from voicecoach.hear.resample import Resampler, resample


def wav_bytes(samples: np.ndarray, rate: int, *, tag: int = 1, bits: int = 16) -> bytes:
    """A WAV file by hand, so formats the wave module cannot write are covered too."""
    frames = samples if samples.ndim == 2 else samples[:, None]
    channels = frames.shape[1]
    if tag not in (1, 3):
        data = b"\x00" * len(frames) * 2  # the header is what matters
    elif tag == 3:
        data = frames.astype(f"<f{bits // 8}").tobytes()
    elif bits == 8:
        data = (np.round(frames * 127) + 128).astype(np.uint8).tobytes()
    elif bits == 24:
        v = np.round(frames * (2**23 - 1)).astype(np.int32).reshape(-1)
        data = np.stack([v & 255, (v >> 8) & 255, (v >> 16) & 255], axis=1)
        data = data.astype(np.uint8).tobytes()
    else:
        data = np.round(frames * (2 ** (bits - 1) - 1)).astype(f"<i{bits // 8}").tobytes()
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"LIST" + struct.pack("<I", 4) + b"INFO"  # an extra chunk to skip
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def tone(freq: float, rate: int, seconds: float = 0.5, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def dominant_frequency(pcm: bytes, rate: int = 16000) -> float:
    x = np.frombuffer(pcm, "<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)])


def rms(pcm: bytes) -> float:
    x = np.frombuffer(pcm, "<i2").astype(float)
    return float(np.sqrt(np.mean(x * x)))


def test_chunk_seconds_and_end():
    c = AudioChunk(b"\x00\x00" * 1600, 16000, 2.0)
    assert c.seconds == pytest.approx(0.1)
    assert c.end == pytest.approx(2.1)


def test_16k_mono_int16_passes_through_unchanged():
    pcm = (np.arange(-1000, 1000, dtype="<i2") * 7).tobytes()
    assert read_wav(pcm_to_wav_bytes(pcm)) == pcm


@pytest.mark.parametrize(
    ("rate", "channels", "tag", "bits"),
    [
        (48000, 2, 1, 16),
        (44100, 1, 1, 16),
        (8000, 1, 1, 16),
        (16000, 1, 1, 8),
        (22050, 1, 1, 24),
        (32000, 2, 1, 32),
        (16000, 1, 3, 32),
        (48000, 1, 3, 64),
    ],
)
def test_any_wav_becomes_16k_mono_with_the_same_sound(rate, channels, tag, bits):
    x = tone(440.0, rate)
    frames = np.stack([x] * channels, axis=1) if channels > 1 else x
    pcm = read_wav(wav_bytes(frames, rate, tag=tag, bits=bits))
    assert len(pcm) // 2 == pytest.approx(8000, abs=2)
    assert dominant_frequency(pcm) == pytest.approx(440, abs=5)
    assert rms(pcm) / 32768 == pytest.approx(0.5 / np.sqrt(2), rel=0.05)


def test_stereo_is_mixed_down():
    left, right = tone(300, 16000), np.zeros(8000)
    pcm = read_wav(wav_bytes(np.stack([left, right], axis=1), 16000))
    assert rms(pcm) / 32768 == pytest.approx(0.5 / np.sqrt(2) / 2, rel=0.05)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"hello, not a wav at all", "not a WAV"),
        (b"RIFF\x10\x00\x00\x00WAVEjunk\x00\x00\x00\x00", "no 'fmt '"),
        (wav_bytes(tone(440, 16000), 16000, tag=2, bits=16), "unsupported WAV encoding"),
    ],
)
def test_unreadable_wavs_are_refused_with_a_reason(data, reason):
    with pytest.raises(ValueError, match=reason):
        read_wav(data)


def test_missing_file_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="cannot read"):
        read_wav(tmp_path / "nope.wav")


def test_wav_chunks_are_timed_from_the_audio(tmp_path):
    path = tmp_path / "a.wav"
    path.write_bytes(pcm_to_wav_bytes(b"\x01\x00" * 16000))
    chunks = list(wav_chunks(path, 0.25))
    assert [c.timestamp for c in chunks] == [0.0, 0.25, 0.5, 0.75]
    assert sum(c.seconds for c in chunks) == pytest.approx(1.0)


def test_streaming_resampler_matches_whole_signal_resampling():
    x = np.random.default_rng(1).standard_normal(4801)
    whole = resample(x, 48000, 16000)
    r = Resampler(48000, 16000)
    pieces = [r.process(x[i : i + 333]) for i in range(0, len(x), 333)] + [r.flush()]
    assert np.allclose(np.concatenate(pieces), whole)
    assert len(whole) == 1601


def test_resampling_removes_what_would_alias():
    # 10 kHz cannot exist at 16 kHz; without a low-pass it would fold down to 6 kHz.
    out = resample(tone(10000, 48000), 48000, 16000)
    assert np.sqrt(np.mean(out[100:-100] ** 2)) < 0.01


def test_list_devices_never_raises():
    devices = list_devices()
    assert isinstance(devices, list)
    for d in devices:
        assert set(d) == {"index", "name", "inputs", "outputs", "default_rate"}


def test_unknown_device_name_is_a_plain_no_input_device_error():
    from voicecoach.hear.audio import MicrophoneSource

    with pytest.raises(NoInputDevice, match="voicecoach devices"):
        MicrophoneSource("no such microphone anywhere")


def test_virtual_alsa_config_names_the_input_file(tmp_path):
    text = virtual_alsa_config(tmp_path / "in.raw")
    assert str((tmp_path / "in.raw").resolve()) in text
    assert "type file" in text
    assert "type null" in text


MIC_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from voicecoach.hear.audio import MicrophoneSource, list_devices
    out = bytearray()
    timestamps = []
    with MicrophoneSource(None, chunk_seconds=0.1) as mic:
        name, rate = mic.device_name, mic.device_rate
        for chunk in mic:
            out += chunk.audio
            timestamps.append(chunk.timestamp)
            if len(out) >= int(sys.argv[1]):
                break
    open(sys.argv[2], "wb").write(bytes(out))
    print(json.dumps({"name": name, "rate": rate, "timestamps": timestamps[:3],
                      "devices": len(list_devices())}))
    """
)


@pytest.mark.skipif(
    shutil.which("aplay") is None and not os.path.exists("/usr/share/alsa"),
    reason="ALSA is not installed, so no virtual microphone can be made",
)
def test_microphone_reads_a_virtual_alsa_device_exactly(tmp_path):
    rng = np.random.default_rng(5)
    pcm = (rng.standard_normal(16000) * 3000).astype("<i2").tobytes()  # one second
    raw = tmp_path / "mic.raw"
    raw.write_bytes(pcm)
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text(virtual_alsa_config(raw))
    got = tmp_path / "got.raw"
    # PortAudio reads the ALSA configuration once, at import: a fresh process with HOME
    # pointing at the virtual device.
    env = {**os.environ, "HOME": str(home)}
    proc = subprocess.run(
        [sys.executable, "-c", MIC_SCRIPT, str(len(pcm)), str(got)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if proc.returncode != 0 and "PortAudio" in proc.stderr and "library" in proc.stderr:
        pytest.skip(f"PortAudio is not usable here: {proc.stderr.strip()[-200:]}")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["rate"] == 16000
    assert info["devices"] >= 1
    assert info["timestamps"] == pytest.approx([0.0, 0.1, 0.2])
    assert got.read_bytes()[: len(pcm)] == pcm
