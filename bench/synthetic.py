"""`python -m bench synthetic --chunks N --out DIR`: a realistic synthetic store, built once.

The store is at DIR/chroma and its state (the lexical index) at DIR/data, so that
`CHROMA_PATH=DIR/chroma DATA_DIR=DIR/data python -m knowledge ask ...` (or the bot, or ingest)
works on it. A finished build leaves DIR/synthetic.json; a second run with the same N reuses it.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np

CORPUS = Path(__file__).resolve().parent.parent / "knowledge" / "corpus"
PER_DOCUMENT = 50
BATCH = 2000
_SKIP = ("---", "#", "title:", "doc_type", "lang:", "vendor:", "source_url", "as_of", "scenario")
_SENTENCES: dict[int, tuple[list[str], np.ndarray]] = {}


def corpus_sentences(embedder: object) -> tuple[list[str], np.ndarray]:
    """The bundled corpus's sentences and their real embeddings (computed once per process)."""
    from store.sentences import split_sentences

    if id(embedder) not in _SENTENCES:
        found: set[str] = set()
        for path in sorted(CORPUS.glob("*.md")):
            for line in path.read_text("utf-8").splitlines():
                if line and not line.startswith(_SKIP):
                    found.update(s for s in split_sentences(line) if len(s) > 20)
        sentences = sorted(found)
        _SENTENCES[id(embedder)] = (sentences, embedder.embed_passages(sentences))  # type: ignore[attr-defined]
    return _SENTENCES[id(embedder)]


def fill_synthetic(
    store: object,
    embedder: object,
    size: int,
    *,
    progress: bool = False,
    index: object | None = None,
) -> None:
    """Add `size` chunks recombined from corpus sentences (50 a document) and publish them,
    writing them to the lexical `index` too when one is given (as ingest does).

    Embedding 100,000 chunks with the model would take hours here, so each chunk's vector is the
    normalised mean of its sentences' real embeddings: real text, real vocabulary, realistic
    vector geometry.
    """
    from store.schema import Chunk
    from store.sentences import SENTENCE_VERSION, sentence_records

    sentences, vectors = corpus_sentences(embedder)
    row_of = {sentence: row for row, sentence in enumerate(sentences)}
    rng = random.Random(7)
    batch: list[Chunk] = []
    batch_vectors: list[list[float]] = []
    for i in range(size):
        picks = rng.sample(range(len(sentences)), 4)
        vector = vectors[picks].mean(axis=0)
        vector /= np.linalg.norm(vector)
        doc = i // PER_DOCUMENT
        batch.append(
            Chunk(
                text=" ".join(sentences[p] for p in picks),
                source=f"synthetic/doc-{doc}.md",
                chunk_index=i % PER_DOCUMENT,
                title=f"Synthetic document {doc}",
                section="Synthetic",
                doc_type="guide",
                lang="en",
                content_hash=f"h{doc}",
            )
        )
        batch_vectors.append(vector.tolist())
        if len(batch) == BATCH or i == size - 1:
            store.chunks.add(  # type: ignore[attr-defined]
                ids=[c.id for c in batch],
                documents=[c.text for c in batch],
                metadatas=[c.metadata() for c in batch],
                embeddings=batch_vectors,
            )
            # Each chunk's sentence records carry those sentences' own embeddings.
            records = [r for r in sentence_records(batch) if r.text in row_of]
            store.sentences.write(records, vectors[[row_of[r.text] for r in records]])  # type: ignore[attr-defined]
            if index is not None:
                index.upsert(batch)  # type: ignore[attr-defined]
            batch, batch_vectors = [], []
            if progress and (i + 1) % (BATCH * 10) == 0:
                print(f"  {i + 1} chunks", file=sys.stderr, flush=True)
    documents = (size + PER_DOCUMENT - 1) // PER_DOCUMENT
    versions = [(f"synthetic/doc-{doc}.md", f"h{doc}") for doc in range(documents)]
    for start in range(0, len(versions), 1000):
        # Mean vectors of this model's embeddings: its identity, as an ingest would record it.
        store.registry.publish_many(  # type: ignore[attr-defined]
            versions[start : start + 1000],
            embedder.identity,
            sentences=SENTENCE_VERSION,  # type: ignore[attr-defined]
        )
        if index is not None:
            index.publish(versions[start : start + 1000])  # type: ignore[attr-defined]


def build(size: int, out: Path) -> dict[str, object]:
    """Build (or reuse) the synthetic store of `size` chunks under `out`; returns its figures."""
    from config import load_settings
    from store.client import open_store
    from store.embedding import get_embedder
    from store.lexical_index import index_dir, open_lexical_index

    marker = out / "synthetic.json"
    if marker.is_file():
        figures = json.loads(marker.read_text("utf-8"))
        if figures.get("chunks") == size:
            settings = synthetic_settings(load_settings(), out)
            if not index_dir(settings).is_dir():  # type: ignore[arg-type]
                figures.update(index_store(settings))
                marker.write_text(json.dumps(figures, indent=2), "utf-8")
            figures["reused"] = True
            return figures
    # A build cut short, or of another size: start again rather than mix two.
    shutil.rmtree(out / "chroma", ignore_errors=True)
    shutil.rmtree(out / "data", ignore_errors=True)
    settings = synthetic_settings(load_settings(), out)
    embedder = get_embedder(settings.embedding_model_path, for_batches=True)
    started = time.perf_counter()
    store = open_store(settings)
    # Written as the store fills, as ingest does: a catch-up from an empty index re-reads and
    # re-tokenises every chunk (285 s at 100,000 chunks), and its paging grows with the offset.
    index = open_lexical_index(settings)
    try:
        fill_synthetic(store, embedder, size, progress=True, index=index)
    finally:
        index.close()
    figures: dict[str, object] = {
        "chunks": size,
        "store_build_s": round(time.perf_counter() - started, 1),
    }
    figures.update(index_store(settings))
    out.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(figures, indent=2), "utf-8")
    figures["reused"] = False
    return figures


def synthetic_settings(settings: object, out: Path) -> object:
    """The settings with the synthetic store and its state in place (embedded mode)."""
    return settings.model_copy(  # type: ignore[attr-defined]
        update={"chroma_path": out / "chroma", "data_dir": out / "data", "chroma_host": None}
    )


def index_store(settings: object) -> dict[str, object]:
    """Bring the store's lexical index up to date: the catch-up a replica with an empty disk
    makes (ingest writes the index as it publishes, so an ingested store needs none)."""
    from store.client import open_store
    from store.lexical_index import index_dir, open_lexical_index
    from store.lexical_sync import catch_up

    store = open_store(settings)  # type: ignore[arg-type]
    index = open_lexical_index(settings)  # type: ignore[arg-type]
    try:
        caught = catch_up(store, index)
    finally:
        index.close()
    folder = index_dir(settings)  # type: ignore[arg-type]
    size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    return {
        "index_catch_up_s": round(caught.seconds, 1),
        "index_caught_up_chunks": caught.fetched_chunks,
        "index_disk_mb": round(size / 2**20, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Build or reuse a synthetic store and print its figures as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench synthetic", description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000, help="how many chunks")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="where to build")
    args = parser.parse_args(argv)
    figures = build(args.chunks, args.out.resolve())
    print(json.dumps(figures, indent=2))
    return 0
