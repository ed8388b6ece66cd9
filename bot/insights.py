"""/gaps and /stats for admins: what the knowledge base lacks and how the bot is used, read
from the usage log (knowledge.usage) the conversation writes."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from bot.texts import t
from knowledge.gaps import DEFAULT_DAYS, EmbedFn, Gap, group_gaps
from knowledge.usage import UsageLog

MAX_GAPS_SHOWN = 15
MAX_QUESTION_SHOWN = 120
STATS_DAYS = 7


async def gaps_text(usage: UsageLog, embed: EmbedFn | None, lang: str) -> str:
    """The recent gaps, grouped by meaning, newest first (embedding runs off the loop)."""
    records = usage.questions(DEFAULT_DAYS)
    gaps = await asyncio.to_thread(group_gaps, records, embed)
    if not gaps:
        return t("gaps_none", lang, days=DEFAULT_DAYS)
    lines = [t("gaps_title", lang, days=DEFAULT_DAYS)]
    lines += [_gap_line(gap, lang) for gap in gaps[:MAX_GAPS_SHOWN]]
    return "\n".join(lines)


def _gap_line(gap: Gap, lang: str) -> str:
    question = " ".join(gap.question.split())
    if len(question) > MAX_QUESTION_SHOWN:
        question = question[: MAX_QUESTION_SHOWN - 1] + "…"
    why = []
    if gap.abstained:
        why.append(t("gaps_abstained", lang))
    if gap.down:
        why.append(t("gaps_down", lang, n=gap.down))
    return t(
        "gaps_line",
        lang,
        count=gap.count,
        question=question,
        when=_when(gap.last_at),
        chat_types=", ".join(gap.chat_types),
        why=", ".join(why),
    )


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")


def stats_text(usage: UsageLog, lang: str) -> str:
    """Questions per day, abstention rate, votes and answer times over the last week."""
    stats = usage.stats(STATS_DAYS)
    return t(
        "stats_text",
        lang,
        days=stats.days,
        questions=stats.questions,
        abstained=stats.abstained,
        rate=stats.abstention_rate,
        up=stats.up,
        down=stats.down,
        p50=f"{stats.p50_ms:.0f}",
        p95=f"{stats.p95_ms:.0f}",
        per_day=", ".join(f"{day[5:]} {n}" for day, n in stats.per_day),
    )


def elapsed_ms(started: float) -> float:
    """Milliseconds since `started` (a time.perf_counter() value)."""
    return (time.perf_counter() - started) * 1000
