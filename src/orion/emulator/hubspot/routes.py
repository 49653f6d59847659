"""HubSpot CRM routes: account details, v3 object list/get/search/batch read, and the v4
association batch read.

Query parameters follow the generated client's wire format (`properties` repeated or
comma-separated, `archived=true`); bodies and errors follow the shapes in shared/data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from orion.emulator.http import json_body
from orion.emulator.hubspot import associations
from orion.emulator.hubspot.errors import (
    HubSpotAPIError,
    invalid_authentication,
    object_not_found,
    validation_error,
)
from orion.emulator.hubspot.models import CrmObject, ObjectSchema
from orion.emulator.hubspot.portal import HubSpotPortal
from orion.emulator.hubspot.search import SearchValidationError, parse_search_request
from orion.emulator.state import EmulatorState

MAX_LIST_LIMIT = 100
MAX_BATCH_INPUTS = 100


def _multi(request: Request, name: str) -> tuple[str, ...]:
    """Repeated and comma-separated values both work, as on HubSpot."""
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return tuple(values)


def _flag(request: Request, name: str) -> bool:
    raw = request.query_params.get(name, "false").lower()
    if raw not in ("true", "false"):
        raise validation_error(f"{name} must be true or false, got {raw!r}")
    return raw == "true"


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "10")
    try:
        limit = int(raw)
    except ValueError as exc:
        raise validation_error(f"limit must be an integer, got {raw!r}") from exc
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise validation_error(f"limit must be between 1 and {MAX_LIST_LIMIT}, got {limit}")
    return limit


def _render(obj: CrmObject, schema: ObjectSchema, request: Request) -> dict[str, Any]:
    return obj.render(
        schema,
        _multi(request, "properties") or None,
        associations=_multi(request, "associations"),
        with_history=_multi(request, "propertiesWithHistory"),
    )


def _now_iso() -> str:
    return datetime.now(tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def current_portal(request: Request) -> HubSpotPortal:
    """The portal of the request's bearer token (the app keeps its state in `app.state`)."""
    state: EmulatorState = request.app.state.emulator
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    portal = state.hubspot_portal(token.strip()) if scheme.lower() == "bearer" else None
    if portal is None:
        raise invalid_authentication()
    return portal


PortalDep = Annotated[HubSpotPortal, Depends(current_portal)]


def build_hubspot_router() -> APIRouter:
    router = APIRouter()

    @router.get("/account-info/v3/details")
    def account_details(portal: PortalDep) -> Response:
        return json_body(portal.info.to_json())

    @router.get("/crm/v3/objects/{object_type}")
    def list_objects(object_type: str, portal: PortalDep, request: Request) -> Response:
        schema = portal.schema(object_type)
        objects, next_after = portal.list_page(
            object_type,
            limit=_limit(request),
            after=request.query_params.get("after"),
            archived=_flag(request, "archived"),
        )
        body: dict[str, Any] = {"results": [_render(o, schema, request) for o in objects]}
        if next_after is not None:
            link = request.url.include_query_params(after=next_after)
            body["paging"] = {"next": {"after": next_after, "link": str(link)}}
        return json_body(body)

    @router.get("/crm/v3/objects/{object_type}/{object_id}")
    def get_object(
        object_type: str, object_id: str, portal: PortalDep, request: Request
    ) -> Response:
        schema = portal.schema(object_type)
        obj = portal.get(
            object_type,
            object_id,
            archived=_flag(request, "archived"),
            id_property=request.query_params.get("idProperty"),
        )
        if obj is None:
            raise object_not_found()
        return json_body(_render(obj, schema, request))

    @router.post("/crm/v3/objects/{object_type}/search")
    async def search(object_type: str, portal: PortalDep, request: Request) -> Response:
        schema = portal.schema(object_type)
        try:
            query = parse_search_request(await _json(request), schema)
        except SearchValidationError as exc:
            raise validation_error(str(exc)) from exc
        # A first search of a large portal scans it; keep that off the event loop.
        total, page, next_after = await run_in_threadpool(portal.search, object_type, query)
        body: dict[str, Any] = {
            "total": total,
            "results": [obj.render(schema, query.properties) for obj in page],
        }
        if next_after is not None:
            body["paging"] = {"next": {"after": next_after}}
        return json_body(body)

    @router.post("/crm/v3/objects/{object_type}/batch/read")
    async def batch_read(object_type: str, portal: PortalDep, request: Request) -> Response:
        schema = portal.schema(object_type)
        body = await _json(request)
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or len(inputs) > MAX_BATCH_INPUTS:
            raise validation_error(f"inputs must be a list of at most {MAX_BATCH_INPUTS} ids")
        properties = tuple(body.get("properties") or ()) or None
        history = tuple(body.get("propertiesWithHistory") or ())
        started = _now_iso()
        archived = _flag(request, "archived")
        results, missing = [], []
        for item in inputs:
            raw_id = str(item.get("id", "")) if isinstance(item, dict) else ""
            obj = portal.get(
                object_type, raw_id, archived=archived, id_property=body.get("idProperty")
            )
            if obj is None:
                missing.append(raw_id)
            else:
                results.append(obj.render(schema, properties, with_history=history))
        answer: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": started,
            "completedAt": _now_iso(),
        }
        if not missing:
            return json_body(answer)
        answer["numErrors"] = 1
        answer["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": f"Could not get some {schema.singular.upper()} objects, they may be "
                "deleted or not exist. Check that ids are valid.",
                "context": {"ids": missing},
                "errors": [],
                "links": {},
            }
        ]
        return json_body(answer, status_code=207)

    @router.post("/crm/v4/associations/{from_type}/{to_type}/batch/read")
    async def read_associations(
        from_type: str, to_type: str, portal: PortalDep, request: Request
    ) -> Response:
        body = await _json(request)
        started = _now_iso()
        results, errors = associations.read_associations(portal, from_type, to_type, body)
        answer: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": started,
            "completedAt": _now_iso(),
        }
        if not errors:
            return json_body(answer)
        return json_body({**answer, "numErrors": len(errors), "errors": errors}, status_code=207)

    @router.api_route("/crm/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def unknown_crm(rest: str, portal: PortalDep) -> Response:
        raise HubSpotAPIError(404, "resource not found", "OBJECT_NOT_FOUND")

    return router


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError as exc:
        raise validation_error("Invalid input JSON on line 1") from exc
