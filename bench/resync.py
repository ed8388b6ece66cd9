"""`python -m bench.resync [--documents N] --out DIR`: the re-sync of an unchanged folder.

Writes N small documents (bench.scale.write_documents) to DIR/docs and ingests them once into a
store of their own (DIR/chroma, DIR/data) with a stand-in embedder that carries the configured
model's identity: vectors from hashed words, so the first ingest takes seconds instead of the
model's half hour here. Then `python -m ingest --json DIR/docs` runs twice as a separate process,
as a user runs it; with nothing changed it hashes the files, compares them with the manifest and
embeds nothing, which is all this measures (target: under 5 s for 1,000 documents).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from bench.scale import run_timed, write_documents

DIMENSION = 384


class StandInEmbedder:
    """Unit vectors from hashed words, under the configured model's identity."""

    def __init__(self, identity: str) -> None:
        self.identity = identity
        self.name = identity
        self.dimension = DIMENSION
        self.batch_size = 32

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """One unit vector a text."""
        rows = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.split():
                digest = hashlib.blake2b(word.encode("utf-8"), digest_size=4).digest()
                rows[row, int.from_bytes(digest, "little") % DIMENSION] += 1.0
            rows[row] /= max(float(np.linalg.norm(rows[row])), 1e-9)
        return rows

    def embed_query(self, text: str) -> np.ndarray:
        """See embed_passages."""
        return self.embed_passages([text])[0]

    def count_tokens(self, text: str) -> int:
        """Words, as a stand-in for model tokens."""
        return len(text.split())


def measure(documents: int, out: Path) -> dict[str, object]:
    """Ingest once with the stand-in, then time two unchanged re-syncs of the real CLI."""
    from config import load_settings
    from ingest.pipeline import Ingestor
    from store.embedding import model_identity

    shutil.rmtree(out, ignore_errors=True)
    folder = out / "docs"
    write_documents(folder, documents)
    settings = load_settings().model_copy(
        update={"chroma_path": out / "chroma", "data_dir": out / "data", "chroma_host": None}
    )
    started = time.perf_counter()
    embedder = StandInEmbedder(model_identity(settings.embedding_model_path))
    first = Ingestor(settings, embedder).sync([folder])  # type: ignore[arg-type]
    figures: dict[str, object] = {
        "documents": documents,
        "first_ingest_stand_in_s": round(time.perf_counter() - started, 1),
        "chunks": first.chunks,
    }
    env = {k: v for k, v in os.environ.items() if k not in ("CHROMA_HOST", "CHROMA_PORT")}
    env |= {"CHROMA_PATH": str(out / "chroma"), "DATA_DIR": str(out / "data")}
    command = [sys.executable, "-m", "ingest", "--json", str(folder)]
    for name in ("resync_1", "resync_2"):
        timed = run_timed(command, env, 600)
        report = json.loads(str(timed["stdout"]).strip().splitlines()[-1])
        figures[name] = {
            "s": timed["s"],
            "peak_rss_mb": timed["peak_rss_mb"],
            "load_average": timed["load_average"],
            "unchanged": report.get("unchanged"),
            "added": report.get("added"),
            "updated": report.get("updated"),
        }
    return figures


def main(argv: list[str] | None = None) -> int:
    """Print the figures as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.resync", description=__doc__)
    parser.add_argument("--documents", type=int, default=1000, help="how many documents")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="scratch folder")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.documents, args.out.resolve()), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
