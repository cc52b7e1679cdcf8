"""The web process and the worker leave what start-up built out of the garbage collector's walks
(`gc.freeze`): a full collection then walks only what was made since."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from dispatcher import asgi
from dispatcher.heap import freeze_startup_objects
from dispatcher.settings import Settings


@pytest.fixture
def thawed() -> Iterator[None]:
    """The test process's heap is given back to the collector afterwards."""
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()


def test_freezing_keeps_what_lives_and_leaves_garbage_out(thawed: None) -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self  # a cycle: only the collector frees it

    kept = Node()
    Node()  # garbage already
    frozen = freeze_startup_objects()
    assert frozen == gc.get_freeze_count() > 0
    assert not any(type(o) is Node and o is not kept for o in gc.get_objects())
    assert gc.is_tracked(kept)
    assert not any(o is kept for o in gc.get_objects())  # frozen: no collection walks it


def test_the_web_process_factory_freezes_its_startup_heap(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, thawed: None
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REDIS_URL", str(settings.redis_url))
    application = asgi.app()  # what uvicorn calls before it serves
    assert gc.get_freeze_count() > 0
    assert not any(o is application.router for o in gc.get_objects())
