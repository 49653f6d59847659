"""Scrub secrets and personal data from anything about to leave the process (logs, Sentry).

Redaction runs on the final, rendered-ready values, after exceptions have been formatted
into text, so a secret inside an exception message or a traceback is caught too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

REDACTED = "[REDACTED]"

_SENSITIVE_KEY = re.compile(
    r"authorization|cookie|passw(or)?d|secret|token|api[-_]?key|credential|private[-_]?key"
    r"|signature|dsn|encryption[-_]?keys?",
    re.IGNORECASE,
)
# (hints, pattern, replacement): a pattern can only match a value whose lower-cased text
# contains one of its hints, so most values (routes, ids, timings) skip every regex: a
# substring test costs tens of nanoseconds, a search microseconds (and an alternation of all
# the patterns was slower than running them one by one).
_RULES: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = (
    # "Authorization: Bearer x", "cookie=x", "'api_key': 'x'" inside free text.
    (
        (":", "="),
        re.compile(
            r"""(?P<k>["']?\b(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key"""
            r"""|api[-_]?key|password|secret|client[-_]secret|access[-_]token|token)\b["']?"""
            r"""\s*[:=]\s*)(?P<q>["']?)[^"'\r\n,}]+""",
            re.IGNORECASE,
        ),
        r"\g<k>\g<q>" + REDACTED,
    ),
    (
        ("bearer", "basic"),
        re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"),
        r"\1 " + REDACTED,
    ),
    (("eyj",), re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), REDACTED),
    (("k_",), re.compile(r"\b(?:sk|rk|pk)_[A-Za-z0-9_]{6,}"), REDACTED),
    (("whsec_",), re.compile(r"\bwhsec_[A-Za-z0-9+/=_]{6,}"), REDACTED),
    (("pat-",), re.compile(r"\bpat-[a-z0-9]{2,}-[A-Za-z0-9-]{6,}"), REDACTED),
    (("gaaaaa",), re.compile(r"\bgAAAAA[A-Za-z0-9_=-]{20,}"), REDACTED),  # Fernet ciphertexts
    (("@",), re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[EMAIL]"),
    (
        ("://",),
        re.compile(r"(?i)\b(postgres(?:ql)?(?:\+\w+)?|redis|rediss)://[^\s:@/]+:[^\s@/]+@"),
        r"\1://" + REDACTED + "@",
    ),
)
_CARD_CANDIDATE = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_CARD_MIN_DIGITS = 13
_NO_DIGITS = str.maketrans("", "", "0123456789")

_REMEMBERED_LENGTH = 64
_REMEMBERED_VALUES = 2048

# Added by the logging pipeline itself (platform/logging.py), never from outside data.
_GENERATED_KEYS = frozenset({"timestamp", "level", "logger"})


def luhn_valid(digits: str) -> bool:
    """The checksum every payment card number satisfies (and few random numbers do)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _mask_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[CARD]" if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group(0)


def _has_content(value: Any) -> bool:
    return not (value is None or isinstance(value, bool | int | float)) and bool(value)


class Redactor:
    """Replaces known secret values and secret-shaped strings; safe to call on any value."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        unique = {value for value in secrets if len(value) >= 6}
        self._secrets = sorted(unique, key=len, reverse=True)
        self._sensitive_keys: dict[str, bool] = {}  # log keys are few and repeat
        # Short values repeat on every request (event names, methods, routes): remember their
        # redacted form. Bounded, and holds nothing the log line would not have held.
        self._known: dict[str, str] = {}

    def text(self, value: str) -> str:
        known = self._known.get(value)
        if known is not None:
            return known
        redacted = self._text(value)
        if len(value) <= _REMEMBERED_LENGTH and len(self._known) < _REMEMBERED_VALUES:
            self._known[value] = redacted
        return redacted

    def _text(self, value: str) -> str:
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        lowered = value.lower()
        for hints, pattern, replacement in _RULES:
            if any(hint in lowered for hint in hints):
                value = pattern.sub(replacement, value)
        if len(value) - len(value.translate(_NO_DIGITS)) >= _CARD_MIN_DIGITS:
            value = _CARD_CANDIDATE.sub(_mask_card, value)
        return value

    def _sensitive(self, key: str) -> bool:
        known = self._sensitive_keys.get(key)
        if known is None:
            known = bool(_SENSITIVE_KEY.search(key))
            if len(self._sensitive_keys) < 4096:
                self._sensitive_keys[key] = known
        return known

    def value(self, value: Any, key: str | None = None) -> Any:
        if key is not None and self._sensitive(key) and _has_content(value):
            return REDACTED
        if isinstance(value, str):
            return self.text(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, Mapping):
            return {k: self.value(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.value(item) for item in value]
        return self.text(str(value))

    def event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        return {
            key: value if key in _GENERATED_KEYS else self.value(value, key)
            for key, value in event.items()
        }

    def __call__(
        self, _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
    ) -> dict[str, Any]:
        """structlog processor form."""
        return self.event(event_dict)


def escape_control_characters(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """CR/LF in a user-supplied value must not start a fake log line."""
    for key, value in event_dict.items():
        if isinstance(value, str) and key != "exception" and ("\n" in value or "\r" in value):
            event_dict[key] = value.replace("\r", "\\r").replace("\n", "\\n")
    return event_dict
