"""Tokenisation, glossary expansion, BM25, fusion, diversity and follow-ups, without a store."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.api import Turn
from knowledge.domain.glossary import Glossary, Term, default_glossary
from knowledge.retrieval.followup import is_follow_up, retrieval_query
from knowledge.retrieval.fusion import DENSE, LEXICAL, Ranking, fuse
from knowledge.retrieval.lexical import BM25Index
from knowledge.retrieval.text import sentence_terms, tokenize
from store.language import detect_lang
from store.sentences import split_sentences


def test_english_terms_are_stemmed_and_stopwords_dropped() -> None:
    assert tokenize("What matters for voice rooms?") == ["matter", "voic", "room"]


def test_exact_figures_and_acronyms_survive_tokenising() -> None:
    terms = tokenize("A 99.95% SLA and AEC")
    assert "99.95%" in terms and "aec" in terms and "sla" in terms


def test_chinese_is_segmented_into_words() -> None:
    terms = tokenize("语聊房的回声消除")
    assert "回声" in terms and "消除" in terms and "的" not in terms


def test_glossary_terms_are_kept_whole_by_the_segmenter() -> None:
    # Without the glossary in its dictionary, jieba cuts "连麦首帧" as 连麦首 / 帧.
    terms = tokenize("秀场直播连麦首帧时间")
    assert {"连麦", "首帧", "秀场直播"} <= set(terms)


def test_the_segmenter_dictionary_keeps_only_common_words() -> None:
    from knowledge.retrieval.text import MIN_WORD_FREQUENCY, _common_words_dictionary

    lines = _common_words_dictionary().read_text("utf-8").splitlines()
    assert 100_000 < len(lines) < 200_000
    assert all(int(line.split()[1]) >= MIN_WORD_FREQUENCY for line in lines[:1000])


def test_segmenting_works_without_a_writable_temporary_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from store import tokens as text

    monkeypatch.setattr(text.tempfile, "gettempdir", lambda: str(tmp_path / "missing"))
    text._segmenter.cache_clear()
    try:
        assert {"回声", "消除"} <= set(text.tokenize("语聊房的回声消除"))
    finally:
        text._segmenter.cache_clear()


def test_sentences_split_without_breaking_figures_or_abbreviations() -> None:
    text = "Aim for 99.95% uptime, e.g. per month. Then test. 语聊房要低延迟。回声要消除！"
    assert split_sentences(text) == [
        "Aim for 99.95% uptime, e.g. per month.",
        "Then test.",
        "语聊房要低延迟。",
        "回声要消除！",
    ]


def test_every_sentence_is_verbatim_text_of_its_chunk() -> None:
    text = "- First point. Second point!\n\n语聊房很重要。\n  indented line."
    assert all(sentence in text for sentence in split_sentences(text))


def test_language_detection() -> None:
    assert detect_lang("语聊房选型看什么?") == "zh"
    assert detect_lang("What matters for 语聊房 rooms in general?") == "en"


def test_glossary_expands_across_languages() -> None:
    glossary = Glossary([Term(zh=("回声消除",), en=("echo cancellation", "AEC"))])
    assert glossary.expand("How good is their AEC?") == ["回声消除", "echo cancellation"]
    assert glossary.expand("回声消除怎么样") == ["echo cancellation", "AEC"]
    assert glossary.expand("nothing relevant") == []


def test_bundled_glossary_covers_the_core_terms() -> None:
    glossary = default_glossary()
    assert len(glossary.terms) >= 60
    for zh, en in [
        ("语聊房", "voice"),
        ("回声消除", "echo"),
        ("首帧", "first"),
        ("弱网", "network"),
    ]:
        expansion = " ".join(glossary.expand(zh)).lower()
        assert en in expansion, (zh, expansion)


def test_bm25_ranks_the_document_with_the_rare_term_first() -> None:
    index = BM25Index(["echo cancellation matters", "latency matters", "latency and echo"])
    ranked = index.search(tokenize("echo cancellation"), k=3)
    assert ranked[0][0] == 0
    assert {doc for doc, _ in ranked} == {0, 2}


def test_bm25_respects_the_filter_mask() -> None:
    import numpy as np

    index = BM25Index(["echo a", "echo b"])
    ranked = index.search(["echo"], k=2, allowed=np.array([False, True]))
    assert [doc for doc, _ in ranked] == [1]


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    fused = fuse([Ranking(["1", "2", "3"], DENSE), Ranking(["3", "1", "4"], LEXICAL)])
    assert max(fused, key=lambda doc: fused[doc]) == "1"
    assert fused["3"] > fused["2"] > fused["4"] * 0.99


def test_follow_ups_borrow_the_previous_question_with_the_topic_replaced() -> None:
    glossary = Glossary(
        [Term(zh=("语聊房",), en=("voice room",)), Term(zh=("1v1 视频",), en=("1v1",))]
    )
    history = [Turn(question="What latency matters for a voice room?", answer="…")]
    assert is_follow_up("and for 1v1?")
    query = retrieval_query("and for 1v1?", history, glossary)
    assert "1v1" in query and "latency" in query and "voice room" not in query
    assert retrieval_query("How do SLAs work?", history, glossary) == "How do SLAs work?"


def test_a_weighted_ranking_counts_as_much_as_its_weight() -> None:
    plain = fuse([Ranking(["a", "b"], DENSE), Ranking(["b", "a"], LEXICAL)])
    assert plain["a"] == plain["b"]
    weighted = fuse([Ranking(["a", "b"], DENSE), Ranking(["b", "a"], LEXICAL, 2.0)])
    assert weighted["b"] > weighted["a"]
    assert fuse([Ranking(["a"], DENSE, 2.0)])["a"] == 2 * fuse([Ranking(["a"], DENSE)])["a"]


def test_rankings_of_one_family_count_once_at_a_chunk_best_place() -> None:
    # The whole store's dense ranking and the other language's: the first of each stands as
    # high as the other, and a chunk both rank first does not count twice.
    fused = fuse([Ranking(["zh1", "en1"], DENSE), Ranking(["en1", "en2"], DENSE)])
    assert fused["zh1"] == fused["en1"] > fused["en2"]
    lexical = fuse([Ranking(["zh1"], DENSE), Ranking(["en1"], DENSE), Ranking(["en1"], LEXICAL)])
    assert lexical["en1"] > lexical["zh1"]


def test_reading_words_keep_the_order_and_the_spelling_of_a_question() -> None:
    from store.tokens import reading_words

    assert reading_words("用WebRTC播放的声音，24/7 直播？") == [
        "用",
        "WebRTC",
        "播放",
        "声音",
        "24/7",
        "直播",
    ]
    assert reading_words("What does Quux cap by default?") == ["Quux", "cap", "default"]


def test_a_sentences_terms_are_its_tokens_remembered() -> None:
    sentence = "Acme 的回声消除在 30% 丢包下仍然可用 (tested)."
    assert sentence_terms(sentence) == frozenset(tokenize(sentence))
    assert sentence_terms(sentence, keep_stopwords=True) == frozenset(
        tokenize(sentence, keep_stopwords=True)
    )
    before = sentence_terms.cache_info().hits
    sentence_terms(sentence)
    assert sentence_terms.cache_info().hits == before + 1
