"""`python -m bench.sentence_cost [--store DIR] [--synthetic N]`: what sentence vectors cost a
question: `for_chunks` of its 5 retrieved chunks (what the reader scores), beside `retrieve`
itself, warm, p50/p95 in ms.

Without `--store`, the bundled corpus is ingested into a scratch store first (its time reported);
`--synthetic N` measures a synthetic store of N chunks instead (bench.__main__.synthetic_store).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.__main__ import CORPUS, QUESTIONS, percentiles, synthetic_store


def _timed(call: Callable[[int], object], rounds: int) -> dict[str, float]:
    """p50/p95 of `call(i)` for each benchmark question i, warm, over `rounds` rounds."""
    for i in range(len(QUESTIONS)):
        call(i)
    samples = []
    for _ in range(rounds):
        for i in range(len(QUESTIONS)):
            started = time.perf_counter()
            call(i)
            samples.append(time.perf_counter() - started)
    return percentiles(samples)


def measure(settings: object, store_dir: Path | None, rounds: int) -> dict[str, object]:
    """Latencies of the sentence calls on one store, over the benchmark's questions."""
    from knowledge.factory import open_assistant

    assistant = open_assistant(settings, store_dir)  # type: ignore[arg-type]
    retriever = assistant.retriever
    sentences = retriever.index.store.sentences
    top5 = [[hit.chunk for hit in retriever.retrieve(q, k=5).hits] for q in QUESTIONS]

    # By record id, as answering reads them; by the chunk_id filter beside it, as a baseline.
    of_chunks = _timed(lambda i: sentences.of_chunks(top5[i]), rounds)
    for_chunks = _timed(lambda i: sentences.for_chunks([c.id for c in top5[i]]), rounds)
    retrieve = _timed(lambda i: retriever.retrieve(QUESTIONS[i], k=5), rounds)
    return {
        "chunks": retriever.index.store.chunks.count(),
        "sentences": sentences.count(),
        "of_chunks_5": of_chunks,
        "for_chunks_5": for_chunks,
        "retrieve": retrieve,
    }


def main(argv: list[str] | None = None) -> int:
    """Measure and print one JSON object."""
    from config.settings import Settings
    from ingest.pipeline import Ingestor
    from store.embedding import get_embedder

    parser = argparse.ArgumentParser(prog="python -m bench.sentence_cost")
    parser.add_argument("--store", type=Path, help="an existing store (default: ingest one)")
    parser.add_argument("--synthetic", type=int, default=0, help="a synthetic store of N chunks")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-sentences-") as scratch:
        settings = Settings().model_copy(update={"data_dir": Path(scratch) / "data"})
        embedder = get_embedder(settings.embedding_model_path)
        result: dict[str, object] = {}
        store_dir = args.store
        if store_dir is None and args.synthetic:
            started = time.perf_counter()
            store_dir = synthetic_store(settings, embedder, Path(scratch), args.synthetic)
            result["synthetic_build_s"] = round(time.perf_counter() - started, 1)
        elif store_dir is None:
            store_dir = Path(scratch) / "chroma"
            started = time.perf_counter()
            report = Ingestor(settings, embedder, store_dir=store_dir).sync([CORPUS])
            result["ingest_s"] = round(time.perf_counter() - started, 2)
            result["ingest_chunks"] = report.chunks
        result |= measure(settings, store_dir, args.rounds)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
