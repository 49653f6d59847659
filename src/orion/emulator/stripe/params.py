"""Parse Stripe's bracketed form/query parameters and validate list parameters.

The SDK encodes nested values as `created[gte]=1` and arrays as `types[0]=a` (older
clients send `types[]=a`); Stripe rejects unknown parameters and out-of-range limits
with a 400 naming the `param`. Both behaviours are reproduced so Orion's request
building is checked the way the real API checks it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from orion.emulator.stripe.errors import StripeAPIError

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SUBKEY = re.compile(r"\[([^\[\]]*)\]")

ParamValue = str | list[Any] | dict[str, Any]


def _invalid(param: str, message: str) -> StripeAPIError:
    return StripeAPIError(400, message, param=param)


def parse_params(pairs: Iterable[tuple[str, str]]) -> dict[str, ParamValue]:
    """Nest bracketed keys: `created[gte]=1&types[0]=a` ->
    `{"created": {"gte": "1"}, "types": ["a"]}`."""
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        match = _KEY.match(raw_key)
        if match is None:
            raise _invalid(raw_key, f"Invalid parameter name: {raw_key}")
        path = [match.group(1), *_SUBKEY.findall(match.group(2))]
        node = root
        for depth, part in enumerate(path):
            last = depth == len(path) - 1
            # `types[]` appends: the next free index, like `types[N]`.
            key = part if part != "" else str(sum(1 for k in node if k.isdigit()))
            if last:
                if key in node:
                    raise _invalid(raw_key, f"Invalid parameter: {raw_key} was given twice")
                node[key] = value
            else:
                child = node.setdefault(key, {})
                if not isinstance(child, dict):
                    raise _invalid(raw_key, f"Invalid hash for parameter {path[0]}")
                node = child
    return {key: _listify(value) for key, value in root.items()}


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    converted = {key: _listify(child) for key, child in value.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def parse_int(param: str, raw: Any) -> int:
    if not isinstance(raw, str) or not re.fullmatch(r"-?\d+", raw.strip()):
        shown = raw if isinstance(raw, str) else "a hash"
        raise _invalid(param, f"Invalid integer: {shown}")
    return int(raw)


@dataclass(frozen=True, slots=True)
class CreatedRange:
    """Inclusive bounds on `created` (gt/lt are turned into gte/lte)."""

    gte: int | None = None
    lte: int | None = None

    def contains(self, created: int) -> bool:
        return (self.gte is None or created >= self.gte) and (
            self.lte is None or created <= self.lte
        )


def parse_created(raw: ParamValue | None, param: str = "created") -> CreatedRange:
    if raw is None:
        return CreatedRange()
    if isinstance(raw, str):
        exact = parse_int(param, raw)
        return CreatedRange(gte=exact, lte=exact)
    if isinstance(raw, list):
        raise _invalid(param, f"Invalid hash for parameter {param}")
    gte: int | None = None
    lte: int | None = None
    for op, value in raw.items():
        name = f"{param}[{op}]"
        if op not in ("gt", "gte", "lt", "lte"):
            raise _invalid(name, f"Received unknown parameter: {name}")
        number = parse_int(name, value)
        if op == "gt":
            gte = number + 1 if gte is None else max(gte, number + 1)
        elif op == "gte":
            gte = number if gte is None else max(gte, number)
        elif op == "lt":
            lte = number - 1 if lte is None else min(lte, number - 1)
        else:
            lte = number if lte is None else min(lte, number)
    return CreatedRange(gte=gte, lte=lte)


@dataclass(frozen=True, slots=True)
class ListParams:
    limit: int = 10
    starting_after: str | None = None
    ending_before: str | None = None
    created: CreatedRange = CreatedRange()
    expand: tuple[str, ...] = ()


_COMMON = frozenset({"limit", "starting_after", "ending_before", "created", "expand"})


def parse_list_params(
    params: dict[str, ParamValue], extra_allowed: frozenset[str] = frozenset()
) -> ListParams:
    """Validate the pagination parameters every Stripe list endpoint shares."""
    for key in params:
        if key not in _COMMON and key not in extra_allowed:
            raise _invalid(key, f"Received unknown parameter: {key}")
    limit = 10
    if "limit" in params:
        limit = parse_int("limit", params["limit"])
        if limit < 1:
            raise _invalid("limit", "This value must be greater than or equal to 1.")
        if limit > 100:
            raise _invalid("limit", "This value must be less than or equal to 100.")
    starting_after = _cursor(params, "starting_after")
    ending_before = _cursor(params, "ending_before")
    if starting_after is not None and ending_before is not None:
        raise _invalid(
            "ending_before",
            "You may only specify one of these parameters: ending_before, starting_after.",
        )
    return ListParams(
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        created=parse_created(params.get("created")),
        expand=parse_expand(params.get("expand")),
    )


def _cursor(params: dict[str, ParamValue], name: str) -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise _invalid(name, f"Invalid string: {name} must be an object id")
    return raw


def parse_expand(raw: ParamValue | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return tuple(raw)
    raise _invalid("expand", "Invalid array for parameter expand")


def parse_string_list(raw: ParamValue | None, param: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return tuple(raw)
    raise _invalid(param, f"Invalid array for parameter {param}")
