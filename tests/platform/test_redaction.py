"""The redactor: secrets and personal data never survive, ordinary text does."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from orion.platform import redaction
from orion.platform.redaction import REDACTED, Redactor, escape_control_characters, luhn_valid

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
)


def test_known_secret_values_are_replaced_anywhere() -> None:
    redactor = Redactor(["s3cr3t-Value-42"])
    assert redactor.text("connect with s3cr3t-Value-42 now") == f"connect with {REDACTED} now"


def test_secret_shaped_strings_are_replaced() -> None:
    redactor = Redactor()
    samples = {
        "key sk_test_51Hx9GkQ2pR7mN4vL8": "sk_test_51Hx9GkQ2pR7mN4vL8",
        "restricted rk_live_abcdef123456": "rk_live_abcdef123456",
        "signing whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "Authorization: Bearer abc.def-ghi_123": "abc.def-ghi_123",
        f"token {JWT}": JWT,
        "mail ada@example.com please": "ada@example.com",
        "card 4242 4242 4242 4242 charged": "4242 4242 4242 4242",
        "Cookie: session=abcdef123456": "session=abcdef123456",
        "hubspot pat-na1-4f7a9c2e-81b3-4d6e": "pat-na1-4f7a9c2e-81b3-4d6e",
        "db postgresql://app:pa55word@db:5432/x": "pa55word",
    }
    for text, secret in samples.items():
        assert secret not in redactor.text(text), text


def test_ordinary_numbers_and_ids_survive() -> None:
    redactor = Redactor()
    text = "order 1234567890123 (not Luhn) took 250 ms for cus_NffrFeUfNV2Hib"
    assert not luhn_valid("1234567890123")
    assert redactor.text(text) == text


def test_sensitive_keys_are_redacted_in_nested_structures() -> None:
    redactor = Redactor()
    event = {
        "headers": {"Authorization": "Basic dXNlcjpwYXNz", "content-type": "application/json"},
        "credentials": {"api_key": "abc"},
        "client_secret": "xyz-123",
        "attempts": 3,
        "signature_valid": False,
    }
    cleaned = redactor.event(event)
    assert cleaned["headers"]["Authorization"] == REDACTED
    assert cleaned["headers"]["content-type"] == "application/json"
    assert cleaned["credentials"] == REDACTED
    assert cleaned["client_secret"] == REDACTED
    assert cleaned["attempts"] == 3
    assert cleaned["signature_valid"] is False


@given(st.lists(st.sampled_from("0123456789"), min_size=13, max_size=19))
def test_any_luhn_valid_card_number_is_masked(digits: list[str]) -> None:
    number = "".join(digits)
    masked = Redactor().text(f"paid with {number} today")
    assert (number in masked) is not luhn_valid(number)


@given(st.text())
def test_redaction_never_crashes_and_is_idempotent(text: str) -> None:
    redactor = Redactor(["topsecret1"])
    once = redactor.text(text)
    assert redactor.text(once) == once
    assert "topsecret1" not in once


def test_newlines_in_values_cannot_forge_log_lines() -> None:
    event = escape_control_characters(None, "info", {"path": "/x\nlevel=error forged\r\n"})
    assert "\n" not in event["path"] and "\r" not in event["path"]


_FRAGMENTS = st.sampled_from(
    [
        "Authorization: Bearer ",
        "token=",
        "'api_key': '",
        "sk_live_",
        "whsec_",
        "pat-na1-",
        "eyJhbGciOi",
        ".",
        "gAAAAA",
        "@example.com",
        "user",
        "postgres://u:",
        "@db/",
        "4242 4242 4242 4242",
        "4000-0566-5566-5556",
        "1234567890123",
        "-",
        " ",
        "\n",
        "Basic ",
        "SECRET",
        "/api/v1/webhooks/stripe/",
    ]
)


def _every_pattern(value: str) -> str:
    """Redaction without the hints: every substitution, always."""
    for _hints, pattern, replacement in redaction._RULES:
        value = pattern.sub(replacement, value)
    return redaction._CARD_CANDIDATE.sub(redaction._mask_card, value)


@given(st.lists(st.one_of(_FRAGMENTS, st.text(max_size=12)), max_size=12).map("".join))
def test_the_hints_never_skip_what_a_full_pass_would_redact(text: str) -> None:
    assert Redactor().text(text) == _every_pattern(text)
