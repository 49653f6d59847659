"""``orion smoke URL``: the few requests that prove a fresh release is up and still locked down.

A deploy is not done when the platform says "healthy": the release must answer liveness and
readiness, still send the security headers, refuse foreign origins, refuse anonymous callers
and unsigned webhooks, and (with a token) serve a signed-in read. Each check has its own
deadline, all of them run concurrently, and a check that cannot reach the server fails with
the reason instead of hanging the pipeline. The same command runs after a deploy
(``scripts/deploy/smoke-test.sh``) and after the guard rolls back (``ops/steps.py``).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import httpx

from orion.platform.redaction import Redactor
from orion.platform.security import security_headers

Status = Literal["pass", "fail", "skip"]
#: An origin no Orion environment allows; CORS must not answer it.
FOREIGN_ORIGIN = "https://evil.example"
TOKEN_VARIABLE = "ORION_SMOKE_TOKEN"  # noqa: S105 - a variable name, not a secret


class CheckFailed(Exception):
    """A check ran and the release answered wrongly; the message is the reason."""


class CheckSkipped(Exception):
    """A check that needs something not given (a token)."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    status: Status
    reason: str
    seconds: float


@dataclass(frozen=True, slots=True)
class SmokeReport:
    url: str
    checks: tuple[CheckResult, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(check.status != "fail" for check in self.checks)

    def count(self, status: Status) -> int:
        return sum(1 for check in self.checks if check.status == status)

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "ok": self.ok,
            "passed": self.count("pass"),
            "failed": self.count("fail"),
            "skipped": self.count("skip"),
            "seconds": self.seconds,
            "checks": [
                {"name": c.name, "status": c.status, "reason": c.reason, "seconds": c.seconds}
                for c in self.checks
            ],
        }


@dataclass(frozen=True, slots=True)
class SmokeTarget:
    url: str  # base URL without a trailing slash
    token: str | None
    expect_hsts: bool


def display_url(url: str) -> str:
    """The URL without any user:password part, for output."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _summary(response: httpx.Response) -> str:
    """``HTTP 503: <short body>``: enough to say why, never a whole page."""
    text = " ".join(response.text.split())[:160]
    return f"HTTP {response.status_code}" + (f": {text}" if text else "")


def _expect(response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        raise CheckFailed(f"expected {status}, got {_summary(response)}")


async def liveness(client: httpx.AsyncClient, target: SmokeTarget) -> str:
    response = await client.get(f"{target.url}/health")
    _expect(response, 200)
    body = response.json()
    if not isinstance(body, dict) or body.get("status") != "pass":
        raise CheckFailed(f"status is not pass: {_summary(response)}")
    return f"HTTP 200, release {body.get('releaseId', '?')}"


async def readiness(client: httpx.AsyncClient, target: SmokeTarget) -> str:
    response = await client.get(f"{target.url}/health/ready")
    _expect(response, 200)
    body = response.json()
    checks = body.get("checks", {}) if isinstance(body, dict) else {}
    degraded = [
        f"{name.split(':')[0]} {entries[0].get('status')}"
        for name, entries in checks.items()
        if isinstance(entries, list) and entries and entries[0].get("status") != "pass"
    ]
    status = body.get("status") if isinstance(body, dict) else None
    return f"HTTP 200, {status}" + (f" ({', '.join(degraded)})" if degraded else "")


async def headers(client: httpx.AsyncClient, target: SmokeTarget) -> str:
    response = await client.get(f"{target.url}/health")
    expected = security_headers(hsts=target.expect_hsts)
    missing = [name for name in expected if name not in response.headers]
    different = [
        f"{name}={response.headers[name]!r}"
        for name, value in expected.items()
        if name in response.headers and response.headers[name] != value
    ]
    if missing or different:
        parts = [f"missing {', '.join(missing)}"] if missing else []
        parts += [f"unexpected {', '.join(different)}"] if different else []
        raise CheckFailed("; ".join(parts))
    hsts = "HSTS included" if target.expect_hsts else "no HSTS expected (http)"
    return f"{len(expected)} headers match ({hsts})"


async def cors(client: httpx.AsyncClient, target: SmokeTarget) -> str:
    preflight = await client.options(
        f"{target.url}/api/v1/me",
        headers={"Origin": FOREIGN_ORIGIN, "Access-Control-Request-Method": "GET"},
    )
    simple = await client.get(f"{target.url}/health", headers={"Origin": FOREIGN_ORIGIN})
    for kind, response in (("preflight", preflight), ("GET", simple)):
        allowed = response.headers.get("access-control-allow-origin")
        if allowed is not None:
            raise CheckFailed(f"{kind} from {FOREIGN_ORIGIN} allowed: {allowed!r}")
    return f"{FOREIGN_ORIGIN} refused (preflight HTTP {preflight.status_code})"


async def anonymous(client: httpx.AsyncClient, target: SmokeTarget) -> str:
    response = await client.get(f"{target.url}/api/v1/me")
    _expect(response, 401)
    return "HTTP 401 without a token"


async def unsigned_webhook(client: httpx.AsyncClient, target: SmokeTarget) -> str:
    response = await client.post(
        f"{target.url}/api/v1/webhooks/stripe/{uuid.uuid4()}",
        json={"id": "evt_orion_smoke", "type": "customer.updated", "data": {"object": {}}},
    )
    if 400 <= response.status_code < 500:
        return f"refused with HTTP {response.status_code}"
    if response.status_code < 400:
        raise CheckFailed(f"an unsigned webhook was accepted: {_summary(response)}")
    raise CheckFailed(f"server error instead of a refusal: {_summary(response)}")


async def signed_in_read(client: httpx.AsyncClient, target: SmokeTarget) -> str:
    if not target.token:
        raise CheckSkipped(f"no token (--token or {TOKEN_VARIABLE})")
    auth = {"Authorization": f"Bearer {target.token}"}
    me = await client.get(f"{target.url}/api/v1/me", headers=auth)
    _expect(me, 200)
    customers = await client.get(f"{target.url}/api/v1/customers?limit=1", headers=auth)
    _expect(customers, 200)
    return "me HTTP 200, customers?limit=1 HTTP 200"


Check = Callable[[httpx.AsyncClient, SmokeTarget], Awaitable[str]]
CHECKS: tuple[tuple[str, Check], ...] = (
    ("liveness", liveness),
    ("readiness", readiness),
    ("security_headers", headers),
    ("cors_foreign_origin", cors),
    ("auth_required", anonymous),
    ("webhook_unsigned", unsigned_webhook),
    ("authenticated_read", signed_in_read),
)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _run_check(
    name: str,
    check: Check,
    client: httpx.AsyncClient,
    target: SmokeTarget,
    seconds: float,
    redactor: Redactor,
) -> CheckResult:
    started = time.perf_counter()
    status: Status = "fail"
    try:
        reason = await asyncio.wait_for(check(client, target), seconds)
        status = "pass"
    except CheckSkipped as exc:
        status, reason = "skip", str(exc)
    except CheckFailed as exc:
        reason = str(exc)
    except TimeoutError:
        reason = f"no answer within {seconds:g}s"
    except Exception as exc:  # unreachable, reset, not JSON...: a failed check, not a crash
        reason = _describe(exc)
    return CheckResult(name, status, redactor.text(reason), round(time.perf_counter() - started, 3))


async def run_smoke_checks(
    url: str,
    *,
    token: str | None = None,
    check_seconds: float = 10.0,
    expect_hsts: bool | None = None,
) -> SmokeReport:
    """Run every check against ``url`` concurrently; each gets ``check_seconds``."""
    base = url.rstrip("/")
    hsts = urlsplit(base).scheme == "https" if expect_hsts is None else expect_hsts
    target = SmokeTarget(base, token, hsts)
    redactor = Redactor([token] if token else [])
    started = time.perf_counter()
    limits = httpx.Limits(max_connections=len(CHECKS))
    client = httpx.AsyncClient(timeout=check_seconds, follow_redirects=False, limits=limits)
    async with client:
        results = await asyncio.gather(
            *(_run_check(n, c, client, target, check_seconds, redactor) for n, c in CHECKS)
        )
    return SmokeReport(display_url(base), tuple(results), round(time.perf_counter() - started, 3))
