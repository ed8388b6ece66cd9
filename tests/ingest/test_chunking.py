"""Chunking: sections from headings, whole sentences, the token budget, overlap, language."""

from __future__ import annotations

import itertools
import re
import time

import pytest

from ingest.chunking import chunk_document, split_sentences
from ingest.document import Block, DocumentMeta, DraftChunk, LoadedDocument
from store.language import detect_lang

_TOKEN = re.compile(r"[\u3400-\u9fff]|\w+|[^\w\s]")


def count(text: str) -> int:
    """A stand-in tokenizer: one token per word, per Chinese character, per punctuation mark."""
    return len(_TOKEN.findall(text))


def with_specials(text: str) -> int:
    """Like a transformer tokenizer: [CLS] and [SEP] on every call, even for empty text."""
    return count(text) + 2


def _doc(*blocks: Block, **meta: str) -> LoadedDocument:
    return LoadedDocument(blocks=tuple(blocks), meta=DocumentMeta(**meta))


def _para(text: str) -> Block:
    return Block("paragraph", text)


EN_SENTENCES = [
    f"Sentence number {n} says that vendor {n} offers {n}.5 ms of extra jitter buffer."
    for n in range(1, 25)
]
ZH_SENTENCES = [
    f"第{n}家厂商的端到端延迟大约是{n}百毫秒，适合做互动直播。"
    if n % 3
    else f"第{n}家厂商支持全球节点吗？支持！"
    for n in range(1, 25)
]
_EN_END = re.compile(r"[.!?][\"')\]]*$")
_ZH_END = re.compile(r"[。！？；…][”」』]*$")


def test_sections_follow_the_heading_path_without_the_title() -> None:
    doc = _doc(
        Block("heading", "Voice chat guide", 1),
        _para("Intro before any section."),
        Block("heading", "Voice chat rooms", 2),
        _para("Rooms hold up to fifty speakers."),
        Block("heading", "Metrics that matter", 3),
        _para("Latency and packet loss."),
        Block("heading", "Pricing", 2),
        _para("Per minute."),
        title="Voice chat guide",
    )
    chunks = chunk_document(doc, count)
    assert chunks == [
        DraftChunk("Intro before any section.", "", "en"),
        DraftChunk("Rooms hold up to fifty speakers.", "Voice chat rooms", "en"),
        DraftChunk("Latency and packet loss.", "Voice chat rooms > Metrics that matter", "en"),
        DraftChunk("Per minute.", "Pricing", "en"),
    ]


def test_a_lone_h1_is_the_title_even_when_front_matter_names_it_differently() -> None:
    doc = _doc(
        Block("heading", "Agora", 1),
        Block("heading", "Coverage", 2),
        _para("Two hundred regions."),
        title="Agora vendor profile",
    )
    assert [c.section for c in chunk_document(doc, count)] == ["Coverage"]


def test_several_h1_headings_are_sections() -> None:
    doc = _doc(
        Block("heading", "Audio", 1),
        _para("Audio text."),
        Block("heading", "Video", 1),
        Block("heading", "Codecs", 2),
        _para("Video text."),
        title="Media",
    )
    assert [c.section for c in chunk_document(doc, count)] == ["Audio", "Video > Codecs"]


def test_a_chunk_never_spans_two_sections() -> None:
    doc = _doc(
        Block("heading", "One", 2),
        _para(" ".join(EN_SENTENCES[:10])),
        Block("heading", "Two", 2),
        _para(" ".join(EN_SENTENCES[10:])),
    )
    chunks = chunk_document(doc, count, max_tokens=60, overlap_tokens=20)
    assert {chunk.section for chunk in chunks} == {"One", "Two"}
    for chunk in chunks:
        numbers = {int(n) for n in re.findall(r"Sentence number (\d+)", chunk.text)}
        expected = range(1, 11) if chunk.section == "One" else range(11, 25)
        assert numbers and numbers <= set(expected)


@pytest.mark.parametrize("counter", [count, len, with_specials])
def test_english_chunks_end_at_sentence_ends_and_respect_the_budget(counter) -> None:
    doc = _doc(_para(" ".join(EN_SENTENCES[:12])), _para(" ".join(EN_SENTENCES[12:])))
    budget = 80 if counter is len else 45
    chunks = chunk_document(doc, counter, max_tokens=budget * (3 if counter is len else 1))
    assert len(chunks) > 3
    for chunk in chunks:
        assert counter(chunk.text) <= budget * (3 if counter is len else 1)
        assert _EN_END.search(chunk.text), chunk.text
    text = "\n".join(chunk.text for chunk in chunks)
    for sentence in EN_SENTENCES:
        assert sentence in text  # every sentence whole in some chunk


def test_chinese_chunks_end_at_sentence_ends() -> None:
    doc = _doc(_para("".join(ZH_SENTENCES)))
    chunks = chunk_document(doc, count, max_tokens=60, overlap_tokens=15)
    assert len(chunks) > 4
    for chunk in chunks:
        assert count(chunk.text) <= 60
        assert _ZH_END.search(chunk.text), chunk.text
        assert chunk.lang == "zh"
    joined = "".join(chunk.text for chunk in chunks)
    for sentence in ZH_SENTENCES:
        assert sentence.split("？")[0] in joined


def test_split_sentences_keeps_abbreviations_decimals_and_quotes() -> None:
    text = (
        "Uptime is 99.95% vs. 99.9% for others, e.g. in the U.S. market. "
        "Version 3.5 ships today! Does it help? Yes... It does. "
        '他说："技术问题不可怕。"然后走了。真的吗?是的；好……'
    )
    assert split_sentences(text) == [
        ("Uptime is 99.95% vs. 99.9% for others, e.g. in the U.S. market.", ""),
        ("Version 3.5 ships today!", " "),
        ("Does it help?", " "),
        ("Yes...", " "),
        ("It does.", " "),
        ('他说："技术问题不可怕。"', " "),
        ("然后走了。", ""),
        ("真的吗?", ""),
        ("是的；", ""),
        ("好……", ""),
    ]


def test_decimal_percentages_are_never_split() -> None:
    sentences = [f"Region {n} reports 99.95% uptime and 3.5 s recovery." for n in range(30)]
    chunks = chunk_document(_doc(_para(" ".join(sentences))), count, max_tokens=30)
    for chunk in chunks:
        assert chunk.text.count("99.95%") == chunk.text.count("3.5 s")
        assert not re.search(r"99\.$|^95%", chunk.text)


def test_overlap_repeats_whole_trailing_sentences_within_a_section() -> None:
    doc = _doc(
        Block("heading", "A", 2),
        _para(" ".join(EN_SENTENCES[:12])),
        Block("heading", "B", 2),
        _para(EN_SENTENCES[12]),
    )
    chunks = chunk_document(doc, count, max_tokens=60, overlap_tokens=20)
    section_a = [c.text for c in chunks if c.section == "A"]
    assert len(section_a) >= 3
    for previous, current in itertools.pairwise(section_a):
        last_sentence = split_sentences(previous)[-1][0]
        assert current.startswith(last_sentence)
        assert count(last_sentence) <= 20 * 1.5
    assert [c.text for c in chunks if c.section == "B"] == [EN_SENTENCES[12]]


def test_no_overlap_when_disabled() -> None:
    doc = _doc(_para(" ".join(EN_SENTENCES)))
    chunks = chunk_document(doc, count, max_tokens=60, overlap_tokens=0)
    joined = " ".join(chunk.text for chunk in chunks)
    assert joined == " ".join(EN_SENTENCES)


def test_paragraphs_are_packed_whole_when_they_fit() -> None:
    paragraphs = [" ".join(EN_SENTENCES[i : i + 2]) for i in range(0, 12, 2)]
    chunks = chunk_document(_doc(*map(_para, paragraphs)), count, max_tokens=70, overlap_tokens=0)
    for chunk in chunks:
        assert chunk.text.split("\n") == [p for p in paragraphs if p in chunk.text]


def test_tables_and_list_items_stay_whole() -> None:
    table = "Vendor | Latency | Price\nAgora | 400 ms | 0.99\nTencent | 300 ms | 0.89"
    items = [f"Item {n} is a short point about jitter." for n in range(6)]
    doc = _doc(
        _para(" ".join(EN_SENTENCES[:6])),
        Block("table", table),
        _para("Things to check:"),
        *(Block("list_item", item) for item in items),
    )
    chunks = chunk_document(doc, count, max_tokens=50, overlap_tokens=10)
    texts = [chunk.text for chunk in chunks]
    assert sum(table in text for text in texts) == 1
    for item in items:
        assert any(item in text for text in texts)
    lead_in = next(text for text in texts if "Things to check:" in text)
    assert items[0] in lead_in  # the list is packed with its lead-in paragraph
    for text in texts:
        assert count(text) <= 50


def test_list_items_keep_a_marker_so_a_lead_in_shows_where_its_list_ends() -> None:
    doc = _doc(
        _para("These ports must be open:"),
        Block("list_item", "443 TCP for the web"),
        Block("list_item", "10000 UDP for the media"),
        _para("Restart the server afterwards."),
    )
    (only,) = chunk_document(doc, count)
    assert only.text == (
        "These ports must be open:\n- 443 TCP for the web\n- 10000 UDP for the media\n"
        "Restart the server afterwards."
    )


def test_a_long_table_is_split_between_rows_each_row_whole_with_its_headers() -> None:
    rows = [f"Vendor: V{n}; Region: R{n}; Latency: {n}0 ms" for n in range(40)]
    chunks = chunk_document(_doc(Block("table", "\n".join(rows))), count, max_tokens=40)
    assert len(chunks) > 2
    seen = []
    for chunk in chunks:
        assert count(chunk.text) <= 40
        seen.extend(chunk.text.split("\n"))
    assert seen == rows  # no row cut, none repeated, no bare header line


def test_an_overlong_sentence_is_cut_at_commas_then_at_the_budget() -> None:
    clauses = [f"第{n}个节点在亚洲" for n in range(30)]
    long_zh = "，".join(clauses) + "。"
    no_punctuation = " ".join(f"word{n}" for n in range(120))
    doc = _doc(_para(long_zh), _para(no_punctuation))
    chunks = chunk_document(doc, count, max_tokens=40, overlap_tokens=0)
    for chunk in chunks:
        assert count(chunk.text) <= 40
    zh = [c.text for c in chunks if c.lang == "zh"]
    assert all(text.endswith(("，", "。")) for text in zh)
    assert "".join(zh) == long_zh
    en = [c.text for c in chunks if c.lang == "en"]
    assert " ".join(en) == no_punctuation  # cut between words, never inside one


def test_the_budget_holds_when_counts_do_not_add_up() -> None:
    # A counter whose count of a joined text exceeds the sum of its parts' counts.
    def lines_cost(text: str) -> int:
        return count(text) + (len(text) // 100) ** 2

    doc = _doc(*(_para(s) for s in EN_SENTENCES))
    # Three sentences sum to 51 tokens but count 55 together: the packer must give one back.
    chunks = chunk_document(doc, lines_cost, max_tokens=52, overlap_tokens=10)
    assert all(lines_cost(chunk.text) <= 52 for chunk in chunks)
    assert max(chunk.text.count("Sentence number") for chunk in chunks) == 2
    joined = "\n".join(chunk.text for chunk in chunks)
    assert all(sentence in joined for sentence in EN_SENTENCES)


def test_language_is_detected_per_chunk_unless_front_matter_sets_it() -> None:
    blocks = (
        Block("heading", "English", 2),
        _para("Latency under 400 ms matters."),
        Block("heading", "中文", 2),
        _para("延迟低于 400ms 很重要，WebRTC 是常见选择。"),
    )
    assert [c.lang for c in chunk_document(_doc(*blocks), count)] == ["en", "zh"]
    assert [c.lang for c in chunk_document(_doc(*blocks, lang="zh"), count)] == ["zh", "zh"]


def test_detect_lang_threshold() -> None:
    assert detect_lang("声网 Agora") == "zh"
    assert detect_lang("Agora RTC SDK 4.x supports Windows, macOS and Linux 平台") == "en"
    assert detect_lang("") == "en"


def test_chunks_are_trimmed_non_empty_and_deterministic() -> None:
    doc = _doc(
        Block("heading", "Only a heading", 2),
        Block("heading", "Body", 2),
        _para("  Spaced text.  "),
        Block("code", "line one\n\n  line two"),
    )
    first = chunk_document(doc, count)
    assert first == chunk_document(doc, count)
    assert first == [DraftChunk("Spaced text.\nline one\n\n  line two", "Body", "en")]
    # A document of headings only still has its headings to index.
    lone = chunk_document(_doc(Block("heading", "Lone", 1)), count)
    assert lone == [DraftChunk("- Lone", "", "en")]  # a list of one title


def test_invalid_budgets_are_rejected() -> None:
    with pytest.raises(ValueError):
        chunk_document(_doc(_para("x")), count, max_tokens=0)


def test_one_megabyte_is_chunked_quickly_with_linear_counting() -> None:
    calls = 0

    def counting(text: str) -> int:
        nonlocal calls
        calls += 1
        return len(text) // 4 + 1

    paragraph = " ".join(EN_SENTENCES[:8]) + "\n" + "".join(ZH_SENTENCES[:8])
    blocks = []
    size = 0
    while size < 1_000_000:
        blocks.append(_para(paragraph))
        size += len(paragraph.encode())
    doc = _doc(*blocks)
    started = time.perf_counter()
    chunks = chunk_document(doc, counting)
    elapsed = time.perf_counter() - started
    assert elapsed < 5.0  # about 0.3 s on an idle 2-core machine; lenient for a busy runner
    assert all(counting(chunk.text) <= 200 for chunk in chunks)
    sentences = sum(len(split_sentences(block.text)) for block in blocks)
    assert calls < 3 * (sentences + len(chunks))
