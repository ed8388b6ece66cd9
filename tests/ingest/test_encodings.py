"""Text files in the encodings Chinese and English documents arrive in, and text clean-up."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from ingest.document import Block
from ingest.errors import IngestError
from ingest.loaders import load_document
from ingest.text import collapse, decode_bytes, normalize

SIMPLIFIED = (
    "实时音视频选型指南\n选型时先看延迟、卡顿率和全球节点覆盖。其次比较价格与技术支持的响应速度。\n"
)
TRADITIONAL = (
    "即時音視頻選型指南\n選型時先看延遲、卡頓率和全球節點覆蓋。其次比較價格與技術支援的回應速度。\n"
)
EXPECTED_SIMPLIFIED = (
    Block("heading", "实时音视频选型指南", 1),
    Block("paragraph", "选型时先看延迟、卡顿率和全球节点覆盖。其次比较价格与技术支持的响应速度。"),
)


def _load(tmp_path: Path, name: str, data: bytes) -> tuple[Block, ...]:
    path = tmp_path / name
    path.write_bytes(data)
    return load_document(path).blocks


def test_gbk_chinese_txt(tmp_path: Path) -> None:
    assert _load(tmp_path, "gbk.txt", SIMPLIFIED.encode("gbk")) == EXPECTED_SIMPLIFIED


def test_gb18030_is_the_decoder_for_simplified_chinese(tmp_path: Path) -> None:
    # 𠮷 exists only in GB18030 (four bytes), not in GBK: a GBK decoder would fail on it.
    text = "𠮷野家的直播间延迟很低，画面也很清晰。观众留存率因此提升了不少。"
    blocks = _load(tmp_path, "gb18030.txt", text.encode("gb18030"))
    assert blocks == (Block("paragraph", text),)


def test_big5_chinese_txt(tmp_path: Path) -> None:
    blocks = _load(tmp_path, "big5.txt", TRADITIONAL.encode("big5"))
    assert blocks == (
        Block("heading", "即時音視頻選型指南", 1),
        Block(
            "paragraph", "選型時先看延遲、卡頓率和全球節點覆蓋。其次比較價格與技術支援的回應速度。"
        ),
    )


def test_utf8_with_bom(tmp_path: Path) -> None:
    data = codecs.BOM_UTF8 + SIMPLIFIED.encode("utf-8")
    path = tmp_path / "bom.txt"
    path.write_bytes(data)
    doc = load_document(path)
    assert doc.blocks == EXPECTED_SIMPLIFIED
    assert doc.meta.title == "实时音视频选型指南"  # no BOM character left in front


def test_utf8_with_bom_keeps_markdown_front_matter(tmp_path: Path) -> None:
    data = codecs.BOM_UTF8 + "---\ntitle: 指南\nlang: zh\n---\n正文。\n".encode()
    path = tmp_path / "bom.md"
    path.write_bytes(data)
    doc = load_document(path)
    assert (doc.meta.title, doc.meta.lang) == ("指南", "zh")
    assert doc.blocks == (Block("paragraph", "正文。"),)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_bom(tmp_path: Path, encoding: str) -> None:
    bom = {
        "utf-16-le": codecs.BOM_UTF16_LE,
        "utf-16-be": codecs.BOM_UTF16_BE,
    }.get(encoding, b"")
    data = bom + SIMPLIFIED.encode(encoding)
    assert _load(tmp_path, "wide.txt", data) == EXPECTED_SIMPLIFIED


def test_latin1_english_txt(tmp_path: Path) -> None:
    text = "Café latency report\nThe café streams at 720p with 300 ms of delay.\n"
    blocks = _load(tmp_path, "latin.txt", text.encode("cp1252"))
    assert blocks == (
        Block("heading", "Café latency report", 1),
        Block("paragraph", "The café streams at 720p with 300 ms of delay."),
    )


def test_decode_prefers_strict_utf8() -> None:
    assert decode_bytes("延迟 400ms".encode()) == "延迟 400ms"


def test_binary_is_not_text() -> None:
    with pytest.raises(IngestError, match=r"^looks binary, not text \(it holds NUL bytes\)$"):
        decode_bytes(b"abc\x00\x01\x02def")
    with pytest.raises(IngestError, match=r"^looks binary, not text \(a PNG image\)$"):
        decode_bytes(b"\x89PNG\r\n\x1a\n rest")


def test_normalize_widths_spaces_invisibles_and_line_ends() -> None:
    raw = "ＡＢＣ　ｒｔｃ１２３，延迟？\u200b好！\r\nline\rnext\u00a0x\x07\ufeff 9９．9５%"
    assert normalize(raw) == "ABC rtc123，延迟？好！\nline\nnext x 99.95%"


def test_normalize_is_nfc() -> None:
    assert normalize("Cafe\u0301") == "Café"


def test_collapse_runs_and_cjk_line_joins() -> None:
    assert collapse("Latency  \t is\nlow   here") == "Latency is low here"
    assert collapse("服务 商的\n延迟很低") == "服务商的延迟很低"
    assert collapse("支持，\nWebRTC") == "支持，WebRTC"


def test_normalised_text_reaches_the_blocks(tmp_path: Path) -> None:
    data = "Ｌａｔｅｎｃｙ\u3000is   4００ ms.\u200b\r\nStill\tthe same paragraph.\r\n".encode()
    assert _load(tmp_path, "wide.txt", data) == (
        Block("paragraph", "Latency is 400 ms."),
        Block("paragraph", "Still the same paragraph."),
    )
