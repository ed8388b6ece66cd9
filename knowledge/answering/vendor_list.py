"""The vendors of the store as an answer: one point per vendor, for /vendors and the console."""

from __future__ import annotations

from collections.abc import Sequence

from knowledge.api import Answer, Point, Section, VendorSummary
from knowledge.messages import message
from store.language import Lang

SHOWN_ALIASES = 4  # a line per vendor on a phone: the first few other names are enough


def vendors_answer(vendors: Sequence[VendorSummary], lang: Lang) -> Answer:
    """The list of the store's vendors (a note saying there are none when it is empty)."""
    if not vendors:
        notes = (message("vendors_none", lang),)
        return Answer(title=message("vendors_title", lang), notes=notes, lang=lang)
    points = []
    for vendor in vendors:
        aliases = ", ".join(vendor.aliases[:SHOWN_ALIASES])
        if len(vendor.aliases) > SHOWN_ALIASES:
            aliases += ", …"
        text = message(
            "vendors_line",
            lang,
            documents=vendor.documents,
            chunks=vendor.chunks,
            langs="/".join(vendor.langs) or "?",
        )
        if vendor.as_of:
            text += message("vendors_as_of", lang, date=vendor.as_of)
        if aliases:
            text += message("vendors_aliases", lang, aliases=aliases)
        points.append(Point(text, label=vendor.name))
    return Answer(
        title=message("vendors_title", lang),
        sections=(Section("", tuple(points)),),
        notes=(message("vendors_hint", lang),),
        lang=lang,
    )
