"""What knowledge hands to its callers: answers with numbered citations, and conversation turns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
class Attachment:
    """A document that goes with an answer (the full briefing as Markdown, a comparison as CSV)."""

    filename: str
    content: str
    mime_type: str = "text/markdown"


@dataclass(frozen=True, slots=True)
class Answer:
    """Text with `[n]` markers, each backed by a citation; `abstained` when nothing grounds it."""

    text: str
    citations: tuple[Citation, ...] = ()
    abstained: bool = False
    notes: tuple[str, ...] = field(default=())
    kind: str = "answer"  # "answer" | "briefing" | "comparison"
    attachments: tuple[Attachment, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The DESIGN.md `ask --json` object."""
        return {
            "answer": self.text,
            "citations": [citation.to_json() for citation in self.citations],
            "abstained": self.abstained,
        }

    def as_dict(self) -> dict[str, Any]:
        """Everything, for storage (feedback, conversation memory)."""
        return asdict(self)


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
