"""A vendor's stated figure set against the guidance's target: the figures of a sentence by kind
(a time, a percentage, a count of people), and whether the vendor's falls short of the target.

Only figures of the same kind and aspect are compared (a join time with a join time, not with an
end-to-end latency; the aspects and their keywords are the criterion's `target.aspects` in
criteria.yaml), in the direction the criterion gives (`better: lower` for latency, `higher` for
scale): a sentence of another kind or aspect, or without a figure, gives no verdict rather than a
guess. The verdict is deliberately lenient — the vendor's worst stated figure against the target's
most lenient one — so a gap raised is a real one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from knowledge.domain.criteria import keyword_pattern

TIME = "time"
PERCENT = "percent"
COUNT = "count"

_NUMBER = r"\d+(?:[,，]\d{3})*(?:\.\d+)?"
_TIME_UNITS: tuple[tuple[str, float], ...] = (
    (r"ms|msec|milliseconds?|毫秒", 1.0),
    (r"s|secs?|seconds?|秒", 1000.0),
    (r"min|mins|minutes?|分钟", 60_000.0),
    (r"h|hours?|小时", 3_600_000.0),
)
_PERCENT_UNIT = r"%|％|percent|per cent"
# Whom a count counts: "20,000 listeners", "50 个麦位", "10 万人".
_COUNT_UNIT = (
    r"(?:\s*(?:concurrent|simultaneous|interactive|active)?\s*"
    r"(?:users?|listeners?|viewers?|participants?|speakers?|hosts?|co-hosts?|audience|people|"
    r"attendees?|members?|students?|seats?|mic seats?))"
    r"|(?:\s*(?:名|位|个)?\s*(?:人|用户|观众|听众|主播|麦位|学生|并发))"
)
_RANGE = r"\s*(?:to|and|-|–|—|~|～|到|至)\s*"


def _unit_pattern(units: str) -> re.Pattern[str]:
    # "150 to 400 ms" states both ends in one unit; "-minute" joins a unit as in "15-minute".
    return re.compile(
        rf"(?<![\d.])({_NUMBER})(?:{_RANGE}({_NUMBER}))?\s*-?\s*(?:{units})(?![A-Za-z])",
        re.IGNORECASE,
    )


_TIMES = tuple((_unit_pattern(units), scale) for units, scale in _TIME_UNITS)
_PERCENTS = _unit_pattern(_PERCENT_UNIT)
_COUNTS = re.compile(
    rf"(?<![\d.])({_NUMBER})\s*(万|千)?(?:{_COUNT_UNIT})",
    re.IGNORECASE,
)
_BETTER = {"lower", "higher"}
# What bounds a figure's clause: punctuation (not a thousands comma), "and", "以及".
_CLAUSE = re.compile(r",(?!\d{3})|[，;；。:：!?！？、]|\band\b|以及|并且|和", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Figure:
    """A number a sentence states, in a common unit per kind (times in ms)."""

    kind: str
    value: float
    span: tuple[int, int] = field(default=(0, 0), compare=False)  # where the sentence states it


def _number(text: str) -> float:
    return float(text.replace(",", "").replace("，", ""))


def figures(sentence: str) -> list[Figure]:
    """Every time, percentage and count of people `sentence` states."""
    found: list[Figure] = []
    taken: list[tuple[int, int]] = []

    def free(match: re.Match[str]) -> bool:
        return all(match.end() <= start or match.start() >= end for start, end in taken)

    for pattern, scale in _TIMES:
        for match in pattern.finditer(sentence):
            if free(match):
                taken.append(match.span())
                found += [
                    Figure(TIME, _number(group) * scale, match.span())
                    for group in match.groups()
                    if group
                ]
    for match in _PERCENTS.finditer(sentence):
        if free(match):
            taken.append(match.span())
            found += [
                Figure(PERCENT, _number(group), match.span()) for group in match.groups() if group
            ]
    for match in _COUNTS.finditer(sentence):
        if free(match):
            multiplier = {"万": 10_000.0, "千": 1_000.0}.get(match.group(2) or "", 1.0)
            found.append(Figure(COUNT, _number(match.group(1)) * multiplier, match.span()))
    return found


def aspect(sentence: str, figure: Figure, aspects: Mapping[str, Sequence[str]]) -> str:
    """What a figure measures ("setup", "latency", "audience"…): the aspect whose keyword is
    nearest to it within its clause ("进房耗时 350 毫秒，首帧 600 毫秒": both setup; "50 speakers
    and 20,000 listeners": speakers, audience); "" when its clause names none."""
    start, end = figure.span
    left = max((m.end() for m in _CLAUSE.finditer(sentence, 0, start)), default=0)
    right = next((m.start() + end for m in _CLAUSE.finditer(sentence[end:])), len(sentence))
    best, nearest = "", len(sentence) + 1
    for name, keywords in aspects.items():
        for keyword in keywords:
            for match in keyword_pattern(keyword).finditer(sentence, left, right):
                distance = max(match.start() - end, start - match.end(), 0)
                if distance < nearest:
                    best, nearest = name, distance
    return best


def _by_aspect(
    sentence: str, kind: str, aspects: Mapping[str, Sequence[str]]
) -> dict[str, list[float]]:
    grouped: dict[str, list[float]] = {}
    for figure in figures(sentence):
        if figure.kind == kind:
            grouped.setdefault(aspect(sentence, figure, aspects), []).append(figure.value)
    return grouped


def compared(
    claim: str,
    target: str,
    kind: str,
    better: str,
    aspects: Mapping[str, Sequence[str]] | None = None,
) -> list[tuple[float, float]]:
    """The (stated, wanted) pairs a verdict rests on: per aspect both sentences state a figure of
    `kind` on, the vendor's worst figure and the target's most lenient one."""
    if better not in _BETTER:
        return []
    stated = _by_aspect(claim, kind, aspects or {})
    wanted = _by_aspect(target, kind, aspects or {})
    worst = max if better == "lower" else min
    return [
        (worst(stated[name]), max(wanted[name]) if better == "lower" else min(wanted[name]))
        for name in stated
        if name in wanted
    ]


def falls_short(
    claim: str,
    target: str,
    kind: str,
    better: str,
    aspects: Mapping[str, Sequence[str]] | None = None,
) -> bool | None:
    """True when the vendor's stated figure of `kind` is worse than the target's on an aspect
    both state (`better`: "lower" or "higher"), False when it meets the target on each, None
    when they state no such figure on a common aspect (a join time is no end-to-end latency)."""
    pairs = compared(claim, target, kind, better, aspects)
    if not pairs:
        return None
    if better == "lower":
        return any(stated > wanted for stated, wanted in pairs)
    return any(stated < wanted for stated, wanted in pairs)
