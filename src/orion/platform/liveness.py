"""Liveness: is this process able to answer at all. No dependency is consulted."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

HEALTH_MEDIA_TYPE = "application/health+json"


def liveness_router(version: str, release_id: str) -> APIRouter:
    router = APIRouter(tags=["health"])
    body = {"status": "pass", "version": version, "releaseId": release_id}

    @router.get("/health", summary="Liveness", response_class=JSONResponse)
    async def live() -> JSONResponse:
        return JSONResponse(body, media_type=HEALTH_MEDIA_TYPE)

    return router
