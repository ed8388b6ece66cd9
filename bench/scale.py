"""`python -m bench scale --chunks N --out DIR`: the figures of docs/benchmarks.md at scale.

On the synthetic store of bench.synthetic (built once, reused), measured in separate processes
as a user runs them:
- the first answer of `python -m knowledge ask` on its first start after the store was built
  (with the OS page cache dropped when this user may) and after a restart, with peak memory;
- `ask` p50/p95 warm, beside the naive langchain + Chroma top-k, in the same run;
- the real bot's memory (bench.bot_rss) after answering on the store;
- `python -m ingest` of 1,000 new documents into the store, a re-sync of the unchanged folder,
  and their removal again (so the store stays reusable);
- the lexical index's size on disk.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.synthetic import CORPUS, build, synthetic_settings

REPORTS = Path(__file__).resolve().parent / "reports"
QUESTION = "What matters for a voice room?"
NEW_DOCUMENTS = 1000


def run_timed(command: list[str], env: dict[str, str], timeout: float) -> dict[str, object]:
    """Wall time, exit status, peak RSS of this one child process (its own rusage, from
    wait4) and the load average when it ended."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    outputs: dict[str, str] = {}
    readers = [
        threading.Thread(target=lambda n=n, s=s: outputs.__setitem__(n, s.read()), daemon=True)
        for n, s in (("out", process.stdout), ("err", process.stderr))
    ]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            process.kill()
            os.wait4(process.pid, 0)
            raise subprocess.TimeoutExpired(command, timeout)
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{command} failed ({process.returncode}): {outputs['err'][-2000:]}")
    return {
        "s": round(seconds, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "stdout": outputs["out"],
    }


def drop_page_cache() -> bool:
    """Empty the OS page cache (only root may); True when done."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def first_answers(env: dict[str, str]) -> dict[str, object]:
    """The first answer of a separate `ask` process: first start (cold cache), then restart."""
    command = [sys.executable, "-m", "knowledge", "ask", "--json", QUESTION]
    cold = drop_page_cache()
    first = run_timed(command, env, 900)
    restart = run_timed(command, env, 900)
    answered = json.loads(str(restart["stdout"]).strip().splitlines()[-1])
    return {
        "page_cache_dropped": cold,
        "first_start_s": first["s"],
        "first_start_peak_rss_mb": first["peak_rss_mb"],
        "first_start_load_average": first["load_average"],
        "restart_s": restart["s"],
        "restart_peak_rss_mb": restart["peak_rss_mb"],
        "restart_load_average": restart["load_average"],
        "citations": len(answered.get("citations") or []),
    }


def bot_memory(env: dict[str, str], out: Path) -> dict[str, object]:
    """The real bot's RSS on the store (bench.bot_rss, its own process, a fake Telegram)."""
    command = [sys.executable, "-m", "bench.bot_rss", str(out / "chroma")]
    measured = run_timed([*command, "--data-dir", str(out / "data"), "--timeout", "600"], env, 1500)
    figures = json.loads(str(measured["stdout"]).strip().splitlines()[-1])
    figures["load_average"] = measured["load_average"]
    return figures


def write_documents(folder: Path, count: int) -> None:
    """`count` small Markdown documents recombined from the corpus's sentences."""
    from store.sentences import split_sentences

    sentences = sorted(
        {
            sentence
            for path in sorted(CORPUS.glob("*.md"))
            for line in path.read_text("utf-8").splitlines()
            if line and not line.startswith(("---", "#", "title:"))
            for sentence in split_sentences(line)
            if len(sentence) > 20
        }
    )
    rng = random.Random(11)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        body = "\n\n".join(" ".join(rng.sample(sentences, 4)) for _ in range(3))
        (folder / f"new-{i:04d}.md").write_text(f"# New document {i}\n\n{body}\n", "utf-8")


def ingest_figures(env: dict[str, str], out: Path) -> dict[str, object]:
    """Ingest 1,000 new documents, re-sync them unchanged, then remove them again."""
    folder = out / "new-documents"
    shutil.rmtree(folder, ignore_errors=True)
    write_documents(folder, NEW_DOCUMENTS)
    command = [sys.executable, "-m", "ingest", "--json", str(folder)]
    added = run_timed(command, env, 3600)
    unchanged = run_timed(command, env, 600)
    for path in folder.glob("*.md"):
        path.unlink()
    removed = run_timed(command, env, 600)
    return {
        "new_documents": NEW_DOCUMENTS,
        "ingest_new_s": added["s"],
        "ingest_new_report": json.loads(str(added["stdout"]).strip().splitlines()[-1]),
        "ingest_new_load_average": added["load_average"],
        "resync_unchanged_s": unchanged["s"],
        "resync_unchanged_load_average": unchanged["load_average"],
        "resync_unchanged_report": json.loads(str(unchanged["stdout"]).strip().splitlines()[-1]),
        "remove_again_s": removed["s"],
    }


def main(argv: list[str] | None = None) -> int:
    """Measure at scale and write bench/reports/scale-N.json."""
    parser = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000, help="synthetic store size")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="store folder")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds of the questions")
    parser.add_argument("--skip-ingest", action="store_true", help="skip the ingest figures")
    parser.add_argument("--skip-bot", action="store_true", help="skip the bot's memory")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    from bench.__main__ import bench_ask, machine
    from config import load_settings
    from store.lexical_index import index_dir

    result: dict[str, object] = {"machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M")}
    report = REPORTS / f"scale-{args.chunks}.json"
    REPORTS.mkdir(parents=True, exist_ok=True)

    def save() -> None:
        # After every phase: a run stopped half-way still leaves what it measured.
        report.write_text(json.dumps(result, indent=2, ensure_ascii=False), "utf-8")

    result["store"] = build(args.chunks, out)
    save()
    env = {k: v for k, v in os.environ.items() if k not in ("CHROMA_HOST", "CHROMA_PORT")}
    env |= {"CHROMA_PATH": str(out / "chroma"), "DATA_DIR": str(out / "data")}
    print("first answers…", file=sys.stderr)
    result["first_answer"] = first_answers(env)
    save()
    settings = synthetic_settings(load_settings(), out)
    print("warm ask latency…", file=sys.stderr)
    result["ask_warm"] = bench_ask(settings, None, args.rounds)
    result["ask_warm"]["load_average"] = [round(x, 2) for x in os.getloadavg()]  # type: ignore[index]
    save()
    if not args.skip_bot:
        print("the bot's memory…", file=sys.stderr)
        result["bot"] = bot_memory(env, out)
        save()
    folder = index_dir(settings)  # type: ignore[arg-type]
    size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    result["lexical_index_disk_mb"] = round(size / 2**20, 1)
    if not args.skip_ingest:
        print("ingest of new documents…", file=sys.stderr)
        result["ingest"] = ingest_figures(env, out)
    save()
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0
