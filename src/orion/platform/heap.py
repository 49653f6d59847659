"""Keep the garbage collector off the objects a process builds at start-up.

A full (generation 2) collection walks every tracked object. After start-up an Orion process
holds ~300,000 of them (FastAPI, SQLAlchemy, temporalio, the provider SDKs, the app itself),
and they live as long as the process: walking them never frees anything, yet each full pass
stalled the event loop for ~100 ms, which every request waiting at that moment paid (it was
the webhook inbox's p99, see docs/benchmarks.md). ``gc.freeze`` moves them to a permanent
generation the collector skips; later objects are collected as before.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> int:
    """Collect once, then freeze what survived. Returns how many objects are now frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
