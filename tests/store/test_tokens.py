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


def test_a_figure_with_thousands_separators_is_the_number_written_plainly() -> None:
    # An English question writes "2,500 players", a Chinese page "2500个连接".
    assert "2500" in tokens.tokenize("about 2,500 RTMP players")
    assert "2500" in tokens.tokenize("共2500个连接")
    assert "1000000" in tokens.tokenize("1,000,000 users")
    # Lists and decimals are no grouped figures.
    assert tokens.tokenize("1,2,3") == ["1", "2", "3"]
    assert "14159" not in tokens.tokenize("3.14,159")


def test_a_version_with_its_v_also_gives_the_bare_number() -> None:
    # "Is Acme 5 or newer …" is answered by "Acme v5+ 授权是 MIT".
    assert {"v5", "5"} <= set(tokens.tokenize("Acme v5+ 授权是 MIT"))
    assert "4.0.1" in tokens.tokenize("since v4.0.1")
    assert "5" not in tokens.tokenize("video codecs")
