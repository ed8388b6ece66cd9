"""`python -m knowledge eval`: metrics of the assistant and of the naive baseline, in one run,
per corpus."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from config.settings import Settings
from knowledge.evaluation.corpora import load_registry
from knowledge.evaluation.metrics import Outcome, failures, miss_reason, score
from knowledge.evaluation.options import ALL
from knowledge.evaluation.questions import EvalSetError, load_any
from knowledge.evaluation.report import print_misses, print_table
from knowledge.evaluation.suite import CorpusResult, evaluate_corpus


def _roots(pairs: list[str]) -> dict[str, Path]:
    roots = {}
    for pair in pairs:
        name, sep, folder = pair.partition("=")
        if not sep or not name or not folder:
            raise EvalSetError(f"--corpus-dir wants NAME=DIR, not {pair!r}")
        roots[name] = Path(folder)
    return roots


def _store_result(
    settings: Settings, store_dir: Path, questions_file: Path, baseline: bool
) -> CorpusResult:
    """The `--store DIR --questions FILE` form: one set against a store the user built."""
    from knowledge.evaluation.baseline import run_baseline
    from knowledge.evaluation.runner import chunk_text_lookup, run_assistant, with_stored_sources
    from knowledge.factory import open_knowledge
    from store.embedding import get_embedder

    questions = load_any(questions_file)
    opened = open_knowledge(settings, store_dir)
    assistant, store = opened.assistant, opened.store
    lookup = chunk_text_lookup(store)
    ours: list[Outcome] = with_stored_sources(store, run_assistant(assistant, questions))
    naive = None
    if baseline:
        embedder = get_embedder(settings.embedding_model_path)
        naive = score(with_stored_sources(store, run_baseline(store, embedder, questions)), lookup)
    return CorpusResult(store_dir.name, score(ours, lookup), naive, tuple(ours))


def _results(settings: Settings, args: argparse.Namespace) -> list[CorpusResult]:
    baseline = not args.no_baseline
    if args.store is not None:
        if args.questions is None:
            raise EvalSetError("--store needs --questions FILE (a corpus brings its own store)")
        return [_store_result(settings, args.store, args.questions, baseline)]
    corpora = load_registry(args.registry, _roots(args.corpus_dir))
    names = args.corpus or ["bundled"]
    if args.questions is not None:
        # Another question file against one corpus's documents (DESIGN.md: `eval --questions`).
        if len(names) != 1 or names[0] not in corpora:
            raise EvalSetError("--questions goes with one --corpus NAME (default: bundled)")
        corpora = {names[0]: replace(corpora[names[0]], questions=(args.questions,))}
    explicit = ALL not in names
    chosen = [name for name in corpora if not corpora[name].held_out] if not explicit else names
    unknown = [name for name in chosen if name not in corpora]
    if unknown:
        raise EvalSetError(f"unknown corpus {', '.join(unknown)}; known: {', '.join(corpora)}")
    results = []
    for name in chosen:
        corpus = corpora[name]
        missing = corpus.missing()
        if missing and not explicit:
            print(f"{name}: skipped, not present ({missing[0]})", file=sys.stderr)
            continue
        results.append(evaluate_corpus(settings, corpus, baseline))
    return results


def run_eval(settings: Settings, args: argparse.Namespace) -> int:
    """The `eval` command."""
    try:
        results = _results(settings, args)
    except EvalSetError as error:
        print(f"eval failed: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(as_json(results), ensure_ascii=False))
    else:
        for result in results:
            print_table(result)
    if args.misses:
        for result in results:
            print_misses(result, miss_reason)
    elif not args.json:
        for result in results:
            lines = failures(list(result.outcomes))
            if lines:
                print(f"\n{result.name}: {len(lines)} misses (details: --misses)")
    return 0


def as_json(results: list[CorpusResult]) -> dict[str, object]:
    """One corpus: the DESIGN.md object itself (with `corpus` and `baseline`); several: the same
    object per corpus under `corpora`."""

    def one(result: CorpusResult) -> dict[str, object]:
        body: dict[str, object] = {"corpus": result.name} | result.metrics
        if result.baseline is not None:
            body["baseline"] = result.baseline
        return body

    if len(results) == 1:
        return one(results[0])
    return {"corpora": {result.name: one(result) for result in results}}
