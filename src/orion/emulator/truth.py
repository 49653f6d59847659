"""Content hashes for the truth sets tests compare synced copies against."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson


def content_hash(body: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON (sorted keys) of an object's wire form."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()
