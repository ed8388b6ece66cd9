"""The real bot, in-process, polling (or on its webhook) against the fake Bot API server."""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from telegram.request import HTTPXRequest

from bot.state import ConversationKey
from tests.bot.fake_telegram import FakeTelegram
from tests.bot.fakes import FakeAssistant
from tests.bot.support import make_settings, running_bot, svc

GROUP = -4001


async def test_private_and_group_chat_over_polling(
    fake: FakeTelegram, tmp_path: Path, assistant: FakeAssistant
) -> None:
    settings = make_settings(tmp_path, fake.base_url)
    async with running_bot(settings, assistant):
        fake.message(42, "What latency should a voice room target?")
        fake.message(GROUP, "lunch anyone?")
        fake.message(GROUP, "/ask@selection_bot and for live streaming?")
        await fake.wait_for(lambda: len(fake.texts()) == 2)
    assert fake.texts(42)[0].startswith("• Answer to: What latency should a voice room target?")
    group_reply = fake.sent("sendMessage", GROUP)[0]
    assert group_reply.params["text"].startswith("• Answer to: and for live streaming?")
    assert "reply_parameters" in group_reply.params
    commands = fake.sent("setMyCommands")
    assert {c.params.get("language_code") for c in commands} == {None, "zh"}
    zh = next(c for c in commands if c.params.get("language_code") == "zh")
    assert {"command": "ask", "description": "提问"} in zh.params["commands"]


async def test_429_retry_after_is_honoured(
    fake: FakeTelegram, tmp_path: Path, assistant: FakeAssistant
) -> None:
    fake.fail("sendMessage", "retry_after", retry_after=1)
    async with running_bot(make_settings(tmp_path, fake.base_url), assistant):
        fake.message(42, "rate limited?")
        await fake.wait_for(lambda: len(fake.texts(42)) == 1)
    attempts = [c for c in fake.calls if c.method == "sendMessage"]
    assert [c.outcome for c in attempts] == ["retry_after", "ok"]
    assert attempts[1].at - attempts[0].at >= 1.0


async def test_403_is_logged_and_dropped_and_the_bot_goes_on(
    fake: FakeTelegram,
    tmp_path: Path,
    assistant: FakeAssistant,
    caplog: Any,
) -> None:
    caplog.set_level(logging.INFO)
    fake.fail("sendMessage", "forbidden", match=lambda p: p.get("chat_id") == 77)
    async with running_bot(make_settings(tmp_path, fake.base_url), assistant):
        fake.message(77, "I blocked you")
        await fake.wait_for(lambda: any(c.outcome == "forbidden" for c in fake.calls))
        fake.message(78, "still there?")
        await fake.wait_for(lambda: len(fake.texts(78)) == 1)
    assert fake.texts(77) == []
    assert [
        c.outcome for c in fake.calls if c.method == "sendMessage" and c.params["chat_id"] == 77
    ] == ["forbidden"]  # no retry, no error message
    assert any("reply dropped" in r.getMessage() for r in caplog.records)


async def test_chat_migration_is_followed_and_context_moved(
    fake: FakeTelegram,
    tmp_path: Path,
    assistant: FakeAssistant,
) -> None:
    new_id = -1005550001
    fake.fail(
        "sendMessage", "migrate", new_chat_id=new_id, match=lambda p: p.get("chat_id") == GROUP
    )
    async with running_bot(make_settings(tmp_path, fake.base_url), assistant) as app:
        fake.message(GROUP, "/ask before the upgrade", user_id=5)
        await fake.wait_for(lambda: len(fake.texts(new_id)) == 1)
        history = svc(app).state.history(ConversationKey(new_id, 0, 0), ttl=3600)
        assert [t.question for t in history] == ["before the upgrade"]
        assert svc(app).state.history(ConversationKey(GROUP, 0, 0), ttl=3600) == []
        # The service message Telegram sends on an upgrade is handled too.
        fake.message(-4002, "", extra={"migrate_to_chat_id": -1005550002})
    assert fake.texts(new_id)[0].startswith("• Answer to: before the upgrade")


async def test_500_is_retried(fake: FakeTelegram, tmp_path: Path, assistant: FakeAssistant) -> None:
    fake.fail("sendMessage", "server_error", times=2)
    async with running_bot(make_settings(tmp_path, fake.base_url), assistant):
        fake.message(42, "server trouble?")
        await fake.wait_for(lambda: len(fake.texts(42)) == 1)
    assert [c.outcome for c in fake.calls if c.method == "sendMessage"] == [
        "server_error",
        "server_error",
        "ok",
    ]


async def test_timeout_is_retried(
    fake: FakeTelegram, tmp_path: Path, assistant: FakeAssistant
) -> None:
    fake.fail("sendMessage", "delay", delay=2.5)
    request = HTTPXRequest(read_timeout=1.0, connect_timeout=2, write_timeout=2)
    async with running_bot(make_settings(tmp_path, fake.base_url), assistant, request=request):
        fake.message(42, "slow network?")
        await fake.wait_for(lambda: len(fake.texts(42)) == 1)
    assert [c.outcome for c in fake.calls if c.method == "sendMessage"] == ["delay", "ok"]


async def test_webhook_requires_the_secret_and_serves_healthz(
    fake: FakeTelegram,
    tmp_path: Path,
    assistant: FakeAssistant,
) -> None:
    with socket.socket() as sock:  # WEBHOOK_PORT must be 1..65535: pick a free one
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = make_settings(
        tmp_path,
        fake.base_url,
        webhook_url="https://bot.example.com/tg",
        webhook_secret="s3cret-value",
        webhook_port=port,
        webhook_listen="127.0.0.1",
    )
    async with running_bot(settings, assistant), aiohttp.ClientSession() as http:
        update = fake.message(42, "via webhook?")
        url = f"http://127.0.0.1:{port}/tg"
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 403
        await asyncio.sleep(0.1)
        assert fake.texts(42) == []
        async with http.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-value"}
        ) as r:
            assert r.status == 200
        await fake.wait_for(lambda: len(fake.texts(42)) == 1)
        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 200 and (await response.json()) == {"ok": True}
        assistant.is_healthy = False
        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 503
    hook = fake.sent("setWebhook")[0].params
    assert hook["url"] == "https://bot.example.com/tg" and hook["secret_token"] == "s3cret-value"
    assert fake.sent("getUpdates") == []


async def test_follow_ups_survive_a_restart(
    fake: FakeTelegram, tmp_path: Path, assistant: FakeAssistant
) -> None:
    settings = make_settings(tmp_path, fake.base_url)
    async with running_bot(settings, assistant):
        fake.message(42, "Which vendor for a voice room?")
        await fake.wait_for(lambda: len(fake.texts(42)) == 1)
    async with running_bot(settings, assistant):
        fake.message(42, "and its pricing?")
        await fake.wait_for(lambda: len(fake.texts(42)) == 2)
    assert assistant.calls[-1][1] == "and its pricing?"
    assert [t.question for t in assistant.calls[-1][2]] == ["Which vendor for a voice room?"]


async def test_sigterm_style_stop_finishes_answers_in_flight(
    fake: FakeTelegram,
    tmp_path: Path,
) -> None:
    slow = FakeAssistant(delay=(1.0, 1.0))
    async with running_bot(make_settings(tmp_path, fake.base_url), slow):
        fake.message(42, "a slow one")
        await fake.wait_for(lambda: len(slow.calls) == 1)
    # Leaving the block stopped the bot; the answer still went out.
    assert fake.texts(42)[0].startswith("• Answer to: a slow one")


async def test_burst_of_200_questions_from_20_chats(fake: FakeTelegram, tmp_path: Path) -> None:
    assistant = FakeAssistant(delay=(0.0, 0.02))
    chats = [1000 + i for i in range(10)] + [-2000 - i for i in range(10)]
    start = time.monotonic()
    async with running_bot(make_settings(tmp_path, fake.base_url), assistant) as app:
        for n in range(10):
            for chat in chats:
                text = f"q{n} from {chat}"
                fake.message(chat, text if chat > 0 else f"/ask {text}", user_id=abs(chat))
        await fake.wait_for(lambda: len(fake.texts()) >= 200, timeout=40)
        await asyncio.sleep(0.3)  # anything extra (a duplicate) would show up now
        assert len(svc(app).locks) == 0  # per-chat locks are released and dropped
    assert time.monotonic() - start < 40
    assert len(fake.texts()) == 200
    for chat in chats:
        got = [text.split(" [1]")[0] for text in fake.texts(chat)]
        assert got == [f"• Answer to: q{n} from {chat}" for n in range(10)], chat


async def test_scheduled_briefing_survives_a_restart(
    fake: FakeTelegram,
    tmp_path: Path,
    assistant: FakeAssistant,
) -> None:
    # A fake clock: first it is 09:00 UTC; a meeting at 18:00 Shanghai (10:00 UTC) posts its
    # briefing at 09:50. While the bot is down, the clock jumps to 09:49:59.
    real_start = time.time()
    fake_now = [(real_start // 86400) * 86400 + 9 * 3600]

    def clock() -> float:
        return fake_now[0] + (time.time() - real_start)

    settings = make_settings(tmp_path, fake.base_url)
    async with running_bot(settings, assistant, clock=clock) as app:
        fake.message(42, "/timezone Asia/Shanghai")
        fake.message(42, "/meeting 18:00 Nimbus voice room")
        await fake.wait_for(lambda: len(fake.texts(42)) == 2)
        assert len(svc(app).state.meetings()) == 1
    assert "Scheduled" in fake.texts(42)[1] and "18:00 (Asia/Shanghai)" in fake.texts(42)[1]
    assert not any(call[0] == "brief" for call in assistant.calls)
    fake_now[0] += 49 * 60 + 59 - (time.time() - real_start)  # now 09:49:59

    async with running_bot(settings, assistant, clock=clock) as app:
        await fake.wait_for(lambda: len(fake.texts(42)) == 3, timeout=10)
        await fake.wait_for(lambda: not svc(app).state.meetings())
    posted = fake.sent("sendMessage", 42)[-1].params
    assert "starts in about 10 minutes" in posted["text"]
    assert "<b>What matters for Nimbus voice room</b>" in posted["text"]
    assert ("brief", "Nimbus voice room", ()) in assistant.calls
    assert any("Full briefing" in str(b) for b in posted["reply_markup"]["inline_keyboard"])


async def test_meetings_list_cancel_and_invalid_input(
    fake: FakeTelegram,
    tmp_path: Path,
    assistant: FakeAssistant,
) -> None:
    # Hours ahead in UTC (the default zone), whatever the time of day the suite runs at: a
    # meeting minutes away would be briefed at once instead of scheduled.
    later = (datetime.now(UTC) + timedelta(hours=3)).strftime("%H:%M")
    async with running_bot(make_settings(tmp_path, fake.base_url), assistant) as app:
        for text in (
            "/meeting 25:00 Nimbus",
            "/meeting soon Nimbus",
            "/meeting 15:30",
            "/timezone Mars/Olympus",
            f"/meeting {later} Zephyr pricing",
            "/meetings",
        ):
            fake.message(42, text)
        await fake.wait_for(lambda: len(fake.texts(42)) == 6)
        bad_hour, bad_word, no_topic, bad_zone, ok, listing = fake.texts(42)
        assert listing == "Scheduled briefings (tap to cancel):"
        assert "“25:00” is not a time I understand" in bad_hour
        assert "/meeting 15:30 ZEGOCLOUD voice room" in bad_hour
        assert "“soon”" in bad_word
        assert "Please give a time and a topic" in no_topic
        assert "“Mars/Olympus” is not a time zone" in bad_zone
        assert "Scheduled" in ok
        keyboard = fake.sent("sendMessage", 42)[-1].params["reply_markup"]["inline_keyboard"]
        (button,) = [b for row in keyboard for b in row]
        assert "Zephyr pricing" in button["text"]
        meeting_id = svc(app).state.meetings()[0].id
        assert app.job_queue.get_jobs_by_name(f"meeting:{meeting_id}")
        fake.push(
            {
                "callback_query": {
                    "id": "c1",
                    "chat_instance": "x",
                    "data": button["callback_data"],
                    "from": {"id": 42, "is_bot": False, "first_name": "Ann"},
                    "message": {
                        "message_id": 5,
                        "date": 0,
                        "chat": {"id": 42, "type": "private"},
                        "text": "list",
                    },
                }
            }
        )
        await fake.wait_for(lambda: bool(fake.sent("answerCallbackQuery")))
        await fake.wait_for(lambda: bool(fake.sent("editMessageText")))
        assert svc(app).state.meetings() == []
        await asyncio.sleep(0.05)
        assert not app.job_queue.get_jobs_by_name(f"meeting:{meeting_id}")
    assert "Cancelled" in fake.sent("answerCallbackQuery")[0].params["text"]


async def test_html_telegram_rejects_is_resent_as_plain_text(
    fake: FakeTelegram,
    tmp_path: Path,
    assistant: FakeAssistant,
) -> None:
    fake.fail("sendMessage", "bad_request")
    async with running_bot(make_settings(tmp_path, fake.base_url), assistant):
        fake.message(42, "a <tricky> one")
        await fake.wait_for(lambda: len(fake.texts(42)) == 1)
    sent = fake.sent("sendMessage", 42)[0].params
    assert "parse_mode" not in sent
    assert sent["text"].startswith("• Answer to: a <tricky> one [1]\n• Use <b>less</b>")


class StreamingAssistant(FakeAssistant):
    """An LLM-like assistant: a few words at a time, then the validated answer."""

    streams = True

    def stream(self, question: str, history: Any = (), lang: Any = None) -> Any:
        from knowledge.api import StreamEvent

        for word in ("Voice", " rooms", " need", " echo", " cancellation"):
            time.sleep(0.4)
            yield StreamEvent(delta=word)
        yield StreamEvent(answer=self.ask(question, history, lang))


async def test_llm_answers_stream_into_one_edited_message(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, fake.base_url)
    assistant = StreamingAssistant()
    async with running_bot(settings, assistant) as app:
        fake.message(42, "What matters for a voice room?")
        await fake.wait_for(
            lambda: any("reply_markup" in c.params for c in fake.sent("editMessageText", 42)),
            timeout=20,
        )
        sends = fake.sent("sendMessage", 42)
        edits = fake.sent("editMessageText", 42)
        # One message: sent with the first words, then edited, at most about once a second.
        assert len(sends) == 1
        assert sends[0].params["text"].endswith("…")
        assert edits[-1].params["parse_mode"] == "HTML"
        assert edits[-1].params["text"].startswith("• Answer to: What matters for a voice room?")
        times = [call.at for call in [*sends, *edits]]
        assert all(b - a >= 0.9 for a, b in itertools.pairwise(times))
        # The streamed answer is remembered like any other: follow-ups see it.
        key = ConversationKey(42, 0, 0)
        assert svc(app).state.history(key, 600)[-1].question == "What matters for a voice room?"
