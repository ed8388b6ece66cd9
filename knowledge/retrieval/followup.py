"""Resolving follow-up questions ("and for 1v1?") against the conversation so far."""

from __future__ import annotations

import re
from collections.abc import Sequence

from knowledge.api import Turn
from knowledge.domain.glossary import Glossary
from knowledge.retrieval.text import tokenize

_OPENERS = (
    r"and|or|but|also|what about|how about|same for|and for|then|那|那么|还有|另外|如果是|换成"
)
_FOLLOW_UP = re.compile(rf"^\s*({_OPENERS})\b|(呢|怎么样)[？?]?\s*$", re.IGNORECASE)


def is_follow_up(question: str) -> bool:
    """True for a question that leans on the previous one (very short, or opening with "and")."""
    return bool(_FOLLOW_UP.search(question)) or len(tokenize(question)) <= 1


def retrieval_query(question: str, history: Sequence[Turn], glossary: Glossary) -> str:
    """The text to retrieve with: a follow-up borrows the previous question's intent, with the
    topic it named (a glossary term such as "voice room") replaced by the new question's."""
    if not history or not is_follow_up(question):
        return question
    previous = history[-1].question
    if glossary.matches(question):
        for term in glossary.matches(previous):
            for form in sorted(term.forms, key=len, reverse=True):
                previous = re.sub(re.escape(form), " ", previous, flags=re.IGNORECASE)
    previous = " ".join(previous.split())
    return f"{question} {previous}".strip()
