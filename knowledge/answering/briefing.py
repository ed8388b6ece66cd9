"""Pre-meeting briefings: what matters for a scenario, what a vendor's own documents claim, the
gaps, and the questions, proof-of-concept tests and red flags from the guides — every point a cited
quote. The Briefer also serves comparisons (knowledge.answering.comparison).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from knowledge.answering.cells import ReadingTools
from knowledge.answering.citations import CitationBook, quoted_point
from knowledge.answering.claims import SHOWN_TARGETS, Claim, read_claims
from knowledge.answering.comparison import compare_vendors
from knowledge.answering.evidence import (
    SHORT_QUOTE_CHARS,
    Evidence,
    Retrieve,
    gather,
    mentions_any,
    shorten,
    slug,
)
from knowledge.answering.scenario_match import ScenarioMatcher
from knowledge.api import Answer, Attachment, InvalidQuestion, KnowledgeError, Point, Section
from knowledge.domain import Domain
from knowledge.domain.criteria import SECTION_IDS, CriteriaBook, QuerySet
from knowledge.domain.topics import (
    Scenario,
    Topic,
    VendorBook,
    recognise_topic,
    topic_leftover,
)
from knowledge.messages import message
from knowledge.rendering import markdown
from knowledge.retrieval.retriever import Hit
from store.language import Lang

# The phone-screen version: a few lines per section, long quotes cut (the attachment has all).
SHORT_MATTERS = 3
SHORT_CLAIMS = 3
SHORT_SECTION = 2
SHORT_OWN = 2  # of the scenario's own questions / PoC tests, and of the gap questions
# The full Markdown version.
FULL_PER_CRITERION = SHOWN_TARGETS  # guide sentences per criterion under "what matters"
FULL_SECTION = 5


@dataclass
class _Plan:
    """What a briefing will say, before it is numbered and rendered."""

    topic: Topic
    matters: list[tuple[QuerySet, list[Evidence]]] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    sections: dict[str, list[Evidence]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Briefer:
    """Builds briefings and comparisons from the store through a retrieval function."""

    def __init__(
        self,
        retrieve: Retrieve,
        domain: Domain,
        vendor_book: Callable[[], VendorBook] | None = None,
        tools: ReadingTools | None = None,
    ) -> None:
        self.retrieve = retrieve
        self.tools = tools
        embed = tools.embed_passages if tools is not None else None
        self.matcher = (
            ScenarioMatcher(domain.scenarios, tools.embed_query, embed)
            if tools is not None and embed is not None
            else None
        )
        # The vendors names resolve to: the domain's, or those merged with the store's.
        self._vendor_book = vendor_book or (lambda: domain.vendors)
        self.scenarios = domain.scenarios
        self.criteria = domain.criteria

    @property
    def vendors(self) -> VendorBook:
        """The vendors a name can resolve to, now."""
        return self._vendor_book()

    def brief(self, topic: str, lang: Lang) -> Answer:
        """A briefing on a scenario, a vendor or both; InvalidQuestion when the topic names
        neither, AmbiguousVendor when a name could be several vendors."""
        vendors = self.vendors
        unrecognised: InvalidQuestion | None = None
        try:
            recognised: Topic | None = recognise_topic(
                topic, vendors, self.scenarios, self.criteria.filler, lang
            )
        except InvalidQuestion as error:
            recognised, unrecognised = None, error
        assumed = ""
        if (recognised is None or recognised.scenario is None) and self.matcher is not None:
            leftover = topic_leftover(topic, vendors, self.scenarios, self.criteria.filler)
            found = self.matcher.match(leftover)
            if found is not None:
                base = recognised or Topic(text=" ".join(topic.split()), lang=lang)
                unknown = "" if base.unknown_vendor == leftover else base.unknown_vendor
                recognised = replace(base, scenario=found.scenario, unknown_vendor=unknown)
                if not found.sure:
                    assumed = message(
                        "briefing_assumed_scenario",
                        lang,
                        text=leftover,
                        scenario=found.scenario.name(lang),
                    )
        if recognised is None:
            assert unrecognised is not None
            raise unrecognised
        plan = self._plan(recognised)
        if assumed:
            plan.notes.insert(0, assumed)
        return _render(plan, self.criteria)

    def compare(self, vendors: Sequence[str], lang: Lang) -> Answer:
        """A per-criterion comparison of what each vendor's own documents state."""
        if self.tools is None:
            raise KnowledgeError("comparisons_unavailable")
        return compare_vendors(self.tools, self.vendors, self.criteria, vendors, lang)

    def _plan(self, topic: Topic) -> _Plan:
        lang = topic.lang
        plan = _Plan(topic)
        scenario = topic.scenario
        names = {"en": scenario.name("en"), "zh": scenario.name("zh")} if scenario else {}
        forms = scenario.forms if scenario else ()
        criteria = self.criteria.for_scenario(scenario.id if scenario else None)

        used: set[str] = set()  # one sentence serves one criterion only
        targets: dict[str, list[Evidence]] = {}
        for criterion in criteria:
            found = self._from_guides(
                criterion, lang, names, forms, scenario, figures=True, per_lang=1
            )
            targets[criterion.id] = found  # every target the guides state, for the claims
            fresh = [e for e in found if e.display.casefold() not in used][:FULL_PER_CRITERION]
            used.update(e.display.casefold() for e in fresh)
            if fresh:
                plan.matters.append((criterion, fresh))

        if topic.unknown_vendor:
            closest = ", ".join(self.vendors.closest(topic.unknown_vendor))
            plan.notes.append(
                message("briefing_unknown_vendor", lang, name=topic.unknown_vendor, closest=closest)
            )
        if topic.other_vendors:
            others = ", ".join([topic.vendor.name] if topic.vendor else [])
            others = ", ".join([others, *(v.name for v in topic.other_vendors)])
            plan.notes.append(message("briefing_other_vendors", lang, names=others))
        if topic.vendor is not None:
            plan.claims = read_claims(
                topic.vendor,
                criteria,
                self.criteria,
                targets,
                tools=self.tools,
                retrieve=self.retrieve,
                lang=lang,
                scenario=names,
            )
            if not any(claim.evidence is not None for claim in plan.claims):
                plan.notes.append(
                    message("briefing_no_vendor_docs", lang, vendor=topic.vendor.name)
                )

        for section_id in SECTION_IDS:
            section = self.criteria.sections[section_id]
            found = self._from_guides(section, lang, names, forms, scenario)
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
        scenario: Scenario | None,
        *,
        figures: bool = False,
        per_lang: int | None = None,
    ) -> list[Evidence]:
        """Evidence from the guides in the reader's language, else from guides in any language;
        with a scenario, none written for another scenario."""
        queries = wanted.queries(lang, names, per_lang=per_lang)
        accept = self._written_for(scenario) if scenario is not None else None
        for filters in ({"doc_type": "guide", "lang": lang}, {"doc_type": "guide"}):
            found = gather(
                self.retrieve,
                queries,
                wanted,
                filters,
                lang=lang,
                scenario_forms=forms,
                figures=figures,
                accept=accept,
            )
            if found:
                return found
        return []

    def _written_for(self, scenario: Scenario) -> Callable[[Hit, str], bool]:
        """Accepts a guide's sentence unless it, or its chunk's title and heading, names other
        scenarios and not this one (a voice room's PoC checklist is no show-streaming test)."""

        others = [other.forms for other in self.scenarios.scenarios if other.id != scenario.id]

        def accept(hit: Hit, sentence: str) -> bool:
            chunk = hit.chunk
            for text in (f"{chunk.title} {chunk.section}", sentence):
                # Compared as retrieval terms: "Voice chat rooms" names "voice chat room".
                if not mentions_any(text, scenario.forms) and any(
                    mentions_any(text, forms) for forms in others
                ):
                    return False
            return True

        return accept


def _subject(topic: Topic, lang: str) -> str:
    parts = []
    if topic.vendor is not None:
        parts.append(topic.vendor.name)
    elif topic.unknown_vendor:
        parts.append(topic.unknown_vendor)
    if topic.scenario is not None:
        parts.append(topic.scenario.name(lang))
    return message("subject_separator", lang).join(parts)


def _sections(
    plan: _Plan, criteria: CriteriaBook, book: CitationBook, *, short: bool
) -> tuple[Section, ...]:
    """The briefing's sections: the phone-screen version (`short`: a few points, long quotes
    cut) or the full one; both cite through `book`, so every [n] of either resolves."""
    topic = plan.topic
    lang = topic.lang
    nothing = (Point(message("briefing_nothing", lang)),)

    def points(evidence: Sequence[Evidence], label: str = "") -> tuple[Point, ...]:
        return tuple(
            quoted_point(
                book,
                e.hit,
                e.sentence,
                criteria,
                display=shorten(e.display, SHORT_QUOTE_CHARS) if short else None,
                label=label,
            )
            for e in evidence
        )

    def per_criterion(found: list[tuple[QuerySet, list[Evidence]]], limit: int) -> list[Point]:
        chosen = found[:limit] if short else found
        return [
            point
            for criterion, evidence in chosen
            for point in points(evidence[:1] if short else evidence, criterion.name(lang))
        ]

    scenario = topic.scenario.name(lang) if topic.scenario else ""
    matters = (
        message("briefing_matters", lang, scenario=scenario)
        if scenario
        else message("briefing_matters_general", lang)
    )
    sections = [Section(matters, tuple(per_criterion(plan.matters, SHORT_MATTERS)) or nothing)]
    gap_questions: list[Point] = []
    if topic.vendor is not None:
        vendor = topic.vendor.name
        stated = [claim for claim in plan.claims if claim.evidence is not None]
        claims = [
            point
            for claim in (stated[:SHORT_CLAIMS] if short else stated)
            for point in points([claim.evidence], claim.criterion.name(lang))  # type: ignore[list-item]
        ]
        sections.append(Section(message("briefing_claims", lang, vendor=vendor), tuple(claims)))
        beside = _beside(plan, book, short=short)
        if beside:
            title = message("briefing_beside_title", lang, vendor=vendor)
            sections.append(Section(title, beside))
        gaps, gap_questions = _gaps(plan, book, short=short)
        sections.append(Section(message("briefing_gaps", lang), gaps))
    for section_id in SECTION_IDS:
        evidence = plan.sections.get(section_id, [])
        own = _scenario_items(topic, section_id)
        extra = gap_questions if section_id == "questions" else []
        if short:
            own, extra = own[:SHORT_OWN], extra[:SHORT_OWN]
            evidence = evidence[: SHORT_SECTION - (1 if own else 0)]
        chosen = (*(Point(item) for item in own), *extra, *points(evidence))
        sections.append(Section(criteria.sections[section_id].name(lang), chosen or nothing))
    return tuple(sections)


def _scenario_items(topic: Topic, section_id: str) -> tuple[str, ...]:
    """The questions or PoC tests written for the topic's scenario (domain data), if any."""
    scenario = topic.scenario
    if scenario is None:
        return ()
    if section_id == "questions":
        return scenario.questions(topic.lang)
    if section_id == "poc_tests":
        return scenario.poc_tests(topic.lang)
    return ()


def _gaps(plan: _Plan, book: CitationBook, *, short: bool) -> tuple[tuple[Point, ...], list[Point]]:
    """The gaps to raise — a key metric the vendor's documents do not state, or state short of
    the guidance's target — and a question to ask for each."""
    topic = plan.topic
    lang = topic.lang
    vendor = topic.vendor.name if topic.vendor else ""
    scenario = (
        topic.scenario.name(lang) if topic.scenario else message("briefing_beside_general", lang)
    )
    gaps: list[Point] = []
    questions: list[Point] = []
    for claim in plan.claims:
        label = claim.criterion.name(lang)
        if claim.evidence is None:
            gaps.append(Point(message("briefing_gap", lang, vendor=vendor), label=label))
            ask = message("briefing_ask_unstated", lang, vendor=vendor)
            questions.append(Point(ask, label=label))
        elif claim.short and claim.target is not None:
            said, target, cites = _quoted_pair(claim.evidence, claim.target, book, short=short)
            text = message(
                "briefing_gap_short",
                lang,
                vendor=vendor,
                claim=said,
                scenario=scenario,
                target=target,
            )
            gaps.append(Point(text, cites=cites, label=label))
            questions.append(
                Point(message("briefing_ask_short", lang, scenario=scenario), label=label)
            )
    if not gaps:
        gaps.append(Point(message("briefing_no_gaps", lang, vendor=vendor)))
    return tuple(gaps), questions


def _quoted_pair(
    said: Evidence, target: Evidence, book: CitationBook, *, short: bool
) -> tuple[str, str, tuple[int, int]]:
    """A vendor's claim and the guidance's target as one point quotes them: each shortened for
    the phone-screen version (whole in the attachment), and both cited."""
    limit = SHORT_QUOTE_CHARS if short else len(said.display) + len(target.display)
    cites = (book.cite(said.hit, said.sentence), book.cite(target.hit, target.sentence))
    return shorten(said.display, limit), shorten(target.display, limit), cites


def _beside(plan: _Plan, book: CitationBook, *, short: bool) -> tuple[Point, ...]:
    """The vendor's stated figure next to the guidance's target, per key metric that has both
    ("states 280 ms to connect · guidance for voice rooms: under 400 ms"), both quoted and
    cited."""
    topic = plan.topic
    lang = topic.lang
    vendor = topic.vendor.name if topic.vendor else ""
    scenario = topic.scenario.name(lang) if topic.scenario else ""
    points = []
    for claim in plan.claims:
        if not claim.beside:
            continue
        assert claim.evidence is not None and claim.target is not None
        said, target, cites = _quoted_pair(claim.evidence, claim.target, book, short=short)
        text = message(
            "briefing_beside",
            lang,
            vendor=vendor,
            claim=said,
            scenario=scenario or message("briefing_beside_general", lang),
            target=target,
        )
        points.append(Point(text, cites=cites, label=claim.criterion.name(lang)))
    return tuple(points[:SHORT_CLAIMS] if short else points)


def _render(plan: _Plan, criteria: CriteriaBook) -> Answer:
    """The phone-screen answer, with the full briefing as a Markdown attachment; the phone
    version is numbered first so it reads [1], [2], …"""
    topic = plan.topic
    lang = topic.lang
    book = CitationBook()
    vendor = topic.vendor.name if topic.vendor else ""
    scenario_id = topic.scenario.id if topic.scenario else ""
    filename = f"briefing-{slug(vendor or topic.unknown_vendor, scenario_id)}.md"
    title = message("briefing_title", lang, subject=_subject(topic, lang))
    short = _sections(plan, criteria, book, short=True)
    full = _sections(plan, criteria, book, short=False)
    document = Answer(
        title=title,
        notes=tuple(plan.notes),
        sections=full,
        citations=tuple(book.citations),
        lang=lang,
        kind="briefing",
    )
    return Answer(
        title=title,
        notes=(*plan.notes, message("briefing_full", lang, filename=filename)),
        sections=short,
        citations=tuple(book.citations),
        abstained=not book.citations,
        kind="briefing",
        lang=lang,
        attachments=(Attachment(filename, markdown(document)),),
    )
