"""Warm latency of `brief` and `compare` on the bundled corpus (issue 16: each under 1 s)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

TOPICS = ["ZEGOCLOUD voice room", "声网 语聊房", "Agora 1v1 video", "online classes", "直播带货"]
PAIRS = [["Agora", "ZEGOCLOUD"], ["Tencent Cloud TRTC", "声网"], ["LiveKit", "Daily"]]


def bench_briefings(settings: object, store_dir: Path | None, rounds: int) -> dict[str, object]:
    """p50/p95 of warm briefings and comparisons (each topic and pair run once untimed first:
    the first run reads the vendors' sentences and embeds the fixed phrasings)."""
    from knowledge.factory import open_knowledge

    assistant = open_knowledge(settings, store_dir).assistant  # type: ignore[arg-type]
    for topic in TOPICS:
        assistant.brief(topic)
    for pair in PAIRS:
        assistant.compare(pair)
    briefs: list[float] = []
    compares: list[float] = []
    for _ in range(rounds):
        for topic in TOPICS:
            started = time.perf_counter()
            assistant.brief(topic)
            briefs.append(time.perf_counter() - started)
        for pair in PAIRS:
            started = time.perf_counter()
            assistant.compare(pair)
            compares.append(time.perf_counter() - started)
    return {"brief": _percentiles(briefs), "compare": _percentiles(compares)}


def _percentiles(samples: list[float]) -> dict[str, float]:
    values = np.array(samples) * 1000
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 1),
        "p95_ms": round(float(np.percentile(values, 95)), 1),
    }
