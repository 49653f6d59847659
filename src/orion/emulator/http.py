"""Small HTTP helpers shared by the provider routes and the admin API."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class JSONBody(Response):
    """JSON via orjson, bypassing FastAPI's response-model validation: the emulator
    builds provider-shaped dicts itself and pages of 100 objects must stay cheap."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def json_body(
    content: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return JSONBody(content, status_code=status_code, headers=headers)
