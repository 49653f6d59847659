"""Small release helpers for the deploy scripts: durations, and waiting for a release to go live."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import httpx

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """``"90"``, ``"90s"``, ``"15m"``, ``"1.5h"`` -> seconds."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90, 90s, 15m, 1h)")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def live_release(client: httpx.Client, url: str) -> str | None:
    """The ``releaseId`` that ``/health`` reports right now, if it answers."""
    try:
        response = client.get(url.rstrip("/") + "/health")
        body = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None
    release = body.get("releaseId") if isinstance(body, dict) else None
    return release if isinstance(release, str) else None


def wait_for_release(
    client: httpx.Client,
    url: str,
    release_id: str,
    *,
    timeout: float,
    interval: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> str | None:
    """Poll until ``url`` serves ``release_id`` or time runs out; returns the last one seen."""
    deadline = clock() + timeout
    seen = live_release(client, url)
    while seen != release_id and clock() < deadline:
        sleep(interval)
        seen = live_release(client, url)
    return seen
