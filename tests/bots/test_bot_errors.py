"""What the bot logs of a failure: where it happened, never the values in the message."""

from __future__ import annotations

from bots.errors import scrubbed

SECRETS = ("+79001234567", "7716613186091393", "боль в груди")


def _fail() -> None:
    raise ValueError(f"phone {SECRETS[0]}, policy {SECRETS[1]}, жалобы: {SECRETS[2]}")


def test_bot_error_log_keeps_the_stack_and_withholds_the_message() -> None:
    try:
        _fail()
    except ValueError as exc:
        text = scrubbed(exc)
    assert text.startswith("ValueError (message withheld)")
    assert "in _fail" in text and "test_bot_errors.py" in text
    for secret in SECRETS:
        assert secret not in text
