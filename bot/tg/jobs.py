"""Scheduled briefings on PTB's JobQueue; meetings live in SQLite and are re-armed at start-up."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from telegram.ext import Application, ContextTypes

from bot.state import Meeting
from bot.tg.sending import Target
from bot.tg.services import SERVICES_KEY, Services, services

log = logging.getLogger(__name__)

# A briefing whose meeting started longer ago than this (the bot was down) is dropped.
MISSED_GRACE_SECONDS = 5 * 60


def _job_name(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


class JobQueueScheduler:
    """The conversation core's Scheduler, backed by the Application's JobQueue."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.application = application
        self._clock = clock

    def arm(self, meeting: Meeting) -> None:
        """Post the briefing at `post_at` (now, if that has passed)."""
        job_queue = self.application.job_queue
        if job_queue is None:  # PTB installed without the job-queue extra
            log.error("no JobQueue: the briefing for meeting %s cannot be scheduled", meeting.id)
            return
        delay = max(0.0, meeting.post_at - self._clock())
        job_queue.run_once(
            post_meeting_briefing,
            when=delay,
            data=meeting.id,
            name=_job_name(meeting.id),
            chat_id=meeting.chat_id,
        )

    def disarm(self, meeting_id: int) -> None:
        """Remove a cancelled meeting's timer."""
        job_queue = self.application.job_queue
        if job_queue is None:
            return
        for job in job_queue.get_jobs_by_name(_job_name(meeting_id)):
            job.schedule_removal()

    def rearm_all(self) -> int:
        """At start-up: arm every stored meeting; drop those long past. Returns how many armed."""
        state = services_of(self.application).state
        now = self._clock()
        armed = 0
        for meeting in state.meetings():
            if meeting.meeting_at < now - MISSED_GRACE_SECONDS:
                log.info(
                    "dropping the briefing of meeting %s: it started while the bot was down",
                    meeting.id,
                )
                state.remove_meeting(meeting.id)
                continue
            self.arm(meeting)
            armed += 1
        return armed


def services_of(application: Application) -> Services:  # type: ignore[type-arg]
    """The Services of an application (outside a handler)."""
    return application.bot_data[SERVICES_KEY]


async def post_meeting_briefing(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Job: post a meeting's briefing to its chat, then forget the meeting."""
    job = context.job
    if job is None or not isinstance(job.data, int):
        return
    svc = services(context)
    meeting = svc.state.get_meeting(job.data)
    if meeting is None:  # cancelled
        return
    try:
        target = Target(meeting.chat_id, meeting.thread_id or None)
        async with svc.locks.hold(meeting.chat_id):
            reply = await svc.conversation.meeting_briefing(meeting)
            await svc.sender.send_reply(target, reply)
    finally:
        # Posted, or failed and reported by the error handler: either way it is done.
        svc.state.remove_meeting(meeting.id)
