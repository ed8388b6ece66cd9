"""bench.bot_rss: the real bot process against the fake Telegram, on a two-document store."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.bot_rss import GROUP_CHAT, QUESTIONS, bot_env, bot_process_rss, plan
from config.settings import Settings

CORPUS = Path(__file__).resolve().parents[2] / "knowledge" / "corpus"


def test_plan_sends_the_last_question_to_the_group_as_a_command() -> None:
    messages = plan(["what matters for a voice room?", "语聊房的回声消除怎么测试?", "SLA?"])
    assert [m[0] > 0 for m in messages] == [True, True, False]
    assert len({m[0] for m in messages}) == 3
    assert messages[1][2] == "zh" and messages[0][2] == "en"
    assert messages[2] == (GROUP_CHAT, "/ask SLA?", "en")
    assert plan(QUESTIONS)[-1][1] == "/ask Compare Agora and ZEGO for 1v1 video"


def test_bot_env_keeps_no_bot_setting_of_the_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    for name in ("WEBHOOK_URL", "LLM_PROVIDER", "telegram_bot_token", "BOT_ADMINS", "CHROMA_HOST"):
        monkeypatch.setenv(name, "from-the-shell")
    env = bot_env(settings, tmp_path / "store", tmp_path / "data", "1:T", "http://127.0.0.1:1/bot")
    assert not any(v == "from-the-shell" for v in env.values())
    assert env["TELEGRAM_BOT_TOKEN"] == "1:T"
    assert env["CHROMA_PATH"] == str(tmp_path / "store")
    assert env["DATA_DIR"] == str(tmp_path / "data")
    assert "127.0.0.1" in env["NO_PROXY"]


@pytest.mark.e2e
def test_the_real_bot_answers_every_chat_and_its_memory_is_measured(
    tmp_path: Path, embedder: object
) -> None:
    from ingest.pipeline import Ingestor

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, chroma_path=tmp_path / "store", data_dir=tmp_path / "ingest-data"
    )
    files = [CORPUS / "scenario-voice-room.en.md", CORPUS / "scenario-voice-room.zh.md"]
    Ingestor(settings, embedder, store_dir=tmp_path / "store").sync(files)  # type: ignore[arg-type]

    questions = ["what matters for a voice room?", "语聊房的回声消除怎么测试?", "/brief voice room"]
    result = bot_process_rss(
        tmp_path / "store", tmp_path / "bot-data", questions, settings=settings, answer_timeout=120
    )

    # A bound on liveness, not a timing: CI runs the rest of the suite beside it on two cores.
    late = (result.get("unanswered"), result["answers_s"], result["startup_s"])
    assert result["answered"] == result["questions"] == 3, late
    assert 0 < result["rss_mb_ready"] <= result["rss_mb"] <= result["rss_mb_peak"]
    assert (tmp_path / "bot-data").is_dir()  # the bot kept its state there, not elsewhere
