"""Running the assistant over an evaluation set."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from knowledge.api import KnowledgeError
from knowledge.assistant import KnowledgeAssistant
from knowledge.evaluation.metrics import Outcome
from knowledge.evaluation.questions import EvalQuestion
from knowledge.retrieval.index import LexicalView
from store.client import StoreHandle
from store.language import detect_lang, other_language


def run_assistant(
    assistant: KnowledgeAssistant,
    questions: Sequence[EvalQuestion],
    name: Callable[[str], str] = str,
) -> list[Outcome]:
    """Ask every question (warm: the first question is asked once before timing); `name` turns
    a stored source into the name the evaluation set uses."""
    if questions:
        assistant.ask(questions[0].question)
    outcomes = []
    for question in questions:
        started = time.perf_counter()
        try:
            answer = assistant.ask(question.question)
        except KnowledgeError as error:
            raise RuntimeError(f"{question.id}: {error}") from error
        seconds = time.perf_counter() - started
        retrieval = assistant.retrieve(question.question)
        outcomes.append(
            Outcome(
                question=question,
                sources=tuple(name(hit.chunk.source) for hit in retrieval.hits),
                answer=answer,
                seconds=seconds,
                cited=tuple(name(citation.source) for citation in answer.citations),
            )
        )
    return outcomes


def other_language_filters(question: EvalQuestion, lexical: LexicalView) -> dict[str, str] | None:
    """The filter that asks a must-abstain question of the store's other language alone, or
    None (an answerable question, or a store with no text in that language)."""
    other = other_language(detect_lang(question.question))
    if question.answerable or not lexical.holds_language(other):
        return None
    return {"lang": other}


def other_language_abstention(
    assistant: KnowledgeAssistant, questions: Sequence[EvalQuestion]
) -> dict[str, object]:
    """Each must-abstain question asked again of the store's other language alone, where every
    sentence the reader weighs is in another language than the question: the share abstained
    (None when the store holds no text in the other language of any of them)."""
    # The reader decides abstention, whichever answerer words the answer (an LLM's wraps it).
    reader = getattr(assistant, "base", assistant)
    lexical = reader.retriever.index.snapshot().lexical
    abstained: list[bool] = []
    for question in questions:
        filters = other_language_filters(question, lexical)
        if filters is None:
            continue
        retrieval = reader.retrieve(question.question, filters=filters)
        abstained.append(reader.compose(retrieval, detect_lang(question.question)).abstained)
    return {
        "n_abstain_other_language": len(abstained),
        "abstain_other_language": (
            round(sum(abstained) / len(abstained), 4) if abstained else None
        ),
    }


def chunk_text_lookup(store: StoreHandle) -> Callable[[str], str | None]:
    """A function from chunk id to its text in the store (None when absent)."""
    cache: dict[str, str | None] = {}

    def lookup(chunk_id: str) -> str | None:
        if chunk_id not in cache:
            records = store.chunks.get(ids=[chunk_id], include=["documents"])
            documents = records.get("documents") or []
            cache[chunk_id] = documents[0] if documents else None
        return cache[chunk_id]

    return lookup


def with_stored_sources(
    store: StoreHandle, outcomes: Sequence[Outcome], name: Callable[[str], str] = str
) -> list[Outcome]:
    """Each outcome's `cited` from the store: the source of each cited chunk, as the corpus names
    it (a citation shows a document's URL when it has one, so its `source` may be no path)."""
    ids = sorted({c.chunk_id for o in outcomes for c in o.answer.citations if c.chunk_id})
    found: dict[str, str] = {}
    if ids:
        records = store.chunks.get(ids=ids, include=["metadatas"])
        for chunk_id, metadata in zip(records["ids"], records.get("metadatas") or [], strict=True):
            found[chunk_id] = str((metadata or {}).get("source", ""))
    return [
        replace(
            o,
            cited=tuple(
                name(found[c.chunk_id]) if c.chunk_id in found else c.source
                for c in o.answer.citations
            ),
        )
        for o in outcomes
    ]
