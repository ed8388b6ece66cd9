"""The durable queue: a question leaves the inbox with the queuing of its reply, replays are
bounded, replies keep their order and their progress part by part."""

from __future__ import annotations

from pathlib import Path

from bot.outbox import MAX_REPLAYS, DeliveryQueue


def test_queuing_the_reply_answers_the_question_in_the_same_step(tmp_path: Path) -> None:
    queue = DeliveryQueue(tmp_path / "q.sqlite3")
    assert queue.received(7, '{"update_id": 7}')
    assert not queue.received(7, '{"update_id": 7}')  # a second copy in the same run
    item = queue.enqueue(chat_id=1, thread_id=None, reply_to=None, parts=["a", "b"], update_id=7)
    queue.close()
    reopened = DeliveryQueue(tmp_path / "q.sqlite3")
    assert reopened.unanswered() == ([], 0)
    assert [i.id for i in reopened.pending()] == [item.id]
    reopened.part_sent(item, 1)
    assert reopened.pending()[0].sent_parts == 1
    reopened.part_sent(item, 2)
    assert reopened.pending() == []
    reopened.close()


def test_an_unanswered_question_is_replayed_a_bounded_number_of_times(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    queue = DeliveryQueue(path)
    queue.received(9, '{"update_id": 9}')
    queue.close()
    for _ in range(MAX_REPLAYS):
        queue = DeliveryQueue(path)  # a new process run each time
        received, dropped = queue.unanswered()
        assert [r.update_id for r in received] == [9] and dropped == 0
        assert queue.received(9, received[0].payload)  # the handler takes it once per run
        queue.close()
    queue = DeliveryQueue(path)
    assert queue.unanswered() == ([], 1)
    queue.close()


def test_too_old_questions_are_dropped_and_order_is_per_chat(tmp_path: Path) -> None:
    now = [1000.0]
    queue = DeliveryQueue(tmp_path / "q.sqlite3", clock=lambda: now[0])
    queue.received(1, "{}")
    first = queue.enqueue(chat_id=5, thread_id=None, reply_to=None, parts=["1"])
    second = queue.enqueue(chat_id=5, thread_id=3, reply_to=8, parts=["2"])
    other = queue.enqueue(chat_id=6, thread_id=None, reply_to=None, parts=["x"])
    assert not queue.waiting_before(first) and queue.waiting_before(second)
    assert not queue.waiting_before(other)
    assert (second.thread_id, second.reply_to) == (3, 8)
    now[0] += 3600
    assert queue.unanswered(max_age=900) == ([], 1)
    queue.close()
