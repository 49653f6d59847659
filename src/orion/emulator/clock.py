"""A wall clock with an adjustable offset.

Tests must age data (Stripe's 30-day event retention, HubSpot rate-limit windows) without
sleeping, so every time the emulator reads goes through a `Clock`. Clocks can be chained:
each account/portal has its own offset on top of the emulator-wide one, so one test moving
its account's clock never disturbs another test's account.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Clock:
    """Current time = parent's time (or the wall clock) + `offset_seconds`."""

    def __init__(
        self,
        offset_seconds: float = 0.0,
        *,
        parent: Clock | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._offset = float(offset_seconds)
        self._parent = parent
        self._wall = wall
        self._lock = threading.Lock()

    @property
    def offset_seconds(self) -> float:
        """This clock's own offset (not including the parent's)."""
        return self._offset

    def set_offset(self, seconds: float) -> None:
        with self._lock:
            self._offset = float(seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += float(seconds)

    def now(self) -> float:
        base = self._parent.now() if self._parent is not None else self._wall()
        return base + self._offset

    def now_s(self) -> int:
        """Unix seconds, as Stripe's `created` fields carry."""
        return int(self.now())

    def now_ms(self) -> int:
        """Unix milliseconds, as HubSpot timestamps carry."""
        return int(self.now() * 1000)
