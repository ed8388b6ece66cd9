"""Vendor comparisons: per criterion, what each vendor's own documents state (the sentence the
reader chooses among that vendor's chunks, answering/cells.py), quoted and cited, or "not stated
in <vendor>'s documents" — never another source's words put in a vendor's mouth."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.answering.cells import ReadingTools, read_cells
from knowledge.answering.citations import CitationBook, quoted_point
from knowledge.answering.evidence import (
    SHORT_QUOTE_CHARS,
    Evidence,
    shorten,
    slug,
    source_list,
)
from knowledge.api import Answer, Attachment, InvalidQuestion, Point, Section
from knowledge.domain.criteria import CriteriaBook, QuerySet
from knowledge.domain.topics import Vendor, VendorBook
from knowledge.messages import message
from store.language import Lang

CSV_COLUMNS = ("criterion", "vendor", "statement", "citation", "source", "section")


@dataclass(frozen=True, slots=True)
class Cell:
    """One vendor's statement on one criterion (None: not stated)."""

    criterion: QuerySet
    vendor: Vendor
    evidence: Evidence | None


def compare_vendors(
    tools: ReadingTools,
    vendors: VendorBook,
    criteria: CriteriaBook,
    names: Sequence[str],
    lang: Lang,
) -> Answer:
    """The comparison of the named vendors; UnknownVendor for a name that matches no vendor or
    several, InvalidQuestion for fewer than two different vendors."""
    chosen: list[Vendor] = []
    for name in names:
        vendor = vendors.resolve(name)
        if vendor not in chosen:
            chosen.append(vendor)
    if len(chosen) < 2:
        example = " ".join(vendors.names()[:2]) or "A B"
        raise InvalidQuestion("compare_too_few", example=example)
    wanted = criteria.comparison
    rows: list[list[Cell]] = [[] for _ in wanted]
    for vendor in chosen:
        for row, evidence in enumerate(read_cells(tools, vendor, criteria, wanted)):
            rows[row].append(Cell(wanted[row], vendor, evidence))
    return _render(rows, chosen, lang, criteria)


def _render(
    rows: list[list[Cell]], chosen: list[Vendor], lang: Lang, criteria: CriteriaBook
) -> Answer:
    """The phone answer (one section per criterion, one point per vendor), and the full table as
    Markdown and CSV attachments, numbered from one CitationBook."""
    book = CitationBook()
    names = [vendor.name for vendor in chosen]
    base = "comparison-" + "-".join(slug(name) for name in names)
    md_name, csv_name = f"{base}.md", f"{base}.csv"
    title = message("comparison_title", lang, names=message("comparison_versus", lang).join(names))

    sections = []
    for row in rows:
        points = []
        for cell in row:
            if cell.evidence is None:
                # The line names the vendor itself, as a quoted cell does ("X states: …").
                points.append(
                    Point(message("comparison_not_stated", lang, vendor=cell.vendor.name))
                )
            else:
                evidence = cell.evidence
                display = shorten(evidence.display, SHORT_QUOTE_CHARS)
                points.append(
                    quoted_point(book, evidence.hit, evidence.sentence, criteria, display=display)
                )
        sections.append(Section(row[0].criterion.name(lang), tuple(points)))
    silent = [
        vendor.name
        for index, vendor in enumerate(chosen)
        if all(row[index].evidence is None for row in rows)
    ]
    notes = [message("comparison_no_docs", lang, vendor=name) for name in silent]
    legend = message("comparison_legend", lang)
    full = message("comparison_full", lang, md=md_name, csv=csv_name)

    # Markdown table and CSV: full quotes; same numbers as the phone answer.
    header = [message("comparison_criterion", lang), *names]
    md = [f"# {title}", "", _md_row(header), _md_row(["---"] * len(header))]
    records: list[dict[str, str]] = []
    for row in rows:
        cells = [row[0].criterion.name(lang)]
        for cell in row:
            not_stated = message("comparison_not_stated", lang, vendor=cell.vendor.name)
            statement, number, source, section = not_stated, "", "", ""
            if cell.evidence is not None:
                n = book.cite(cell.evidence.hit, cell.evidence.sentence)
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
    md += ["", *(f"> {note}" for note in notes), f"> {legend}", ""]
    md += source_list(book, message("sources_title", lang))

    return Answer(
        title=title,
        notes=(*notes, legend, full),
        sections=tuple(sections),
        citations=tuple(book.citations),
        abstained=not book.citations,
        kind="comparison",
        lang=lang,
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
