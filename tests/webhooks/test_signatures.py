"""Signature checks: Stripe (SDK, several secrets and v1s, both time bounds) and HubSpot v3."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import stripe
from hypothesis import given
from hypothesis import strategies as st

from orion.emulator.webhooks import (
    hubspot_signature_v1,
    hubspot_signature_v3,
    stripe_signature_header,
)
from orion.webhooks.signatures import (
    SignatureRejected,
    canonical_uri,
    public_uri,
    read_stripe_header,
    stripe_signature_matches,
    verify_hubspot,
    verify_stripe,
)

SECRET = "whsec_test_secret_one"
OTHER = "whsec_test_secret_two"
BODY = b'{"id": "evt_1", "type": "customer.updated", "created": 1700000000}'
HS_SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
EXAMPLE = (Path(__file__).parent / "data" / "hubspot-webhook-events.example.json").read_bytes()


def stripe_header(body: bytes, secret: str, at: int, *extra: str) -> str:
    return stripe_signature_header(body.decode(), secret, at, extra)


class _Reason:
    """``with _Reason("stale_timestamp"):`` asserts the rejection and its reason."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: object, tb: object) -> bool:
        assert isinstance(exc, SignatureRejected), f"expected a rejection, got {exc!r}"
        assert exc.reason == self.reason, exc.reason
        return True


def check_stripe(body: bytes, header: str | None, secrets: tuple[str, ...], now: float) -> None:
    verify_stripe(body, header, secrets, tolerance=300, now=now)


# --- Stripe -----------------------------------------------------------------------------------


def test_stripe_valid_signature_passes() -> None:
    now = int(time.time())
    check_stripe(BODY, stripe_header(BODY, SECRET, now), (SECRET,), now)


@pytest.mark.parametrize("index", [0, len(BODY) // 2, len(BODY) - 1])
def test_stripe_one_changed_byte_is_refused(index: int) -> None:
    now = int(time.time())
    header = stripe_header(BODY, SECRET, now)
    changed = bytearray(BODY)
    changed[index] ^= 0x01
    with _Reason("invalid_signature"):
        check_stripe(bytes(changed), header, (SECRET,), now)


@pytest.mark.parametrize(
    ("offset", "accepted"), [(-301, False), (-299, True), (0, True), (299, True), (301, False)]
)
def test_stripe_timestamp_bounds(offset: int, accepted: bool) -> None:
    now = int(time.time())
    header = stripe_header(BODY, SECRET, now + offset)
    if accepted:
        check_stripe(BODY, header, (SECRET,), now)
    else:
        with _Reason("stale_timestamp"):
            check_stripe(BODY, header, (SECRET,), now)


def test_stripe_header_with_two_v1_passes_if_either_matches() -> None:
    now = int(time.time())
    first_wrong = stripe_header(BODY, OTHER, now, SECRET)  # v1=<other>,v1=<ours>
    second_wrong = stripe_header(BODY, SECRET, now, OTHER)
    check_stripe(BODY, first_wrong, (SECRET,), now)
    check_stripe(BODY, second_wrong, (SECRET,), now)
    with _Reason("invalid_signature"):
        check_stripe(BODY, stripe_header(BODY, "whsec_a", now, "whsec_b"), (SECRET,), now)


def test_stripe_two_configured_secrets_both_accepted_while_rolling() -> None:
    now = int(time.time())
    for signer in (SECRET, OTHER):
        check_stripe(BODY, stripe_header(BODY, signer, now), (SECRET, OTHER), now)
    with _Reason("invalid_signature"):
        check_stripe(BODY, stripe_header(BODY, "whsec_third", now), (SECRET, OTHER), now)


@pytest.mark.parametrize("header", [None, ""])
def test_stripe_missing_header_is_400(header: str | None) -> None:
    with pytest.raises(SignatureRejected) as caught:
        check_stripe(BODY, header, (SECRET,), time.time())
    assert (caught.value.reason, caught.value.status) == ("missing_signature", 400)


@pytest.mark.parametrize("header", ["v1=abc", "t=notanumber,v1=abc", "garbage", "t=123", "t=,v1="])
def test_stripe_unparseable_header_is_401_never_an_error(header: str) -> None:
    with pytest.raises(SignatureRejected) as caught:
        check_stripe(BODY, header, (SECRET,), 123.0)
    assert caught.value.status == 401


def test_stripe_no_secret_configured_refuses() -> None:
    now = int(time.time())
    with _Reason("invalid_signature"):
        check_stripe(BODY, stripe_header(BODY, SECRET, now), (), now)


def test_stripe_rejection_never_carries_the_secret() -> None:
    now = int(time.time())
    with pytest.raises(SignatureRejected) as caught:
        check_stripe(BODY + b" ", stripe_header(BODY, SECRET, now), (SECRET,), now)
    assert SECRET not in str(caught.value) and SECRET not in caught.value.detail


_SDK_SECRET = "whsec_property"
_SIGNED_AT = 1_700_000_000


def _sdk_accepts(body: bytes, header: str, secret: str) -> bool:
    try:
        stripe.WebhookSignature.verify_header(body, header, secret, tolerance=None)
    except stripe.SignatureVerificationError:
        return False
    return True


def _ours_accepts(body: bytes, header: str, secret: str) -> bool:
    parsed = read_stripe_header(header)
    return parsed is not None and stripe_signature_matches(body, *parsed, secret)


def _headers(body: bytes) -> st.SearchStrategy[str]:
    """A timestamp item and a signature item, each right or subtly wrong, plus noise, in any
    order: the forms a lenient or a stricter parser would read differently from the SDK."""
    good = hmac.new(_SDK_SECRET.encode(), b"%d." % _SIGNED_AT + body, hashlib.sha256).hexdigest()
    at = str(_SIGNED_AT)
    stamps = [
        f"t={at}", f" t={at}", f"t= {at}", f"t=0{at}", f"t=+{at}", f"t={at}=5", f"T={at}",
        f"t={_SIGNED_AT + 1}", "t", "t=", "",
    ]  # fmt: skip
    signed = [
        f"v1={good}", f" v1={good}", f"v1={good} ", f"v1={good.upper()}", f"v0={good}",
        f"v1={good}=x", "v1", "v1=", "",
    ]  # fmt: skip
    noise = st.lists(st.text(alphabet="0123456789abcdef=tv ", max_size=10), max_size=2)
    items = st.tuples(st.sampled_from(stamps), st.sampled_from(signed), noise)
    return items.flatmap(lambda i: st.permutations([i[0], i[1], *i[2]])).map(",".join)


@given(
    st.binary(max_size=64).map(lambda b: b.decode("latin-1").encode()),
    st.sampled_from([_SDK_SECRET, _SDK_SECRET, _SDK_SECRET, "whsec_other", "  "]),
    st.data(),
)
def test_stripe_check_agrees_with_the_sdk_on_any_header(
    body: bytes, secret: str, data: st.DataObject
) -> None:
    """Our parse-once check accepts exactly what ``verify_header`` accepts (time aside)."""
    header = data.draw(_headers(body))
    assert _ours_accepts(body, header, secret) == _sdk_accepts(body, header, secret)


def test_stripe_check_agrees_with_the_sdk_on_a_real_header() -> None:
    header = stripe_header(BODY, _SDK_SECRET, _SIGNED_AT, OTHER)
    assert _ours_accepts(BODY, header, _SDK_SECRET) and _sdk_accepts(BODY, header, _SDK_SECRET)
    assert not _ours_accepts(BODY, header, SECRET)


# --- HubSpot v3 -------------------------------------------------------------------------------


def hs_headers(signature: str, timestamp: int | str) -> dict[str, str]:
    return {"x-hubspot-signature-v3": signature, "x-hubspot-request-timestamp": str(timestamp)}


def test_hubspot_published_vector_from_the_client_library() -> None:
    stamp = 1693657560000
    headers = hs_headers("K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y=", stamp)
    body = b"{'example_field':'example_value'}"
    verify_hubspot(
        "POST", "https://www.example.com/webhook_uri", body, headers, HS_SECRET, now_ms=stamp
    )


def test_hubspot_published_vector_over_the_example_events() -> None:
    stamp = 1735689720000
    headers = hs_headers("qfsIoVZnfmPwZZ+o16LJYdPUj4HyHKwEcmoIz8OL2kU=", stamp)
    uri = "https://example.com/webhooks/hubspot"
    verify_hubspot("POST", uri, EXAMPLE, headers, HS_SECRET, now_ms=stamp + 1000)


def signed(uri: str, body: bytes, stamp: int, method: str = "POST") -> dict[str, str]:
    return hs_headers(hubspot_signature_v3(HS_SECRET, method, uri, body.decode(), stamp), stamp)


URI = "https://api.example.com/api/v1/webhooks/hubspot?app=orion&env=test"


def test_hubspot_wrong_method_is_refused() -> None:
    now = int(time.time() * 1000)
    headers = signed(URI, EXAMPLE, now, method="PUT")
    with _Reason("invalid_signature"):
        verify_hubspot("POST", URI, EXAMPLE, headers, HS_SECRET, now_ms=now)


def test_hubspot_reordered_query_is_refused() -> None:
    now = int(time.time() * 1000)
    headers = signed(URI, EXAMPLE, now)
    reordered = "https://api.example.com/api/v1/webhooks/hubspot?env=test&app=orion"
    with _Reason("invalid_signature"):
        verify_hubspot("POST", reordered, EXAMPLE, headers, HS_SECRET, now_ms=now)


def test_hubspot_query_decoded_beyond_the_spec_is_refused() -> None:
    """HubSpot signs ``%20`` as ``%20``: a receiver that decodes it computes another string."""
    now = int(time.time() * 1000)
    sent = "https://api.example.com/hooks?name=a%20b%3Ac"
    headers = signed(sent, EXAMPLE, now)
    verify_hubspot("POST", sent, EXAMPLE, headers, HS_SECRET, now_ms=now)
    with _Reason("invalid_signature"):
        verify_hubspot(
            "POST", "https://api.example.com/hooks?name=a b:c", EXAMPLE, headers, HS_SECRET,
            now_ms=now,
        )  # fmt: skip


def test_hubspot_timestamp_in_seconds_is_refused() -> None:
    seconds = int(time.time())
    headers = signed(URI, EXAMPLE, seconds)  # correctly signed, but not milliseconds
    with _Reason("stale_timestamp"):
        verify_hubspot("POST", URI, EXAMPLE, headers, HS_SECRET, now_ms=seconds * 1000)


@pytest.mark.parametrize(
    ("offset_ms", "accepted"),
    [(-301_000, False), (-299_000, True), (299_000, True), (301_000, False)],
)
def test_hubspot_timestamp_bounds_both_sides(offset_ms: int, accepted: bool) -> None:
    now = int(time.time() * 1000)
    headers = signed(URI, EXAMPLE, now + offset_ms)
    if accepted:
        verify_hubspot("POST", URI, EXAMPLE, headers, HS_SECRET, now_ms=now)
    else:
        with _Reason("stale_timestamp"):
            verify_hubspot("POST", URI, EXAMPLE, headers, HS_SECRET, now_ms=now)


def test_hubspot_changed_body_is_refused() -> None:
    now = int(time.time() * 1000)
    headers = signed(URI, EXAMPLE, now)
    with _Reason("invalid_signature"):
        verify_hubspot("POST", URI, EXAMPLE.replace(b"1001", b"1003"), headers, HS_SECRET,
                       now_ms=now)  # fmt: skip


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-hubspot-signature-v3": "abc"},
        {"x-hubspot-signature-v3": "a", "x-hubspot-request-timestamp": "soon"},
    ],
)
def test_hubspot_missing_headers_are_400(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureRejected) as caught:
        verify_hubspot("POST", URI, EXAMPLE, headers, HS_SECRET, now_ms=0)
    assert caught.value.status == 400


def test_hubspot_legacy_v1_only_when_enabled() -> None:
    headers = {
        "x-hubspot-signature": hubspot_signature_v1(HS_SECRET, EXAMPLE.decode()),
        "x-hubspot-signature-version": "v1",
    }
    with _Reason("missing_signature"):
        verify_hubspot("POST", URI, EXAMPLE, headers, HS_SECRET, now_ms=0)
    verify_hubspot("POST", URI, EXAMPLE, headers, HS_SECRET, now_ms=0, legacy=True)
    with _Reason("invalid_signature"):
        verify_hubspot("POST", URI, EXAMPLE + b" ", headers, HS_SECRET, now_ms=0, legacy=True)


def test_hubspot_legacy_published_vectors() -> None:
    body = (
        b'[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
        b'"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,'
        b'"changeSource":"CRM","changeFlag":"NEW","appId":54321}]'
    )
    v1 = "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
    v2 = "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"
    headers = {"x-hubspot-signature": v1, "x-hubspot-signature-version": "v1"}
    verify_hubspot("POST", URI, body, headers, HS_SECRET, now_ms=0, legacy=True)
    headers = {"x-hubspot-signature": v2, "x-hubspot-signature-version": "v2"}
    get = "https://www.example.com/webhook_uri"
    verify_hubspot("GET", get, b"", headers, HS_SECRET, now_ms=0, legacy=True)


# --- URI canonicalisation (property tests) ----------------------------------------------------

DECODED = ":/?@!$'()*,;"
uri_text = st.text(alphabet=st.characters(codec="ascii", exclude_characters="\x00"), max_size=60)


def reference_canonical(uri: str) -> str:
    """HubSpot's documented step: replace exactly these escapes, nothing else."""
    for char in DECODED:
        escape = f"%{ord(char):02X}"
        uri = uri.replace(escape, char).replace(escape.lower(), char)
    return uri


@given(uri_text)
def test_canonical_uri_matches_the_documented_replacements(uri: str) -> None:
    assert canonical_uri(uri) == reference_canonical(uri)


@given(uri_text)
def test_canonical_uri_is_idempotent_and_keeps_other_escapes(uri: str) -> None:
    once = canonical_uri(uri)
    assert canonical_uri(once) == once
    for char in "% #&=+[]":
        escape = f"%{ord(char):02X}"
        assert once.count(escape) >= uri.count(escape)


@given(st.text(max_size=30), st.text(max_size=30))
def test_a_url_encoded_path_and_query_verify_after_canonicalisation(path: str, value: str) -> None:
    """Whatever HubSpot percent-encodes, receiver and sender agree on the signed string."""
    now = 1_700_000_000_000
    uri = public_uri(
        "https://hooks.example.com", "/in/" + quote(path, safe=""), "v=" + quote(value, safe="")
    )
    headers = signed(uri, b"[]", now)
    verify_hubspot("POST", uri, b"[]", headers, HS_SECRET, now_ms=now)


def test_public_uri_keeps_path_and_query_exactly() -> None:
    uri = public_uri("https://h.example", "/a%2Fb/%7Ec", "x=%3A1&y=2")
    assert uri == "https://h.example/a%2Fb/%7Ec?x=%3A1&y=2"
    assert canonical_uri(uri) == "https://h.example/a/b/%7Ec?x=:1&y=2"
    assert public_uri("https://h.example", "/p", "") == "https://h.example/p"


def test_v3_digest_is_the_documented_hmac() -> None:
    source = f"POST{URI}{EXAMPLE.decode()}1700000000000".encode()
    expected = base64.b64encode(hmac.new(HS_SECRET.encode(), source, hashlib.sha256).digest())
    headers = hs_headers(expected.decode(), 1700000000000)
    verify_hubspot("POST", URI, EXAMPLE, headers, HS_SECRET, now_ms=1700000000000)
