"""Logging set-up: every record passes a filter that masks phones and policies."""

from __future__ import annotations

import json
import logging
import re
import sys

_PHONE = re.compile(
    r"(?<!\d)(\+?[78])?[\s(-]*(\d{3})[\s)-]*(\d{3})[\s-]*(\d{2})[\s-]*(\d{2})(?!\d)"
)
_POLICY = re.compile(r"(?<!\d)\d{12}(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    """Hide 16-digit policies and phone numbers in free text."""
    text = _POLICY.sub(lambda m: "************" + m.group(1), text)
    return _PHONE.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}***{m.group(4)}{m.group(5)}", text)


class PiiFilter(logging.Filter):
    """Masks personal data in the final message, whatever the caller passed."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(level: str = "INFO", as_json: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(PiiFilter())
    if as_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "rq.worker"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
