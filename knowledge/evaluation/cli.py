"""`python -m knowledge eval`: metrics of the assistant and of the naive baseline, in one run."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from config.settings import Settings
from knowledge.evaluation.metrics import failures, score
from knowledge.evaluation.questions import (
    EVAL_DOCS,
    EvalSetError,
    default_questions,
    load_questions,
)

CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"
COLUMNS = (
    "n",
    "recall_at_5",
    "mrr",
    "answer_hit_rate",
    "abstention_accuracy",
    "citation_validity",
    "p50_ms",
    "p95_ms",
)


def _as_given(path: Path) -> Path:
    """The path relative to the working directory when it lies below it, as a user would type it
    (sources are cited by the path given)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _ingest_defaults(settings: Settings, store_dir: Path) -> None:
    from ingest.pipeline import Ingestor
    from store.embedding import get_embedder

    paths = [_as_given(CORPUS_DIR)] + ([_as_given(EVAL_DOCS)] if EVAL_DOCS.is_dir() else [])
    report = Ingestor(
        settings, get_embedder(settings.embedding_model_path), store_dir=store_dir
    ).sync(paths)
    if report.failed:
        raise EvalSetError(f"could not ingest the evaluation documents: {report.failed}")


def evaluate(
    settings: Settings, store_dir: Path, questions_file: Path | None, baseline: bool
) -> dict[str, object]:
    """Run the evaluation set against the store at `store_dir`; returns metrics and failures."""
    from knowledge.evaluation.baseline import run_baseline
    from knowledge.evaluation.runner import chunk_text_lookup, run_assistant
    from knowledge.factory import open_assistant
    from store.embedding import get_embedder

    questions = load_questions(questions_file) if questions_file else default_questions()
    assistant = open_assistant(settings, store_dir)
    store = assistant.retriever.index.store
    lookup = chunk_text_lookup(store)
    ours = run_assistant(assistant, questions)
    result: dict[str, object] = score(ours, lookup) | {"failures": failures(ours)}
    if baseline:
        naive = run_baseline(store, get_embedder(settings.embedding_model_path), questions)
        result["baseline"] = score(naive, lookup)
    return result


def run_eval(settings: Settings, args: argparse.Namespace) -> int:
    """The `eval` command."""
    with tempfile.TemporaryDirectory(prefix="eval-store-") as scratch:
        store_dir = args.store
        if store_dir is None:
            store_dir = Path(scratch) / "chroma"
            # A private store and manifest, so evaluation never touches the user's data.
            settings = settings.model_copy(update={"data_dir": Path(scratch) / "data"})
            print("ingesting the corpus and evaluation documents…", file=sys.stderr)
            _ingest_defaults(settings, store_dir)
        try:
            result = evaluate(settings, store_dir, args.questions, not args.no_baseline)
        except EvalSetError as error:
            print(f"eval failed: {error}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "failures"}, ensure_ascii=False))
    else:
        _print_table(result)
    return 0


def _print_table(result: dict[str, object]) -> None:
    baseline = result.get("baseline")
    header = f"{'metric':<22}{'assistant':>12}" + (f"{'naive top-k':>14}" if baseline else "")
    print(header)
    print("-" * len(header))
    for column in COLUMNS:
        row = f"{column:<22}{result[column]!s:>12}"
        if isinstance(baseline, dict):
            row += f"{baseline[column]!s:>14}"
        print(row)
    misses = result.get("failures") or []
    if isinstance(misses, list) and misses:
        print("\nmisses:")
        for line in misses:
            print(f"  {line}")
