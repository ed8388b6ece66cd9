"""The shared tokenizer: one for ingest's index writes and knowledge's queries."""

from __future__ import annotations

from knowledge.domain.glossary import GLOSSARY_PATH
from knowledge.retrieval import text
from store import tokens


def test_knowledge_tokenizes_with_the_store_tokenizer() -> None:
    assert text.tokenize is tokens.tokenize
    assert text.TOKENIZER_VERSION == tokens.TOKENIZER_VERSION


def test_the_segmenter_learns_the_glossary_that_query_expansion_reads() -> None:
    # Moving the glossary must move both readers, or documents and questions would be cut apart.
    assert GLOSSARY_PATH.resolve() == tokens.GLOSSARY_FILE
    assert "语聊房" in tokens.glossary_words()


def test_terms_are_the_same_for_the_same_text() -> None:
    sample = "What latency should a 语聊房 target? Echo-cancellation at 99.95% uptime"
    assert tokens.tokenize(sample) == tokens.tokenize(sample)
    assert "语聊房" in tokens.tokenize(sample) and "echo" in tokens.tokenize(sample)
