"""Replies continue the replied-to answer for anyone; captions are questions; other media get
one line; votes show on the buttons; /sources finds the last answer that had sources."""

from __future__ import annotations

from knowledge.api import Answer
from tests.bot.fake_telegram import BOT_ID
from tests.bot.support import Harness

GROUP = -1007001


def _buttons(call_params: dict) -> list[str]:
    return [b["text"] for row in call_params["reply_markup"]["inline_keyboard"] for b in row]


async def test_a_reply_by_another_member_continues_the_replied_to_topic(harness: Harness) -> None:
    await harness.message(GROUP, "/ask how do vendors price concurrent viewers?", user_id=1)
    answer_to_ann = harness.api.sent("sendMessage", GROUP)[-1]
    await harness.message(GROUP, "/ask what about echo cancellation?", user_id=2)
    # Carol replies to the bot's answer to Ann (not to Bob's, not her own history).
    await harness.message(
        GROUP,
        "and how is that measured?",
        user_id=3,
        reply_to=harness.api.reply_to_bot(answer_to_ann, answer_to_ann.result["message_id"]),
    )
    kind, question, history = harness.assistant.calls[-1]
    assert (kind, question) == ("ask", "and how is that measured?")
    assert [turn.question for turn in history] == ["how do vendors price concurrent viewers?"]
    assert "Answer to: how do vendors price" in history[0].answer
    reply = harness.api.sent("sendMessage", GROUP)[-1]
    assert reply.params["text"].startswith("• Answer to: and how is that measured?")


async def test_a_reply_in_a_forum_topic_is_answered_in_that_topic(harness: Harness) -> None:
    await harness.message(GROUP, "/ask first in topic 9", thread_id=9, user_id=1)
    first = harness.api.sent("sendMessage", GROUP)[-1]
    replied = harness.api.reply_to_bot(first, first.result["message_id"])
    replied["message_thread_id"] = 9
    await harness.message(GROUP, "why?", user_id=2, thread_id=9, reply_to=replied)
    assert harness.api.sent("sendMessage", GROUP)[-1].params["message_thread_id"] == 9
    assert [t.question for t in harness.assistant.calls[-1][2]] == ["first in topic 9"]


async def test_a_captioned_photo_is_answered(harness: Harness) -> None:
    await harness.message(42, "", media="photo", caption="Which latency does this chart show?")
    assert harness.assistant.calls[-1][1] == "Which latency does this chart show?"
    assert harness.api.texts(42)[-1].startswith("• Answer to: Which latency")


async def test_a_captioned_photo_in_a_group_needs_a_mention(harness: Harness) -> None:
    await harness.message(GROUP, "", media="photo", caption="our office")
    assert harness.api.texts(GROUP) == []
    caption = "@selection_bot what is this codec?"
    await harness.message(
        GROUP,
        "",
        media="photo",
        caption=caption,
        extra={"caption_entities": [{"type": "mention", "offset": 0, "length": 14}]},
    )
    assert harness.assistant.calls[-1][1] == "what is this codec?"


async def test_voice_sticker_and_bare_photo_get_one_line(harness: Harness) -> None:
    for kind in ("voice", "sticker", "photo"):
        await harness.message(42, "", media=kind)
    texts = harness.api.texts(42)
    assert len(texts) == 3 and all("text" in text and len(text) < 200 for text in texts)
    assert harness.assistant.calls == []


async def test_media_in_a_group_is_ignored_unless_it_replies_to_the_bot(harness: Harness) -> None:
    await harness.message(GROUP, "", media="voice")
    assert harness.api.texts(GROUP) == []
    bot_message = {
        "message_id": 5,
        "date": 0,
        "chat": {"id": GROUP, "type": "supergroup"},
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bot"},
        "text": "an answer",
    }
    await harness.message(GROUP, "", media="voice", reply_to=bot_message)
    assert len(harness.api.texts(GROUP)) == 1


async def test_votes_show_on_the_buttons(harness: Harness) -> None:
    await harness.message(42, "a question")
    sent = harness.api.sent("sendMessage", 42)[-1]
    assert "👍" in _buttons(sent.params)
    callback = sent.params["reply_markup"]["inline_keyboard"][0][1]["callback_data"]
    press = {
        "id": "cb1",
        "from": {"id": 42, "is_bot": False, "first_name": "Ann"},
        "chat_instance": "x",
        "data": callback,
        "message": {**sent.result, "chat": {"id": 42, "type": "private"}},
    }
    await harness.send(harness.api.push({"callback_query": press}))
    edit = harness.api.sent("editMessageReplyMarkup")[-1]
    assert "👍 1" in _buttons(edit.params) and "👎" in _buttons(edit.params)
    # The same vote again leaves the buttons as they are: Telegram refuses the edit, quietly.
    harness.api.fail("editMessageReplyMarkup", "bad_request")
    await harness.send(harness.api.push({"callback_query": {**press, "id": "cb2"}}))
    assert "Sorry" not in " ".join(harness.api.texts(42))


async def test_sources_shows_the_last_answer_that_had_sources(harness: Harness) -> None:
    await harness.message(42, "cited question")
    harness.assistant.answer_override = Answer(text="I don't know.", abstained=True)
    await harness.message(42, "an abstained question")
    await harness.message(42, "/sources")
    last = harness.api.texts(42)[-1]
    assert "<blockquote>" in last and "99.9% SLA" in last
