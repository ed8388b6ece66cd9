"""The extractive composer: cited sentences only, vendor attribution, language notes, abstention."""

from __future__ import annotations

import re

from knowledge.answering.compose import compose_answer
from knowledge.answering.reader import Thresholds, read
from knowledge.domain import load_domain
from knowledge.retrieval.retriever import Hit, Retrieval
from knowledge.retrieval.text import tokenize
from store.schema import Chunk

CRITERIA = load_domain().criteria

GUIDE = Chunk(
    text="For a voice room, echo cancellation matters most. The weather is irrelevant here.",
    source="guides/voice.md",
    chunk_index=0,
    title="Voice rooms",
    section="Metrics",
    doc_type="guide",
    lang="en",
)
VENDOR = Chunk(
    text="NimbusRTC offers built-in echo cancellation with a 99.95% SLA.",
    source="vendors/nimbus.md",
    chunk_index=0,
    title="NimbusRTC",
    doc_type="vendor",
    vendor="NimbusRTC",
    lang="en",
    source_url="https://nimbus.example.com/docs",
)
CHINESE = Chunk(
    text="语聊房必须做好回声消除，否则麦上的人会听到自己的声音。",
    source="guides/voice.zh.md",
    chunk_index=0,
    title="语聊房",
    doc_type="guide",
    lang="zh",
)


def _retrieval(question: str, *chunks: Chunk, dense: float = 0.9) -> Retrieval:
    terms = tokenize(question) + tokenize("回声消除")
    return Retrieval(
        query=question,
        hits=tuple(Hit(chunk, 1.0 / (i + 1), dense, 1.0) for i, chunk in enumerate(chunks)),
        terms=tuple(terms),
        term_weights=tuple(1.0 for _ in terms),
        top_dense=dense,
    )


def _idf(_term: str) -> float:
    return 1.0


def test_every_point_is_a_cited_verbatim_sentence() -> None:
    answer = compose_answer(
        _retrieval("Why does echo cancellation matter?", GUIDE, VENDOR),
        "en",
        _idf,
        Thresholds(),
        CRITERIA,
        {},
    )
    assert not answer.abstained
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == {c.n for c in answer.citations}
    chunks = {GUIDE.id: GUIDE, VENDOR.id: VENDOR}
    for citation in answer.citations:
        assert citation.quote in chunks[citation.chunk_id].text
    assert "weather" not in answer.text  # sentences that share nothing with the question stay out


def test_vendor_claims_are_attributed_never_stated_as_fact() -> None:
    answer = compose_answer(
        _retrieval("echo cancellation SLA", VENDOR), "en", _idf, Thresholds(), CRITERIA, {}
    )
    assert "NimbusRTC states: “NimbusRTC offers built-in echo cancellation" in answer.text
    assert answer.citations[0].source == "https://nimbus.example.com/docs"


def test_answers_in_the_question_language_noting_the_source_language() -> None:
    chinese = compose_answer(
        _retrieval("回声消除重要吗", CHINESE, GUIDE), "zh", _idf, Thresholds(), CRITERIA, {}
    )
    assert chinese.text.startswith("知识库中的相关要点")
    english = compose_answer(
        _retrieval("echo cancellation", CHINESE), "en", _idf, Thresholds(), CRITERIA, {}
    )
    assert "(from a Chinese source)" in english.text


def test_the_language_note_is_the_quotes_not_its_chunks() -> None:
    # A page of English and code, labelled English, with one Chinese sentence.
    mixed = Chunk(
        text="Run `make install` to build the server.\n回声消除默认开启，不需要额外配置。",
        source="docs/readme.md",
        chunk_index=0,
        title="README",
        doc_type="guide",
        lang="en",
    )
    chinese = compose_answer(
        _retrieval("回声消除需要配置吗", mixed), "zh", _idf, Thresholds(), CRITERIA, {}
    )
    assert "回声消除默认开启" in chinese.text
    assert "英文资料" not in chinese.text
    english = compose_answer(
        _retrieval("echo cancellation", mixed), "en", _idf, Thresholds(), CRITERIA, {}
    )
    assert "回声消除默认开启" in english.text and "(from a Chinese source)" in english.text


def test_abstains_when_both_signals_are_weak() -> None:
    thresholds = Thresholds(strong_cosine=0.87, weak_cosine=0.83, min_term_share=0.5)

    def abstains(retrieval: Retrieval) -> bool:
        return read(retrieval.query, retrieval, _idf, {}, thresholds).abstained

    weak = _retrieval("weather in Paris", GUIDE, dense=0.80)
    assert abstains(weak)
    answer = compose_answer(weak, "en", _idf, thresholds, CRITERIA, {})
    assert answer.abstained and answer.citations == () and "does not cover" in answer.text
    # A strong cosine is enough; a weaker one needs the question's own words in the sentence.
    assert not abstains(_retrieval("lunar tides", GUIDE, dense=0.90))
    assert not abstains(_retrieval("echo cancellation voice room", GUIDE, dense=0.85))
    assert abstains(_retrieval("lunar tides", GUIDE, dense=0.85))
    assert abstains(Retrieval(query="q", hits=()))


def test_chinese_abstention_is_in_chinese() -> None:
    answer = compose_answer(
        Retrieval(query="天气", hits=()), "zh", _idf, Thresholds(), CRITERIA, {}
    )
    assert answer.abstained and "知识库里没有" in answer.text


def test_advice_in_a_vendor_profile_is_not_put_in_the_vendors_mouth() -> None:
    advice = Chunk(
        text="Ask NimbusRTC how its echo cancellation is measured before you sign.",
        source="vendors/nimbus.md",
        chunk_index=1,
        title="NimbusRTC",
        section="Questions to ask NimbusRTC",
        doc_type="vendor",
        vendor="NimbusRTC",
        lang="en",
    )
    answer = compose_answer(
        _retrieval("echo cancellation", advice), "en", _idf, Thresholds(), CRITERIA, {}
    )
    assert "NimbusRTC states" not in answer.text
    assert "Ask NimbusRTC how its echo cancellation is measured" in answer.text


def test_a_source_list_is_never_quoted() -> None:
    sources = Chunk(
        text="Echo cancellation docs: https://nimbus.example.com/docs/echo-cancellation-guide",
        source="vendors/nimbus.md",
        chunk_index=2,
        title="NimbusRTC",
        section="Sources",
        doc_type="vendor",
        vendor="NimbusRTC",
        lang="en",
    )
    answer = compose_answer(
        _retrieval("echo cancellation", sources, GUIDE), "en", _idf, Thresholds(), CRITERIA, {}
    )
    assert all(citation.chunk_id != sources.id for citation in answer.citations)


def test_the_knowledge_bases_table_of_contents_is_never_quoted() -> None:
    contents = Chunk(
        text="- 场景指南覆盖：语聊房与游戏语音、1v1 社交视频、秀场直播。",
        source="overview.zh.md",
        chunk_index=1,
        title="本知识库使用说明",
        section="里面有什么",
        doc_type="other",
        lang="zh",
    )
    answer = compose_answer(
        _retrieval("语聊房 回声消除", contents, CHINESE), "zh", _idf, Thresholds(), CRITERIA, {}
    )
    assert all(citation.chunk_id != contents.id for citation in answer.citations)
    assert any(citation.chunk_id == CHINESE.id for citation in answer.citations)


def test_restating_a_glossary_definition_does_not_outrank_the_question_words() -> None:
    sla = Chunk(
        text=(
            "SLA（服务等级协议）通常承诺厂商服务的月度可用性百分比，未达标时给予赔偿。"
            "SLA 通常只保障可用性，很少涵盖通话质量。"
        ),
        source="guides/sla.zh.md",
        chunk_index=0,
        title="SLA",
        doc_type="guide",
        lang="zh",
    )
    own = tokenize("SLA 能保证通话质量吗?")
    expansions = tokenize("服务等级协议 可用性承诺") + tokenize("service level agreement")
    retrieval = Retrieval(
        query="SLA 能保证通话质量吗?",
        hits=(Hit(sla, 1.0, 0.9, 1.0),),
        terms=tuple(own + expansions),
        term_weights=tuple([1.0] * len(own) + [0.6] * len(expansions)),
        top_dense=0.9,
    )
    lead, *_ = read(retrieval.query, retrieval, _idf, {}, Thresholds()).passages
    assert "很少涵盖通话质量" in lead.quote
