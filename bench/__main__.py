"""`python -m bench [--chunks N] [--skip-scale]`: measure, compare with baselines, write a report.
`python -m bench synthetic --chunks N --out DIR` builds a reusable synthetic store;
`python -m bench scale --chunks N --out DIR` measures start, latency, memory and ingest on it.
`python -m bench.encoder_speed` compares the bundled model's numpy and torch encoders;
`python -m bench.resync --out DIR` times the re-sync of an unchanged 1,000-document folder;
`python -m bench.calibrate --grid NAME=v1,v2` scores the reader's thresholds per evaluation corpus.

Measured in one run, on this machine:
- ingest throughput (chunks/s) of the pipeline beside raw `model.encode` on the same chunks;
- `ask` latency (warm, p50/p95) on the bundled corpus, beside a naive langchain + Chroma top-k;
- `ask` latency on a synthetic store of N chunks (default 100,000) and the process's memory;
- resident memory of a process that only answers (bench.rss_probe), and of the real bot
  (`python -m bot` against a fake Telegram on 127.0.0.1, bench.bot_rss), on the bundled corpus;
- delivery through an outage (bench.bot_burst): 200 questions from 20 chats with a 10-second
  502 window of the fake Telegram in the middle, each answered exactly once.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

REPORT = Path(__file__).resolve().parent / "reports" / "latest.json"
CORPUS = Path(__file__).resolve().parent.parent / "knowledge" / "corpus"


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95 in milliseconds."""
    values = np.array(samples) * 1000
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 1),
        "p95_ms": round(float(np.percentile(values, 95)), 1),
    }


def bench_ingest(settings: object, embedder: object, scratch: Path) -> dict[str, object]:
    """Pipeline chunks/s against raw encode of everything it embedded (the chunk texts and each
    distinct sentence text, as one call), per chunk."""
    from ingest.pipeline import Ingestor

    store_dir = scratch / "ingest-store"
    started = time.perf_counter()
    report = Ingestor(settings, embedder, store_dir=store_dir).sync([CORPUS])  # type: ignore[arg-type]
    pipeline_seconds = time.perf_counter() - started
    sentences = sentence_texts(settings, store_dir)
    texts = open_texts(settings, store_dir) + sentences
    started = time.perf_counter()
    embedder.embed_passages(texts)  # type: ignore[attr-defined]
    raw_seconds = time.perf_counter() - started
    pipeline_rate = report.chunks / pipeline_seconds
    raw_rate = report.chunks / raw_seconds
    return {
        "files": report.added,
        "chunks": report.chunks,
        "sentences_embedded": len(sentences),
        "pipeline_seconds": round(pipeline_seconds, 2),
        "raw_encode_seconds": round(raw_seconds, 2),
        "pipeline_chunks_per_s": round(pipeline_rate, 2),
        "raw_encode_chunks_per_s": round(raw_rate, 2),
        "ratio": round(pipeline_rate / raw_rate, 3),
        "store": str(store_dir),
    }


def open_texts(settings: object, store_dir: Path) -> list[str]:
    """Every chunk text in a store."""
    from store.client import open_store

    return list(
        open_store(settings, store_dir).chunks.get(include=["documents"])["documents"] or []
    )  # type: ignore[arg-type]


def sentence_texts(settings: object, store_dir: Path) -> list[str]:
    """The distinct sentence texts ingest embedded for the store's chunks."""
    from store.client import open_store
    from store.schema import chunks_from_page
    from store.sentences import sentence_records

    records = open_store(settings, store_dir).chunks.get(include=["documents", "metadatas"])  # type: ignore[arg-type]
    chunks = chunks_from_page(records)
    return list(dict.fromkeys(record.embed_text for record in sentence_records(chunks)))


QUESTIONS = [
    "What matters for a voice room?",
    "1v1 视频社交选型看什么?",
    "How do I test a vendor under packet loss?",
    "秀场直播连麦 PK 的延迟要求是多少?",
    "What should an SLA cover?",
    "Where is Agora listed?",
    "直播带货用什么架构?",
    "How do I check a vendor's global node coverage?",
    "在线教育互动课堂要注意哪些指标?",
    "What are red flags in a vendor meeting?",
]


def bench_ask(settings: object, store_dir: Path | None, rounds: int) -> dict[str, object]:
    """Warm ask latency of the assistant and of the naive top-k, on the same store."""
    from knowledge.evaluation.baseline import run_baseline
    from knowledge.evaluation.questions import EvalQuestion
    from knowledge.factory import open_knowledge

    opened = open_knowledge(settings, store_dir)  # type: ignore[arg-type]
    assistant = opened.assistant
    for question in QUESTIONS:
        assistant.ask(question)
    samples = []
    for _ in range(rounds):
        for question in QUESTIONS:
            started = time.perf_counter()
            assistant.ask(question)
            samples.append(time.perf_counter() - started)
    ours = percentiles(samples)
    questions = [EvalQuestion(str(i), q, True, (), ()) for i, q in enumerate(QUESTIONS)]
    store, embedder = opened.store, opened.embedder
    run_baseline(store, embedder, questions)  # type: ignore[arg-type]
    naive = []
    for _ in range(rounds):
        naive.extend(o.seconds for o in run_baseline(store, embedder, questions))  # type: ignore[arg-type]
    baseline = percentiles(naive)
    return {
        "assistant": ours,
        "naive_top_k": baseline,
        "p95_ratio_assistant_to_naive": round(ours["p95_ms"] / baseline["p95_ms"], 2),
        "samples": len(samples),
    }


def synthetic_store(
    settings: object, embedder: object, scratch: Path, size: int, *, server: bool = False
) -> Path | None:
    """A synthetic store of `size` chunks in `scratch` (or on the configured server)."""
    from bench.synthetic import fill_synthetic
    from store.client import open_store

    store_dir = None if server else scratch / f"synthetic-{size}"
    fill_synthetic(open_store(settings, store_dir), embedder, size)  # type: ignore[arg-type]
    return store_dir


def answering_rss(settings: object, store_dir: Path) -> int:
    """RSS of a separate process that only answers (what the bot process holds)."""
    import subprocess

    env = os.environ | {"DATA_DIR": str(settings.data_dir)}  # type: ignore[attr-defined]
    out = subprocess.run(
        [sys.executable, "-m", "bench.rss_probe", str(store_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=True,
    )
    return int(json.loads(out.stdout.strip().splitlines()[-1])["rss_mb"])


def bot_rss(settings: object, store_dir: Path, scratch: Path) -> int:
    """RSS of the real bot process (`python -m bot` against a fake Telegram) on the store, with
    a fresh DATA_DIR of its own; fails the benchmark if a question goes unanswered."""
    from bench.bot_rss import bot_process_rss

    measured = bot_process_rss(store_dir, scratch / "bot-data", settings=settings)  # type: ignore[arg-type]
    if measured["answered"] < measured["questions"]:
        raise RuntimeError(f"the bot left questions unanswered: {measured['unanswered']}")
    return int(measured["rss_mb"])


def bench_server(
    settings: object, embedder: object, scratch: Path, args: argparse.Namespace
) -> dict[str, object]:
    """The same ask measurements with the store behind a Chroma server (client/server mode)."""
    from bench.chroma_server import chroma_server

    print(f"server mode: {args.server_chunks} chunks behind chroma run…", file=sys.stderr)
    with chroma_server(scratch / "server-data") as port:
        served = settings.model_copy(  # type: ignore[attr-defined]
            update={
                "chroma_host": "127.0.0.1",
                "chroma_port": port,
                "data_dir": scratch / "server-state",
            }
        )
        started = time.perf_counter()
        synthetic_store(served, embedder, scratch, args.server_chunks, server=True)
        build = time.perf_counter() - started
        return bench_scale(served, None, args.rounds, build, args.server_chunks)


def bench_scale(
    settings: object, store_dir: Path | None, rounds: int, build_s: float, chunks: int
) -> dict[str, object]:
    """`ask` latency on a synthetic store just built, with its build and first-load times."""
    started = time.perf_counter()
    scale = bench_ask(settings, store_dir, rounds)
    scale["first_load_s_including_index_build"] = round(time.perf_counter() - started, 1)
    scale["store_build_s"] = round(build_s, 1)
    scale["chunks"] = chunks
    return scale


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and write bench/reports/latest.json."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--chunks", type=int, default=100_000, help="synthetic store size")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of the questions")
    parser.add_argument("--skip-scale", action="store_true", help="skip the synthetic store")
    parser.add_argument(
        "--server-chunks",
        type=int,
        default=0,
        metavar="N",
        help="also measure against a private `chroma run` on loopback with N synthetic chunks",
    )
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["synthetic"]:
        from bench.synthetic import main as synthetic_main

        return synthetic_main(arguments[1:])
    if arguments[:1] == ["scale"]:
        from bench.scale import main as scale_main

        return scale_main(arguments[1:])
    args = parser.parse_args(arguments)
    from bot.allocator import limit_allocator_growth

    # Latency as the bot sees it: the same malloc settings (bot/allocator.py).
    limit_allocator_growth()

    from config import load_settings
    from store.embedding import get_embedder

    result: dict[str, object] = {"machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M")}
    process = psutil.Process()
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        scratch = Path(folder)
        settings = load_settings().model_copy(update={"data_dir": scratch / "data"})
        embedder = get_embedder(settings.embedding_model_path, for_batches=True)
        print("ingest throughput…", file=sys.stderr)
        ingest = bench_ingest(settings, embedder, scratch)
        result["ingest"] = ingest
        print("ask latency on the bundled corpus…", file=sys.stderr)
        result["ask_bundled"] = bench_ask(settings, Path(str(ingest["store"])), args.rounds)
        print("brief and compare latency on the bundled corpus…", file=sys.stderr)
        from bench.briefings import bench_briefings

        result["briefings_bundled"] = bench_briefings(
            settings, Path(str(ingest["store"])), args.rounds
        )
        result["rss_mb_benchmark_process"] = round(process.memory_info().rss / 2**20)
        result["rss_mb_answering_process"] = answering_rss(settings, Path(str(ingest["store"])))
        print("bot process memory…", file=sys.stderr)
        result["rss_mb_bot_process"] = bot_rss(settings, Path(str(ingest["store"])), scratch)
        print("a burst of questions through a Telegram outage…", file=sys.stderr)
        from bench.bot_burst import bot_burst

        result["bot_burst"] = bot_burst()
        if not args.skip_scale:
            print(f"building a synthetic store of {args.chunks} chunks…", file=sys.stderr)
            started = time.perf_counter()
            store_dir = synthetic_store(settings, embedder, scratch, args.chunks)
            assert store_dir is not None
            build = time.perf_counter() - started
            result["ask_scale"] = bench_scale(settings, store_dir, args.rounds, build, args.chunks)
            result["rss_mb_benchmark_process_after_scale"] = round(
                process.memory_info().rss / 2**20
            )
        if args.server_chunks:
            result["server"] = bench_server(settings, embedder, scratch, args)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(result, indent=2, ensure_ascii=False), "utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
