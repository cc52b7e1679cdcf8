"""ASGI entry point for uvicorn (`dispatcher.asgi:app --factory`)."""

from __future__ import annotations

from fastapi import FastAPI

from dispatcher.app import create_app
from dispatcher.heap import freeze_startup_objects
from dispatcher.logs import configure_logging
from dispatcher.settings import Settings


def app() -> FastAPI:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    application = create_app(settings)
    freeze_startup_objects()
    return application
