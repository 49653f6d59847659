"""Which address a request is limited by: the peer, unless a trusted proxy says otherwise."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orion.platform.client_ip import ClientAddress, parse_address

PROXY = "10.0.0.5"


def scope(peer: str | None, **headers: str) -> dict[str, object]:
    raw = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return {"type": "http", "client": (peer, 4321) if peer else None, "headers": raw}


def test_without_configuration_the_peer_is_the_client() -> None:
    resolve = ClientAddress()
    assert resolve(scope(PROXY, x_forwarded_for="198.51.100.1")) == PROXY
    assert resolve(scope(None)) == "unknown"


def test_a_trusted_proxy_count_takes_the_address_it_appended() -> None:
    resolve = ClientAddress(["X-Forwarded-For"], trusted_proxy_count=1)
    assert resolve(scope(PROXY, x_forwarded_for="198.51.100.1")) == "198.51.100.1"
    assert resolve(scope(PROXY, x_forwarded_for="6.6.6.6, 198.51.100.1")) == "198.51.100.1"
    assert resolve(scope(PROXY)) == PROXY  # not through the proxy: the peer


def test_two_proxies_and_several_header_lines() -> None:
    resolve = ClientAddress(["X-Forwarded-For"], trusted_proxy_count=2)
    request = scope(PROXY)
    request["headers"] = [
        (b"x-forwarded-for", b"6.6.6.6, 198.51.100.1"),
        (b"x-forwarded-for", b"10.0.0.9"),
    ]
    assert resolve(request) == "198.51.100.1"


def test_proxy_networks_are_skipped_and_required_for_the_header() -> None:
    resolve = ClientAddress(["X-Forwarded-For"], trusted_proxy_cidrs=["10.0.0.0/8"])
    header = "6.6.6.6, 198.51.100.1, 10.1.2.3"
    assert resolve(scope(PROXY, x_forwarded_for=header)) == "198.51.100.1"
    assert resolve(scope("192.0.2.77", x_forwarded_for=header)) == "192.0.2.77"


def test_the_first_configured_header_present_is_used() -> None:
    resolve = ClientAddress(["CF-Connecting-IP", "X-Forwarded-For"], trusted_proxy_count=1)
    both = scope(PROXY, cf_connecting_ip="198.51.100.2", x_forwarded_for="198.51.100.1")
    assert resolve(both) == "198.51.100.2"
    assert resolve(scope(PROXY, x_forwarded_for="198.51.100.1")) == "198.51.100.1"


def test_garbage_in_the_header_falls_back_to_the_last_trusted_hop() -> None:
    resolve = ClientAddress(["X-Forwarded-For"], trusted_proxy_count=2)
    assert resolve(scope(PROXY, x_forwarded_for="not-an-ip, 10.0.0.9")) == "10.0.0.9"


def test_ipv6_callers_are_grouped_by_64() -> None:
    resolve = ClientAddress()
    assert resolve(scope("2001:db8:1:2::1")) == resolve(scope("2001:db8:1:2:ffff::9"))
    assert resolve(scope("2001:db8:1:2::1")) == "2001:db8:1:2::/64"
    assert resolve(scope("::ffff:198.51.100.1")) == "198.51.100.1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("198.51.100.1", "198.51.100.1"),
        (" 198.51.100.1:8080 ", "198.51.100.1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ('"198.51.100.1"', "198.51.100.1"),
        ("unknown", None),
        ("", None),
    ],
)
def test_parse_address(text: str, expected: str | None) -> None:
    parsed = parse_address(text)
    assert (str(parsed) if parsed else None) == expected


addresses = st.ip_addresses(v=4).map(str)


@given(spoofed=st.lists(st.one_of(addresses, st.text(max_size=12)), max_size=5), real=addresses)
def test_nothing_a_client_prepends_changes_its_key(spoofed: list[str], real: str) -> None:
    resolve = ClientAddress(["X-Forwarded-For"], trusted_proxy_count=1)
    forwarded = ", ".join([*(s.replace(",", "") for s in spoofed), real])
    assert resolve(scope(PROXY, x_forwarded_for=forwarded)) == str(IPv4Address(real))
