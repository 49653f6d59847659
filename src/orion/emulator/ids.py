"""Provider-style identifiers that sort in creation order.

Real Stripe ids start with a time-ordered head (e.g. `evt_1Pgc76...`) followed by an
account tag and random characters, so inside one second id order follows creation order;
list ordering ties are broken by id. We reproduce that: an ordered sequence head, a
per-account tag and a seeded random tail, so ids are reproducible for a seed and unique
across accounts (the account key is mixed into the id RNG).
"""

from __future__ import annotations

import random
import secrets
import string

# ASCII order, so equal-width encodings compare like the numbers they encode.
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


# Two digits per step: seeding 100,000 objects encodes a few hundred thousand ids.
_PAIRS = tuple(high + low for high in BASE62 for low in BASE62)


def base62(number: int, width: int) -> str:
    """Fixed-width base-62 encoding (most significant digit first)."""
    if number < 0 or number >= 62**width:
        raise ValueError(f"{number} does not fit in {width} base-62 digits")
    chunks = []
    for _ in range(width // 2):
        number, rest = divmod(number, 3844)
        chunks.append(_PAIRS[rest])
    if width % 2:
        chunks.append(BASE62[number])
    return "".join(reversed(chunks))


def seeded_rng(*parts: object) -> random.Random:
    """A reproducible PRNG for fake data (never for secrets): same parts, same stream."""
    return random.Random(":".join(str(part) for part in parts))  # noqa: S311


def random_chars(rng: random.Random, length: int) -> str:
    # 6 random bits per character; the modulo bias is irrelevant for fake ids.
    return base62(rng.getrandbits(6 * length) % 62**length, length)


def request_id() -> str:
    """`req_...` ids for response headers; not part of the seeded data."""
    return "req_" + "".join(secrets.choice(BASE62) for _ in range(14))


class StripeIdFactory:
    """Makes `cus_`/`in_`/`il_`/`evt_` ids whose order matches creation order."""

    _SEQ_WIDTH = 6

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self.tag = random_chars(rng, 10)
        # Start mid-range so ids look like Stripe's rather than `cus_000000...`.
        self._seq = rng.randrange(62**self._SEQ_WIDTH // 4, 62**self._SEQ_WIDTH // 2)

    def _head(self) -> str:
        self._seq += 1
        return base62(self._seq, self._SEQ_WIDTH)

    def short(self, prefix: str) -> str:
        """14-character body, like `cus_QXg1o8vcGmoR32`."""
        return f"{prefix}_{self._head()}{random_chars(self._rng, 8)}"

    def long(self, prefix: str) -> str:
        """24-character body with the account tag, like `in_1Pgc6tB7WZ01zgkWu9fdqL6I`."""
        return f"{prefix}_{self._head()}{self.tag}{random_chars(self._rng, 8)}"

    def account(self) -> str:
        """16-character body, like `acct_1PgafTB7WZ01zgkW`."""
        return f"acct_{self._head()}{self.tag}"
