"""Assemble the emulator's ASGI app: provider routes, admin API, middleware, error bodies."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from starlette.types import Receive, Scope, Send

from orion.emulator.admin import build_admin_router
from orion.emulator.http import json_body
from orion.emulator.hubspot.errors import HubSpotAPIError
from orion.emulator.hubspot.routes import build_hubspot_router
from orion.emulator.middleware import TRANSPORT_SCOPE_KEY, EmulatorMiddleware
from orion.emulator.state import EmulatorState
from orion.emulator.stripe.errors import StripeAPIError
from orion.emulator.stripe.routes import build_stripe_router


class EmulatorFastAPI(FastAPI):
    """Leaves the server's transport in the scope so a fault can reset the connection.

    Only the outermost app sees uvicorn's own `send` (bound to the request cycle that
    owns the transport); every middleware after this wraps it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is not None:
            scope[TRANSPORT_SCOPE_KEY] = transport
        await super().__call__(scope, receive, send)


def create_emulator_app(state: EmulatorState) -> FastAPI:
    app = EmulatorFastAPI(
        title="Orion provider emulator",
        description="Stripe- and HubSpot-compatible APIs for demos and tests.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.emulator = state

    @app.exception_handler(StripeAPIError)
    async def stripe_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StripeAPIError)
        request_id = getattr(request.state, "request_id", None)
        return json_body(exc.to_body(request_id), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(HubSpotAPIError)
    async def hubspot_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HubSpotAPIError)
        return json_body(exc.to_body(), status_code=exc.status, headers=exc.headers)

    app.include_router(build_admin_router(state))
    app.include_router(build_stripe_router())
    app.include_router(build_hubspot_router())
    app.add_middleware(EmulatorMiddleware, state=state)
    return app
