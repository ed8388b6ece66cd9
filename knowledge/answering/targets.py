"""A vendor's stated figure set against the guidance's target: the figures of a sentence by kind
(a time, a percentage, a count of people), and whether the vendor's falls short of the target.

Only figures of the same kind are compared, and only in the direction the criterion gives
(`better: lower` for latency, `higher` for scale): a sentence of another kind, or without a
figure, gives no verdict rather than a guess. The verdict is deliberately lenient — the vendor's
worst stated figure against the target's most lenient one — so a gap raised is a real one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class Figure:
    """A number a sentence states, in a common unit per kind (times in ms)."""

    kind: str
    value: float


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
                found += [Figure(TIME, _number(group) * scale) for group in match.groups() if group]
    for match in _PERCENTS.finditer(sentence):
        if free(match):
            taken.append(match.span())
            found += [Figure(PERCENT, _number(group)) for group in match.groups() if group]
    for match in _COUNTS.finditer(sentence):
        if free(match):
            multiplier = {"万": 10_000.0, "千": 1_000.0}.get(match.group(2) or "", 1.0)
            found.append(Figure(COUNT, _number(match.group(1)) * multiplier))
    return found


def falls_short(claim: str, target: str, kind: str, better: str) -> bool | None:
    """True when the vendor's stated figure of `kind` is worse than the target's (`better`:
    "lower" or "higher"), False when it meets it, None when either states no such figure."""
    if better not in _BETTER:
        return None
    stated = [f.value for f in figures(claim) if f.kind == kind]
    wanted = [f.value for f in figures(target) if f.kind == kind]
    if not stated or not wanted:
        return None
    if better == "lower":
        return max(stated) > max(wanted)
    return max(stated) < max(wanted)
