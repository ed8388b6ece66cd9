"""Briefings and comparisons over a fixture corpus of two fictional vendors (NimbusRTC in English,
星河音视频 / GalaxyRTC in Chinese) and a voice-room guide in both languages.

NimbusRTC's profile never mentions SDK platforms or echo cancellation; GalaxyRTC's never mentions
support, scale or regions. EmptyVoice is a known vendor with no documents at all.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.settings import Settings, bundled_model_dir
from knowledge.answering.briefing import Briefer
from knowledge.api import AmbiguousVendor, Answer, InvalidQuestion, UnknownVendor
from knowledge.assistant import KnowledgeAssistant
from knowledge.domain import Domain, load_domain
from knowledge.domain.criteria import default_criteria, load_criteria
from knowledge.domain.topics import (
    Scenario,
    ScenarioBook,
    Vendor,
    VendorBook,
    load_scenario_book,
    load_vendor_book,
    recognise_topic,
)
from store.language import detect_lang

FIXTURES = Path(__file__).parent / "fixtures" / "briefing"
MARKER = re.compile(r"\[(\d+)\]")


# --- topic recognition (no store) ---------------------------------------------------------------


@pytest.fixture(scope="module")
def books() -> tuple[VendorBook, ScenarioBook]:
    """The fixture vendor and scenario books."""
    return load_vendor_book(FIXTURES / "vendors.yaml"), load_scenario_book(
        FIXTURES / "scenarios.yaml"
    )


def recognise(text: str, books: tuple[VendorBook, ScenarioBook]):
    return recognise_topic(text, *books, default_criteria().filler, detect_lang(text))


def test_vendor_and_scenario_recognised_case_insensitively(books) -> None:
    topic = recognise("nimbusrtc VOICE ROOM", books)
    assert topic.vendor is not None and topic.vendor.name == "NimbusRTC"
    assert topic.scenario is not None and topic.scenario.id == "voice_room"
    assert topic.lang == "en"


def test_chinese_alias_resolves_to_canonical_vendor_and_chinese_topic(books) -> None:
    topic = recognise("星河音视频 语聊房", books)
    assert topic.vendor is not None and topic.vendor.name == "GalaxyRTC"
    assert topic.scenario is not None and topic.scenario.id == "voice_room"
    assert topic.lang == "zh"


def test_vendor_name_does_not_decide_the_language(books) -> None:
    assert recognise("星河 voice room", books).lang == "en"


def test_spacing_and_scenario_alone(books) -> None:
    topic = recognise("语音房", books)
    assert topic.vendor is None and topic.scenario is not None
    assert recognise("Live-Commerce", books).scenario.id == "live_commerce"  # type: ignore[union-attr]


def test_unknown_vendor_beside_a_scenario_is_kept_as_unknown(books) -> None:
    topic = recognise("Twilio voice room for our startup", books)
    assert topic.vendor is None
    assert topic.unknown_vendor == "Twilio"
    assert topic.scenario is not None


def test_topic_with_neither_says_so_in_one_short_line(books) -> None:
    with pytest.raises(InvalidQuestion) as raised:
        recognise("weather tomorrow", books)
    message = str(raised.value)
    assert "“weather tomorrow”" in message and "Voice chat rooms" in message
    assert len(message) < 300
    assert raised.value.message("zh").startswith("无法判断")


def test_resolve_exact_alias_prefix_and_ambiguity(books) -> None:
    vendors, _ = books
    assert vendors.resolve("星河音视频").name == "GalaxyRTC"
    assert vendors.resolve("GALAXY RTC").name == "GalaxyRTC"
    assert vendors.resolve("Nimbus").name == "NimbusRTC"
    with pytest.raises(AmbiguousVendor) as raised:
        vendors.resolve("rtc")
    assert "NimbusRTC" in str(raised.value) and "GalaxyRTC" in str(raised.value)
    with pytest.raises(UnknownVendor) as unknown:
        vendors.resolve("Twilio")
    assert str(unknown.value).startswith("No documents on “Twilio”. Closest: ")
    assert "NimbusRTC" in str(unknown.value) and len(str(unknown.value)) < 300


def test_an_unknown_name_among_many_vendors_gets_one_short_line_with_the_closest() -> None:
    book = VendorBook(
        [Vendor(f"Vendor{n:02d}RTC", (f"别名{n}", f"alias-{n}-cloud")) for n in range(60)]
        + [Vendor("Streamwave", ("SW", "流波"))]
    )
    with pytest.raises(UnknownVendor) as unknown:
        book.resolve("Streamwav Cloud")
    message = str(unknown.value)
    assert len(message) < 300 and "Streamwave" in message and "别名" not in message


def test_longer_alias_wins_over_a_shorter_one() -> None:
    scenarios = ScenarioBook(
        [
            Scenario("one_on_one_video", "1v1 video", "1v1 视频", ("1v1 video", "1v1视频")),
            Scenario("video", "Video", "视频", ("video",)),
        ]
    )
    topic = recognise_topic("1v1视频", VendorBook([Vendor("Agora", ("声网",))]), scenarios)
    assert topic.scenario is not None and topic.scenario.id == "one_on_one_video"
    topic = recognise_topic("声网 1v1 视频", VendorBook([Vendor("Agora", ("声网",))]), scenarios)
    assert topic.vendor is not None and topic.vendor.name == "Agora"
    assert topic.scenario is not None and topic.scenario.id == "one_on_one_video"


def test_criteria_file_has_the_comparison_rows_and_sections() -> None:
    criteria = load_criteria()
    ids = [criterion.id for criterion in criteria.comparison]
    assert ids == [
        "latency",
        "weak_network",
        "scale",
        "regions",
        "sla",
        "support",
        "pricing",
        "compliance",
    ]
    assert set(criteria.sections) >= {"questions", "poc_tests", "red_flags"}
    for criterion in criteria.criteria:
        assert criterion.queries("en") and criterion.queries("zh") and criterion.keywords


def test_keywords_match_whole_latin_words() -> None:
    platforms = default_criteria().get("sdk_platforms")
    assert platforms.keyword_hits("SDKs for Android, iOS and Web.")
    assert not platforms.keyword_hits("See our website for details.")
    support = default_criteria().get("support_sla")
    assert not support.keyword_hits("NimbusRTC supports up to 50 speakers per room.")


# --- over a real store ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeAssistant]:
    """The fixture corpus ingested once into a temporary store with the real embedding model."""
    model = bundled_model_dir()
    if not model.is_dir():
        pytest.skip(f"embedding model not built at {model} (run `make setup`)")
    from ingest.pipeline import Ingestor
    from knowledge.factory import open_assistant
    from store.embedding import get_embedder

    root = tmp_path_factory.mktemp("briefing")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        chroma_path=root / "chroma",
        chroma_collection="briefing",
        data_dir=root / "data",
    )
    report = Ingestor(settings, get_embedder(str(model))).sync([FIXTURES / "corpus"])
    assert report.ok and report.added == 4, report.to_json()
    yield open_assistant(settings)


@pytest.fixture(scope="module")
def briefer(assistant: KnowledgeAssistant) -> Briefer:
    """A Briefer over the fixture store, with the fixture vendors and scenarios."""
    vendors = load_vendor_book(FIXTURES / "vendors.yaml")
    scenarios = load_scenario_book(FIXTURES / "scenarios.yaml")
    domain = Domain(vendors, scenarios, load_domain().glossary, default_criteria())
    return Briefer(assistant.retrieve, domain, tools=assistant.tools)


@pytest.fixture(scope="module")
def chunk_texts(assistant: KnowledgeAssistant) -> dict[str, str]:
    """Every live chunk's text by id, read from the store."""
    records = assistant.retriever.index.store.chunks.get(include=["documents", "metadatas"])
    live = assistant.retriever.index.snapshot().live
    return {
        chunk_id: text or ""
        for chunk_id, text, metadata in zip(
            records["ids"], records["documents"] or [], records["metadatas"] or [], strict=True
        )
        if live.get(str(metadata["source"])) == metadata["content_hash"]
    }


@pytest.fixture(scope="module")
def nimbus_brief(briefer: Briefer) -> Answer:
    return briefer.brief("NimbusRTC voice room", detect_lang("NimbusRTC voice room"))


@pytest.fixture(scope="module")
def galaxy_brief(briefer: Briefer) -> Answer:
    return briefer.brief("星河音视频 语聊房", detect_lang("星河音视频 语聊房"))


@pytest.fixture(scope="module")
def comparison(briefer: Briefer) -> Answer:
    return briefer.compare(["NimbusRTC", "星河"], "en")


def assert_citations_valid(answer: Answer, chunk_texts: dict[str, str]) -> None:
    """Every [n] of the text and the attachments has a citation quoting its chunk verbatim."""
    numbers = {citation.n for citation in answer.citations}
    assert numbers == set(range(1, len(answer.citations) + 1))
    for document in [answer.text, *(a.content for a in answer.attachments)]:
        for marker in MARKER.findall(document):
            assert int(marker) in numbers, f"[{marker}] has no citation"
    for citation in answer.citations:
        assert citation.quote and citation.quote in chunk_texts[citation.chunk_id]


def test_briefing_has_the_fixed_sections_in_order(nimbus_brief: Answer) -> None:
    assert nimbus_brief.kind == "briefing" and not nimbus_brief.abstained
    headings = [
        "What matters for Voice chat rooms",
        "What NimbusRTC's documents claim",
        "Gaps",
        "Questions to ask",
        "PoC tests",
        "Red flags",
    ]
    positions = [nimbus_brief.text.index(heading) for heading in headings]
    assert positions == sorted(positions)
    (attachment,) = nimbus_brief.attachments
    assert attachment.filename == "briefing-nimbusrtc-voice-room.md"
    assert attachment.mime_type == "text/markdown"
    for heading in headings:
        assert f"## {heading}" in attachment.content
    assert "## Sources" in attachment.content


def test_briefing_quotes_target_values_from_the_guide(nimbus_brief: Answer) -> None:
    assert "400 ms" in nimbus_brief.attachments[0].content
    guide_citations = [c for c in nimbus_brief.citations if "guide-voice-room" in c.source]
    assert guide_citations


def test_briefing_attributes_vendor_claims(nimbus_brief: Answer) -> None:
    text = nimbus_brief.text
    assert "NimbusRTC states: “NimbusRTC's median join time is 320 ms on 4G networks.”" in text
    vendor_citations = [c for c in nimbus_brief.citations if c.vendor == "NimbusRTC"]
    assert vendor_citations
    assert all(c.source == "https://nimbusrtc.example/docs/overview" for c in vendor_citations)


def test_briefing_lists_unaddressed_criteria_as_gaps(nimbus_brief: Answer) -> None:
    gaps = nimbus_brief.text.split("Gaps", 1)[1].split("Questions to ask", 1)[0]
    assert "Echo cancellation and noise suppression (3A): not addressed in NimbusRTC's" in gaps
    assert "Latency and connect time" not in gaps
    assert "[" not in gaps  # an absence needs no citation


def test_briefing_sections_cite_the_guides(nimbus_brief: Answer) -> None:
    body = nimbus_brief.attachments[0].content
    assert "red flag is a vendor that cannot state how its latency figures are measured" in body
    assert "packet loss" in body.split("## PoC tests", 1)[1].split("## Red flags", 1)[0]
    questions = body.split("## Questions to ask", 1)[1].split("## PoC tests", 1)[0]
    assert "?" in questions


def test_briefing_citations_resolve(
    nimbus_brief: Answer, galaxy_brief: Answer, chunk_texts: dict[str, str]
) -> None:
    assert_citations_valid(nimbus_brief, chunk_texts)
    assert_citations_valid(galaxy_brief, chunk_texts)


def test_chinese_topic_gets_chinese_headings_and_attribution(galaxy_brief: Answer) -> None:
    text = galaxy_brief.text
    assert text.startswith("会前简报：GalaxyRTC")
    for heading in ("语聊房：关键指标", "GalaxyRTC 文档中的说法", "缺口", "建议提问", "POC 测试"):
        assert heading in text
    # Already attributed in Chinese: quoted as it is, not attributed twice.
    assert "星河音视频称其端到端延迟低于 250 毫秒。 [" in text
    assert "GalaxyRTC 称：“星河音视频称" not in text
    assert "回声消除与降噪（3A）：GalaxyRTC 的文档未涉及" in text


def test_unknown_vendor_gets_a_scenario_briefing_saying_so(briefer: Briefer) -> None:
    answer = briefer.brief("Twilio voice room", detect_lang("Twilio voice room"))
    assert "I have no documents on Twilio (closest: " in answer.text
    assert "/vendors lists all); this briefing covers the scenario only." in answer.text
    note = next(note for note in answer.notes if "Twilio" in note)
    assert len(note) < 300
    assert "Gaps" not in answer.text and "What matters for Voice chat rooms" in answer.text
    assert not any(c.vendor for c in answer.citations)


def test_known_vendor_without_documents_has_only_gaps(briefer: Briefer) -> None:
    answer = briefer.brief("EmptyVoice voice room", detect_lang("EmptyVoice voice room"))
    assert "I found nothing in EmptyVoice's own documents" in answer.text
    assert "Latency and connect time: not addressed in EmptyVoice's documents" in answer.text


def test_comparison_cells_quote_each_vendors_own_figures(
    comparison: Answer, chunk_texts: dict[str, str]
) -> None:
    assert comparison.kind == "comparison"
    text = comparison.text
    latency = text.split("Latency and connect time", 1)[1].split("Quality under weak", 1)[0]
    assert "NimbusRTC states: “NimbusRTC's median join time is 320 ms on 4G networks.”" in latency
    assert "GalaxyRTC states: “星河音视频称其端到端延迟低于 250 毫秒。”" in latency
    assert_citations_valid(comparison, chunk_texts)
    by_n = {c.n: c for c in comparison.citations}
    for line in text.splitlines():
        for marker in MARKER.findall(line):
            vendor = line.removeprefix("• ").split(" states:", 1)[0]
            assert by_n[int(marker)].vendor == vendor, line  # a vendor's own document only


def test_comparison_says_not_stated_for_unaddressed_criteria(comparison: Answer) -> None:
    text = comparison.text
    sla = text.split("SLA and credits", 1)[1].split("Support and response times", 1)[0]
    assert "• not stated in NimbusRTC's documents" in sla
    assert "• not stated in GalaxyRTC's documents" in sla
    support = text.split("Support and response times", 1)[1].split("Pricing model", 1)[0]
    assert "• not stated in GalaxyRTC's documents" in support
    assert "NimbusRTC states:" in support and "15-minute" in support
    # A sentence off the criterion never fills a cell: GalaxyRTC's SDK platforms are no scale.
    scale = text.split("Scale per room", 1)[1].split("Regions and data residency", 1)[0]
    assert "安卓" not in scale and "• not stated in GalaxyRTC's documents" in scale


def test_comparison_attachments_markdown_and_csv(comparison: Answer) -> None:
    markdown, table = comparison.attachments
    assert markdown.filename == "comparison-nimbusrtc-galaxyrtc.md"
    assert "| Criterion | NimbusRTC | GalaxyRTC |" in markdown.content
    assert table.filename.endswith(".csv") and table.mime_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(table.content)))
    assert len(rows) == 8 * 2
    by_key = {(row["criterion"], row["vendor"]): row for row in rows}
    nimbus_price = by_key[("Pricing model", "NimbusRTC")]
    assert "USD 0.89 per 1,000 audio minutes" in nimbus_price["statement"]  # commas survive
    citation = comparison.citations[int(nimbus_price["citation"]) - 1]
    assert citation.vendor == "NimbusRTC" and nimbus_price["source"] == citation.source
    assert by_key[("Compliance", "NimbusRTC")]["statement"] == (
        "not stated in NimbusRTC's documents"
    )
    assert by_key[("Compliance", "NimbusRTC")]["citation"] == ""


def test_comparison_rejects_unknown_ambiguous_and_too_few(briefer: Briefer) -> None:
    with pytest.raises(UnknownVendor) as unknown:
        briefer.compare(["NimbusRTC", "Twilio"], "en")
    assert "Twilio" in str(unknown.value) and "GalaxyRTC" in str(unknown.value)
    with pytest.raises(UnknownVendor):
        briefer.compare(["NimbusRTC", "rtc"], "en")
    with pytest.raises(InvalidQuestion) as too_few:
        briefer.compare(["NimbusRTC", "nimbus rtc"], "en")  # the same vendor twice
    assert "two different vendors" in str(too_few.value) and len(str(too_few.value)) < 300


def test_comparison_in_chinese_when_asked_in_chinese(briefer: Briefer) -> None:
    answer = briefer.compare(
        ["星河音视频", "云雨音视频"], detect_lang(" ".join(["星河音视频", "云雨音视频"]))
    )
    assert "各家厂商自己文档中的说法" in answer.text
    assert "NimbusRTC 的文档未说明" in answer.text


def test_without_reading_tools_claims_come_from_the_keyword_search(
    assistant: KnowledgeAssistant,
) -> None:
    vendors = load_vendor_book(FIXTURES / "vendors.yaml")
    scenarios = load_scenario_book(FIXTURES / "scenarios.yaml")
    domain = Domain(vendors, scenarios, load_domain().glossary, default_criteria())
    answer = Briefer(assistant.retrieve, domain).brief("NimbusRTC voice room", "en")
    assert "NimbusRTC states: “NimbusRTC's median join time is 320 ms on 4G networks.”" in (
        answer.text
    )
    gaps = answer.text.split("Gaps", 1)[1].split("Questions to ask", 1)[0]
    assert "Echo cancellation and noise suppression (3A): not addressed in NimbusRTC's" in gaps
