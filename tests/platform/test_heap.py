"""The start-up heap is frozen in server processes only, and later garbage is still freed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from orion.entrypoints.api import create_app
from orion.platform.heap import freeze_startup_heap
from tests.fixtures.settings import SettingsFactory


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    try:
        yield
    finally:
        gc.unfreeze()  # the test process builds many apps: never keep its heap frozen


def test_startup_objects_leave_the_collector_and_later_cycles_are_still_freed(
    unfrozen: None,
) -> None:
    startup = Node()
    assert freeze_startup_heap() > 0
    assert not any(obj is startup for obj in gc.get_objects())  # no longer walked
    later = Node()
    gone = weakref.ref(later)
    del later
    gc.collect()
    assert gone() is None


async def test_the_api_freezes_its_heap_only_when_it_owns_the_process(
    settings_factory: SettingsFactory, unfrozen: None
) -> None:
    shared = create_app(settings_factory("development"))
    async with shared.router.lifespan_context(shared):
        assert gc.get_freeze_count() == 0
    owned = create_app(settings_factory("development"), freeze_heap=True)
    async with owned.router.lifespan_context(owned):
        assert gc.get_freeze_count() > 0
