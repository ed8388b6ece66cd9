"""The bundled model's compact rebuild run with numpy alone: SentencePiece, then the BERT
encoder's forward pass (embeddings, 12 layers of self-attention and GELU feed-forward, each
closed by a residual LayerNorm), mean pooling and normalisation.

Every process that answers questions embeds a few short texts at a time; importing torch,
transformers and sentence-transformers for that took 9 of the 10 seconds a restarted answering
process spent before its first answer, and most of its memory. The arithmetic is the torch
module's (store/compact_encoder.py) in the same float32, with the same 4-bit weights expanded the
same way, so the vectors equal the ones ingest stored (tests/store/test_numpy_encoder.py checks
cosine >= 0.9999 on both paths, batched with padding).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from safetensors import safe_open
from threadpoolctl import ThreadpoolController

from store.compact_parts import (
    FileRows,
    UnigramTokenizer,
    compact_settings,
    expand_rows,
    read_json,
)
from store.model_build import (
    Q4_SCALES_SUFFIX,
    Q4_VALUES_SUFFIX,
    Q4_WEIGHTS_FILE,
    TOKENIZER_FILE,
)
from store.packed_model import QK

WORD_EMBEDDINGS = "embeddings.word_embeddings"
_FLOAT_FILE = "model.safetensors"
_LINEARS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)
# Abramowitz & Stegun 7.1.26: erf to 1.5e-7, far inside float32 noise after a LayerNorm.
_ERF_P = np.float32(0.3275911)
_ERF_A = tuple(np.float32(a) for a in (0.254829592, -0.284496736, 1.421413741, -1.453152027))
_ERF_A5 = np.float32(1.061405429)
_SQRT_HALF = np.float32(math.sqrt(0.5))


class NumpyEncoderError(Exception):
    """The folder is not a compact rebuild this encoder can run."""


class _Layer:
    """One encoder layer's weights: float32 matrices (out, in), as stored, and their biases."""

    def __init__(self, weights: dict[str, np.ndarray], prefix: str) -> None:
        def get(name: str) -> np.ndarray:
            return weights[prefix + name]

        # Query, key and value maps side by side: one matrix product for all three.
        parts = ("query", "key", "value")
        self.qkv = (
            np.concatenate([get(f"attention.self.{p}.weight") for p in parts], axis=0),
            np.concatenate([get(f"attention.self.{p}.bias") for p in parts], axis=0),
        )
        self.attention_out = (
            get("attention.output.dense.weight"),
            get("attention.output.dense.bias"),
        )
        self.attention_norm = (
            get("attention.output.LayerNorm.weight"),
            get("attention.output.LayerNorm.bias"),
        )
        self.intermediate = (get("intermediate.dense.weight"), get("intermediate.dense.bias"))
        self.output = (get("output.dense.weight"), get("output.dense.bias"))
        self.output_norm = (get("output.LayerNorm.weight"), get("output.LayerNorm.bias"))


class NumpyEncoder:
    """Sentence embeddings of the compact rebuild in `folder`, computed with numpy."""

    def __init__(self, folder: Path) -> None:
        config = read_json(folder / "config.json")
        if config.get("model_type") != "bert":
            raise NumpyEncoderError(f"{folder} is not a BERT encoder")
        self.settings = compact_settings(folder)
        if self.settings.pooling_mode != "mean":
            raise NumpyEncoderError(f"{folder}: pooling {self.settings.pooling_mode!r}")
        self.tokenizer = UnigramTokenizer(folder / TOKENIZER_FILE)
        self.hidden = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.eps = np.float32(config.get("layer_norm_eps", 1e-12))
        weights = _read_weights(folder)
        self._words = FileRows(
            folder / Q4_WEIGHTS_FILE,
            WORD_EMBEDDINGS + Q4_VALUES_SUFFIX,
            WORD_EMBEDDINGS + Q4_SCALES_SUFFIX,
        )
        self._positions = weights["embeddings.position_embeddings.weight"]
        self._token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self._embedding_norm = (
            weights["embeddings.LayerNorm.weight"],
            weights["embeddings.LayerNorm.bias"],
        )
        self._blas = ThreadpoolController()
        self._layers = [
            _Layer(weights, f"encoder.layer.{i}.") for i in range(int(config["num_hidden_layers"]))
        ]

    @property
    def dimension(self) -> int:
        """Width of the sentence embeddings."""
        return self.hidden

    def encode(self, texts: Sequence[str], prompt: str = "", batch_size: int = 32) -> np.ndarray:
        """Unit-length (when the folder normalises) embeddings of `prompt + text`, one row each."""
        if not texts:
            return np.zeros((0, self.hidden), dtype=np.float32)
        rows = self.tokenizer.encode_batch(
            [prompt + text for text in texts], self.settings.max_seq_length
        )
        # Longest first, as sentence-transformers batches: little padding within a batch.
        order = sorted(range(len(rows)), key=lambda i: -len(rows[i]))
        out = np.empty((len(rows), self.hidden), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            picked = order[start : start + batch_size]
            out[picked] = self._embed([rows[i] for i in picked])
        return out

    def _embed(self, rows: list[list[int]]) -> np.ndarray:
        width = max(len(row) for row in rows)
        ids = np.full((len(rows), width), self.tokenizer.pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.float32)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1.0
        states = self.forward(ids, mask)
        summed = (states * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), np.float32(1e-9))
        if self.settings.normalize:
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            pooled = pooled / np.maximum(norms, np.float32(1e-12))
        return pooled.astype(np.float32, copy=False)

    def forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The last hidden state (batch, tokens, hidden) of token ids with their 0/1 mask."""
        batch, width = ids.shape
        x = expand_rows(self._words, ids, QK)
        x += self._positions[:width]
        x += self._token_type
        # Tokens stay rows of one 2-D array, so every linear map is one BLAS call.
        x = _layer_norm(x.reshape(batch * width, self.hidden), *self._embedding_norm, self.eps)
        # Padded keys get the most negative float, as transformers' extended attention mask does.
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for layer in self._layers:
            context = self._attention(layer, x, bias, batch, width)
            x = _layer_norm(
                _linear(context, *layer.attention_out) + x, *layer.attention_norm, self.eps
            )
            inner = _gelu(_linear(x, *layer.intermediate))
            x = _layer_norm(_linear(inner, *layer.output) + x, *layer.output_norm, self.eps)
        return x.reshape(batch, width, self.hidden)

    def _attention(
        self, layer: _Layer, x: np.ndarray, bias: np.ndarray, batch: int, width: int
    ) -> np.ndarray:
        """Multi-head self-attention over (batch * width, hidden) rows, before its output map."""
        heads, size = self.heads, self.hidden // self.heads
        qkv = _linear(x, *layer.qkv).reshape(batch, width, 3, heads, size)
        # Contiguous (batch * heads, width, size) stacks: numpy's stacked matmul on strided views
        # is several times slower.
        query = np.ascontiguousarray(qkv[:, :, 0].transpose(0, 2, 1, 3)).reshape(-1, width, size)
        key_t = np.ascontiguousarray(qkv[:, :, 1].transpose(0, 2, 3, 1)).reshape(-1, size, width)
        value = np.ascontiguousarray(qkv[:, :, 2].transpose(0, 2, 1, 3)).reshape(-1, width, size)
        query *= np.float32(1.0 / math.sqrt(size))
        # A stack of small products: OpenBLAS's second thread costs more than it brings (up to
        # 30 times more on a busy machine, bench.encoder_speed), so they run on one.
        with self._blas.limit(limits=1, user_api="blas"):
            scores = np.matmul(query, key_t).reshape(batch, heads, width, width)
            scores += bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = np.matmul(scores.reshape(-1, width, width), value)
        return (
            context.reshape(batch, heads, width, size)
            .transpose(0, 2, 1, 3)
            .reshape(batch * width, self.hidden)
        )


def _read_weights(folder: Path) -> dict[str, np.ndarray]:
    """Every float32 weight the forward pass needs: the 4-bit matrices expanded (value times
    block scale, as the torch module does), the rest read from the float32 file. The float32
    file's copy of the word embeddings (384 MB) is never read."""
    weights: dict[str, np.ndarray] = {}
    with safe_open(str(folder / Q4_WEIGHTS_FILE), framework="np") as packed:
        for name in packed.keys():  # noqa: SIM118 - safe_open is not a mapping
            if not name.endswith(Q4_VALUES_SUFFIX) or name.startswith(WORD_EMBEDDINGS):
                continue
            module = name.removesuffix(Q4_VALUES_SUFFIX)
            values = packed.get_tensor(name)
            scales = packed.get_tensor(module + Q4_SCALES_SUFFIX)
            # One float32 result and no float32 temporaries: freed temporaries of this size stay
            # in the heap (glibc raises its mmap threshold after the first free).
            expanded = np.multiply(values.reshape(-1, QK), scales.reshape(-1, 1), dtype=np.float32)
            weights[module + ".weight"] = expanded.reshape(values.shape)
    with safe_open(str(folder / _FLOAT_FILE), framework="np") as plain:
        for name in plain.keys():  # noqa: SIM118
            wanted = name.startswith("embeddings.") or name.startswith("encoder.layer.")
            if not wanted or name in weights or name.startswith(WORD_EMBEDDINGS):
                continue
            if name.endswith(".weight") and name.removesuffix(".weight").endswith(_LINEARS):
                raise NumpyEncoderError(f"{name} has no 4-bit form in {Q4_WEIGHTS_FILE}")
            weights[name] = plain.get_tensor(name).astype(np.float32, copy=False)
    return weights


def _linear(inputs: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    # The transposed view goes to BLAS as is (no copy of the matrix).
    out = inputs @ weight.T
    out += bias
    return out


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: np.float32) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = np.mean(centred * centred, axis=-1, keepdims=True)
    centred /= np.sqrt(variance + eps)
    centred *= weight
    centred += bias
    return centred


def _gelu(x: np.ndarray) -> np.ndarray:
    """The exact (erf) GELU of BERT's "gelu", x * (1 + erf(x / sqrt 2)) / 2, in place."""
    z = np.abs(x) * _SQRT_HALF
    t = 1.0 / (1.0 + _ERF_P * z)
    poly = _ERF_A5 * t
    for a in reversed(_ERF_A):
        poly += a
        poly *= t
    # erf(|x|/sqrt 2) = 1 - poly * exp(-z^2); erf is odd.
    np.negative(z, out=z)
    z *= np.abs(x) * _SQRT_HALF
    np.exp(z, out=z)
    erf = 1.0 - poly * z
    np.copysign(erf, x, out=erf)
    erf += 1.0
    erf *= 0.5
    x *= erf
    return x
