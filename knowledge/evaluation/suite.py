"""One corpus's evaluation: ingest it once into its cached store, ask the assistant and the
naive baseline every question, score both."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from config.settings import Settings
from knowledge.evaluation.corpora import Corpus
from knowledge.evaluation.metrics import Outcome, score
from knowledge.evaluation.questions import EvalQuestion, EvalSetError
from store.client import StoreHandle
from store.language import detect_lang


@dataclass(frozen=True, slots=True)
class CorpusResult:
    """The figures of both systems on one corpus, and the assistant's outcomes for the misses."""

    name: str
    metrics: dict[str, object]
    baseline: dict[str, object] | None
    outcomes: tuple[Outcome, ...]


def corpus_settings(settings: Settings, name: str) -> tuple[Settings, Path]:
    """The corpus's own state folder under DATA_DIR (manifest, token cache) and store folder:
    cached between runs, and apart from the user's store."""
    base = settings.data_dir / "eval" / name
    return settings.model_copy(update={"data_dir": base}), base / "chroma"


def ingest_corpus(settings: Settings, corpus: Corpus, store_dir: Path) -> None:
    """Bring the cached store up to date (incremental: unchanged files are skipped)."""
    from ingest.pipeline import Ingestor
    from store.embedding import get_embedder

    print(f"{corpus.name}: syncing {len(corpus.docs)} folder(s) into {store_dir}…", file=sys.stderr)
    report = Ingestor(
        settings, get_embedder(settings.embedding_model_path, for_batches=True), store_dir=store_dir
    ).sync(list(corpus.docs))
    if report.failed:
        # Real documentation has files the loaders reject; the rest is still a fair corpus.
        print(f"{corpus.name}: {len(report.failed)} file(s) not ingested", file=sys.stderr)


def source_languages(store: StoreHandle, corpus: Corpus) -> dict[str, set[str]]:
    """Each stored source (as the corpus names it) → the languages of its chunks."""
    records = store.chunks.get(include=["metadatas"])
    languages: dict[str, set[str]] = {}
    for metadata in records.get("metadatas") or []:
        if metadata:
            name = corpus.source_name(str(metadata.get("source", "")))
            languages.setdefault(name, set()).add(str(metadata.get("lang", "")))
    return languages


def with_languages(
    questions: list[EvalQuestion], languages: dict[str, set[str]]
) -> list[EvalQuestion]:
    """Fill in what a set does not say: the question's language, and whether it is cross-lingual
    (none of its expected sources is in the question's language)."""
    filled = []
    for question in questions:
        lang = question.lang or detect_lang(question.question)
        cross = question.cross_lingual
        if not question.kind and question.answerable and question.expect_sources:
            fragments = [fragment.lower() for fragment in question.expect_sources]
            expected = set().union(
                *(
                    langs
                    for source, langs in languages.items()
                    if any(fragment in source.lower() for fragment in fragments)
                )
            )
            cross = bool(expected) and lang not in expected
        filled.append(replace(question, lang=lang, cross_lingual=cross))
    return filled


def evaluate_corpus(settings: Settings, corpus: Corpus, baseline: bool) -> CorpusResult:
    """Ingest (incrementally), then run and score the assistant and the baseline on the
    questions, and the assistant on the comparison sets."""
    from knowledge.evaluation.baseline import run_baseline
    from knowledge.evaluation.runner import (
        chunk_text_lookup,
        other_language_abstention,
        run_assistant,
        with_stored_sources,
    )
    from knowledge.factory import open_knowledge
    from store.embedding import get_embedder

    missing = corpus.missing()
    if missing:
        raise EvalSetError(f"corpus {corpus.name}: missing {', '.join(map(str, missing))}")
    own_settings, store_dir = corpus_settings(settings, corpus.store or corpus.name)
    if corpus.vendor_docs:
        from knowledge.evaluation.vendor_docs import materialise

        drawn = own_settings.data_dir / "vendor-docs"
        for folder in corpus.vendor_docs:
            materialise(drawn / folder.name, folder)
        corpus = replace(corpus, docs=(*corpus.docs, drawn))
    ingest_corpus(own_settings, corpus, store_dir)
    opened = open_knowledge(own_settings, store_dir)
    assistant, store = opened.assistant, opened.store
    compared = _comparisons(corpus, assistant) | _briefings(corpus, assistant)
    if not corpus.questions:
        return CorpusResult(corpus.name, compared, None, ())
    questions = corpus.load_questions()
    questions = with_languages(questions, source_languages(store, corpus))
    lookup = chunk_text_lookup(store)
    name = corpus.source_name
    ours = with_stored_sources(store, run_assistant(assistant, questions, name=name), name)
    naive = None
    if baseline:
        embedder = get_embedder(own_settings.embedding_model_path)
        naive_outcomes = run_baseline(store, embedder, questions, name=name)
        naive = score(with_stored_sources(store, naive_outcomes, name), lookup)
    metrics = score(ours, lookup) | other_language_abstention(assistant, questions) | compared
    return CorpusResult(corpus.name, metrics, naive, tuple(ours))


def _comparisons(corpus: Corpus, assistant: Any) -> dict[str, object]:
    """The comparison sets' metrics (cell accuracy, off-criterion cells), if the corpus has any."""
    if not corpus.comparisons:
        return {}
    from knowledge.evaluation.comparisons import load_expectations, print_cells, run_comparisons

    expectations = [cell for path in corpus.comparisons for cell in load_expectations(path)]
    metrics, outcomes = run_comparisons(assistant, assistant_criteria(assistant), expectations)
    if metrics["cell_accuracy"] != 1.0:
        print(f"{corpus.name}: comparison cells not right:", file=sys.stderr)
        print_cells(outcomes)
    return metrics


def _briefings(corpus: Corpus, assistant: Any) -> dict[str, object]:
    """The briefing sets' metrics (key-metric accuracy, off-metric claims, the scenario's own
    questions and PoC tests), if the corpus has any."""
    if not corpus.briefings:
        return {}
    from knowledge.evaluation.briefings import load_briefings, print_briefings, run_briefings

    expectations = []
    markers: dict[str, tuple[str, ...]] = {}
    for path in corpus.briefings:
        briefings, scenario_markers = load_briefings(path)
        expectations += briefings
        markers |= scenario_markers
    criteria = assistant_criteria(assistant)
    metrics, outcomes, items = run_briefings(assistant, criteria, expectations, markers)
    if metrics["briefing_metric_accuracy"] != 1.0 or metrics["scenario_items_accuracy"] != 1.0:
        print(f"{corpus.name}: briefing metrics not right:", file=sys.stderr)
        print_briefings(outcomes, items)
    return metrics


def assistant_criteria(assistant: Any) -> Any:
    """The criteria the assistant compares by (an LLM answerer wraps the extractive one)."""
    base = getattr(assistant, "base", assistant)
    return base.domain.criteria
