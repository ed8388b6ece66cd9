"""File → LoadedDocument: one small loader per format, chosen by the file's suffix."""

from __future__ import annotations

import datetime as dt
import html
import io
import logging
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import docx
import yaml
from bs4 import BeautifulSoup, NavigableString, Tag
from docx.table import Table
from docx.text.paragraph import Paragraph
from pypdf import PageObject, PasswordType, PdfReader

from ingest.document import Block, DocumentMeta, LoadedDocument
from ingest.errors import IngestError
from ingest.text import clean_code, collapse, decode_bytes, join_lines, normalize
from store.schema import DOC_TYPES

MAX_FILE_BYTES = 50 * 1024 * 1024 - 1
_MIB = 1024 * 1024

# pypdf logs a warning for every oddity of a malformed file; the user sees our one-line
# error instead, so keep its logger quiet.
logging.getLogger("pypdf").setLevel(logging.ERROR)

Loader = Callable[[Path, bytes], LoadedDocument]


def load_document(path: Path, data: bytes | None = None) -> LoadedDocument:
    """Read one file (data = its bytes when the caller already read them); raises IngestError."""
    suffix = path.suffix.lower()
    loader = _LOADERS.get(suffix)
    if loader is None:
        raise IngestError(
            f"unsupported file type {suffix}" if suffix else "unsupported file type (no extension)"
        )
    if data is None:
        data = read_file(path)
    _check_size(len(data))
    if not data:
        raise IngestError("empty file")
    if not data.strip():
        raise IngestError("empty file (only whitespace)")
    document = loader(path, data)
    if not document.blocks:
        raise IngestError("no text found")
    return document


def read_file(path: Path) -> bytes:
    """The file's bytes; IngestError (one line) when it cannot be read or is too large."""
    try:
        if path.is_dir():
            raise IngestError("cannot read: is a directory")
        _check_size(path.stat().st_size)
        return path.read_bytes()
    except PermissionError:
        raise IngestError("cannot read: permission denied") from None
    except FileNotFoundError:
        raise IngestError("cannot read: no such file") from None
    except IsADirectoryError:
        raise IngestError("cannot read: is a directory") from None
    except OSError as error:
        raise IngestError(f"cannot read: {(error.strerror or str(error)).lower()}") from None


def _check_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        limit = (MAX_FILE_BYTES + 1) // _MIB
        raise IngestError(f"too large: {size / _MIB:.1f} MB, limit {limit} MB")


def _short(error: BaseException) -> str:
    """A one-line, bounded description of a library's exception."""
    lines = str(error).strip().splitlines()
    text = lines[0].strip() if lines else ""
    text = text or type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _finish(path: Path, blocks: list[Block], meta: DocumentMeta) -> LoadedDocument:
    """Fill the title fallback (first H1, then the file stem) and freeze the document."""
    title = meta.title
    if not title:
        title = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), "")
    if not title:
        title = path.stem
    return LoadedDocument(blocks=tuple(blocks), meta=replace(meta, title=title))


def _decoded(data: bytes, declared: str | None = None) -> str:
    text = normalize(decode_bytes(data, declared))
    if not text.strip():
        raise IngestError("empty file (only whitespace)")
    return text


# --- front matter ------------------------------------------------------------------------

_META_KEYS = frozenset({"title", "doc_type", "vendor", "lang", "source_url", "as_of", "scenario"})
_LANG_ALIASES = {
    "zh": "zh",
    "cn": "zh",
    "chinese": "zh",
    "中文": "zh",
    "en": "en",
    "english": "en",
    "英文": "en",
}


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """Split YAML front matter between leading `---` lines from the body; IngestError if bad."""
    lines = text.split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start >= len(lines) or lines[start].rstrip() != "---":
        return {}, text
    for end in range(start + 1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            break
    else:
        return {}, text  # an opening rule with no closing one is a Markdown rule, not YAML
    raw = "\n".join(lines[start + 1 : end])
    try:
        parsed = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or "not valid YAML"
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + start + 2})" if mark is not None else ""
        raise IngestError(f"invalid front matter: {problem}{where}") from None
    if parsed is None:
        parsed = {}
    if not isinstance(parsed, dict):
        raise IngestError("invalid front matter: expected `key: value` lines")
    return {str(key).strip().lower(): value for key, value in parsed.items()}, "\n".join(
        lines[end + 1 :]
    )


def meta_from_fields(fields: dict[str, object]) -> DocumentMeta:
    """Validated metadata from front-matter fields; unknown keys are ignored."""
    values = {key: _field_text(key, value) for key, value in fields.items() if key in _META_KEYS}
    doc_type = values.get("doc_type", "").lower() or "other"
    if doc_type not in DOC_TYPES:
        raise IngestError(f"invalid doc_type {doc_type!r}: expected guide, vendor or other")
    return DocumentMeta(
        title=values.get("title", ""),
        doc_type=doc_type,
        vendor=values.get("vendor", ""),
        lang=_lang(values.get("lang", "")),
        source_url=values.get("source_url", ""),
        as_of=values.get("as_of", ""),
        scenario=values.get("scenario", ""),
    )


def _field_text(key: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(collapse(normalize(str(v))) for v in value if v is not None)
    if isinstance(value, dict | list):
        raise IngestError(f"invalid front matter: {key} must be text")
    if isinstance(value, bool):
        return "true" if value else "false"
    return collapse(normalize(str(value)))


def _lang(value: str) -> str:
    if not value:
        return ""
    lowered = value.lower()
    lang = _LANG_ALIASES.get(lowered) or _LANG_ALIASES.get(re.split(r"[-_]", lowered)[0])
    if lang is None:
        raise IngestError(f"invalid lang {value!r}: expected zh or en")
    return lang


# --- Markdown ------------------------------------------------------------------------------

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+|$|(?=[\u3400-\u9fff]))(.*?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+•]|\d{1,9}[.)])[ \t]+(\S.*)$")
_TABLE_DELIMITER = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_QUOTE = re.compile(r"^ {0,3}> ?")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]*\S+")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")

# (a character the markup needs, pattern, replacement): a rule runs only when its character
# occurs, which keeps long plain paragraphs cheap.
_INLINE_RULES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("<", re.compile(r"<!--.*?-->", re.S), ""),
    ("`", re.compile(r"(`+)(.+?)\1"), r"\2"),
    ("!", re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    ("[", re.compile(r"\[([^\]]+)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)"), r"\1"),
    ("[", re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    ("<", re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),
    ("<", re.compile(r"<br\s*/?>", re.I), " "),
    ("<", re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>"), ""),
    ("*", re.compile(r"(\*\*)(?=\S)(.+?)(?<=\S)\*\*"), r"\2"),
    ("_", re.compile(r"(__)(?=\S)(.+?)(?<=\S)__"), r"\2"),
    ("*", re.compile(r"(?<![*\w])\*(?=\S)([^*]+?)(?<=\S)\*(?![*\w])"), r"\1"),
    ("~", re.compile(r"~~(.+?)~~"), r"\1"),
    ("\\", re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<])"), r"\1"),
)


def _inline(text: str) -> str:
    """Markdown inline markup → plain text (links keep their words, emphasis its content)."""
    for trigger, pattern, replacement in _INLINE_RULES:
        if trigger in text:
            text = pattern.sub(replacement, text)
    if "&" in text:
        text = html.unescape(text)
    return collapse(text)


def _is_table_start(lines: list[str], i: int) -> bool:
    line = lines[i]
    if "|" not in line or i + 1 >= len(lines):
        return False
    following = lines[i + 1]
    if "|" in following and _TABLE_DELIMITER.match(following):
        return True
    return line.lstrip().startswith("|") and following.lstrip().startswith("|")


def _table_text(rows: list[str]) -> str:
    out = []
    for row in rows:
        if _TABLE_DELIMITER.match(row) and "-" in row:
            continue
        cells_text = row.strip()
        if cells_text.startswith("|"):
            cells_text = cells_text[1:]
        if cells_text.endswith("|") and not cells_text.endswith("\\|"):
            cells_text = cells_text[:-1]
        cells = [_inline(cell.replace("\\|", "|")) for cell in _CELL_SPLIT.split(cells_text)]
        if any(cells):
            out.append(" | ".join(cells))
    return "\n".join(out)


def _starts_block(lines: list[str], i: int) -> bool:
    line = lines[i]
    return bool(
        _ATX.match(line)
        or _FENCE.match(line)
        or _RULE.match(line)
        or _LIST_ITEM.match(line)
        or _is_table_start(lines, i)
    )


def parse_markdown(text: str) -> list[Block]:
    """Markdown body → blocks: ATX/setext headings, paragraphs, list items, tables, code."""
    lines = [_QUOTE.sub("", line) for line in text.split("\n")]
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            body = _inline("\n".join(paragraph))
            if body:
                blocks.append(Block("paragraph", body))
            paragraph.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped or _REFERENCE.match(line):
            flush()
            i += 1
            continue
        if stripped.startswith("<!--") and "-->" not in stripped:
            flush()
            while i < len(lines) and "-->" not in lines[i]:
                i += 1
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            flush()
            indent, marker = len(fence.group(1)), fence.group(2)
            closing = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")
            body: list[str] = []
            i += 1
            while i < len(lines) and not closing.match(lines[i]):
                body.append(re.sub(rf"^ {{0,{indent}}}", "", lines[i]))
                i += 1
            i += 1
            code = clean_code("\n".join(body))
            if code:
                blocks.append(Block("code", code))
            continue
        if paragraph and _SETEXT.match(line):
            heading = _inline("\n".join(paragraph))
            paragraph.clear()
            if heading:
                blocks.append(Block("heading", heading, 1 if stripped[0] == "=" else 2))
            i += 1
            continue
        atx = _ATX.match(line)
        if atx:
            flush()
            heading = _inline(atx.group(2))
            if heading:
                blocks.append(Block("heading", heading, len(atx.group(1))))
            i += 1
            continue
        if _RULE.match(line):
            flush()
            i += 1
            continue
        if _is_table_start(lines, i):
            flush()
            rows = []
            while i < len(lines) and lines[i].strip() and "|" in lines[i]:
                rows.append(lines[i])
                i += 1
            table = _table_text(rows)
            if table:
                blocks.append(Block("table", table))
            continue
        item = _LIST_ITEM.match(line)
        if item:
            flush()
            parts = [item.group(1)]
            i += 1
            while i < len(lines) and lines[i].strip() and not _starts_block(lines, i):
                parts.append(lines[i])
                i += 1
            body_text = _inline("\n".join(parts))
            if body_text:
                blocks.append(Block("list_item", body_text))
            continue
        paragraph.append(line)
        i += 1
    flush()
    return blocks


def _load_markdown(path: Path, data: bytes) -> LoadedDocument:
    fields, body = split_front_matter(_decoded(data))
    meta = meta_from_fields(fields)
    blocks = parse_markdown(body)
    if not blocks and not body.strip():
        raise IngestError("empty file (no text after the front matter)")
    return _finish(path, blocks, meta)


# --- plain text ----------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[。！？!?；;….][”’\"'」』）)\]]*$")
_TXT_ITEM = re.compile(r"^(?:[-*•·▪●]|\d{1,3}[.)、])\s*(\S.*)$")
_NO_HEADING_END = re.compile(r"[。．.!！,，;；:：、…—\-]$")
_INNER_STOP = re.compile(r"[。！；]|[.!;]\s")
_HAS_WORD = re.compile(r"[^\W\d_]")
_WIDE = re.compile(
    r"[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60]"
)
_HEADING_WIDTH = 60
_HEADING_WORDS = 10


def _width(text: str) -> int:
    """Display width: CJK characters count double, as they take two columns."""
    return len(text) + len(_WIDE.findall(text))


def _heading_shape(line: str) -> bool:
    """Short, one phrase, no final punctuation except a question mark: may be a title."""
    if not line or len(line) > _HEADING_WIDTH or _width(line) > _HEADING_WIDTH:
        return False
    if len(line.split()) > _HEADING_WORDS:
        return False
    if _NO_HEADING_END.search(line) or _INNER_STOP.search(line) or _TXT_ITEM.match(line):
        return False
    if not _HAS_WORD.search(line):
        return False  # page numbers, rules of dashes
    first = line[0]
    return not (first.isascii() and first.isalpha() and not first.isupper())


def _starts_text(line: str) -> bool:
    """Whether a line can follow a heading: text that starts like a sentence or a list item."""
    if not line or _heading_shape(line):
        return False
    first = line[0]
    return not (first.isalpha() and first.islower())


def parse_plain_text(text: str) -> list[Block]:
    """Plain text → blocks: paragraphs, list items and (conservatively) heading lines."""
    raw_lines = text.split("\n")
    lines = [collapse(line) for line in raw_lines]
    blocks: list[Block] = []
    paragraph: list[str] = []
    seen_text = False

    def flush() -> None:
        if paragraph:
            blocks.append(Block("paragraph", join_lines(paragraph)))
            paragraph.clear()

    def next_text(i: int) -> str:
        for j in range(i + 1, len(lines)):
            if lines[j]:
                return lines[j]
        return ""

    for i, line in enumerate(lines):
        if not line:
            flush()
            continue
        item = _TXT_ITEM.match(line)
        if item:
            flush()
            blocks.append(Block("list_item", item.group(1)))
            seen_text = True
            continue
        if blocks and blocks[-1].kind == "list_item" and raw_lines[i][:1] in (" ", "\t"):
            # An indented line under a list item continues it.
            blocks[-1] = Block("list_item", join_lines([blocks[-1].text, line]))
            continue
        following = next_text(i)
        if not paragraph and _heading_shape(line) and _starts_text(following):
            blocks.append(Block("heading", line, 2 if seen_text else 1))
            seen_text = True
            continue
        paragraph.append(line)
        seen_text = True
        if _SENTENCE_END.search(line):
            flush()
    flush()
    return blocks


def _load_text(path: Path, data: bytes) -> LoadedDocument:
    return _finish(path, parse_plain_text(_decoded(data)), DocumentMeta())


# --- HTML ----------------------------------------------------------------------------------

_HTML_DROP = frozenset(
    {
        "head",
        "script",
        "style",
        "nav",
        "footer",
        "header",
        "noscript",
        "template",
        "svg",
        "iframe",
        "canvas",
        "select",
        "button",
    }
)
_HTML_INLINE = frozenset(
    "a abbr acronym b bdi bdo big cite code data del dfn em font i img ins kbd label mark nobr "
    "q s samp small span strike strong sub sup time tt u var wbr".split()
)
_HTML_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_DECLARED_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_.:-]+)", re.I)


def _plain(node: object) -> bool:
    # Comments, doctypes and CDATA are NavigableString subclasses; only plain text counts.
    return type(node) is NavigableString


def _dropped(tag: Tag) -> bool:
    """Page furniture and hidden elements, skipped while walking (cheaper than removing)."""
    return (
        tag.name in _HTML_DROP or tag.get("hidden") is not None or tag.get("aria-hidden") == "true"
    )


def _text_of(element: Tag, skip: frozenset[str] = frozenset()) -> str:
    parts: list[str] = []
    for child in element.children:
        if _plain(child):
            parts.append(str(child))
        elif isinstance(child, Tag) and child.name not in skip and not _dropped(child):
            block = child.name not in _HTML_INLINE
            if block:
                parts.append("\n")
            parts.append(_text_of(child, skip))
            if block:
                parts.append("\n")
    return "".join(parts)


def _nested_lists(element: Tag) -> Iterator[Tag]:
    for child in element.children:
        if isinstance(child, Tag):
            if child.name in ("ul", "ol"):
                yield child
            else:
                yield from _nested_lists(child)


def _html_table(table: Tag) -> str:
    rows = []
    for row in table.find_all("tr"):
        cells = [collapse(_text_of(cell)) for cell in row.find_all(["th", "td"], recursive=False)]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def html_blocks(root: Tag) -> list[Block]:
    """An HTML element's content → blocks, in reading order."""
    blocks: list[Block] = []
    inline: list[str] = []

    def flush() -> None:
        text = collapse("".join(inline))
        inline.clear()
        if text:
            blocks.append(Block("paragraph", text))

    def add(kind: str, text: str, level: int = 0) -> None:
        flush()
        if text:
            blocks.append(Block(kind, text, level))  # type: ignore[arg-type]

    def walk(element: Tag) -> None:
        for child in element.children:
            if _plain(child):
                inline.append(str(child))
                continue
            if not isinstance(child, Tag) or _dropped(child):
                continue
            name = child.name
            if name in _HTML_HEADINGS:
                add("heading", collapse(_text_of(child)), _HTML_HEADINGS[name])
            elif name == "p":
                add("paragraph", collapse(_text_of(child)))
            elif name == "li":
                add("list_item", collapse(_text_of(child, frozenset({"ul", "ol"}))))
                for nested in _nested_lists(child):
                    walk(nested)
            elif name == "table":
                caption = child.find("caption")
                if caption is not None:
                    add("paragraph", collapse(_text_of(caption)))
                add("table", _html_table(child))
            elif name == "pre":
                add("code", clean_code(child.get_text()))
            elif name == "br":
                inline.append("\n")
            elif name in _HTML_INLINE:
                inline.append(_text_of(child))
            else:
                flush()
                walk(child)
                flush()

    walk(root)
    flush()
    return blocks


def _load_html(path: Path, data: bytes) -> LoadedDocument:
    declared = _DECLARED_CHARSET.search(data[:4096])
    text = _decoded(data, declared.group(1).decode("ascii") if declared else None)
    soup = BeautifulSoup(text, "lxml")
    title_tag = soup.find("title")
    title = collapse(title_tag.get_text()) if title_tag is not None else ""
    root = soup.find("body") or soup
    return _finish(path, html_blocks(root), DocumentMeta(title=title))


# --- PDF -----------------------------------------------------------------------------------

_PAGE_NUMBER = re.compile(
    r"^(?:[-–—]?\s*\d{1,4}\s*[-–—]?|(?:page|p\.)\s*\d+(?:\s*(?:of|/)\s*\d+)?|第\s*\d+\s*页)$", re.I
)
_PDF_BULLET = re.compile(r"^[•●▪◦·\-–]\s*(\S.*)$")
_JUNK_TITLES = frozenset({"untitled", "anonymous", "unknown", "unspecified", "title"})
# A line shorter than this share of the usual line length ends a paragraph when it also
# ends a sentence (a wrapped line in the middle of a paragraph runs to the margin).
_SHORT_LINE = 0.8


def _pdf_title(reader: PdfReader) -> str:
    try:
        raw = reader.metadata.title if reader.metadata is not None else None
    except Exception:  # broken info dictionaries are common and harmless
        return ""
    title = collapse(normalize(str(raw))) if raw else ""
    title = re.sub(r"^Microsoft (?:Word|PowerPoint) - ", "", title)
    return "" if title.lower() in _JUNK_TITLES else title


def pdf_blocks(page_texts: list[str]) -> list[Block]:
    """Text extracted from PDF pages → paragraphs and bullet items (lines re-joined)."""
    lines: list[str] = []
    for page in page_texts:
        for raw in normalize(page).split("\n"):
            line = collapse(raw)
            if not _PAGE_NUMBER.match(line):
                lines.append(line)
    widths = sorted(_width(line) for line in lines if line)
    usual = widths[int(len(widths) * 0.9)] if widths else 0
    blocks: list[Block] = []
    current: list[str] = []
    kind = "paragraph"

    def flush() -> None:
        nonlocal kind
        if current:
            blocks.append(Block(kind, join_lines(current)))  # type: ignore[arg-type]
            current.clear()
        kind = "paragraph"

    for line in lines:
        if not line:
            flush()
            continue
        bullet = _PDF_BULLET.match(line)
        if bullet:
            flush()
            kind = "list_item"
            current.append(bullet.group(1))
        else:
            current.append(line)
        if _SENTENCE_END.search(line) and _width(line) < usual * _SHORT_LINE:
            flush()
    flush()
    return blocks


def _load_pdf(path: Path, data: bytes) -> LoadedDocument:
    if b"%PDF-" not in data[:1024]:
        raise IngestError("not a PDF (no %PDF header)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader, pages = _open_pdf(data)
        texts: list[str] = []
        failed = 0
        for page in pages:
            try:
                texts.append(page.extract_text() or "")
            except Exception:  # one unreadable page should not cost the others
                failed += 1
                texts.append("")
        title = _pdf_title(reader)
    blocks = pdf_blocks(texts)
    if not blocks:
        if failed == len(pages):
            raise IngestError("corrupt PDF: no page could be read")
        noun = "page" if len(pages) == 1 else "pages"
        raise IngestError(
            f"no text layer (scanned PDF?): {len(pages)} {noun} without extractable text"
        )
    return _finish(path, blocks, DocumentMeta(title=title))


def _open_pdf(data: bytes) -> tuple[PdfReader, list[PageObject]]:
    # pypdf raises many exception types on malformed input; all of them mean "corrupt".
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except Exception as error:
        raise IngestError(f"corrupt PDF: {_short(error)}") from None
    if encrypted:
        try:
            unlocked = reader.decrypt("")  # many PDFs only restrict printing or copying
        except Exception as error:
            raise IngestError(f"encrypted PDF: cannot decrypt ({_short(error)})") from None
        if unlocked == PasswordType.NOT_DECRYPTED:
            raise IngestError("encrypted PDF: a password is needed to open it")
    try:
        pages = list(reader.pages)
    except Exception as error:
        raise IngestError(f"corrupt PDF: {_short(error)}") from None
    if not pages:
        raise IngestError("corrupt PDF: no pages")
    return reader, pages


# --- DOCX ----------------------------------------------------------------------------------

_DOCX_HEADING = re.compile(r"^Heading ([1-9])$")


def _docx_table(table: Table) -> str:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell is repeated once per grid column it spans
                continue
            previous = cell._tc
            cells.append(collapse(normalize(cell.text)))
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows)


def _docx_paragraph(paragraph: Paragraph) -> Block | None:
    text = collapse(normalize(paragraph.text))
    if not text:
        return None
    style = paragraph.style.name if paragraph.style is not None else ""
    style = style or ""
    if style == "Title":
        return Block("heading", text, 1)
    heading = _DOCX_HEADING.match(style)
    if heading:
        return Block("heading", text, min(int(heading.group(1)), 6))
    properties = paragraph._p.pPr
    if style.startswith("List") or (properties is not None and properties.numPr is not None):
        return Block("list_item", text)
    return Block("paragraph", text)


def _load_docx(path: Path, data: bytes) -> LoadedDocument:
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise IngestError("not a DOCX: an old Word .doc file; save it as .docx")
    if not data.startswith(b"PK"):
        raise IngestError("corrupt DOCX: not a zip archive")
    blocks: list[Block] = []
    title = ""
    # python-docx raises zip, XML and key errors on damaged packages; all mean "corrupt".
    try:
        document = docx.Document(io.BytesIO(data))
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                table = _docx_table(item)
                if table:
                    blocks.append(Block("table", table))
                continue
            block = _docx_paragraph(item)
            if block is None:
                continue
            if not title and item.style is not None and item.style.name == "Title":
                title = block.text
            blocks.append(block)
        title = collapse(normalize(document.core_properties.title or "")) or title
    except Exception as error:
        raise IngestError(f"corrupt DOCX: {_short(error)}") from None
    return _finish(path, blocks, DocumentMeta(title=title))


_LOADERS: dict[str, Loader] = {
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".txt": _load_text,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_LOADERS)
