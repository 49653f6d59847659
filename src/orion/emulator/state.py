"""All emulator data: Stripe accounts keyed by secret key, HubSpot portals keyed by access
token, the emulator-wide clock and the fault registry.

One `EmulatorState` backs one server. Every account/portal has its own lock and its own
clock (offset on top of the emulator-wide clock), so tests that each create their own
account can churn, age and break it without affecting each other.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from orion.emulator.churn import ChurnSpec
from orion.emulator.clock import Clock
from orion.emulator.faults import FaultRegistry, FaultRule, Provider
from orion.emulator.hubspot.churn import HubSpotChurnResult, churn_portal
from orion.emulator.hubspot.portal import HubSpotPortal, PortalInfo
from orion.emulator.hubspot.ratelimit import RateLimits
from orion.emulator.hubspot.seed import seed_portal
from orion.emulator.ids import StripeIdFactory, random_chars, seeded_rng
from orion.emulator.stripe.account import StripeAccount, TruthEntry
from orion.emulator.stripe.churn import StripeChurnResult, churn_account
from orion.emulator.stripe.render import AccountInfo
from orion.emulator.stripe.seed import seed_account

#: Stripe API version the emulated accounts answer with (the SDK's pinned version family).
STRIPE_API_VERSION = "2026-10-28.endive"

DEMO_STRIPE_API_KEY = "sk_test_orion_demo"
DEMO_STRIPE_WEBHOOK_SECRET = "whsec_orion_demo"  # noqa: S105 - documented public demo value
DEMO_HUBSPOT_ACCESS_TOKEN = "pat-na1-orion-demo"  # noqa: S105 - documented public demo value
DEMO_HUBSPOT_CLIENT_SECRET = "orion-demo-client-secret"  # noqa: S105 - public demo value
DEMO_HUBSPOT_APP_ID = 555001
DEMO_HUBSPOT_PORTAL_ID = 12345678


class DuplicateKeyError(ValueError):
    """An account or portal with that key already exists."""


class EmulatorState:
    def __init__(self, *, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.faults = FaultRegistry()
        self._stripe: dict[str, StripeAccount] = {}
        self._hubspot: dict[str, HubSpotPortal] = {}
        self._lock = threading.Lock()

    @classmethod
    def demo(
        cls,
        *,
        customers: int = 200,
        invoices: int = 400,
        contacts: int | None = None,
        hubspot_invoices: int | None = None,
        seed: int = 0,
    ) -> EmulatorState:
        """A state holding the documented demo account and portal (`orion up --demo`)."""
        state = cls()
        state.add_stripe_account(
            api_key=DEMO_STRIPE_API_KEY,
            customers=customers,
            invoices=invoices,
            seed=seed,
            webhook_secret=DEMO_STRIPE_WEBHOOK_SECRET,
            name="Orion Demo",
        )
        state.add_hubspot_portal(
            access_token=DEMO_HUBSPOT_ACCESS_TOKEN,
            contacts=customers if contacts is None else contacts,
            invoices=invoices if hubspot_invoices is None else hubspot_invoices,
            seed=seed,
            client_secret=DEMO_HUBSPOT_CLIENT_SECRET,
            app_id=DEMO_HUBSPOT_APP_ID,
            portal_id=DEMO_HUBSPOT_PORTAL_ID,
        )
        return state

    # --- Stripe ---------------------------------------------------------------------

    def add_stripe_account(
        self,
        *,
        api_key: str | None = None,
        customers: int = 0,
        invoices: int = 0,
        seed: int = 0,
        webhook_secret: str | None = None,
        name: str | None = None,
        now: int | None = None,
        history_days: int = 180,
    ) -> StripeAccount:
        """Create and seed an account. Same `seed` (and key) -> same data; `now` pins the
        seeding time (default: the emulator clock) for byte-identical reproductions."""
        key = api_key or f"sk_test_{uuid.uuid4().hex}"
        if self.stripe_account(key) is not None:
            raise DuplicateKeyError(f"a Stripe account with key {key!r} exists")
        id_rng = seeded_rng(seed, key)
        ids = StripeIdFactory(id_rng)
        clock = Clock(parent=self.clock)
        seeded_at = clock.now_s() if now is None else now
        info = AccountInfo(
            id=ids.account(),
            name=name or f"Emulated Stripe account {ids.tag[:6]}",
            email=f"billing+{ids.tag[:6].lower()}@example.com",
            country="US",
            default_currency="usd",
            created=seeded_at - (history_days + 30) * 24 * 3600,
            api_version=STRIPE_API_VERSION,
        )
        account = StripeAccount(
            api_key=key,
            info=info,
            ids=ids,
            clock=clock,
            webhook_secret=webhook_secret or f"whsec_{random_chars(id_rng, 32)}",
            rng=seeded_rng(seed, "churn"),
        )
        seed_account(
            account,
            customers=customers,
            invoices=invoices,
            rng=seeded_rng(seed),
            now=seeded_at,
            history_days=history_days,
        )
        with self._lock:
            if key in self._stripe:
                raise DuplicateKeyError(f"a Stripe account with key {key!r} exists")
            self._stripe[key] = account
        return account

    def stripe_account(self, api_key: str) -> StripeAccount | None:
        with self._lock:
            return self._stripe.get(api_key)

    def stripe_accounts(self) -> list[StripeAccount]:
        with self._lock:
            return list(self._stripe.values())

    def remove_stripe_account(self, api_key: str) -> None:
        with self._lock:
            self._stripe.pop(api_key, None)
        self.faults.reset("stripe", api_key)

    def churn_stripe(
        self,
        api_key: str,
        *,
        customers: ChurnSpec | None = None,
        invoices: ChurnSpec | None = None,
        seed: int | None = None,
        step_seconds: int = 0,
    ) -> StripeChurnResult:
        account = self._require_stripe(api_key)
        return churn_account(
            account, customers=customers, invoices=invoices, seed=seed, step_seconds=step_seconds
        )

    def _require_stripe(self, api_key: str) -> StripeAccount:
        account = self.stripe_account(api_key)
        if account is None:
            raise KeyError(f"no Stripe account with key {api_key!r}")
        return account

    # --- HubSpot --------------------------------------------------------------------

    def add_hubspot_portal(
        self,
        *,
        access_token: str | None = None,
        contacts: int = 0,
        invoices: int = 0,
        seed: int = 0,
        client_secret: str | None = None,
        app_id: int | None = None,
        portal_id: int | None = None,
        rate_limits: RateLimits | None = None,
        now_ms: int | None = None,
        history_days: int = 180,
    ) -> HubSpotPortal:
        """Create and seed a portal; same `seed` (and token) -> same data."""
        token = access_token or f"pat-na1-{uuid.uuid4()}"
        if self.hubspot_portal(token) is not None:
            raise DuplicateKeyError(f"a HubSpot portal with token {token!r} exists")
        id_rng = seeded_rng(seed, token)
        clock = Clock(parent=self.clock)
        portal = HubSpotPortal(
            access_token=token,
            info=PortalInfo(portal_id=portal_id or id_rng.randrange(10_000_000, 99_999_999)),
            clock=clock,
            client_secret=client_secret or str(uuid.UUID(int=id_rng.getrandbits(128))),
            app_id=app_id or id_rng.randrange(100_000, 999_999),
            rng=seeded_rng(seed, "churn"),
            rate_limits=rate_limits,
        )
        seed_portal(
            portal,
            contacts=contacts,
            invoices=invoices,
            rng=seeded_rng(seed),
            now_ms=clock.now_ms() if now_ms is None else now_ms,
            history_days=history_days,
        )
        with self._lock:
            if token in self._hubspot:
                raise DuplicateKeyError(f"a HubSpot portal with token {token!r} exists")
            self._hubspot[token] = portal
        return portal

    def hubspot_portal(self, access_token: str) -> HubSpotPortal | None:
        with self._lock:
            return self._hubspot.get(access_token)

    def hubspot_portals(self) -> list[HubSpotPortal]:
        with self._lock:
            return list(self._hubspot.values())

    def remove_hubspot_portal(self, access_token: str) -> None:
        with self._lock:
            self._hubspot.pop(access_token, None)
        self.faults.reset("hubspot", access_token)

    def churn_hubspot(
        self,
        access_token: str,
        *,
        contacts: ChurnSpec | None = None,
        invoices: ChurnSpec | None = None,
        seed: int | None = None,
        step_ms: int = 0,
    ) -> HubSpotChurnResult:
        portal = self._require_hubspot(access_token)
        return churn_portal(
            portal, contacts=contacts, invoices=invoices, seed=seed, step_ms=step_ms
        )

    def _require_hubspot(self, access_token: str) -> HubSpotPortal:
        portal = self.hubspot_portal(access_token)
        if portal is None:
            raise KeyError(f"no HubSpot portal with token {access_token!r}")
        return portal

    # --- truth and faults -------------------------------------------------------------

    def stripe_truth(self, api_key: str) -> dict[str, list[TruthEntry]]:
        """Every customer and invoice of the account (deleted ones too), with versions."""
        return self._require_stripe(api_key).truth()

    def hubspot_truth(self, access_token: str) -> dict[str, list[dict[str, Any]]]:
        """Every contact and invoice of the portal (archived ones too), with versions."""
        return self._require_hubspot(access_token).truth()

    def set_faults(self, provider: Provider, key: str, rules: list[FaultRule]) -> None:
        """Replace the fault rules of one account/portal (see `faults.FaultRule`)."""
        self.faults.set_rules(provider, key, rules)

    def fault_stats(self, provider: Provider, key: str) -> dict[str, Any]:
        return self.faults.stats(provider, key)

    # --- clock ----------------------------------------------------------------------

    def set_clock_offset(self, seconds: float) -> None:
        """Emulator-wide offset; every account/portal clock sits on top of it."""
        self.clock.set_offset(seconds)

    def advance_clock(self, seconds: float) -> None:
        self.clock.advance(seconds)
