"""`python -m bench.encoder_speed [--rounds N]`: the bundled model's two encoders side by side —
the numpy forward pass (store/numpy_encoder.py) and the torch module run by sentence-transformers
(store/compact_encoder.py) — on ingest-sized batches of passages and on single questions,
alternating in one process so that both see the same machine load; with their agreement.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

CORPUS = Path(__file__).resolve().parent.parent / "knowledge" / "corpus"
QUESTIONS = [
    "语聊房怎么做回声消除？",
    "What latency should a live-streaming SDK reach for co-hosting?",
    "海外直播选哪家 CDN？",
    "How do I compare pricing across RTC vendors?",
]


def passages(limit: int = 64, size: int = 600) -> list[str]:
    """Chunk-sized texts (about `size` characters of paragraphs) from the bundled corpus."""
    texts: list[str] = []
    for path in sorted(CORPUS.glob("*.md")):
        current = ""
        for paragraph in path.read_text("utf-8").split("\n\n"):
            current = f"{current}\n\n{paragraph}" if current else paragraph
            if len(current) >= size:
                texts.append(current)
                current = ""
        if current:
            texts.append(current)
    return texts[:limit]


def _best_of(call: Callable[[], np.ndarray], rounds: int) -> tuple[float, np.ndarray]:
    best, result = float("inf"), np.zeros(0)
    for _ in range(rounds):
        started = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - started)
    return best, result


def measure(rounds: int, limit: int) -> dict[str, object]:
    """Load times, passage throughput and question latency of both encoders."""
    from config.settings import bundled_model_dir

    folder = bundled_model_dir()
    started = time.perf_counter()
    from store.numpy_encoder import NumpyEncoder

    numpy_encoder = NumpyEncoder(folder)
    numpy_load = time.perf_counter() - started
    started = time.perf_counter()
    from sentence_transformers import SentenceTransformer

    from store.compact_encoder import compact_model_parts

    modules, prompts = compact_model_parts(folder)
    torch_model = SentenceTransformer(modules=modules, prompts=prompts, device="cpu")
    torch_load = time.perf_counter() - started
    texts = passages(limit)

    def by_numpy() -> np.ndarray:
        return numpy_encoder.encode(texts, prompts["passage"], batch_size=32)

    def by_torch() -> np.ndarray:
        return torch_model.encode(
            texts, prompt_name="passage", batch_size=32, normalize_embeddings=True
        )

    figures: dict[str, object] = {
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "load_s": {"numpy": round(numpy_load, 2), "torch": round(torch_load, 2)},
        "passages": len(texts),
    }
    numpy_s, ours = _best_of(by_numpy, rounds)
    torch_s, theirs = _best_of(by_torch, rounds)
    figures["passages_per_s"] = {
        "numpy": round(len(texts) / numpy_s, 1),
        "torch": round(len(texts) / torch_s, 1),
    }
    figures["min_cosine_passages"] = round(float((ours * theirs).sum(axis=1).min()), 6)
    numpy_ms = [
        _best_of(lambda q=q: numpy_encoder.encode([q], prompts["query"]), rounds)[0]
        for q in QUESTIONS
    ]
    torch_ms = [
        _best_of(lambda q=q: torch_model.encode([q], prompt_name="query"), rounds)[0]
        for q in QUESTIONS
    ]
    figures["question_ms_median"] = {
        "numpy": round(1000 * float(np.median(numpy_ms)), 1),
        "torch": round(1000 * float(np.median(torch_ms)), 1),
    }
    figures["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return figures


def main(argv: list[str] | None = None) -> int:
    """Print both encoders' figures as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.encoder_speed", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (best one kept)")
    parser.add_argument("--passages", type=int, default=64, help="how many chunk-sized texts")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.rounds, args.passages), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
