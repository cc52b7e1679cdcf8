"""What counts as an answer typed into a dialog step: not a command, not a menu button."""

from __future__ import annotations

from aiogram import F

from bots.texts import MENU_BUTTONS

TYPED = F.text & ~F.text.startswith("/") & ~F.text.in_(MENU_BUTTONS)
