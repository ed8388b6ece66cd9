"""People ↔ answers: the Telegram bot and the console chat, sharing one conversation core."""
