"""The torch-free parts of the bundled model's compact rebuild: its SentencePiece tokenizer, its
4-bit tables read row by row, and the folder's settings (sequence length, prompts, pooling).

Both encoders of the rebuild use them: the numpy forward pass of every answering process
(store/numpy_encoder.py) and the torch module sentence-transformers runs (store/compact_encoder.py),
so the two cut text and read weights the same way.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sentencepiece

from store.model_build import Q4_WEIGHTS_FILE, TOKENIZER_FILE

CONFIG_FILE = "config_sentence_transformers.json"
POOLING_FOLDER = "1_Pooling"
NORMALIZE_FOLDER = "2_Normalize"


class UnigramTokenizer:
    """XLM-R unigram tokenization through SentencePiece; ids are the model's own (no offset)."""

    def __init__(self, model_file: Path) -> None:
        self._processor = sentencepiece.SentencePieceProcessor(model_file=str(model_file))
        self.bos_id = self._processor.bos_id()
        self.eos_id = self._processor.eos_id()
        self.pad_id = self._processor.pad_id()

    def tokenize(self, text: str) -> list[str]:
        """The pieces of `text`, without special tokens."""
        return list(self._processor.encode(text, out_type=str))

    def encode_batch(self, texts: Sequence[str], max_length: int) -> list[list[int]]:
        """Ids of each text framed by <s> … </s>, cut to `max_length` the way transformers cuts
        (the end token kept)."""
        room = max(max_length - 2, 0)
        encoded = self._processor.encode(list(texts), out_type=int)
        return [[self.bos_id, *ids[:room], self.eos_id] for ids in encoded]


class ArrayRows:
    """Rows of a 4-bit table held in memory (values int8, scales float16)."""

    def __init__(self, values: np.ndarray, scales: np.ndarray) -> None:
        self.values, self.scales = values, scales
        self.shape = values.shape

    def read(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The values and scales of `rows`."""
        return self.values[rows], self.scales[rows]


class FileRows:
    """Rows of a 4-bit table read from its safetensors file on demand, with pread.

    A memory map would do, but every first touch of a row faults in a whole readahead window
    (128 KiB): a few thousand distinct tokens map most of the table into the process. Reads go
    through the page cache instead, which the kernel shares and reclaims, and the process holds
    only the rows of the batch at hand."""

    def __init__(self, path: Path, values_name: str, scales_name: str) -> None:
        self._file = path.open("rb")
        (header_length,) = struct.unpack("<Q", self._file.read(8))
        header = json.loads(self._file.read(header_length))
        data_start = 8 + header_length
        values, scales = header[values_name], header[scales_name]
        if values["dtype"] != "I8" or scales["dtype"] != "F16":
            raise ValueError(f"{path.name}: unexpected dtypes for {values_name}")
        self.shape = tuple(values["shape"])
        self._values_at = data_start + values["data_offsets"][0]
        self._scales_at = data_start + scales["data_offsets"][0]
        self._values_width = int(values["shape"][1])
        self._scales_width = int(scales["shape"][1]) * 2

    def read(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The values and scales of `rows`."""
        values = self._read_rows(self._values_at, self._values_width, rows)
        scales = self._read_rows(self._scales_at, self._scales_width, rows)
        return (
            np.frombuffer(values, dtype=np.int8).reshape(len(rows), -1),
            np.frombuffer(scales, dtype=np.float16).reshape(len(rows), -1),
        )

    def _read_rows(self, start: int, width: int, rows: np.ndarray) -> bytes:
        fd = self._file.fileno()
        return b"".join(os.pread(fd, width, start + row * width) for row in rows.tolist())


def expand_rows(rows: ArrayRows | FileRows, ids: np.ndarray, qk: int) -> np.ndarray:
    """The float32 rows of `ids` (any shape) from a 4-bit table: value times block scale."""
    unique, inverse = np.unique(ids, return_inverse=True)
    if unique.size and (unique[0] < 0 or unique[-1] >= rows.shape[0]):
        raise IndexError("token id out of the embedding table")
    values, scales = rows.read(unique)
    expanded = values.astype(np.float32).reshape(len(unique), -1, qk) * scales.astype(
        np.float32
    ).reshape(len(unique), -1, 1)
    table = expanded.reshape(len(unique), rows.shape[1])
    return table[inverse.reshape(ids.shape)]


@dataclass(frozen=True)
class CompactSettings:
    """What the folder's sentence-transformers files say about the model around the encoder."""

    max_seq_length: int
    prompts: dict[str, str] = field(default_factory=dict)
    pooling_mode: str = "mean"
    normalize: bool = True


def is_compact_rebuild(folder: Path) -> bool:
    """True when `folder` is a rebuild that carries the compact tokenizer and matrices."""
    return (
        all((folder / name).is_file() for name in (TOKENIZER_FILE, Q4_WEIGHTS_FILE))
        and (folder / POOLING_FOLDER).is_dir()
    )


def compact_settings(folder: Path) -> CompactSettings:
    """Read the same files sentence-transformers' loader reads (sequence length, prompts,
    pooling mode, normalisation), so either encoder behaves as the standard load would."""
    config = read_json(folder / CONFIG_FILE)
    max_seq_length = int(
        read_json(folder / "sentence_bert_config.json").get("max_seq_length")
        or read_json(folder / "tokenizer_config.json").get("model_max_length")
        or 512
    )
    limit = int(read_json(folder / "config.json").get("max_position_embeddings") or 512)
    pooling = read_json(folder / POOLING_FOLDER / "config.json")
    mode = str(pooling.get("pooling_mode") or "")
    if not mode:
        mode = "mean" if pooling.get("pooling_mode_mean_tokens", True) else "other"
    return CompactSettings(
        max_seq_length=min(max_seq_length, limit),
        prompts={str(k): str(v) for k, v in (config.get("prompts") or {}).items()},
        pooling_mode=mode,
        normalize=(folder / NORMALIZE_FOLDER).is_dir(),
    )


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from `path`, or {} when there is none."""
    if not path.is_file():
        return {}
    data = json.loads(path.read_text("utf-8"))
    return data if isinstance(data, dict) else {}
