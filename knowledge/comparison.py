"""Vendor comparisons: per criterion, what each vendor's own documents state, quoted and cited, or
"not stated" — never another source's words put in a vendor's mouth."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.answer import Answer, Attachment
from knowledge.compose import CitationBook, render_claim
from knowledge.criteria import CriteriaBook, QuerySet
from knowledge.errors import InvalidQuestion
from knowledge.evidence import (
    Evidence,
    Retrieve,
    cite,
    shorten,
    slug,
    source_list,
    vendor_evidence,
)
from knowledge.text import detect_lang
from knowledge.topics import Vendor, VendorBook

SHORT_QUOTE_CHARS = 170
CSV_COLUMNS = ("criterion", "vendor", "statement", "citation", "source", "section")

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "{names}: what each vendor's own documents state",
        "versus": " vs ",
        "not_stated": "not stated",
        "legend": "“Not stated”: nothing in that vendor's documents addresses it — ask in the "
        "meeting.",
        "no_docs": "I found no documents from {vendor} in the knowledge base.",
        "full": "Full table: {md} and {csv}",
        "criterion": "Criterion",
        "sources": "Sources",
        "too_few": "Name at least two different vendors to compare, for example "
        "“compare Agora ZEGOCLOUD”. Known vendors: {known}.",
    },
    "zh": {
        "title": "{names}：各家厂商自己文档中的说法",
        "versus": " vs ",
        "not_stated": "未说明",
        "legend": "“未说明”：该厂商的文档里没有涉及这一点，可以在会上直接问。",
        "no_docs": "知识库里没有找到 {vendor} 的文档。",
        "full": "完整表格：{md} 和 {csv}",
        "criterion": "指标",
        "sources": "来源",
        "too_few": "请至少给出两家不同的厂商，例如“compare 声网 即构”。已知厂商：{known}。",
    },
}


@dataclass(frozen=True, slots=True)
class Cell:
    """One vendor's statement on one criterion (None: not stated)."""

    criterion: QuerySet
    vendor: Vendor
    evidence: Evidence | None


def compare_vendors(
    retrieve: Retrieve,
    vendors: VendorBook,
    criteria: CriteriaBook,
    names: Sequence[str],
) -> Answer:
    """The comparison of the named vendors; UnknownVendor for a name that matches no vendor or
    several, InvalidQuestion for fewer than two different vendors."""
    lang = detect_lang(" ".join(names))
    chosen: list[Vendor] = []
    for name in names:
        vendor = vendors.resolve(name)
        if vendor not in chosen:
            chosen.append(vendor)
    if len(chosen) < 2:
        raise InvalidQuestion(LABELS[lang]["too_few"].format(known=vendors.short_listing()))
    rows: list[list[Cell]] = [[] for _ in criteria.comparison]
    for vendor in chosen:
        used: set[str] = set()  # one sentence answers one criterion (the first that wants it)
        for row, criterion in enumerate(criteria.comparison):
            found = vendor_evidence(retrieve, criterion, criteria, vendor.name, lang)
            fresh = [e for e in found if e.display.casefold() not in used]
            best = fresh[0] if fresh else None
            if best is not None:
                used.add(best.display.casefold())
            rows[row].append(Cell(criterion, vendor, best))
    return _render(rows, chosen, lang)


def _render(rows: list[list[Cell]], chosen: list[Vendor], lang: str) -> Answer:
    labels = LABELS[lang]
    book = CitationBook()
    names = [vendor.name for vendor in chosen]
    base = "comparison-" + "-".join(slug(name) for name in names)
    md_name, csv_name = f"{base}.md", f"{base}.csv"
    colon = "：" if lang == "zh" else ": "

    # Phone text: one block per criterion, one line per vendor.
    lines = [labels["title"].format(names=labels["versus"].join(names))]
    for row in rows:
        lines += ["", row[0].criterion.name(lang)]
        for cell in row:
            if cell.evidence is None:
                lines.append(f"• {cell.vendor.name}{colon}{labels['not_stated']}")
            else:
                number = cite(book, cell.evidence)
                text = shorten(cell.evidence.display, SHORT_QUOTE_CHARS)
                lines.append(f"• {render_claim(cell.evidence.hit, text, number, lang)}")
    silent = [
        vendor.name
        for index, vendor in enumerate(chosen)
        if all(row[index].evidence is None for row in rows)
    ]
    notes = [labels["no_docs"].format(vendor=name) for name in silent]
    lines += ["", *notes, labels["legend"], labels["full"].format(md=md_name, csv=csv_name)]

    # Markdown table and CSV: full quotes; same numbers as the text.
    header = [labels["criterion"], *names]
    md = [f"# {lines[0]}", "", _md_row(header), _md_row(["---"] * len(header))]
    records: list[dict[str, str]] = []
    for row in rows:
        cells = [row[0].criterion.name(lang)]
        for cell in row:
            statement, number, source, section = labels["not_stated"], "", "", ""
            if cell.evidence is not None:
                n = cite(book, cell.evidence)
                citation = book.citations[n - 1]
                statement, number = cell.evidence.display, str(n)
                source, section = citation.source, citation.section
                cells.append(f"“{statement}” [{n}]")
            else:
                cells.append(statement)
            records.append(
                {
                    "criterion": row[0].criterion.name(lang),
                    "vendor": cell.vendor.name,
                    "statement": statement,
                    "citation": number,
                    "source": source,
                    "section": section,
                }
            )
        md.append(_md_row(cells))
    md += ["", *(f"> {note}" for note in notes), f"> {labels['legend']}", ""]
    md += source_list(book, labels["sources"])

    return Answer(
        text="\n".join(lines),
        citations=tuple(book.citations),
        abstained=not book.citations,
        notes=tuple(notes),
        kind="comparison",
        attachments=(
            Attachment(md_name, "\n".join(md) + "\n"),
            Attachment(csv_name, _csv(records), mime_type="text/csv"),
        ),
    )


def _md_row(cells: Sequence[str]) -> str:
    """A Markdown table row; pipes and line breaks inside cells would break the table."""
    escaped = [" ".join(cell.split()).replace("|", "\\|") for cell in cells]
    return "| " + " | ".join(escaped) + " |"


def _csv(records: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()
