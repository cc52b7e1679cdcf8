"""The Telegram bot: patients call a doctor home, are stopped when it is an emergency, hear back."""
