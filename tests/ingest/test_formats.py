"""What answers depend on: table rows with their headers, PDF headings from fonts, heading-only
documents, and the Markdown shapes real documentation uses."""

from __future__ import annotations

import io
from pathlib import Path

import docx
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from config.settings import Settings
from ingest.chunking import chunk_document
from ingest.document import Block
from ingest.loaders import LOADERS, load_document
from ingest.loaders.html import load as load_html
from ingest.pipeline import Ingestor
from store.client import open_store


def _blocks(name: str, content: str | bytes) -> tuple[Block, ...]:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return load_document(Path(name), data).blocks


def _tables(name: str, content: str | bytes) -> list[str]:
    return [block.text for block in _blocks(name, content) if block.kind == "table"]


def _words(text: str) -> int:
    return len(text.split())


# --- tables ----------------------------------------------------------------------------------

EN_TABLE = """# Browsers

| Browser | Support | Versions |
|---------|:-------:|----------|
| Firefox | ✅ | 115+ |
| Safari  |    | 16.4+ |
"""


def test_a_markdown_row_carries_its_headers_and_the_header_row_is_no_line() -> None:
    (table,) = _tables("b.md", EN_TABLE)
    assert table.split("\n") == [
        "Browser: Firefox; Support: ✅; Versions: 115+",
        "Browser: Safari; Versions: 16.4+",  # an empty cell is left out, not "Support: "
    ]


def test_a_chinese_table_reads_as_chinese_and_no_row_ends_a_sentence_early() -> None:
    source = "| 指标 | 目标 |\n|---|---|\n| 延迟 | 低于 400 毫秒 |\n| 卡顿率 | 低于 1% |\n"
    (table,) = _tables("z.md", source)
    assert table.split("\n") == ["指标：延迟，目标：低于 400 毫秒", "指标：卡顿率，目标：低于 1%"]
    assert "；" not in table and "。" not in table


def test_a_quoted_row_is_never_bare_after_chunking() -> None:
    rows = "".join(f"| V{n} | R{n} | {n}0 ms |\n" for n in range(30))
    source = f"# Vendors\n\n| Vendor | Region | Latency |\n|---|---|---|\n{rows}"
    document = load_document(Path("v.md"), source.encode())
    chunks = chunk_document(document, _words, max_tokens=30, overlap_tokens=0)
    assert len(chunks) > 2
    lines = [line for chunk in chunks for line in chunk.text.split("\n")]
    assert len(lines) == 30
    assert all(line.startswith("Vendor: V") and "Latency: " in line for line in lines)


def test_html_tables_with_thead_spans_and_row_headers() -> None:
    page = """<html><body>
    <table><thead><tr><th>Type</th><th>Codec</th><th>Name</th></tr></thead><tbody>
      <tr><td rowspan="2">Image</td><td>JPEG</td><td>jpeg</td></tr>
      <tr><td colspan="2">PNG</td></tr></tbody></table>
    <table><tr><th>价格</th><td>每分钟 0.01 元</td></tr>
      <tr><th>延迟</th><td>400 毫秒</td></tr></table>
    <table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>
    </body></html>"""
    assert _tables("t.html", page) == [
        "Type: Image; Codec: JPEG; Name: jpeg\nType: Image; Codec: PNG; Name: PNG",
        "价格：每分钟 0.01 元\n延迟：400 毫秒",
        "a | b\nc | d",  # no header cells: nothing to name the values with
    ]


def test_an_html_table_inside_markdown_is_read_as_a_table() -> None:
    source = (
        "Intro.\n\n<table><thead><tr><th>Key</th><th>Description</th></tr></thead>"
        "<tbody><tr><td>SecretKey</td><td>The key used to sign.</td></tr></tbody></table>\n"
    )
    assert _tables("gitbook.md", source) == ["Key: SecretKey; Description: The key used to sign."]


def test_a_docx_table_keeps_merged_cells_under_their_first_column() -> None:
    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    for cell, text in zip(table.rows[0].cells, ["Plan", "Price", "Notes"], strict=True):
        cell.text = text
    table.cell(1, 0).text, table.cell(1, 1).text, table.cell(1, 2).text = "Pro", "9 USD", "API"
    merged = table.cell(2, 1).merge(table.cell(2, 2))
    table.cell(2, 0).text = "Basic"
    merged.text = "free"
    out = io.BytesIO()
    document.save(out)
    assert _tables("plans.docx", out.getvalue()) == [
        "Plan: Pro; Price: 9 USD; Notes: API\nPlan: Basic; Price: free"
    ]


# --- Markdown shapes ---------------------------------------------------------------------------


def test_markdown_han_headings_template_tags_and_cjk_bold() -> None:
    source = (
        '#部署\n\n{% hint style="info" %}\n**注意：**端口是 1935。\n{% endhint %}\n\n'
        "Use _FFmpeg_ and `ffprobe`.\n\n<details>\n<summary>More</summary>\n\nHidden text.\n\n"
        "</details>\n"
    )
    assert _blocks("a.md", source) == (
        Block("heading", "部署", 1),
        Block("paragraph", "注意：端口是 1935。"),
        Block("paragraph", "Use FFmpeg and ffprobe."),
        Block("paragraph", "More"),
        Block("paragraph", "Hidden text."),
    )


def test_markdown_attribute_lists_are_markup_and_placeholders_are_text() -> None:
    source = (
        "## Why a relay? {: #intro }\n\n"
        'Get the [Stable](https://example.invalid){:target="_blank"} build; play '
        "/hls/{streamName}.m3u8 with `{:raw}`.\n{: .note }\n\n"
        '[Docs](https://example.invalid){ target="_blank" .external } say { ... } and {}.\n'
    )
    assert _blocks("attrs.md", source) == (
        Block("heading", "Why a relay?", 2),
        Block("paragraph", "Get the Stable build; play /hls/{streamName}.m3u8 with {:raw}."),
        Block("paragraph", "Docs say { ... } and {}."),
    )


def test_fenced_code_in_a_hashes_line_is_no_heading() -> None:
    source = "# Title\n\n```sh\n#注释\n# comment\n```\n"
    assert _blocks("c.md", source) == (
        Block("heading", "Title", 1),
        Block("code", "#注释\n# comment"),
    )


def test_every_registered_type_has_a_loader() -> None:
    assert LOADERS[".htm"] is load_html
    assert all(callable(loader) for loader in LOADERS.values())


# --- documents of headings only ----------------------------------------------------------------

VIDEO_LIST = """# Conference talks

## [Low-latency HLS in production](https://example.com/v/1)

## [SRT for contribution links](https://example.com/v/2)
"""
ZH_VIDEO_LIST = (
    "# 视频\n\n## 入门\n\n### 推流第一课\n\n### 拉流第二课\n\n## 进阶\n\n### WebRTC 调优\n"
)
HTML_VIDEO_LIST = (
    "<html><body><h1>Talks</h1><h2><a href='/a'>Scaling SFUs</a></h2>"
    "<h2><a href='/b'>Echo cancellation</a></h2></body></html>"
)


def test_a_document_of_headings_only_has_chunks() -> None:
    en = chunk_document(load_document(Path("talks.md"), VIDEO_LIST.encode()), _words)
    assert [(c.section, c.text) for c in en] == [
        ("", "- Low-latency HLS in production\n- SRT for contribution links")
    ]
    zh = chunk_document(load_document(Path("v.md"), ZH_VIDEO_LIST.encode()), _words)
    assert [(c.section, c.text, c.lang) for c in zh] == [
        ("入门", "- 推流第一课\n- 拉流第二课", "zh"),
        ("进阶", "- WebRTC 调优", "zh"),
    ]
    html = chunk_document(load_document(Path("t.html"), HTML_VIDEO_LIST.encode()), _words)
    assert [c.text for c in html] == ["- Scaling SFUs\n- Echo cancellation"]


def test_a_heading_only_document_is_ingested(
    store_settings: Settings, fake_embedder: object, tmp_path: Path
) -> None:
    folder = tmp_path / "videos"
    folder.mkdir()
    (folder / "talks.md").write_text(VIDEO_LIST, "utf-8")
    (folder / "talks.html").write_text(HTML_VIDEO_LIST, "utf-8")
    report = Ingestor(store_settings, fake_embedder).sync([folder])  # type: ignore[arg-type]
    assert report.failed == []
    assert report.added == 2
    assert open_store(store_settings).chunks.count() == report.chunks == 2


# --- PDF headings from font size and weight ----------------------------------------------------

# (font, size, text) per line, drawn top to bottom.
Line = tuple[str, float, str]


def _pdf(lines: list[Line], chinese: bool = False) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    if chinese:
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    y = 800.0
    for font, size, text in lines:
        if not text:
            y -= 10
            continue
        pdf.setFont(font, size)
        pdf.drawString(60, y, text)
        y -= size + 6
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


BODY = "Helvetica", 11
EN_PDF: list[Line] = [
    ("Helvetica-Bold", 22, "Choosing a streaming vendor"),
    (*BODY, "Start with the audience size and the latency the product can tolerate."),
    ("Helvetica-Bold", 15, "2 Pricing"),
    (*BODY, "Pricing is usually per thousand minutes."),
    ("Helvetica-Bold", 11, "Volume discounts"),
    (*BODY, "Discounts start at one million minutes a month."),
    ("Helvetica-Bold", 15, "3 Latency targets for interactive"),
    ("Helvetica-Bold", 15, "shows and classrooms"),
    (*BODY, "Interactive shows need well under a second of delay."),
]


def test_pdf_headings_come_from_font_size_and_weight() -> None:
    blocks = _blocks("guide.pdf", _pdf(EN_PDF))
    assert [(b.kind, b.level, b.text) for b in blocks if b.kind == "heading"] == [
        ("heading", 1, "Choosing a streaming vendor"),
        ("heading", 2, "2 Pricing"),
        ("heading", 3, "Volume discounts"),  # bold at body size: below every larger heading
        ("heading", 2, "3 Latency targets for interactive shows and classrooms"),
    ]
    document = load_document(Path("guide.pdf"), _pdf(EN_PDF))
    assert document.meta.title == "Choosing a streaming vendor"
    sections = {c.section: c.text for c in chunk_document(document, _words)}
    assert sections == {
        "": "Start with the audience size and the latency the product can tolerate.",
        "2 Pricing": "Pricing is usually per thousand minutes.",
        "2 Pricing > Volume discounts": "Discounts start at one million minutes a month.",
        "3 Latency targets for interactive shows and classrooms": (
            "Interactive shows need well under a second of delay."
        ),
    }


def test_chinese_pdf_headings_give_sections() -> None:
    song = "STSong-Light"
    lines: list[Line] = [
        (song, 20, "直播选型指南"),
        (song, 11, "直播选型首先要看并发规模和可接受的延迟。"),
        (song, 15, "价格"),
        (song, 11, "价格一般按分钟计费。"),
        (song, 15, "延迟"),
        (song, 11, "互动直播需要低于一秒的延迟。"),
    ]
    document = load_document(Path("zh.pdf"), _pdf(lines, chinese=True))
    assert document.meta.title == "直播选型指南"
    chunks = chunk_document(document, _words)
    assert [(c.section, c.text, c.lang) for c in chunks] == [
        ("", "直播选型首先要看并发规模和可接受的延迟。", "zh"),
        ("价格", "价格一般按分钟计费。", "zh"),
        ("延迟", "互动直播需要低于一秒的延迟。", "zh"),
    ]


def test_a_pdf_in_one_size_has_no_headings_and_sentences_are_no_headings() -> None:
    lines: list[Line] = [
        (*BODY, "Short line"),
        (*BODY, "Pricing is per minute."),
        ("Helvetica-Bold", 16, "This large line ends like a sentence."),
        (*BODY, "More body text follows here."),
    ]
    kinds = [b.kind for b in _blocks("flat.pdf", _pdf(lines))]
    assert "heading" not in kinds
