"""`python -m bench.calibrate`: the reader's thresholds over a grid, scored per corpus.

Each question of each corpus is retrieved once (the expensive part); every combination of the
grid then reads the same retrieval again, as the assistant would answer, and is scored as
`knowledge eval` scores it: an answer hit (not abstained, an expected string in the answer text)
and a right abstention. The table shows every combination per corpus, so a value that helps one
corpus and costs another is seen as such; `points` is hits + 2 × right abstentions summed over
the corpora (a wrong answer to a must-abstain question costs more than a refusal).

Each must-abstain question is also asked of the store's other language alone (`other`): there
every candidate sentence is in another language than the question, so the cross-language bars
are tested by every such question, not only by the few that meet the other language anyway.

    python -m bench.calibrate --corpus bundled --corpus real-docs --corpus open-rtc-docs \
        --grid strong_cosine=0.89,0.90,0.91 --grid known_words_cosine=0.86,0.87,0.88

`--why` prints, per question, what the abstention decision saw: whether the store uses every
word of the question (and the words it does not), and the best candidates' cosines and term
shares. The stores are the evaluation's cached ones (`knowledge eval` builds them); held-out
corpora are refused unless `--held-out` is given, so that looking at one stays a decision.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

from config.settings import Settings
from knowledge.answering.compose import compose_answer
from knowledge.answering.questions import question_kind
from knowledge.answering.reader import (
    SentenceVectors,
    Thresholds,
    candidates,
    evidence_suffices,
    own_words,
    uses_every_word,
)
from knowledge.evaluation.corpora import DEFAULT_REGISTRY, Corpus, load_registry
from knowledge.evaluation.metrics import Outcome, answer_hit, normalise
from knowledge.evaluation.questions import EvalQuestion
from knowledge.evaluation.runner import other_language_filters
from knowledge.evaluation.suite import corpus_settings, ingest_corpus
from knowledge.retrieval.retriever import Retrieval
from knowledge.retrieval.sections import with_sections
from store.language import detect_lang


@dataclass(frozen=True, slots=True)
class Retrieved:
    """One question, retrieved once, with what the reader needs to read it again."""

    question: EvalQuestion
    retrieval: Retrieval
    vectors: SentenceVectors
    # A must-abstain question asked again of the store's other language alone, where every
    # candidate is a cross-language one (a corpus's own questions mostly meet their language).
    other_language: bool = False


@dataclass(frozen=True, slots=True)
class Tally:
    hits: int
    answerable: int
    abstained_right: int
    must_abstain: int
    missed: tuple[str, ...] = ()  # ids of the questions got wrong
    other_right: int = 0  # right abstentions of the questions asked of the other language
    other_must: int = 0

    @property
    def points(self) -> int:
        return self.hits + 2 * (self.abstained_right + self.other_right)


def parse_grid(pairs: Sequence[str]) -> dict[str, list[float]]:
    """`name=v1,v2` pairs → {name: values}; the name must be a field of Thresholds."""
    known = {field.name for field in fields(Thresholds)}
    grid: dict[str, list[float]] = {}
    for pair in pairs:
        name, _, values = pair.partition("=")
        if name not in known or not values:
            raise SystemExit(
                f"--grid {pair!r}: expected NAME=v1,v2 with NAME one of {sorted(known)}"
            )
        grid[name] = [float(value) for value in values.split(",")]
    return grid


def combinations(grid: dict[str, list[float]]) -> list[Thresholds]:
    """Every combination of the grid, the other thresholds at their defaults."""
    names = list(grid)
    return [
        replace(Thresholds(), **dict(zip(names, values, strict=True)))
        for values in itertools.product(*(grid[name] for name in names))
    ]


def retrieve_all(settings: Settings, corpus: Corpus) -> tuple[object, list[Retrieved]]:
    """The corpus's assistant on its cached store, and every question retrieved once."""
    from knowledge.factory import open_knowledge

    own_settings, store_dir = corpus_settings(settings, corpus.store or corpus.name)
    ingest_corpus(own_settings, corpus, store_dir)
    assistant = open_knowledge(own_settings, store_dir).assistant
    retrieved = []
    lexical = assistant.retriever.index.snapshot().lexical  # type: ignore[attr-defined]
    for question in corpus.load_questions():
        other = other_language_filters(question, lexical)
        for filters in (None, other) if other else (None,):
            retrieval = with_sections(
                assistant.retriever.index,  # type: ignore[attr-defined]
                assistant.retrieve(question.question, filters=filters),  # type: ignore[attr-defined]
            )
            vectors = assistant.retriever.sentence_vectors([hit.chunk for hit in retrieval.hits])
            retrieved.append(Retrieved(question, retrieval, vectors, filters is not None))
    return assistant, retrieved


def tally(assistant: object, retrieved: Sequence[Retrieved], thresholds: Thresholds) -> Tally:
    """The corpus's answer hits and right abstentions with these thresholds."""
    idf = assistant.retriever.index.snapshot().lexical.idf  # type: ignore[attr-defined]
    criteria = assistant.domain.criteria  # type: ignore[attr-defined]
    hits = answerable = right = must = other_right = other_must = 0
    missed: list[str] = []
    for item in retrieved:
        lang = detect_lang(item.question.question)
        answer = compose_answer(item.retrieval, lang, idf, thresholds, criteria, item.vectors)
        if item.other_language:
            other_must += 1
            other_right += answer.abstained
            if not answer.abstained:
                missed.append(f"{item.question.id}(other language)")
            continue
        if item.question.answerable:
            answerable += 1
            hit = answer_hit(Outcome(item.question, (), answer, 0.0))
            hits += hit
        else:
            must += 1
            right += answer.abstained
            hit = answer.abstained
        if not hit:
            missed.append(item.question.id)
    return Tally(hits, answerable, right, must, tuple(missed), other_right, other_must)


def why(assistant: object, retrieved: Sequence[Retrieved], thresholds: Thresholds) -> None:
    """Per question: the words the store never uses, and the best candidates' evidence."""
    idf = assistant.retriever.index.snapshot().lexical.idf  # type: ignore[attr-defined]
    for item in retrieved:
        retrieval = item.retrieval
        kind = question_kind(retrieval.query)
        scored = candidates(retrieval, kind, idf, item.vectors)
        words = own_words(retrieval, idf)
        unseen = [term for term in words if idf(term) <= 0]
        known = uses_every_word(words, idf)
        in_domain = bool(retrieval.concepts)
        status = "answerable" if item.question.answerable else "must abstain"
        if item.other_language:
            status += ", asked of the other language only"
        print(f"{item.question.id} ({status}): {item.question.question}")
        print(f"  unseen words: {unseen or '-'}; in domain: {in_domain}")
        for candidate in scored[:3]:
            cosine = candidate.cosine or candidate.hit.dense
            passes = evidence_suffices(candidate, thresholds, in_domain, known)
            expected = item.question.expect_any
            holds = any(normalise(word) in normalise(candidate.sentence) for word in expected)
            print(
                f"  {'+' if passes else ' '}{'*' if holds else ' '} cos {cosine:.3f} "
                f"share {candidate.term_share:.2f} {'same' if candidate.same_language else 'other'}"
                f" | {candidate.sentence[:90]!r}"
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.calibrate",
        description="Score the reader's thresholds over a grid, per corpus, on the cached "
        "evaluation stores (each question retrieved once).",
    )
    parser.add_argument("--corpus", action="append", help="a corpus of the registry (repeatable)")
    parser.add_argument("--registry", type=Path, default=DEFAULT_REGISTRY)
    parser.add_argument(
        "--grid", action="append", default=[], help="NAME=v1,v2,… of a Thresholds field"
    )
    parser.add_argument("--why", action="store_true", help="print each question's evidence")
    parser.add_argument("--held-out", action="store_true", help="allow a held-out corpus")
    args = parser.parse_args(argv)

    registry = load_registry(args.registry)
    names = args.corpus or [name for name, corpus in registry.items() if corpus.questions]
    settings = Settings()
    grid = combinations(parse_grid(args.grid))
    results: dict[str, list[Tally]] = {}
    unknown = [name for name in names if name not in registry]
    if unknown:
        raise SystemExit(f"unknown corpus {', '.join(unknown)}; known: {', '.join(registry)}")
    for name in names:
        corpus = registry[name]
        if corpus.held_out and not args.held_out:
            raise SystemExit(f"{name} is held out: pass --held-out to look at it (once)")
        if not corpus.questions or corpus.missing():
            print(f"{name}: skipped (no questions, or documents missing)", file=sys.stderr)
            continue
        assistant, retrieved = retrieve_all(settings, corpus)
        if args.why:
            why(assistant, retrieved, Thresholds())
        results[name] = [tally(assistant, retrieved, thresholds) for thresholds in grid]

    varied = parse_grid(args.grid)
    header = [*varied, *(f"{name} hit / abst / other" for name in results), "points"]
    print(" | ".join(header))
    for index, thresholds in enumerate(grid):
        row = [f"{getattr(thresholds, name):.3f}" for name in varied]
        row += [
            f"{t.hits}/{t.answerable} {t.abstained_right}/{t.must_abstain}"
            f" {t.other_right}/{t.other_must}"
            for t in (tallies[index] for tallies in results.values())
        ]
        row.append(str(sum(tallies[index].points for tallies in results.values())))
        print(" | ".join(row))
    if args.why:
        for name, tallies in results.items():
            print(f"{name} missed (first combination): {' '.join(tallies[0].missed) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
