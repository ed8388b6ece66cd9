"""Answers as plain text (console, CLI, `Answer.text`) and as Markdown (attachments).

Both render the one structure of `knowledge.api`; Telegram HTML is the bot's renderer of the same
structure. How a point reads (its label, a vendor's attribution, the source-language note, its
citation markers) is decided here, once, for every medium.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from knowledge.messages import message

if TYPE_CHECKING:
    from knowledge.api import Answer, Citation, Point

_ATTRIBUTED = re.compile(
    r"\b(states?|stated|says|said|claims?|claimed|according to|reports?|advertises)\b"
    r"|称|表示|据|宣称",
    re.IGNORECASE,
)
BULLET = "• "


def attributed(point: Point, lang: str) -> str:
    """The point's words, a vendor's quoted claim attributed to it; a quote that already says
    who claims it, in the reader's language, needs no second attribution, nor does a paraphrase
    (it names the vendor in its own words)."""
    text = point.text
    says_who = (point.source_lang or lang) == lang and bool(_ATTRIBUTED.search(text))
    if point.claim_of and point.verbatim and not says_who:
        text = message("vendor_states", lang, vendor=point.claim_of, text=text)
    if point.source_lang and point.source_lang != lang:
        text += message(f"from_{point.source_lang}_source", lang)
    return text


def markers(cites: Sequence[int]) -> str:
    """ "[1][3]" for the citation numbers (empty for none)."""
    return "".join(f"[{n}]" for n in cites)


def point_plain(point: Point, lang: str, *, with_markers: bool = True) -> str:
    """One point as a line of text: label, attributed words, then its `[n]` markers."""
    text = attributed(point, lang)
    if point.label:
        text = point.label + message("label_separator", lang) + text
    if with_markers and point.cites:
        text += " " + markers(point.cites)
    return text


def plain_body(answer: Answer) -> str:
    """The answer without its source list: title, notes, then each section's points."""
    blocks: list[str] = []
    head = [answer.title] if answer.title else []
    head += list(answer.notes)
    if head:
        blocks.append("\n".join(head))
    for section in answer.sections:
        lines = [section.title] if section.title else []
        lines += [BULLET + point_plain(point, answer.lang) for point in section.points]
        if lines:
            blocks.append("\n".join(lines))
    # An untitled answer reads as one block: its lead, then its points.
    titled = any(section.title for section in answer.sections)
    return ("\n\n" if titled else "\n").join(blocks)


def source_line(citation: Citation) -> str:
    """ "[n] Title — Section <url>": one line of a source list."""
    line = f"[{citation.n}] {citation.title or citation.source}"
    if citation.section:
        line += f" — {citation.section}"
    if citation.source_url:
        line += f" <{citation.source_url}>"
    return line


def plain_reply(answer: Answer, *, with_quotes: bool = False) -> str:
    """A whole answer for a terminal: the body, then the numbered sources (and their quotes)."""
    parts = [answer.text.strip()]
    if answer.citations:
        lines = [message("sources_title", answer.lang) + ":"]
        for citation in answer.citations:
            lines.append(source_line(citation))
            if with_quotes and citation.quote:
                lines.append("    “" + " ".join(citation.quote.split()) + "”")
        parts.append("\n".join(lines))
    return "\n\n".join(part for part in parts if part)


def markdown(answer: Answer) -> str:
    """The answer as a Markdown document: title, notes as quotes, sections, the sources with
    their quotes."""
    lines = [f"# {answer.title}", ""] if answer.title else []
    lines += [f"> {note}" for note in answer.notes] + ([""] if answer.notes else [])
    for section in answer.sections:
        if section.title:
            lines += [f"## {section.title}", ""]
        lines += [f"- {point_plain(point, answer.lang)}" for point in section.points]
        lines.append("")
    if answer.citations:
        lines += [f"## {message('sources_title', answer.lang)}", ""]
        for citation in answer.citations:
            where = f" — {citation.section}" if citation.section else ""
            quote = " ".join(citation.quote.split())
            lines.append(f"{citation.n}. {citation.title}{where} ({citation.source}): “{quote}”")
    return "\n".join(lines).rstrip() + "\n"
