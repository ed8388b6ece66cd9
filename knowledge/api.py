"""What knowledge hands to its callers: structured answers with numbered citations, the Assistant
interface front ends use, and the errors whose messages can be shown to a user.

Every answerer (extractive, LLM, briefing, comparison) produces the same structure: a title, notes
and sections of points, each point with the citation numbers that back it. Renderers turn that
structure into plain text, Markdown or Telegram HTML; `Answer.text` is the plain rendering.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from knowledge.messages import message
from store.language import Lang

MAX_QUESTION_CHARS = 1000


@dataclass(frozen=True, slots=True)
class Citation:
    """One numbered source of an answer; `quote` is verbatim text of the cited chunk."""

    n: int
    source: str
    title: str
    section: str
    chunk_id: str
    quote: str
    source_url: str = ""
    vendor: str = ""
    lang: str = ""

    def to_json(self) -> dict[str, Any]:
        """The DESIGN.md citation object (plus nothing else: the contract is exact)."""
        return {
            "n": self.n,
            "source": self.source,
            "title": self.title,
            "section": self.section,
            "chunk_id": self.chunk_id,
            "quote": self.quote,
        }


@dataclass(frozen=True, slots=True)
class Point:
    """One statement of an answer: a source's own words (cited), or the frame's (uncited).

    `claim_of` names the vendor whose claim it is: a verbatim quote is rendered "X states: “…”",
    a model's paraphrase (`verbatim` False) already names the vendor in its own words. `label` is
    what the point is about ("Latency", a vendor's name in a comparison); `source_lang` is the
    language of the quoted source, noted when it differs from the answer's.
    """

    text: str
    cites: tuple[int, ...] = ()
    claim_of: str | None = None
    label: str = ""
    source_lang: str = ""
    verbatim: bool = True


@dataclass(frozen=True, slots=True)
class Section:
    """A titled group of points (an answer has one untitled section)."""

    title: str
    points: tuple[Point, ...]


@dataclass(frozen=True, slots=True)
class Attachment:
    """A document that goes with an answer (the full briefing as Markdown, a comparison as CSV)."""

    filename: str
    content: str
    mime_type: str = "text/markdown"


@dataclass(frozen=True, slots=True)
class Answer:
    """A structured answer; `text` is its plain rendering with `[n]` markers, each backed by a
    citation. `abstained` when nothing in the store grounds an answer."""

    text: str = ""
    citations: tuple[Citation, ...] = ()
    abstained: bool = False
    notes: tuple[str, ...] = field(default=())
    kind: str = "answer"  # "answer" | "briefing" | "comparison"
    attachments: tuple[Attachment, ...] = ()
    title: str = ""
    sections: tuple[Section, ...] = ()
    lang: Lang = "en"

    def __post_init__(self) -> None:
        if not self.text and (self.sections or self.title):
            from knowledge.rendering import plain_body

            object.__setattr__(self, "text", plain_body(self))

    def to_json(self) -> dict[str, Any]:
        """The DESIGN.md `ask --json` object, with the structure as `sections`."""
        from knowledge.rendering import point_plain

        return {
            "answer": self.text,
            "citations": [citation.to_json() for citation in self.citations],
            "abstained": self.abstained,
            "sections": [
                {
                    "title": section.title,
                    "points": [
                        {
                            "text": point_plain(point, self.lang, with_markers=False),
                            "cites": list(point.cites),
                            "claim_of": point.claim_of,
                        }
                        for point in section.points
                    ],
                }
                for section in self.sections
            ],
        }

    def as_dict(self) -> dict[str, Any]:
        """Everything, for storage (feedback, conversation memory)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Answer:
        """The answer `as_dict` stored (older records without structure keep their text)."""
        return cls(
            text=str(raw.get("text", "")),
            citations=tuple(Citation(**c) for c in raw.get("citations", ())),
            abstained=bool(raw.get("abstained", False)),
            notes=tuple(raw.get("notes", ())),
            kind=str(raw.get("kind", "answer")),
            attachments=tuple(Attachment(**a) for a in raw.get("attachments", ())),
            title=str(raw.get("title", "")),
            sections=tuple(
                Section(
                    str(section.get("title", "")),
                    tuple(
                        Point(
                            text=str(point["text"]),
                            cites=tuple(point.get("cites", ())),
                            claim_of=point.get("claim_of"),
                            label=str(point.get("label", "")),
                            source_lang=str(point.get("source_lang", "")),
                            verbatim=bool(point.get("verbatim", True)),
                        )
                        for point in section.get("points", ())
                    ),
                )
                for section in raw.get("sections", ())
            ),
            lang="zh" if raw.get("lang") == "zh" else "en",
        )


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier exchange of a conversation, passed to `ask` to resolve follow-ups."""

    question: str
    answer: str = ""


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """A piece of the answer as the model writes it, or (last) the validated answer."""

    delta: str = ""
    answer: Answer | None = None

    @property
    def final(self) -> bool:
        """True for the last event, the one carrying the answer to show."""
        return self.answer is not None


class Assistant(Protocol):
    """Cited answers, briefings and comparisons; blocking calls, run them off the event loop.

    `lang` is the language of the request, decided once by the caller (`request_lang`); every
    answer, frame and error message comes back in it.
    """

    def ask(self, question: str, history: Sequence[Turn] = (), lang: Lang | None = None) -> Answer:
        """A cited answer; `history` holds earlier turns so follow-ups resolve."""
        ...

    def stream(
        self, question: str, history: Sequence[Turn] = (), lang: Lang | None = None
    ) -> Iterator[StreamEvent]:
        """The answer as it is written: text deltas, then one final event with the answer
        (an answerer that does not stream yields the final event only)."""
        ...

    @property
    def streams(self) -> bool:
        """True when `stream` yields text as it is written (worth showing progressively)."""
        ...

    def brief(self, topic: str, lang: Lang | None = None) -> Answer:
        """A pre-meeting briefing on a scenario, a vendor, or both."""
        ...

    def compare(self, vendors: Sequence[str], lang: Lang | None = None) -> Answer:
        """A per-criterion comparison of what each vendor's documents state."""
        ...

    def vendors(self) -> list[VendorSummary]:
        """The vendors with documents in the store."""
        ...

    def healthy(self) -> bool:
        """True when the store can be reached."""
        ...


# --- errors -------------------------------------------------------------------------------


class KnowledgeError(Exception):
    """Base of the errors a user can cause or meet: a catalog key and its parameters, rendered
    in the user's language by `message(lang)`; `str()` is the English message (for logs)."""

    key = "error"

    def __init__(self, key: str | None = None, **params: object) -> None:
        self.key = key or type(self).key
        self.params = params
        super().__init__(message(self.key, "en", **params))

    def message(self, lang: str) -> str:
        """The message to show, in `lang`."""
        return message(self.key, lang, **self.params)


class StoreUnavailable(KnowledgeError):
    """The vector store (a Chroma server) cannot be reached right now."""

    key = "store_unavailable"


class InvalidQuestion(KnowledgeError):
    """The question is empty or longer than the limit, or a topic names nothing known."""

    key = "empty_question"


class UnknownVendor(KnowledgeError):
    """A vendor name that matches no known vendor."""

    key = "unknown_vendor"


class AmbiguousVendor(UnknownVendor):
    """A vendor name that matches more than one known vendor."""

    key = "ambiguous_vendor"


@dataclass(frozen=True, slots=True)
class VendorSummary:
    """One vendor of the store: what `knowledge vendors` and /vendors list."""

    name: str
    aliases: tuple[str, ...] = ()
    documents: int = 0
    chunks: int = 0
    langs: tuple[str, ...] = ()
    as_of: str = ""  # the newest date its documents' facts were checked ("" when none says)

    def to_json(self) -> dict[str, Any]:
        """The DESIGN.md shape: {"name", "aliases", "documents", "chunks", "langs", "as_of"}."""
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "documents": self.documents,
            "chunks": self.chunks,
            "langs": list(self.langs),
            "as_of": self.as_of,
        }
