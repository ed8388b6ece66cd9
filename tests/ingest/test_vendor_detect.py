"""A document's vendor: `--vendor`, front matter, else the name its title gives and its text keeps
naming; a guide, a comparison or a technology page is no vendor's document."""

from __future__ import annotations

from pathlib import Path

from config.settings import Settings
from ingest.loaders import load_document
from ingest.pipeline import Ingestor
from ingest.vendor_detect import detect_vendor, with_vendor
from knowledge.evaluation.vendor_docs import materialise
from store.client import open_store


def _load(name: str, text: str):
    return load_document(Path(name), text.encode("utf-8"))


def test_html_and_chinese_pdf_without_front_matter_are_detected(tmp_path: Path) -> None:
    found = {}
    for path in materialise(tmp_path):
        meta = with_vendor(load_document(path))
        found[path.suffix] = (meta.vendor, meta.aliases, meta.doc_type)
    assert found[".html"] == ("Skylark Cloud", "", "vendor")
    assert found[".pdf"] == ("QueqiaoRTC", "鹊桥音视频", "vendor")


GUIDE = """# Choosing between NimbusRTC and Skylark Cloud

NimbusRTC offers low join times. Skylark Cloud offers more regions.
NimbusRTC charges per minute; Skylark Cloud charges per participant.
Ask both for their SLA; NimbusRTC provides credits, Skylark Cloud provides none.
"""

TECHNOLOGY = """# WebRTC

WebRTC is a set of browser APIs. WebRTC uses SRTP for media.
WebRTC supports simulcast. With WebRTC, NAT traversal uses ICE.
"""

VENDOR = """# NimbusRTC Voice

NimbusRTC offers rooms of 50 speakers. NimbusRTC charges USD 0.89 per 1,000 minutes.
NimbusRTC guarantees 99.9% uptime. The voice rooms of NimbusRTC run in 12 regions.
"""


def test_a_document_comparing_two_vendors_is_no_ones() -> None:
    assert detect_vendor(_load("compare.md", GUIDE)) is None


def test_a_technology_page_is_no_vendors() -> None:
    assert detect_vendor(_load("webrtc.md", TECHNOLOGY)) is None


def test_a_guide_is_never_a_vendor_document() -> None:
    guide = "---\ndoc_type: guide\n---\n" + VENDOR
    assert detect_vendor(_load("guide.md", guide)) is None
    assert with_vendor(_load("guide.md", guide)).vendor == ""


def test_a_vendor_sheet_is_detected_with_the_name_its_text_uses() -> None:
    meta = with_vendor(_load("sheet.md", VENDOR))
    assert (meta.vendor, meta.doc_type) == ("NimbusRTC", "vendor")


def test_front_matter_vendor_and_aliases_win_over_detection() -> None:
    text = "---\nvendor: Nimbus Cloud\naliases: [雨云, nimbus]\ndoc_type: vendor\n---\n" + VENDOR
    meta = with_vendor(_load("sheet.md", text))
    assert (meta.vendor, meta.aliases) == ("Nimbus Cloud", "雨云, nimbus")


def test_the_command_lines_vendor_wins_over_everything() -> None:
    text = "---\nvendor: Nimbus Cloud\ndoc_type: vendor\n---\n" + VENDOR
    assert with_vendor(_load("sheet.md", text), "  Other  Name ").vendor == "Other Name"
    plain = with_vendor(_load("notes.txt", "Plain notes about rooms."), "Acme RTC")
    assert (plain.vendor, plain.doc_type) == ("Acme RTC", "vendor")


def test_ingest_stores_the_vendor_and_aliases_as_chunk_metadata(
    store_settings: Settings, fake_embedder: object, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    materialise(folder)
    (folder / "notes.md").write_text(VENDOR, "utf-8")
    report = Ingestor(store_settings, fake_embedder).sync([folder])  # type: ignore[arg-type]
    assert report.ok and report.added == 3
    records = open_store(store_settings).chunks.get(include=["metadatas"])
    found = {
        (Path(str(m["source"])).name, m["vendor"], m["aliases"], m["doc_type"])
        for m in records["metadatas"] or []
    }
    assert ("queqiao-whitepaper.pdf", "QueqiaoRTC", "鹊桥音视频", "vendor") in found
    assert ("skylark-product-sheet.html", "Skylark Cloud", "", "vendor") in found

    # `--vendor` re-marks an unchanged file: it is a new version, not skipped.
    again = Ingestor(store_settings, fake_embedder, vendor="Acme").sync(  # type: ignore[arg-type]
        [folder / "notes.md"]
    )
    assert again.updated == 1 and again.unchanged == 0
    records = open_store(store_settings).chunks.get(where={"vendor": "Acme"}, include=[])
    assert records["ids"]


HAN_VENDOR = """# 云鹭云实时音视频产品说明

云鹭云提供实时音视频 SDK，单房间支持 50 个麦位。
云鹭云承诺 99.9% 的月度可用性，未达标按 SLA 赔付。
云鹭云按每千分钟 3 元收费，音频与视频分开计费。
云鹭云的节点覆盖 20 个地区。
"""

HAN_TOPIC = """# 实时音视频技术介绍

实时音视频提供低延迟的通话能力，实时音视频承诺的是端到端体验。
实时音视频保证了互动性；实时音视频提供连麦、PK 等玩法。
"""

HAN_GUIDE = """# 语聊房选型指南

语聊房提供多人语音互动。语聊房承诺的体验取决于厂商。
语聊房收费通常按分钟计。语聊房提供麦位管理。
"""

HAN_COMPARISON = """# 云鹭云与青岚云对比

云鹭云提供 50 个麦位；青岚云提供 30 个麦位。
云鹭云承诺 99.9% 可用性；青岚云承诺 99.5% 可用性。
云鹭云按每千分钟 3 元收费；青岚云按每千分钟 4 元收费。
"""


def test_a_vendor_named_only_in_chinese_is_detected_by_the_name_it_offers_under() -> None:
    found = detect_vendor(_load("product.md", HAN_VENDOR))
    assert found is not None and found.name == "云鹭云"
    meta = with_vendor(_load("product.md", HAN_VENDOR))
    assert (meta.vendor, meta.doc_type) == ("云鹭云", "vendor")


def test_a_chinese_title_naming_a_topic_or_two_vendors_names_no_one() -> None:
    assert detect_vendor(_load("topic.md", HAN_TOPIC)) is None
    assert detect_vendor(_load("guide.md", HAN_GUIDE)) is None
    assert detect_vendor(_load("compare.md", HAN_COMPARISON)) is None
    guide = "---\ndoc_type: guide\n---\n" + HAN_VENDOR
    assert with_vendor(_load("guide.md", guide)).vendor == ""


def test_a_chinese_name_the_text_never_offers_anything_under_is_no_vendor() -> None:
    mentions_only = (
        "# 云鹭云实时音视频产品说明\n\n云鹭云是一家公司。云鹭云在杭州。云鹭云成立于 2020 年。\n"
    )
    assert detect_vendor(_load("about.md", mentions_only)) is None
