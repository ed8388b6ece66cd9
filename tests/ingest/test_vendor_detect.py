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
