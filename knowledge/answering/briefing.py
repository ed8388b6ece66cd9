"""Pre-meeting briefings: what matters for a scenario, what a vendor's own documents claim, the
gaps, and the questions, proof-of-concept tests and red flags from the guides — every point a cited
quote. The Briefer also serves comparisons (knowledge.answering.comparison).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from knowledge.answer import Answer, Attachment
from knowledge.answering.comparison import compare_vendors
from knowledge.answering.compose import CitationBook, render_claim
from knowledge.answering.evidence import (
    Evidence,
    Retrieve,
    cite,
    gather,
    retrieve_function,
    shorten,
    slug,
    source_list,
    vendor_evidence,
)
from knowledge.domain.criteria import SECTION_IDS, CriteriaBook, QuerySet, default_criteria
from knowledge.domain.topics import (
    ScenarioBook,
    Topic,
    VendorBook,
    default_books,
    recognise_topic,
)

# The phone-screen version: a few lines per section, long quotes cut (the attachment has all).
SHORT_MATTERS = 3
SHORT_CLAIMS = 3
SHORT_SECTION = 2
SHORT_QUOTE_CHARS = 170
# The full Markdown version.
FULL_PER_CRITERION = 2
FULL_SECTION = 5

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Briefing: {subject}",
        "matters": "What matters for {scenario}",
        "matters_general": "What matters",
        "claims": "What {vendor}'s documents claim",
        "gaps": "Gaps",
        "gap": "{criterion}: not addressed in {vendor}'s documents",
        "no_gaps": "{vendor}'s documents address every criterion above (verify them in a PoC).",
        "unknown_vendor": "I have no documents on {name}; this briefing covers the scenario only.",
        "no_vendor_docs": "I found nothing in {vendor}'s own documents on these criteria.",
        "other_vendors": "A briefing covers one vendor; use compare for {names}.",
        "nothing": "Nothing in the guides on this.",
        "full": "Full briefing with all points and sources: {filename}",
        "sources": "Sources",
        "separator": " · ",
    },
    "zh": {
        "title": "会前简报：{subject}",
        "matters": "{scenario}：关键指标",
        "matters_general": "关键指标",
        "claims": "{vendor} 文档中的说法",
        "gaps": "缺口",
        "gap": "{criterion}：{vendor} 的文档未涉及",
        "no_gaps": "{vendor} 的文档涉及了以上全部指标（仍需在 POC 中验证）。",
        "unknown_vendor": "我没有关于 {name} 的资料；本简报只涵盖场景本身。",
        "no_vendor_docs": "在 {vendor} 自己的文档里没有找到这些指标的相关内容。",
        "other_vendors": "一份简报只针对一家厂商；对比 {names} 请用 compare。",
        "nothing": "指南中没有相关内容。",
        "full": "完整简报（全部要点与来源）：{filename}",
        "sources": "来源",
        "separator": " · ",
    },
}


@dataclass
class _Plan:
    """What a briefing will say, before it is numbered and rendered."""

    topic: Topic
    matters: list[tuple[QuerySet, list[Evidence]]] = field(default_factory=list)
    claims: list[tuple[QuerySet, list[Evidence]]] = field(default_factory=list)
    gaps: list[QuerySet] = field(default_factory=list)
    sections: dict[str, list[Evidence]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Briefer:
    """Builds briefings and comparisons from the store through the assistant's retrieval."""

    def __init__(
        self,
        assistant: Any,
        vendors: VendorBook | None = None,
        scenarios: ScenarioBook | None = None,
        criteria: CriteriaBook | None = None,
    ) -> None:
        default_vendors, default_scenarios = (
            default_books() if vendors is None or scenarios is None else (vendors, scenarios)
        )
        self.retrieve: Retrieve = retrieve_function(assistant)
        self.vendors = vendors or default_vendors
        self.scenarios = scenarios or default_scenarios
        self.criteria = criteria or default_criteria()

    def brief(self, topic: str) -> Answer:
        """A briefing on a scenario, a vendor or both; InvalidQuestion when the topic names
        neither (the message lists what is known), UnknownVendor for an ambiguous vendor."""
        recognised = recognise_topic(topic, self.vendors, self.scenarios, self.criteria.filler)
        plan = self._plan(recognised)
        return _render(plan, self.criteria)

    def compare(self, vendors: Sequence[str]) -> Answer:
        """A per-criterion comparison of what each vendor's own documents state."""
        return compare_vendors(self.retrieve, self.vendors, self.criteria, vendors)

    def _plan(self, topic: Topic) -> _Plan:
        lang = topic.lang
        labels = LABELS[lang]
        plan = _Plan(topic)
        scenario = topic.scenario
        names = {"en": scenario.name("en"), "zh": scenario.name("zh")} if scenario else {}
        forms = scenario.forms if scenario else ()
        criteria = self.criteria.for_scenario(scenario.id if scenario else None)

        used: set[str] = set()  # one sentence serves one criterion only
        for criterion in criteria:
            found = self._from_guides(criterion, lang, names, forms, figures=True, per_lang=1)
            fresh = [e for e in found if e.display.casefold() not in used][:FULL_PER_CRITERION]
            used.update(e.display.casefold() for e in fresh)
            if fresh:
                plan.matters.append((criterion, fresh))

        if topic.unknown_vendor:
            plan.notes.append(labels["unknown_vendor"].format(name=topic.unknown_vendor))
        if topic.other_vendors:
            others = ", ".join([topic.vendor.name] if topic.vendor else [])
            others = ", ".join([others, *(v.name for v in topic.other_vendors)])
            plan.notes.append(labels["other_vendors"].format(names=others))
        if topic.vendor is not None:
            for criterion in criteria:
                found = vendor_evidence(
                    self.retrieve, criterion, self.criteria, topic.vendor.name, lang, names
                )
                fresh = [e for e in found if e.display.casefold() not in used]
                used.update(e.display.casefold() for e in fresh[:FULL_PER_CRITERION])
                if fresh:
                    plan.claims.append((criterion, fresh[:FULL_PER_CRITERION]))
                else:
                    plan.gaps.append(criterion)
            if not plan.claims:
                plan.notes.append(labels["no_vendor_docs"].format(vendor=topic.vendor.name))

        for section_id in SECTION_IDS:
            section = self.criteria.sections[section_id]
            found = self._from_guides(section, lang, names, forms)
            plan.sections[section_id] = [e for e in found if e.display.casefold() not in used][
                :FULL_SECTION
            ]
        return plan

    def _from_guides(
        self,
        wanted: QuerySet,
        lang: str,
        names: dict[str, str],
        forms: Sequence[str],
        *,
        figures: bool = False,
        per_lang: int | None = None,
    ) -> list[Evidence]:
        """Evidence from the guides in the reader's language, else from guides in any language."""
        queries = wanted.queries(lang, names, per_lang=per_lang)
        for filters in ({"doc_type": "guide", "lang": lang}, {"doc_type": "guide"}):
            found = gather(
                self.retrieve,
                queries,
                wanted,
                filters,
                lang=lang,
                scenario_forms=forms,
                figures=figures,
            )
            if found:
                return found
        return []


def _subject(topic: Topic, lang: str) -> str:
    parts = []
    if topic.vendor is not None:
        parts.append(topic.vendor.name)
    elif topic.unknown_vendor:
        parts.append(topic.unknown_vendor)
    if topic.scenario is not None:
        parts.append(topic.scenario.name(lang))
    return LABELS[lang]["separator"].join(parts)


def _point(evidence: Evidence, number: int, lang: str, *, short: bool) -> str:
    sentence = shorten(evidence.display, SHORT_QUOTE_CHARS) if short else evidence.sentence
    return render_claim(evidence.hit, sentence, number, lang)


def _render(plan: _Plan, criteria: CriteriaBook) -> Answer:
    """The phone-screen text and the full Markdown, numbered from one CitationBook so that
    every [n] in either resolves; the text is numbered first so it reads [1], [2], …"""
    topic = plan.topic
    lang = topic.lang
    labels = LABELS[lang]
    book = CitationBook()
    vendor = topic.vendor.name if topic.vendor else ""
    scenario = topic.scenario.name(lang) if topic.scenario else ""
    matters_heading = (
        labels["matters"].format(scenario=scenario) if scenario else labels["matters_general"]
    )
    scenario_id = topic.scenario.id if topic.scenario else ""
    filename = f"briefing-{slug(vendor or topic.unknown_vendor, scenario_id)}.md"
    colon = "：" if lang == "zh" else ": "

    # --- phone-screen text ---
    lines = [labels["title"].format(subject=_subject(topic, lang))]
    lines += plan.notes
    lines += ["", matters_heading]
    for criterion, evidence in plan.matters[:SHORT_MATTERS]:
        point = _point(evidence[0], cite(book, evidence[0]), lang, short=True)
        lines.append(f"• {criterion.name(lang)}{colon}{point}")
    if not plan.matters:
        lines.append(f"• {labels['nothing']}")
    if topic.vendor is not None:
        lines += ["", labels["claims"].format(vendor=vendor)]
        for criterion, evidence in plan.claims[:SHORT_CLAIMS]:
            point = _point(evidence[0], cite(book, evidence[0]), lang, short=True)
            lines.append(f"• {criterion.name(lang)}{colon}{point}")
        lines += ["", labels["gaps"]]
        lines += [
            "• " + labels["gap"].format(criterion=criterion.name(lang), vendor=vendor)
            for criterion in plan.gaps
        ] or ["• " + labels["no_gaps"].format(vendor=vendor)]
    for section_id in SECTION_IDS:
        lines += ["", criteria.sections[section_id].name(lang)]
        evidence_list = plan.sections.get(section_id, [])[:SHORT_SECTION]
        lines += [f"• {_point(e, cite(book, e), lang, short=True)}" for e in evidence_list] or [
            f"• {labels['nothing']}"
        ]
    lines += ["", labels["full"].format(filename=filename)]

    # --- full Markdown ---
    md = [f"# {labels['title'].format(subject=_subject(topic, lang))}", ""]
    md += [f"> {note}" for note in plan.notes] + ([""] if plan.notes else [])
    md += [f"## {matters_heading}", ""]
    for criterion, evidence in plan.matters:
        md += [f"### {criterion.name(lang)}", ""]
        md += [f"- {_point(e, cite(book, e), lang, short=False)}" for e in evidence] + [""]
    if not plan.matters:
        md += [labels["nothing"], ""]
    if topic.vendor is not None:
        md += [f"## {labels['claims'].format(vendor=vendor)}", ""]
        for criterion, evidence in plan.claims:
            md += [f"### {criterion.name(lang)}", ""]
            md += [f"- {_point(e, cite(book, e), lang, short=False)}" for e in evidence] + [""]
        md += [f"## {labels['gaps']}", ""]
        md += [
            "- " + labels["gap"].format(criterion=criterion.name(lang), vendor=vendor)
            for criterion in plan.gaps
        ] or ["- " + labels["no_gaps"].format(vendor=vendor)]
        md.append("")
    for section_id in SECTION_IDS:
        md += [f"## {criteria.sections[section_id].name(lang)}", ""]
        evidence_list = plan.sections.get(section_id, [])
        md += [f"- {_point(e, cite(book, e), lang, short=False)}" for e in evidence_list] or [
            labels["nothing"]
        ]
        md.append("")
    md += source_list(book, labels["sources"])

    return Answer(
        text="\n".join(lines),
        citations=tuple(book.citations),
        abstained=not book.citations,
        notes=tuple(plan.notes),
        kind="briefing",
        attachments=(Attachment(filename, "\n".join(md).rstrip() + "\n"),),
    )
