"""The long-lived process's heap after start-up: what start-up built (routes, schemas, models,
vocabularies) lives as long as the process, so the garbage collector stops walking it."""

from __future__ import annotations

import gc


def freeze_startup_objects() -> int:
    """Collect start-up's garbage, then move every object left to the collector's permanent
    generation: a full collection walks only what was made since (in the web process one over
    the start-up heap took about 0.1 s, a pause every request in flight waited out). How many
    objects were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
