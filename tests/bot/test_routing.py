"""Routing: private chats answer everything; groups only /ask, /ask@bot, @mentions, replies."""

from __future__ import annotations

from tests.bot.fake_telegram import BOT_ID, BOT_USER, BOT_USERNAME
from tests.bot.fakes import FakeAssistant
from tests.bot.support import Harness

GROUP = -4001


def questions(assistant: FakeAssistant) -> list[str]:
    return [call[1] for call in assistant.calls if call[0] == "ask"]


async def test_private_text_is_a_question_and_gets_an_unquoted_reply(harness: Harness) -> None:
    await harness.message(42, "What latency for a voice room?")
    assert questions(harness.assistant) == ["What latency for a voice room?"]
    sent = harness.api.sent("sendMessage", 42)
    assert len(sent) == 1
    assert sent[0].params["parse_mode"] == "HTML"
    assert "reply_parameters" not in sent[0].params
    assert harness.api.sent("sendChatAction", 42)  # typing indicator


async def test_group_answers_ask_ask_at_bot_mentions_and_replies(harness: Harness) -> None:
    await harness.message(GROUP, "/ask plain command")
    await harness.message(GROUP, f"/ask@{BOT_USERNAME} addressed command")
    mention = f"@{BOT_USERNAME} what about jitter?"
    await harness.message(
        GROUP, mention, entities=[{"type": "mention", "offset": 0, "length": len(BOT_USERNAME) + 1}]
    )
    bot_message = {
        "message_id": 7,
        "date": 0,
        "chat": {"id": GROUP, "type": "group"},
        "from": BOT_USER,
        "text": "an earlier answer",
    }
    await harness.message(GROUP, "and for 1v1 video?", reply_to=bot_message)
    assert questions(harness.assistant) == [
        "plain command",
        "addressed command",
        "what about jitter?",
        "and for 1v1 video?",
    ]
    for call in harness.api.sent("sendMessage", GROUP):
        # Replies quote the asking message in groups.
        assert call.params["reply_parameters"]["message_id"] > 0


async def test_group_ignores_chatter_other_bots_and_their_commands(harness: Harness) -> None:
    await harness.message(GROUP, "just chatting about lunch")
    await harness.message(GROUP, "/ask@other_bot not for us")
    await harness.message(GROUP, "/weather for another bot")
    await harness.message(
        GROUP, "@someone_else hi", entities=[{"type": "mention", "offset": 0, "length": 13}]
    )
    other = {
        "message_id": 8,
        "date": 0,
        "chat": {"id": GROUP, "type": "group"},
        "from": {"id": 5, "is_bot": False, "first_name": "Bob"},
        "text": "hi",
    }
    await harness.message(GROUP, "replying to Bob", reply_to=other)
    await harness.message(GROUP, "/ask from a bot", is_bot=True)
    await harness.message(42, "a bot in private", is_bot=True)
    assert harness.assistant.calls == []
    assert harness.api.sent("sendMessage") == []


async def test_text_mention_of_the_bot_counts(harness: Harness) -> None:
    await harness.message(
        GROUP,
        "Assistant, what about SLA?",
        entities=[
            {
                "type": "text_mention",
                "offset": 0,
                "length": 9,
                "user": {"id": BOT_ID, "is_bot": True, "first_name": "Assistant"},
            }
        ],
    )
    assert questions(harness.assistant) == ["what about SLA?"]


async def test_forum_topic_replies_stay_in_the_topic_and_keep_their_own_context(
    harness: Harness,
) -> None:
    forum = -1009001
    await harness.message(forum, "/ask first in topic 5", thread_id=5)
    await harness.message(forum, "/ask first in topic 6", thread_id=6)
    await harness.message(forum, "/ask second in topic 5", thread_id=5)
    sent = harness.api.sent("sendMessage", forum)
    assert [c.params["message_thread_id"] for c in sent] == [5, 6, 5]
    last_history = harness.assistant.calls[-1][2]
    assert [turn.question for turn in last_history] == ["first in topic 5"]


async def test_start_and_help_answer_in_the_users_language(harness: Harness) -> None:
    await harness.message(42, "/start", language_code="zh-hans")
    await harness.message(43, "/help", language_code="en")
    await harness.message(44, "延迟多少合适？", language_code="en")
    zh, en, _ = harness.api.texts()
    assert "实时音视频" in zh
    assert "real-time audio/video" in en
    assert harness.assistant.calls[-1][1] == "延迟多少合适？"


async def test_unknown_command_in_private_points_to_help(harness: Harness) -> None:
    await harness.message(42, "/frobnicate")
    assert "/help" in harness.api.texts(42)[0]
