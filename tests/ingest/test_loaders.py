"""Loading each supported format into blocks and metadata, and rejecting bad files clearly."""

from __future__ import annotations

import io
import logging
import os
import random
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from ingest.document import Block, DocumentMeta
from ingest.errors import IngestError
from ingest.loaders import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, load_document


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def _error(path: Path, data: bytes | None = None) -> str:
    with pytest.raises(IngestError) as caught:
        load_document(path, data)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- Markdown ------------------------------------------------------------------------------

ZH_MARKDOWN = """---
title: 语音房选型指南
doc_type: guide
lang: zh
as_of: 2025-03-01
source_url: https://example.com/voice
scenario: voice_chat
unknown_key: ignored
---
# 语音房选型指南

语音房最看重的是音质和延迟。选型前先想清楚并发规模。

## 关键指标

需要关注的指标：

- 端到端延迟低于 400ms
- 抗丢包：**30%** 丢包下仍可通话
1. 第三项

| 指标 | 目标 |
|------|------|
| 延迟 | < 400ms |
| 卡顿率 | < 1% |

```python
room.join("demo")
```
"""

EN_MARKDOWN = """---
title: "Live streaming: a buyer's guide"
doc_type: vendor
vendor: Agora
lang: en-US
---
Intro paragraph with a [link](https://example.com) and `code` and *emphasis*.

Pricing
=======

Billing is per minute,
wrapped over two lines.

Latency
-------

* First item
  continues here
"""


def test_markdown_front_matter_zh_sets_meta_and_blocks(tmp_path: Path) -> None:
    doc = load_document(_write(tmp_path, "voice.md", ZH_MARKDOWN))
    assert doc.meta == DocumentMeta(
        title="语音房选型指南",
        doc_type="guide",
        vendor="",
        lang="zh",
        source_url="https://example.com/voice",
        as_of="2025-03-01",
        scenario="voice_chat",
    )
    assert doc.blocks == (
        Block("heading", "语音房选型指南", 1),
        Block("paragraph", "语音房最看重的是音质和延迟。选型前先想清楚并发规模。"),
        Block("heading", "关键指标", 2),
        Block("paragraph", "需要关注的指标："),
        Block("list_item", "端到端延迟低于 400ms"),
        Block("list_item", "抗丢包：30% 丢包下仍可通话"),
        Block("list_item", "第三项"),
        Block("table", "指标：延迟，目标：< 400ms\n指标：卡顿率，目标：< 1%"),
        Block("code", 'room.join("demo")'),
    )


def test_markdown_en_setext_headings_inline_markup_and_lang_alias(tmp_path: Path) -> None:
    doc = load_document(_write(tmp_path, "agora.markdown", EN_MARKDOWN))
    assert doc.meta.title == "Live streaming: a buyer's guide"
    assert doc.meta.doc_type == "vendor"
    assert doc.meta.vendor == "Agora"
    assert doc.meta.lang == "en"
    assert doc.blocks == (
        Block("paragraph", "Intro paragraph with a link and code and emphasis."),
        Block("heading", "Pricing", 1),
        Block("paragraph", "Billing is per minute, wrapped over two lines."),
        Block("heading", "Latency", 2),
        Block("list_item", "First item continues here"),
    )


def test_markdown_title_falls_back_to_first_h1_then_file_stem(tmp_path: Path) -> None:
    with_h1 = load_document(_write(tmp_path, "a.md", "Lead.\n\n# Real title\n\n## Part\n\nText."))
    assert with_h1.meta.title == "Real title"
    assert with_h1.meta.doc_type == "other"
    assert with_h1.meta.lang == ""
    without = load_document(_write(tmp_path, "vendor-notes.md", "## Part\n\nText."))
    assert without.meta.title == "vendor-notes"


def test_markdown_invalid_front_matter_is_rejected_with_the_problem(tmp_path: Path) -> None:
    bad_yaml = _write(tmp_path, "bad.md", "---\ntitle: [unclosed\n---\nText.\n")
    assert _error(bad_yaml).startswith("invalid front matter:")
    not_a_mapping = _write(tmp_path, "list.md", "---\n- a\n- b\n---\nText.\n")
    assert _error(not_a_mapping) == "invalid front matter: expected `key: value` lines"
    bad_type = _write(tmp_path, "type.md", "---\ndoc_type: blog\n---\nText.\n")
    assert _error(bad_type) == "invalid doc_type 'blog': expected guide, vendor or other"
    bad_lang = _write(tmp_path, "lang.md", "---\nlang: fr\n---\nText.\n")
    assert _error(bad_lang) == "invalid lang 'fr': expected zh or en"


def test_markdown_with_only_front_matter_has_no_text(tmp_path: Path) -> None:
    path = _write(tmp_path, "empty.md", "---\ntitle: Nothing\n---\n\n")
    assert _error(path) == "empty file (no text after the front matter)"


# --- plain text ----------------------------------------------------------------------------

SEED_EXCERPT = """
直播系统源码技术支持团队的规模和资质,到底该怎么选?
如果你正在搭建一套直播系统,肯定会遇到一个关键问题:背后的技术支持团队,靠不靠谱?
这个问题听起来简单,但真正聊起来,你会发现里面的水挺深的。
为什么技术支持团队的资质这么重要?
做直播系统的人都知道,这东西跟普通App不太一样。延迟高了、卡顿多了,分分钟掉用户。

看市场地位说话
市场占有率是一个很直接的指标。想想看,如果一个技术服务商在行业里排第一第二,那意味着什么?
"""


def test_txt_seed_style_headings_and_paragraph_per_line(tmp_path: Path) -> None:
    doc = load_document(_write(tmp_path, "guide.txt", SEED_EXCERPT))
    assert doc.meta.title == "直播系统源码技术支持团队的规模和资质,到底该怎么选?"
    assert [(b.kind, b.level, b.text[:12]) for b in doc.blocks] == [
        ("heading", 1, "直播系统源码技术支持团队"),
        ("paragraph", 0, "如果你正在搭建一套直播系"),
        ("paragraph", 0, "这个问题听起来简单,但真"),
        ("heading", 2, "为什么技术支持团队的资质"),
        ("paragraph", 0, "做直播系统的人都知道,这"),
        ("heading", 2, "看市场地位说话"),
        ("paragraph", 0, "市场占有率是一个很直接的"),
    ]


def test_txt_headings_are_conservative(tmp_path: Path) -> None:
    text = (
        "Metrics that matter\n"
        "Latency decides whether a call feels live. Measure it end to end.\n"
        "\n"
        "This paragraph is wrapped at a narrow width and its\n"
        "last line is short\n"
        "\n"
        "- a list item without punctuation\n"
        "- another one\n"
        "Thanks for reading.\n"
    )
    doc = load_document(_write(tmp_path, "notes.txt", text))
    assert doc.blocks == (
        Block("heading", "Metrics that matter", 1),
        Block("paragraph", "Latency decides whether a call feels live. Measure it end to end."),
        Block(
            "paragraph", "This paragraph is wrapped at a narrow width and its last line is short"
        ),
        Block("list_item", "a list item without punctuation"),
        Block("list_item", "another one"),
        Block("paragraph", "Thanks for reading."),
    )
    assert doc.meta.title == "Metrics that matter"


def test_txt_without_a_heading_line_is_titled_by_its_stem(tmp_path: Path) -> None:
    doc = load_document(_write(tmp_path, "faq.txt", "Just one sentence here.\n"))
    assert doc.blocks == (Block("paragraph", "Just one sentence here."),)
    assert doc.meta.title == "faq"


# --- HTML ----------------------------------------------------------------------------------

HTML = """<!doctype html>
<html lang="en"><head><title>RTC vendors compared</title>
<style>body { color: red }</style><script>var tracking = 1;</script></head>
<body>
<header><a href="/">Home</a> | <a href="/blog">Blog</a></header>
<nav><ul><li>Menu item</li></ul></nav>
<main>
  <h1>Vendors</h1>
  <p>Agora and <b>Tencent</b> RTC are <!-- hidden -->common choices.</p>
  <div>Loose text in a div<br>after a break.</div>
  <h2>Checklist</h2>
  <ul><li>Latency <em>under</em> 400 ms<ul><li>Nested item</li></ul></li><li>Price</li></ul>
  <table><tr><th>Vendor</th><th>Regions</th></tr><tr><td>Agora</td><td>200+</td></tr></table>
  <pre>sdk.join(channel)
  sdk.leave()</pre>
  <script>document.write("injected")</script>
</main>
<footer>Copyright 2025</footer>
</body></html>
"""


def test_html_keeps_structure_and_drops_noise(tmp_path: Path) -> None:
    doc = load_document(_write(tmp_path, "page.html", HTML))
    assert doc.meta.title == "RTC vendors compared"
    assert doc.blocks == (
        Block("heading", "Vendors", 1),
        Block("paragraph", "Agora and Tencent RTC are common choices."),
        Block("paragraph", "Loose text in a div after a break."),
        Block("heading", "Checklist", 2),
        Block("list_item", "Latency under 400 ms"),
        Block("list_item", "Nested item"),
        Block("list_item", "Price"),
        Block("table", "Vendor: Agora; Regions: 200+"),
        Block("code", "sdk.join(channel)\n  sdk.leave()"),
    )
    joined = " ".join(block.text for block in doc.blocks)
    for noise in ("tracking", "Home", "Menu item", "Copyright", "injected", "color"):
        assert noise not in joined


def test_html_declared_gbk_charset_and_h1_title_fallback(tmp_path: Path) -> None:
    page = (
        '<html><head><meta charset="gbk"></head><body><h1>声网</h1><p>全球节点。</p></body></html>'
    )
    doc = load_document(_write(tmp_path, "zh.htm", page.encode("gbk")))
    assert doc.meta.title == "声网"
    assert doc.blocks == (Block("heading", "声网", 1), Block("paragraph", "全球节点。"))


# --- PDF -----------------------------------------------------------------------------------


def _pdf(pages: list[list[str]], *, title: str | None = None, chinese: bool = False) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    if title:
        pdf.setTitle(title)
    if chinese:
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    for lines in pages:
        pdf.setFont("STSong-Light" if chinese else "Helvetica", 11)
        y = 800
        for line in lines:
            if line:
                pdf.drawString(60, y, line)
            y -= 16
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _encrypt(data: bytes, user: str, owner: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user, owner)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


EN_PDF_PAGES = [
    [
        "Choosing a live streaming vendor starts with the audience size and the latency",
        "that the product can tolerate, and interactive shows need well under a second",
        "of delay.",
        "",
        "Pricing is usually per thousand minutes, with discounts for volume and for",
        "annual commitments.",
    ],
    ["2"],
]


def test_pdf_with_text_layer_gives_paragraphs(tmp_path: Path) -> None:
    path = _write(tmp_path, "guide.pdf", _pdf(EN_PDF_PAGES, title="Streaming guide"))
    doc = load_document(path)
    assert doc.meta.title == "Streaming guide"
    assert doc.blocks == (
        Block(
            "paragraph",
            "Choosing a live streaming vendor starts with the audience size and the latency "
            "that the product can tolerate, and interactive shows need well under a second "
            "of delay.",
        ),
        Block(
            "paragraph",
            "Pricing is usually per thousand minutes, with discounts for volume and for "
            "annual commitments.",
        ),
    )


def test_pdf_chinese_text_and_default_title_falls_back_to_stem(tmp_path: Path) -> None:
    lines = [
        "直播选型首先要看并发规模和可接受的延迟,互动直播需要低于一秒的",
        "延迟。",
        "",
        "价格一般按分钟计费。",
    ]
    doc = load_document(_write(tmp_path, "zh-guide.pdf", _pdf([lines], chinese=True)))
    assert doc.meta.title == "zh-guide"  # reportlab's default title "untitled" is not a title
    texts = [block.text for block in doc.blocks]
    assert texts == [
        "直播选型首先要看并发规模和可接受的延迟,互动直播需要低于一秒的延迟。",
        "价格一般按分钟计费。",
    ]


def test_encrypted_pdf_needs_a_password(tmp_path: Path) -> None:
    data = _encrypt(_pdf(EN_PDF_PAGES), user="secret", owner="owner")
    assert _error(_write(tmp_path, "locked.pdf", data)).startswith("encrypted PDF: ")


def test_pdf_encrypted_with_an_empty_user_password_opens(tmp_path: Path) -> None:
    data = _encrypt(_pdf(EN_PDF_PAGES), user="", owner="owner")
    doc = load_document(_write(tmp_path, "restricted.pdf", data))
    assert doc.blocks[0].text.startswith("Choosing a live streaming vendor")


def test_pdf_without_text_layer_is_called_scanned(tmp_path: Path) -> None:
    path = _write(tmp_path, "scan.pdf", _pdf([[]]))
    assert _error(path) == "no text layer (scanned PDF?): 1 page without extractable text"


def test_corrupt_pdfs_are_rejected_quietly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    noise = random.Random(7).randbytes(4096)
    assert _error(_write(tmp_path, "noise.pdf", noise)) == "not a PDF (no %PDF header)"
    truncated = _pdf(EN_PDF_PAGES)[:400]
    with caplog.at_level(logging.DEBUG):
        assert _error(_write(tmp_path, "cut.pdf", truncated)).startswith("corrupt PDF: ")
    assert not [r for r in caplog.records if r.name.startswith("pypdf") and r.levelno < 40]


# --- DOCX ----------------------------------------------------------------------------------


def _docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("Vendor review", style="Title")
    document.add_heading("Coverage", level=1)
    document.add_paragraph("Nodes in 200 regions.")
    document.add_heading("Checklist", level=2)
    document.add_paragraph("Latency under 400 ms", style="List Bullet")
    document.add_paragraph("Recording included", style="List Number")
    table = document.add_table(rows=2, cols=3)
    for cell, text in zip(table.rows[0].cells, ["Plan", "Price", "Notes"], strict=True):
        cell.text = text
    merged = table.cell(1, 1).merge(table.cell(1, 2))
    table.cell(1, 0).text = "Basic"
    merged.text = "0.99 USD"
    document.add_paragraph("")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_keeps_headings_lists_and_tables(tmp_path: Path) -> None:
    doc = load_document(_write(tmp_path, "review.docx", _docx()))
    assert doc.meta.title == "Vendor review"
    assert doc.blocks == (
        Block("heading", "Vendor review", 1),
        Block("heading", "Coverage", 1),
        Block("paragraph", "Nodes in 200 regions."),
        Block("heading", "Checklist", 2),
        Block("list_item", "Latency under 400 ms"),
        Block("list_item", "Recording included"),
        Block("table", "Plan: Basic; Price: 0.99 USD"),
    )


def test_corrupt_docx_is_rejected(tmp_path: Path) -> None:
    assert _error(_write(tmp_path, "bad.docx", b"PK\x03\x04garbage")).startswith("corrupt DOCX: ")
    assert _error(_write(tmp_path, "noise.docx", b"\x00\x01 not a zip")) == (
        "corrupt DOCX: not a zip archive"
    )
    old = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
    assert "old Word .doc" in _error(_write(tmp_path, "old.docx", old))


# --- files that cannot be loaded -----------------------------------------------------------


def test_supported_suffixes() -> None:
    assert {".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx"} == SUPPORTED_SUFFIXES


def test_suffix_is_case_insensitive_and_data_can_be_given(tmp_path: Path) -> None:
    doc = load_document(tmp_path / "never-written.MD", b"# Title\n\nBody.")
    assert doc.blocks == (Block("heading", "Title", 1), Block("paragraph", "Body."))


def test_empty_and_whitespace_only_files(tmp_path: Path) -> None:
    assert _error(_write(tmp_path, "empty.txt", b"")) == "empty file"
    assert _error(_write(tmp_path, "blank.md", b" \n\t\r\n")) == "empty file (only whitespace)"
    utf16_blank = "  \n ".encode("utf-16")
    assert _error(_write(tmp_path, "blank16.txt", utf16_blank)) == "empty file (only whitespace)"
    assert _error(_write(tmp_path, "blank.pdf", b"")) == "empty file"


def test_unknown_extension(tmp_path: Path) -> None:
    assert _error(_write(tmp_path, "notes.xyz", "text")) == "unsupported file type .xyz"
    assert _error(_write(tmp_path, "README", "text")) == "unsupported file type (no extension)"


def test_binary_data_named_txt(tmp_path: Path) -> None:
    noise = random.Random(3).randbytes(2048)
    assert _error(_write(tmp_path, "noise.txt", noise)).startswith("looks binary, not text")
    pdf = _pdf(EN_PDF_PAGES)
    assert _error(_write(tmp_path, "report.txt", pdf)) == "looks binary, not text (a PDF)"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_by_mode(tmp_path: Path) -> None:
    path = _write(tmp_path, "secret.md", "text")
    path.chmod(0)
    try:
        assert _error(path) == "cannot read: permission denied"
    finally:
        path.chmod(0o644)


def test_unreadable_file_permission_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "secret.md", "text")

    def deny(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", deny)
    assert _error(path) == "cannot read: permission denied"


def test_directory_and_missing_paths(tmp_path: Path) -> None:
    folder = tmp_path / "folder.md"
    folder.mkdir()
    assert _error(folder) == "cannot read: is a directory"
    assert _error(tmp_path / "missing.md") == "cannot read: no such file"


def test_too_large_file_is_rejected_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(int(52.4 * 1024 * 1024))  # sparse: no 52 MB written to disk
    assert _error(path) == "too large: 52.4 MB, limit 50 MB"
    assert _error(tmp_path / "given.txt", b"x" * (MAX_FILE_BYTES + 1)) == (
        "too large: 50.0 MB, limit 50 MB"
    )
