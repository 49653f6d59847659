"""HubSpot: contacts and invoices through CRM v3, on ``httpx.AsyncClient``.

Why httpx and not the official ``hubspot-api-client``: that client is synchronous (it would
block the worker's event loop or need a thread per call), hides the response headers we need
for HubSpot's rate-limit signals, and gives no per-request control over redirects and
timeouts. The API surface we use is five endpoints, documented and stable.
"""
