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


def test_a_name_with_a_slashed_version_matches_the_joined_spelling() -> None:
    # Questions write "HTTP/2", documents as often "HTTP2-FLV": both give the joined term.
    assert "http2" in tokens.tokenize("会支持用HTTP/2或HTTP/3来分发吗？")
    assert "http3" in tokens.tokenize("Does it serve HTTP/3?")
    assert "http2" in tokens.tokenize("ACME不会实现HTTP2或者HTTP3")
    # Ports, figures and dotted versions are no such names.
    assert not {"tcp8000", "http1", "247"} & set(tokens.tokenize("TCP/8000, 24/7 and HTTP/1.1"))
