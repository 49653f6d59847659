"""``vercel.json`` for the dashboard, generated so it can never drift from the API.

The dashboard is static files served by Vercel; its ``/api/*`` and ``/health*`` calls are
rewritten to the Railway backend, so the browser only ever talks to one origin and the CSP's
``connect-src 'self'`` holds. Its security headers are the API's own
(:func:`orion.platform.security.security_headers` with HSTS): one source, two servers.
``config/deploy/vercel.json`` is this function's output for production; the deploy scripts
render the staging variant with the staging backend URL.
"""

from __future__ import annotations

import json
from typing import Any

from orion.platform.security import security_headers

PRODUCTION_BACKEND = "https://api-prod.railway.app"
STATIC_ROOT = "src/orion/web"
VERCEL_SCHEMA = "https://openapi.vercel.sh/vercel.json"


def vercel_headers() -> list[dict[str, Any]]:
    """The ``headers`` block: every path gets exactly the API's security headers."""
    return [
        {
            "source": "/(.*)",
            "headers": [
                {"key": key, "value": value} for key, value in security_headers(hsts=True).items()
            ],
        }
    ]


def vercel_config(backend_url: str = PRODUCTION_BACKEND) -> dict[str, Any]:
    backend = backend_url.rstrip("/")
    if not backend.startswith("https://"):
        raise ValueError(f"backend URL must use https: {backend_url!r}")
    return {
        "$schema": VERCEL_SCHEMA,
        "framework": None,
        "installCommand": "",
        "buildCommand": "",
        "outputDirectory": STATIC_ROOT,
        "cleanUrls": True,
        "trailingSlash": False,
        "rewrites": [
            {"source": "/api/:path*", "destination": f"{backend}/api/:path*"},
            {"source": "/health", "destination": f"{backend}/health"},
            {"source": "/health/:path*", "destination": f"{backend}/health/:path*"},
        ],
        "headers": vercel_headers(),
    }


def render_vercel_json(backend_url: str = PRODUCTION_BACKEND) -> str:
    return json.dumps(vercel_config(backend_url), indent=2) + "\n"
