"""/gaps and /stats (admins), and `python -m knowledge gaps|stats` reading the same usage log."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.state import ConversationKey
from knowledge.api import Answer
from knowledge.gaps import group_gaps, model_embed
from knowledge.usage import QuestionRecord, UsageLog
from tests.bot.fakes import FakeAssistant, word_embed
from tests.bot.support import Harness

ROOT = Path(__file__).resolve().parents[2]
ADMIN = 42
GROUP = -1007002


async def test_gaps_lists_abstained_questions_grouped_newest_first(
    tmp_path: Path, assistant: FakeAssistant
) -> None:
    async with Harness(tmp_path, assistant, bot_admins=[ADMIN]) as h:
        await h.message(43, "a question the store can answer", user_id=43)
        assistant.answer_override = Answer(text="I don't know.", abstained=True)
        await h.message(GROUP, "/ask what does the SLA of vendor X cover?", user_id=7)
        await h.message(44, "what does the SLA of vendor X cover", user_id=44)
        await h.message(45, "how much does transcoding cost per minute?", user_id=45)
        assistant.answer_override = None
        await h.message(43, "/gaps", user_id=43)
        assert "admins" in h.api.texts(43)[-1]
        await h.message(ADMIN, "/gaps")
        text = h.api.texts(ADMIN)[-1]
    lines = text.splitlines()
    assert "transcoding" in lines[1] and "1×" in lines[1]
    assert "2×" in lines[2] and "SLA of vendor X" in lines[2]
    assert "group" in lines[2] and "private" in lines[2]
    assert "can answer" not in text
    assert "Ann" not in text and "4242" not in text  # never the user


async def test_a_down_vote_makes_a_gap_and_stats_count_it(
    tmp_path: Path, assistant: FakeAssistant
) -> None:
    async with Harness(tmp_path, assistant, bot_admins=[ADMIN]) as h:
        await h.message(43, "is the pricing per minute?", user_id=43)
        answer_id = h.state.last_answer(ConversationKey(43)).id  # type: ignore[union-attr]
        h.app.bot_data["services"].conversation.vote(answer_id, 43, 43, -1, "en")
        await h.message(ADMIN, "/gaps")
        assert "is the pricing per minute?" in h.api.texts(ADMIN)[-1]
        assert "👎 1" in h.api.texts(ADMIN)[-1]
        await h.message(ADMIN, "/stats")
        stats = h.api.texts(ADMIN)[-1]
    assert "Last 7 days: 1 questions" in stats and "👎 1" in stats


def test_grouping_by_meaning_uses_the_embedder() -> None:
    records = [
        QuestionRecord(3.0, "private", "ask", "how is latency measured", True, 10),
        QuestionRecord(2.0, "group", "ask", "How is latency measured?", True, 12),
        QuestionRecord(1.0, "private", "ask", "which vendor has the cheapest CDN", True, 9),
        QuestionRecord(0.5, "private", "ask", "answered fine", False, 9),
    ]
    gaps = group_gaps(records, word_embed)
    assert [(g.question, g.count) for g in gaps] == [
        ("how is latency measured", 2),
        ("which vendor has the cheapest CDN", 1),
    ]
    assert gaps[0].chat_types == ("group", "private")
    assert [g.count for g in group_gaps(records, None)] == [2, 1]


def test_stats_median_p95_abstention_and_days(tmp_path: Path) -> None:
    now = [1_800_000_000.0]
    usage = UsageLog(tmp_path / "u.sqlite3", clock=lambda: now[0])
    for n in range(20):
        usage.record_question(
            chat_type="private",
            command="ask",
            question=f"q{n}",
            abstained=n % 4 == 0,
            elapsed_ms=float(n * 10),
            answer_id=n,
        )
    usage.record_votes(1, 2, 0)
    usage.record_votes(2, 0, 1)
    now[0] += 8 * 24 * 3600
    usage.record_question(
        chat_type="group", command="ask", question="later", abstained=False, elapsed_ms=5.0
    )
    stats = usage.stats(7)
    assert stats.questions == 1 and stats.per_day[-1][1] == 1
    now[0] -= 8 * 24 * 3600
    stats = usage.stats(7)
    usage.close()
    assert stats.questions == 20 and stats.abstained == 5 and stats.abstention_rate == 0.25
    assert (stats.up, stats.down) == (2, 1)
    assert stats.p50_ms == 95.0 and stats.p95_ms == 180.5
    assert len(stats.per_day) == 7


def test_the_knowledge_cli_reads_the_same_usage_log(tmp_path: Path) -> None:
    data = tmp_path / "data"
    usage = UsageLog.in_data_dir(data)
    usage.record_question(
        chat_type="group", command="ask", question="no idea?", abstained=True, elapsed_ms=40.0
    )
    usage.close()
    env = {"PYTHONPATH": str(ROOT), "DATA_DIR": str(data), "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "knowledge"]
    gaps = subprocess.run(
        [*run, "gaps", "--json", "--no-model"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert gaps.returncode == 0, gaps.stderr
    assert json.loads(gaps.stdout)[0]["question"] == "no idea?"
    stats = subprocess.run(
        [*run, "stats", "--json"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["questions"] == 1
    assert json.loads(stats.stdout)["abstention_rate"] == 1.0


def test_the_embedding_model_groups_paraphrases_and_not_neighbours() -> None:
    from config import load_settings
    from store.embedding import EmbeddingModelError

    embed = model_embed(load_settings(_env_file=None).embedding_model_path)
    questions = [
        "What does the SLA of vendor X cover?",
        "what does vendor X's SLA include",
        "how much does transcoding cost per minute?",
        "transcoding price per minute",
        "how is latency measured",
    ]
    try:
        gaps = group_gaps(
            [
                QuestionRecord(10.0 - n, "private", "ask", q, True, 1)
                for n, q in enumerate(questions)
            ],
            embed,
        )
    except EmbeddingModelError as error:
        pytest.skip(f"embedding model not available: {error}")
    assert [g.count for g in gaps] == [2, 2, 1]
