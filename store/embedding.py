"""The embedding model, loaded once per process, with e5's query/passage prompts applied.

The bundled model (a compact rebuild, see store/model_build.py) runs through numpy alone in
every answering process (the bot, `knowledge ask`): a start without torch, transformers or
sentence-transformers. Ingest's big batches run its torch module, which is faster there; the two
give equal vectors (docs/benchmarks.md, "Two encoders"). Any other EMBEDDING_MODEL runs through
sentence-transformers."""

from __future__ import annotations

import json
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from store.model_build import STAMP_NAME

# Nothing may be fetched from a model hub at run time; set before transformers is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class EmbeddingModelError(Exception):
    """The embedding model cannot be loaded (not built yet, or a wrong EMBEDDING_MODEL)."""


class Embedder:
    """Embeds passages and queries with one model: the bundled compact rebuild through numpy
    (store/numpy_encoder.py, no torch), or through its torch module `for_batches` (ingest's big
    batches, where torch is faster); any other model through sentence-transformers."""

    def __init__(
        self, model_name_or_path: str, batch_size: int = 32, *, for_batches: bool = False
    ) -> None:
        if not model_name_or_path:
            raise EmbeddingModelError("no embedding model configured")
        looks_like_path = os.sep in model_name_or_path or model_name_or_path.startswith(".")
        if looks_like_path and not Path(model_name_or_path).is_dir():
            raise EmbeddingModelError(
                f"embedding model not found at {model_name_or_path} (run `make setup` to build it)"
            )
        try:
            self._backend = _load_backend(model_name_or_path, for_batches)
        except (OSError, ValueError) as error:
            raise EmbeddingModelError(
                f"cannot load embedding model {model_name_or_path!r} offline: {error}"
            ) from None
        self.name = model_name_or_path
        self.identity = model_identity(model_name_or_path)
        self.batch_size = batch_size
        self.dimension = self._backend.dimension
        # Both backends release the GIL in their matrix products, but one model used from many
        # threads at once only thrashes two cores; a lock keeps requests orderly.
        self._lock = threading.Lock()

    @property
    def backend(self) -> str:
        """Which encoder runs the model: "numpy" or "sentence-transformers"."""
        return self._backend.kind

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings of document chunks, one row each."""
        return self._encode(texts, "passage")

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings of questions, one row each."""
        return self._encode(texts, "query")

    def _encode(self, texts: list[str], prompt_name: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._backend.encode(texts, prompt_name, self.batch_size)
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """The unit-length embedding of one question."""
        return self.embed_queries([text])[0]

    def count_tokens(self, text: str) -> int:
        """How many model tokens `text` takes (without the prompt and special tokens)."""
        return self._backend.count_tokens(text)


class _NumpyBackend:
    """The compact rebuild's numpy forward pass: torch is never imported."""

    kind = "numpy"

    def __init__(self, folder: Path) -> None:
        from store.numpy_encoder import NumpyEncoder, NumpyEncoderError

        try:
            self._encoder = NumpyEncoder(folder)
        except NumpyEncoderError as error:
            raise ValueError(str(error)) from None
        self._prompts = self._encoder.settings.prompts
        self.dimension = self._encoder.dimension

    def encode(self, texts: list[str], prompt_name: str, batch_size: int) -> np.ndarray:
        """See Embedder._encode."""
        return self._encoder.encode(texts, self._prompts.get(prompt_name, ""), batch_size)

    def count_tokens(self, text: str) -> int:
        """See Embedder.count_tokens."""
        return len(self._encoder.tokenizer.tokenize(text))


class _SentenceTransformersBackend:
    """Any sentence-transformers model (a folder or a hub name, offline)."""

    kind = "sentence-transformers"

    def __init__(self, model_name_or_path: str, compact: bool = False) -> None:
        import logging

        for noisy in ("transformers", "sentence_transformers", "huggingface_hub"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
        _quiet_transformers()
        self._model = _load_model(model_name_or_path, compact)
        self.dimension = int(self._model.get_embedding_dimension() or 0)
        prompts = self._model.prompts or {}
        self._prompts = {name: name for name in ("query", "passage") if name in prompts}

    def encode(self, texts: list[str], prompt_name: str, batch_size: int) -> np.ndarray:
        """See Embedder._encode."""
        return self._model.encode(
            texts,
            prompt_name=self._prompts.get(prompt_name),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )

    def count_tokens(self, text: str) -> int:
        """See Embedder.count_tokens."""
        return len(self._model.tokenizer.tokenize(text))


def _load_backend(
    model_name_or_path: str, for_batches: bool
) -> _NumpyBackend | _SentenceTransformersBackend:
    from store.compact_parts import is_compact_rebuild

    folder = Path(model_name_or_path)
    compact = folder.is_dir() and is_compact_rebuild(folder)
    if compact and not for_batches:
        return _NumpyBackend(folder)
    return _SentenceTransformersBackend(model_name_or_path, compact)


def model_identity(model_name_or_path: str) -> str:
    """What the store records as "the model that embedded this": vectors from different
    identities must never be compared. Found without loading the model.

    A rebuild is named by its folder, converter version and source file hash (a changed converter
    changes the vectors); any other model by its folder or hub name. Not the full path, so that
    moving a store and its model to another machine does not look like a new model."""
    folder = Path(model_name_or_path)
    is_path = folder.is_dir() or model_name_or_path.startswith(("/", ".", "~"))
    name = folder.name if is_path else model_name_or_path
    stamp = folder / STAMP_NAME
    if stamp.is_file():
        try:
            recorded = json.loads(stamp.read_text("utf-8"))
        except (OSError, ValueError):
            recorded = {}
        version = recorded.get("converter_version", "?")
        source = str(recorded.get("source_sha256", ""))[:12]
        return f"{name}@rebuild-{version}-{source}"
    return name


def _load_model(model_name_or_path: str, compact: bool) -> Any:
    from sentence_transformers import SentenceTransformer

    if compact:
        from store.compact_encoder import compact_model_parts

        modules, prompts = compact_model_parts(Path(model_name_or_path))
        return SentenceTransformer(
            modules=modules, prompts=prompts, similarity_fn_name="cosine", device="cpu"
        )
    return SentenceTransformer(model_name_or_path, device="cpu", local_files_only=True)


def _quiet_transformers() -> None:
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover
        pass


_cache_lock = threading.Lock()


@lru_cache(maxsize=4)
def _load(model_name_or_path: str, for_batches: bool) -> Embedder:
    return Embedder(model_name_or_path, for_batches=for_batches)


def get_embedder(model_name_or_path: str, *, for_batches: bool = False) -> Embedder:
    """The process-wide embedder for this model: loaded on first use, then shared. Ingest asks
    `for_batches` (the bundled model then runs on torch, faster on big batches); answering
    processes do not, and never import torch for the bundled model."""
    with _cache_lock:
        return _load(model_name_or_path, for_batches)


class LazyEmbedder:
    """Loads the model on first use, so runs with nothing to embed (an unchanged re-ingest, a
    store that is down) never pay the seconds it takes to load."""

    def __init__(self, model_name_or_path: str, *, for_batches: bool = False) -> None:
        self.model_name_or_path = model_name_or_path
        self.for_batches = for_batches
        self.identity = model_identity(model_name_or_path)

    @property
    def loaded(self) -> Embedder:
        """The real embedder (loading it now if needed)."""
        return get_embedder(self.model_name_or_path, for_batches=self.for_batches)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """See Embedder.embed_passages."""
        return self.loaded.embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        """See Embedder.embed_query."""
        return self.loaded.embed_query(text)

    def count_tokens(self, text: str) -> int:
        """See Embedder.count_tokens."""
        return self.loaded.count_tokens(text)
