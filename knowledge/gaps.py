"""What the knowledge base lacks: recent questions that were abstained on or voted 👎, similar
ones grouped by meaning (the embedding model's cosine similarity), newest group first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.usage import QuestionRecord

# Embeds texts as rows of unit vectors (the knowledge embedder's `embed_queries`).
EmbedFn = Callable[[list[str]], "np.ndarray"]
# e5 puts related but different questions near 0.81 and paraphrases above 0.9 (DESIGN.md):
# only paraphrases share a group.
SAME_MEANING = 0.9
DEFAULT_DAYS = 30


@dataclass(frozen=True, slots=True)
class Gap:
    """A group of similar unanswered or disliked questions."""

    question: str  # the newest wording
    count: int
    last_at: float
    chat_types: tuple[str, ...]
    abstained: int  # how many of them got no grounded answer
    down: int  # 👎 votes on their answers

    def as_dict(self) -> dict[str, object]:
        """The JSON shape of `python -m knowledge gaps --json`."""
        return {
            "question": self.question,
            "count": self.count,
            "last_at": self.last_at,
            "chat_types": list(self.chat_types),
            "abstained": self.abstained,
            "down": self.down,
        }


def is_gap(record: QuestionRecord) -> bool:
    """True for a question the knowledge base did not serve: abstained, or voted down."""
    return record.abstained or record.down > 0


def group_gaps(
    records: Sequence[QuestionRecord], embed: EmbedFn | None, threshold: float = SAME_MEANING
) -> list[Gap]:
    """The gaps among `records` (newest first), grouped: each question joins the first group
    whose first question it is as close to as `threshold`; without `embed`, only identical
    wordings (case, spacing and end punctuation aside) group."""
    gaps = [record for record in records if is_gap(record)]
    if not gaps:
        return []
    texts = [" ".join(record.question.split()) for record in gaps]
    vectors = _unit(np.asarray(embed(texts), dtype=np.float32)) if embed is not None else None
    groups: list[list[int]] = []
    for index in range(len(gaps)):
        for group in groups:
            head = group[0]
            same = (
                float(vectors[index] @ vectors[head]) >= threshold
                if vectors is not None
                else _wording(texts[index]) == _wording(texts[head])
            )
            if same:
                group.append(index)
                break
        else:
            groups.append([index])
    return [_gap([gaps[i] for i in group]) for group in groups]


def _wording(text: str) -> str:
    return text.casefold().rstrip("?？!！.。 ")


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def _gap(members: list[QuestionRecord]) -> Gap:
    newest = max(members, key=lambda record: record.at)
    return Gap(
        question=newest.question,
        count=len(members),
        last_at=newest.at,
        chat_types=tuple(sorted({record.chat_type for record in members})),
        abstained=sum(record.abstained for record in members),
        down=sum(record.down for record in members),
    )


def model_embed(model_name_or_path: str) -> EmbedFn:
    """The knowledge embedder's query embedding, loaded on first use (shared with the
    assistant's when it runs in the same process)."""

    def embed(texts: list[str]) -> np.ndarray:
        from store.embedding import get_embedder

        return get_embedder(model_name_or_path).embed_queries(texts)

    return embed
