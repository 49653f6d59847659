"""The dashboard's static files, served by the API at ``/`` under the same strict CSP.

Installed as the router's *default* (what answers when no route matched) rather than mounted
at ``/``: a mount would shadow routes added after it. A browser navigating to an unknown
extension-less path gets ``index.html`` (a copied link still opens the dashboard), but only
a navigation (``Accept: text/html``) and never under the API's own prefixes: API clients keep
the JSON 404 of the error model. Everything is revalidated on each load (``no-cache`` + ETag),
so a deploy is picked up at once while unchanged files cost a 304.
"""

from __future__ import annotations

from os import PathLike, stat_result
from pathlib import Path, PurePosixPath

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketClose

#: ``src/orion/web``: also the Vercel output directory (``orion.ops.vercel.STATIC_ROOT``).
WEB_ROOT = Path(__file__).resolve().parents[1] / "web"
RESERVED_PREFIXES = ("api", "health", "metrics", "docs", "openapi.json")


class DashboardFiles(StaticFiles):
    def __init__(self, directory: Path = WEB_ROOT) -> None:
        super().__init__(directory=directory, html=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # an unknown websocket path: refuse it as Starlette does
            await WebSocketClose()(scope, receive, send)
            return
        first = PurePosixPath(scope["path"]).parts[1:2]
        if scope["method"] not in ("GET", "HEAD") or (first and first[0] in RESERVED_PREFIXES):
            raise HTTPException(404)  # what the router answers for a path no route has
        await super().__call__(scope, receive, send)

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404 or not _client_route(path, scope):
                raise
        return await super().get_response("index.html", scope)

    def file_response(
        self,
        full_path: str | PathLike[str],
        stat_result: stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        return response


def _client_route(path: str, scope: Scope) -> bool:
    parts = PurePosixPath(path).parts
    if not parts or "." in parts[-1]:
        return False
    return "text/html" in Headers(scope=scope).get("accept", "")
