"""Whisper's weights kept as int8 on disk, derived once from the packaged float16 model.

The packaged tiny.en `model.bin` is float16.  CTranslate2 turns it into the int8 the coach
runs on while it loads, holding the file, its float copy and the result at once: the start-up
peak of the whole coach (about 210 MB resident for a model that then keeps about 90 MB).
Loaded from an int8 file, the same model peaks at what it keeps and loads 4x faster.

The int8 file is what CTranslate2's own converter writes for `--quantization int8`: the same
binary format (version 6, as `ModelSpec._serialize` writes it) and the same quantization
(`LayerSpec._quantize`: every `weight` of a linear or embedding layer as int8 rows, each with
the float32 scale 127 / max |row|; everything else as stored), with one exception that makes
it load into exactly the weights the float16 file loads into: the encoder's two convolution
kernels stay float16.  CTranslate2 quantizes a convolution at load only where it can run one
in int8 (the Pi's aarch64 wheel); its x86-64 wheels (oneDNN) keep it float, and a kernel
quantized on disk would be turned back into float there, one rounding away from the
original.  That rounding alone turned espeak-ng's shouted "i've fallen" into "thank you i'm
farland" and flite's "i've fallen" into "i'm fine".  It is made in
a child process, so its own memory is never the coach's, into the cache folder, checked by
size and SHA-256 each time it is used, and made again if anything about it is wrong.  If it
cannot be made (a full or read-only disk), the float16 model is loaded as before.

Run as `python -m voicecoach.hear.whisper_int8 SOURCE_FOLDER TARGET_FOLDER`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from voicecoach.hear.cache import cache_dir

log = logging.getLogger(__name__)

#: CTranslate2's model.bin layout this reads and writes (`CURRENT_BINARY_VERSION`).
BINARY_VERSION = 6
#: Its DataType enum, in order (include/ctranslate2/types.h).
DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
#: Bumped when what is written changes: older copies are then made again (2: convolution
#: kernels kept as they are).
FORMAT = 2
STAMP = "int8.json"
#: Rows quantized at a time: the embedding table (51,864 rows) never has a float32 copy.
BLOCK_ROWS = 4096
CONVERT_TIMEOUT = 300.0
#: How the weights of the folder to load are stored (logged, and said by `models prepare`).
STORED_INT8 = "int8 on disk"
STORED_COPY = "int8 copy of the float16 model"
STORED_NEW = "int8 copy of the float16 model, made now"
STORED_FLOAT = "float16, made int8 while loading (no int8 copy: {why})"


class ModelFileError(ValueError):
    """A model.bin this cannot read."""


@dataclass
class ModelFile:
    """The contents of a CTranslate2 model.bin."""

    name: str
    revision: int
    variables: list[tuple[str, np.ndarray]]
    aliases: list[tuple[str, str]]


class _Reader:
    def __init__(self, data: bytes | memoryview, path: Path):
        self.data, self.pos, self.path = memoryview(data), 0, path

    def take(self, size: int) -> memoryview:
        if self.pos + size > len(self.data):
            raise ModelFileError(f"{self.path} ends early (truncated?)")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def number(self, fmt: str) -> int:
        return int(struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0])

    def text(self) -> str:
        size = self.number("<H")
        return bytes(self.take(size)[:-1]).decode("utf-8")  # ends with a NUL


def _dtype(code: int, path: Path) -> np.dtype:
    if code >= len(DTYPES):
        raise ModelFileError(f"{path}: unknown data type {code}")
    # bfloat16 has no numpy type: its bytes are kept as 16-bit words.
    return np.dtype(np.uint16 if DTYPES[code] == "bfloat16" else DTYPES[code])


def read_model(path: Path) -> ModelFile:
    """Every variable of `path` (arrays over the file's bytes, read once)."""
    reader = _Reader(path.read_bytes(), path)
    version = reader.number("<I")
    if version != BINARY_VERSION:
        raise ModelFileError(f"{path}: binary version {version}, not {BINARY_VERSION}")
    name, revision = reader.text(), reader.number("<I")
    variables = []
    for _ in range(reader.number("<I")):
        key = reader.text()
        shape = tuple(reader.number("<I") for _ in range(reader.number("<B")))
        dtype = _dtype(reader.number("<B"), path)
        raw = reader.take(reader.number("<I"))
        variables.append((key, np.frombuffer(raw, dtype=dtype).reshape(shape)))
    aliases = [(reader.text(), reader.text()) for _ in range(reader.number("<I"))]
    if reader.pos != len(reader.data):
        raise ModelFileError(f"{path}: {len(reader.data) - reader.pos} bytes after the end")
    return ModelFile(name, revision, variables, aliases)


def _quantize_rows(value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 rows and their float32 scales, as CTranslate2's converter makes them."""
    rows = value.reshape(value.shape[0], -1)
    quantized = np.empty(rows.shape, dtype=np.int8)
    scales = np.empty(rows.shape[0], dtype=np.float32)
    floor = np.float32(127) / np.finfo(np.float32).max  # a tiny row keeps a finite scale
    for start in range(0, rows.shape[0], BLOCK_ROWS):
        block = rows[start : start + BLOCK_ROWS].astype(np.float32)
        amax = np.amax(np.absolute(block), axis=1)
        amax[amax == 0] = 127.0
        scale = np.float32(127.0) / np.maximum(amax, floor)
        block *= np.expand_dims(scale, 1)
        quantized[start : start + BLOCK_ROWS] = np.rint(block).astype(np.int8)
        scales[start : start + BLOCK_ROWS] = scale
    return quantized.reshape(value.shape), scales


def is_quantizable(key: str, value: np.ndarray) -> bool:
    """A linear or embedding layer's float `weight` (CTranslate2's specs give each of them a
    `weight_scale`; layer norms name theirs gamma and beta).  Not a convolution's: see the
    module's docstring."""
    return (
        key.rsplit("/", 1)[-1] == "weight"
        and "conv" not in key
        and value.dtype in (np.float16, np.float32)
    )


def quantized(model: ModelFile) -> ModelFile:
    """`model` with its weights as int8 and their scales beside them."""
    variables: list[tuple[str, np.ndarray]] = []
    for key, value in model.variables:
        if is_quantizable(key, value):
            weight, scale = _quantize_rows(value)
            variables += [(key, weight), (f"{key}_scale", scale)]
        else:
            variables.append((key, value))
    variables.sort(key=lambda item: item[0])  # the converter writes them in name order
    return ModelFile(model.name, model.revision, variables, list(model.aliases))


def _write_text(out: BinaryIO, text: str) -> None:
    raw = text.encode("utf-8")
    out.write(struct.pack("<H", len(raw) + 1) + raw + b"\0")


def write_model(path: Path, model: ModelFile) -> None:
    with path.open("wb") as out:
        out.write(struct.pack("<I", BINARY_VERSION))
        _write_text(out, model.name)
        out.write(struct.pack("<II", model.revision, len(model.variables)))
        for key, value in model.variables:
            _write_text(out, key)
            out.write(struct.pack("<B", value.ndim))
            out.write(struct.pack(f"<{value.ndim}I", *value.shape))
            raw = np.ascontiguousarray(value).tobytes()
            code = "bfloat16" if value.dtype == np.uint16 else str(value.dtype)
            out.write(struct.pack("<BI", DTYPES.index(code), len(raw)))
            out.write(raw)
        out.write(struct.pack("<I", len(model.aliases)))
        for alias, target in model.aliases:
            _write_text(out, alias)
            _write_text(out, target)


def weight_dtypes(path: Path) -> Iterator[str]:
    """The data type of each weight the copy quantizes, read from the headers alone."""
    with path.open("rb") as f:
        head = f.read(4)
        if len(head) < 4 or struct.unpack("<I", head)[0] != BINARY_VERSION:
            return

        def text() -> str:
            (size,) = struct.unpack("<H", f.read(2))
            return f.read(size)[:-1].decode("utf-8")

        text()
        (_, count) = struct.unpack("<II", f.read(8))
        for _ in range(count):
            key = text()
            (rank,) = struct.unpack("<B", f.read(1))
            f.seek(4 * rank, os.SEEK_CUR)
            code, size = struct.unpack("<BI", f.read(5))
            if key.rsplit("/", 1)[-1] == "weight" and "conv" not in key:
                yield DTYPES[code]
            f.seek(size, os.SEEK_CUR)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fingerprint(source: Path) -> dict[str, object]:
    """What the copy was made from: a reinstalled or replaced model makes it stale."""
    stat = (source / "model.bin").stat()
    return {
        "format": FORMAT,
        "source": str(source.resolve()),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
    }


def copy_problem(source: Path, folder: Path) -> str | None:
    """Why `folder` is not a good int8 copy of `source`, or None."""
    if not (folder / STAMP).is_file():
        return "none made yet"
    try:
        stamp = json.loads((folder / STAMP).read_text("utf-8"))
        model = folder / "model.bin"
        if stamp.get("made_from") != _fingerprint(source):
            return "made from another model"
        if model.stat().st_size != stamp.get("bytes"):
            return "model.bin has the wrong size"
        if sha256(model) != stamp.get("sha256"):
            return "model.bin fails its checksum"
    except (OSError, ValueError, AttributeError) as err:
        return f"not usable ({err})"
    return None


def make_copy(source: Path, folder: Path) -> None:
    """Write the int8 copy of `source` into `folder`, all or nothing."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".int8-", dir=folder.parent))
    try:
        write_model(work / "model.bin", quantized(read_model(source / "model.bin")))
        for item in source.iterdir():
            if item.is_file() and item.name not in ("model.bin", STAMP):
                shutil.copyfile(item, work / item.name)
        stamp = {
            "made_from": _fingerprint(source),
            "bytes": (work / "model.bin").stat().st_size,
            "sha256": sha256(work / "model.bin"),
        }
        (work / STAMP).write_text(json.dumps(stamp, indent=1), "utf-8")
        if copy_problem(source, folder) is None:
            return  # another coach starting at the same time made it first: keep theirs
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(work, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def int8_folder(source: Path, cache: Path | None = None) -> Path:
    """Where the int8 copy of `source` is kept."""
    key = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:12]
    return (cache or cache_dir()) / f"whisper-int8-{key}"


def int8_model(source: Path, cache: Path | None = None) -> tuple[Path, str]:
    """(the folder to load, how its weights are stored): the int8 copy of `source`, made
    now if needed; `source` itself when it is int8 already or no copy can be made."""
    kinds = set(weight_dtypes(source / "model.bin"))
    if kinds == {"int8"}:
        return source, STORED_INT8
    folder = int8_folder(source, cache)
    problem = copy_problem(source, folder)
    if problem is None:
        return folder, STORED_COPY
    log.info("Making the int8 copy of the Whisper model in %s (%s)", folder, problem)
    try:
        done = subprocess.run(
            [sys.executable, "-m", __name__, str(source), str(folder)],
            capture_output=True,
            text=True,
            timeout=CONVERT_TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return source, STORED_FLOAT.format(why=err)
    problem = copy_problem(source, folder)
    if done.returncode != 0 or problem is not None:
        why = (done.stderr.strip().splitlines() or [problem or "failed"])[-1]
        log.warning("No int8 copy of the Whisper model (%s): loading the float16 one", why)
        return source, STORED_FLOAT.format(why=why)
    return folder, STORED_NEW


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    try:
        make_copy(Path(args[0]), Path(args[1]))
    except (OSError, ModelFileError) as err:
        print(f"cannot make the int8 copy: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
