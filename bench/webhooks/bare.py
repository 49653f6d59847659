"""The ceiling for the ingest benchmark: a FastAPI POST that reads the body and answers 200."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import Response

app = FastAPI()


@app.post("/hook")
async def hook(request: Request) -> Response:
    await request.body()
    return Response(b'{"received":true}', media_type="application/json")
