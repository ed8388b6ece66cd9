"""Behaviours of the bot through PTB's real update processing on a recording request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.commands import help_text, menu
from bot.conversation import Conversation, Incoming
from bot.ratelimit import RateLimiter
from bot.state import BotState
from bot.uploads import UploadRejected, caption_vendor
from knowledge.api import MAX_QUESTION_CHARS, StoreUnavailable
from tests.bot.fake_telegram import Call
from tests.bot.fakes import FakeAssistant
from tests.bot.support import Harness, svc

GROUP = -4001


def callback_update(
    data: str, chat_id: int, user_id: int = 42, message_id: int = 1000
) -> dict[str, Any]:
    """A button press on one of the bot's messages."""
    return {
        "update_id": 1,
        "callback_query": {
            "id": f"cb-{data}",
            "chat_instance": "ci",
            "data": data,
            "from": {"id": user_id, "is_bot": False, "first_name": "Ann", "language_code": "en"},
            "message": {
                "message_id": message_id,
                "date": 0,
                "text": "answer",
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            },
        },
    }


def buttons(call: Call) -> list[tuple[str, str]]:
    """(label, callback_data) of the inline keyboard of a sent message."""
    rows = call.params.get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


async def test_hostile_question_and_answer_are_escaped_in_what_is_sent(harness: Harness) -> None:
    await harness.message(42, "is <b>this</b> & <i>that ok?")
    text = harness.api.texts(42)[0]
    assert "Answer to: is &lt;b&gt;this&lt;/b&gt; &amp; &lt;i&gt;that ok? [1]" in text
    assert "Use &lt;b&gt;less&lt;/b&gt; than 200 ms &amp; test it [2]" in text
    assert "<b>Sources</b>" in text
    assert "[1] <a href=" in text and "Latency &amp; &lt;b&gt;jitter" in text


async def test_a_mixed_question_is_answered_in_its_main_language_on_telegram(
    harness: Harness,
) -> None:
    await harness.message(42, "What latency should a 语聊房 target?", language_code="zh")
    await harness.message(42, "语聊房的 latency 应该做到多少？", language_code="en")
    english, chinese = harness.api.texts(42)[:2]
    assert "<b>Sources</b>" in english and "出处" not in english
    assert "<b>出处</b>" in chinese and "Sources" not in chinese
    assert [call[0] for call in harness.assistant.calls] == ["ask", "ask"]


async def test_answer_buttons_quotes_and_feedback_stored(harness: Harness) -> None:
    await harness.message(42, "what latency?")
    sent = harness.api.sent("sendMessage", 42)[0]
    labels = buttons(sent)
    assert [label for label, _ in labels] == ["Quotes", "👍", "👎"]
    quotes, up, down = (data for _, data in labels)

    await harness.send(callback_update(quotes, 42))
    quoted = harness.api.texts(42)[-1]
    assert "<blockquote>Keep it &lt; 200 ms &amp; never &lt;script&gt;" in quoted

    await harness.send(callback_update(up, 42, user_id=42))
    await harness.send(callback_update(down, 42, user_id=43))
    await harness.send(callback_update(down, 42, user_id=42))  # changes their vote
    votes = sorted((v.user_id, v.vote) for v in harness.state.votes())
    assert votes == [(42, -1), (43, -1)]
    vote = harness.state.votes()[0]
    assert vote.question == "what latency?" and vote.answer.startswith("• Answer to: what latency?")
    assert vote.chat_id == 42 and vote.at > 0
    acks = [c.params.get("text") for c in harness.api.sent("answerCallbackQuery")]
    assert acks.count("Thanks for the feedback!") == 3


async def test_sources_reset_and_follow_up_context(harness: Harness) -> None:
    await harness.message(42, "/sources")
    assert "no earlier answer" in harness.api.texts(42)[-1]
    await harness.message(42, "first question")
    await harness.message(42, "a follow-up")
    assert [t.question for t in harness.assistant.calls[-1][2]] == ["first question"]
    await harness.message(42, "/sources")
    assert "<blockquote>" in harness.api.texts(42)[-1]
    await harness.message(42, "/reset")
    await harness.message(42, "fresh start")
    assert harness.assistant.calls[-1][2] == ()


async def test_group_context_is_shared_by_the_thread(harness: Harness) -> None:
    await harness.message(GROUP, "/ask from ann", user_id=1)
    await harness.message(GROUP, "/ask from bob", user_id=2)
    await harness.message(GROUP, "/ask ann again", user_id=1)
    assert [t.question for t in harness.assistant.calls[-1][2]] == ["from ann", "from bob"]


async def test_context_expires(tmp_path: Path, assistant: FakeAssistant) -> None:
    now = [1_000_000.0]
    state = BotState(tmp_path / "s.sqlite3", clock=lambda: now[0])
    conversation = Conversation(assistant, state, context_ttl=1800, clock=lambda: now[0])
    await conversation.handle(Incoming(1, 1, "ask", "old question"))
    now[0] += 1799
    await conversation.handle(Incoming(1, 1, "ask", "within the window"))
    assert [t.question for t in assistant.calls[-1][2]] == ["old question"]
    now[0] += 1801
    await conversation.handle(Incoming(1, 1, "ask", "much later"))
    assert assistant.calls[-1][2] == ()
    state.close()


async def test_too_long_and_empty_questions_get_a_clear_message(harness: Harness) -> None:
    await harness.message(42, "x" * (MAX_QUESTION_CHARS + 1))
    assert f"under {MAX_QUESTION_CHARS}" in harness.api.texts(42)[-1]
    await harness.message(42, "/ask")
    assert "Please add your question" in harness.api.texts(42)[-1]
    assert harness.assistant.calls == []


async def test_rate_limit_per_user(tmp_path: Path, assistant: FakeAssistant) -> None:
    conversation = Conversation(
        assistant,
        BotState(tmp_path / "s.sqlite3"),
        limiter=RateLimiter(max_events=2, per_seconds=60),
    )
    for _ in range(2):
        assert (await conversation.handle(Incoming(1, 1, "ask", "q"))).answer is not None
    limited = await conversation.handle(Incoming(1, 1, "ask", "q"))
    assert limited.answer is None and "please wait" in limited.notice
    other_user = await conversation.handle(Incoming(1, 2, "ask", "q"))
    assert other_user.answer is not None
    help_still_works = await conversation.handle(Incoming(1, 1, "help"))
    assert "Commands" in help_still_works.notice


async def test_store_unavailable_gets_the_friendly_message_and_the_bot_goes_on(
    harness: Harness,
) -> None:
    harness.assistant.error = StoreUnavailable(detail="connection refused to 10.0.0.5:8000")
    await harness.message(42, "anything?")
    text = harness.api.texts(42)[-1]
    assert text == "The knowledge base is unavailable right now, try again in a minute."
    harness.assistant.error = None
    await harness.message(42, "and now?")
    assert harness.api.texts(42)[-1].startswith("• Answer to: and now?")


async def test_an_unexpected_error_is_logged_and_the_user_told(
    harness: Harness, caplog: Any
) -> None:
    harness.assistant.error = RuntimeError("boom")
    await harness.message(GROUP, "/ask will this crash?")
    text = harness.api.texts(GROUP)[-1]
    assert text == "Sorry, something went wrong while answering. Please try again."
    assert any("boom" in (r.exc_text or "") or r.exc_info for r in caplog.records)


async def test_brief_has_a_full_briefing_button_that_sends_the_document(harness: Harness) -> None:
    await harness.message(42, "/brief Nimbus <voice> room")
    sent = harness.api.sent("sendMessage", 42)[-1]
    assert "<b>What matters for Nimbus &lt;voice&gt; room</b>" in sent.params["text"]
    assert "• Latency under 200 ms [1]" in sent.params["text"]
    labels = dict(buttons(sent))
    assert "Full briefing" in labels
    await harness.send(callback_update(labels["Full briefing"], 42))
    documents = harness.api.sent("sendDocument", 42)
    assert len(documents) == 1
    name, data = documents[0].files["document"]
    assert name == "briefing.md" and b"# Briefing: Nimbus <voice> room" in data


async def test_compare_sends_blocks_and_markdown_and_csv(harness: Harness) -> None:
    await harness.message(42, "/compare Nimbus vs Zephyr")
    assert harness.assistant.calls[-1][:2] == ("compare", ("Nimbus", "Zephyr"))
    sent = harness.api.sent("sendMessage", 42)[-1]
    assert "<b>Latency</b>" in sent.params["text"]
    labels = dict(buttons(sent))
    await harness.send(callback_update(labels["Full table"], 42))
    names = [c.files["document"][0] for c in harness.api.sent("sendDocument", 42)]
    assert names == ["comparison.md", "comparison.csv"]
    await harness.message(42, "/compare Nimbus Nobody")
    assert "Closest: Nimbus, Zephyr" in harness.api.texts(42)[-1]
    await harness.message(42, "/compare Nimbus")
    assert "two or three vendors" in harness.api.texts(42)[-1]


async def test_vendors_lists_the_stores_vendors_in_the_users_language(harness: Harness) -> None:
    await harness.message(42, "/vendors")
    assert harness.assistant.calls[-1][0] == "vendors"
    text = harness.api.texts(42)[-1]
    assert "Vendors in the knowledge base" in text
    assert "Nimbus" in text and "2 documents, 14 chunks (en/zh)" in text and "雨云" in text
    assert "Zephyr &lt;b&gt;" in harness.api.sent("sendMessage", 42)[-1].params["text"]
    assert ("vendors", "知识库里的厂商") in menu("zh") and "/vendors" in help_text("en")


async def test_allow_list_refuses_other_chats_politely(
    tmp_path: Path, assistant: FakeAssistant
) -> None:
    async with Harness(tmp_path, assistant, bot_allowed_chats=[42, GROUP]) as h:
        await h.message(42, "allowed?")
        await h.message(77, "not allowed?")
        await h.message(-999, "group chatter")  # not addressed: silence, not a refusal
        await h.message(-999, "/ask please")
    assert [c[1] for c in assistant.calls] == ["allowed?"]
    assert h.api.texts(77) == [
        "Sorry, this bot is private to its team and not available in this chat."
    ]
    assert len(h.api.texts(-999)) == 1


def document_message(
    h: Harness, chat_id: int, user_id: int, data: bytes, name: str = "report <1>.md"
) -> dict[str, Any]:
    h.api.files["file-1"] = data
    return h.api.message(
        chat_id,
        "",
        user_id=user_id,
        document={
            "file_id": "file-1",
            "file_unique_id": "u1",
            "file_name": name,
            "file_size": len(data),
        },
    )


async def test_admin_upload_shows_progress_and_result(
    tmp_path: Path, assistant: FakeAssistant
) -> None:
    received: list[tuple[bytes, str]] = []

    class Result:
        status = "added"
        chunks = 7
        source = "uploads/report.md"

    def uploader(data: bytes, filename: str) -> Result:
        received.append((data, filename))
        if filename.endswith(".exe"):
            raise UploadRejected("unsupported file type .exe")
        return Result()

    async with Harness(tmp_path, assistant, bot_admins=[42]) as h:
        svc(h.app).conversation.uploader = uploader
        await h.send(document_message(h, 42, 42, b"# Report\nfacts"))
        assert received == [(b"# Report\nfacts", "report <1>.md")]
        assert h.api.texts(42) == ["Adding report &lt;1&gt;.md to the knowledge base…"]
        edit = h.api.sent("editMessageText")[-1]
        assert edit.params["text"] == "Added report &lt;1&gt;.md: 7 passages are now searchable."

        await h.send(document_message(h, 42, 42, b"MZ", name="tool.exe"))
        assert h.api.sent("editMessageText")[-1].params["text"] == (
            "Could not add tool.exe: unsupported file type .exe"
        )

        await h.send(document_message(h, 43, 43, b"not an admin"))
        assert h.api.texts(43) == ["Only the bot's admins can add documents to the knowledge base."]
        assert len(received) == 2
        # In a group, a document nobody addressed to the bot is none of its business.
        await h.send(document_message(h, GROUP, 42, b"shared file"))
        assert h.api.texts(GROUP) == [] and len(received) == 2


def test_an_upload_caption_names_the_vendor_only_in_the_vendor_form() -> None:
    assert caption_vendor("vendor: Skylark  Cloud") == "Skylark Cloud"
    assert caption_vendor("@selection_bot Vendor:Skylark") == "Skylark"
    assert caption_vendor("厂商：鹊桥音视频") == "鹊桥音视频"
    assert caption_vendor("here is the product sheet") == ""
    assert caption_vendor("") == ""


async def test_an_admins_caption_marks_the_upload_as_that_vendors(
    tmp_path: Path, assistant: FakeAssistant
) -> None:
    received: list[tuple[object, ...]] = []

    class Result:
        status = "added"
        chunks = 3
        source = "uploads/sheet.html"

    def uploader(*arguments: object) -> Result:
        received.append(arguments)
        return Result()

    async with Harness(tmp_path, assistant, bot_admins=[42]) as h:
        svc(h.app).conversation.uploader = uploader
        message = document_message(h, 42, 42, b"<p>sheet</p>", name="sheet.html")
        message["message"]["caption"] = "vendor: Skylark Cloud"
        await h.send(message)
    assert received == [(b"<p>sheet</p>", "sheet.html", "Skylark Cloud")]


async def test_inline_query_offers_the_answer(harness: Harness) -> None:
    svc(harness.app).inline_debounce = 0
    await harness.send(
        {
            "update_id": 9,
            "inline_query": {
                "id": "iq1",
                "offset": "",
                "query": "latency <target>?",
                "from": {"id": 42, "is_bot": False, "first_name": "Ann", "language_code": "en"},
            },
        }
    )
    answered = harness.api.sent("answerInlineQuery")[-1]
    result = answered.params["results"][0]
    assert result["type"] == "article"
    content = result["input_message_content"]
    assert content["parse_mode"] == "HTML"
    assert "Answer to: latency &lt;target&gt;? [1]" in content["message_text"]
    # Inline answers are not part of the private conversation's memory.
    await harness.message(42, "next")
    assert harness.assistant.calls[-1][2] == ()


async def test_an_answer_that_takes_too_long_gets_a_message(tmp_path: Path) -> None:
    slow = FakeAssistant(delay=(0.5, 0.5))
    conversation = Conversation(slow, BotState(tmp_path / "s.sqlite3"), answer_timeout=0.1)
    reply = await conversation.handle(Incoming(1, 1, "ask", "slow?"))
    assert reply.notice == "That took too long to answer; please try again in a moment."
