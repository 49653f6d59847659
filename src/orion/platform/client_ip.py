"""The caller's address for per-IP rate limits, trusting proxy headers only as configured.

Anyone can send ``X-Forwarded-For: 1.2.3.4``; trusting it blindly lets a client pick its own
rate-limit bucket. So by default the peer address is used and no header is read. Behind the
platform's proxy, configure which header(s) it writes (``RATELIMIT_CLIENT_IP_HEADERS``) and how
many proxies append to it (``RATELIMIT_TRUSTED_PROXY_COUNT``, counted from the right, the peer
included) and/or which networks they live in (``RATELIMIT_TRUSTED_PROXY_CIDRS``, also required
of the peer before any header is read). The caller is the rightmost address that is not a
trusted proxy: what a client puts at the left of the header is never reached.

IPv6 callers are grouped by /64, the block one subscriber usually holds, so rotating through
addresses of one's own prefix does not multiply the budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

from starlette.types import Scope

from orion.platform.config import Settings

IPAddress = IPv4Address | IPv6Address
UNKNOWN = "unknown"


def parse_address(text: str) -> IPAddress | None:
    """``1.2.3.4``, ``1.2.3.4:5678``, ``2001:db8::1``, ``[2001:db8::1]:443``; else None."""
    value = text.strip().strip('"')
    if value.startswith("["):
        value = value[1 : value.find("]")] if "]" in value else value[1:]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return ip_address(value)
    except ValueError:
        return None


def bucket(address: IPAddress) -> str:
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ip_network(f"{address}/64", strict=False))
    return str(address)


class ClientAddress:
    """Resolves an ASGI scope to the address (or IPv6 /64) that identifies its caller."""

    def __init__(
        self,
        headers: Sequence[str] = (),
        *,
        trusted_proxy_count: int = 0,
        trusted_proxy_cidrs: Sequence[str] = (),
    ) -> None:
        self._headers = [name.strip().lower().encode("latin-1") for name in headers if name]
        self._count = trusted_proxy_count
        self._networks = [ip_network(cidr, strict=False) for cidr in trusted_proxy_cidrs]

    @classmethod
    def from_settings(cls, settings: Settings) -> ClientAddress:
        limits = settings.ratelimit
        return cls(
            limits.client_ip_headers,
            trusted_proxy_count=limits.trusted_proxy_count,
            trusted_proxy_cidrs=limits.trusted_proxy_cidrs,
        )

    def __call__(self, scope: Scope) -> str:
        client = scope.get("client")
        peer = parse_address(str(client[0])) if client else None
        if peer is None:
            return UNKNOWN
        if not self._headers or (self._networks and not self._is_proxy_network(peer)):
            return bucket(peer)
        return bucket(self.resolve(peer, self._forwarded(scope)))

    def resolve(self, peer: IPAddress, forwarded: Sequence[IPAddress | None]) -> IPAddress:
        """Walk ``forwarded + [peer]`` from the right past the trusted proxies."""
        candidate = peer
        remaining = self._count
        for hop in reversed([*forwarded, peer]):
            if hop is None:
                return candidate  # garbage: trust nothing written further left
            candidate = hop
            if remaining > 0:
                remaining -= 1
            elif not self._is_proxy_network(hop):
                return hop
        return candidate

    def _forwarded(self, scope: Scope) -> list[IPAddress | None]:
        headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
        for name in self._headers:
            values = [value.decode("latin-1") for key, value in headers if key == name]
            if values:
                entries = ",".join(values).split(",")
                return [parse_address(entry) for entry in entries if entry.strip()]
        return []

    def _is_proxy_network(self, address: IPAddress) -> bool:
        return any(address in network for network in self._networks)
