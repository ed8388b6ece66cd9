"""Telegram I/O: building the Application, handlers, sending, webhook, scheduled jobs."""
