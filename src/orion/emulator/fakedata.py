"""Deterministic fake people, companies and products shared by both providers' seeders.

Tuples and read-only mappings, so nothing here is mutable module state.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from types import MappingProxyType

FIRST_NAMES = (
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Margaret",
    "Ken",
    "Dennis",
    "Frances",
    "John",
    "Radia",
    "Tim",
    "Katherine",
    "Linus",
    "Guido",
    "Sophie",
    "Hedy",
    "Claude",
    "Annie",
    "Niklaus",
    "Leslie",
    "Shafi",
    "Whitfield",
    "Lynn",
    "Marvin",
    "Joan",
    "Karen",
    "Yukihiro",
    "Anders",
    "Zoë",
    "José",
    "Mária",
    "Øystein",
    "Chloé",
)
LAST_NAMES = (
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Hamilton",
    "Thompson",
    "Ritchie",
    "Allen",
    "Backus",
    "Perlman",
    "Berners-Lee",
    "Johnson",
    "Torvalds",
    "van Rossum",
    "Wilson",
    "Lamarr",
    "Shannon",
    "Easley",
    "Wirth",
    "Lamport",
    "Goldwasser",
    "Diffie",
    "Conway",
    "Minsky",
    "Clarke",
    "Spärck Jones",
    "Matsumoto",
    "Hejlsberg",
    "O'Neil",
    "García",
    "Müller",
    "Nakamura",
    "Dubois",
)
COMPANIES = (
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay Industries",
    "Stark Industries",
    "Wayne Enterprises",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Wonka",
)
DOMAINS = ("example.com", "example.org", "example.net", "test.example")
CITIES = (
    ("Berlin", "10115", "DE"),
    ("Paris", "75001", "FR"),
    ("London", "EC1A 1BB", "GB"),
    ("New York", "10001", "US"),
    ("San Francisco", "94103", "US"),
    ("Toronto", "M5H 2N2", "CA"),
    ("Madrid", "28001", "ES"),
    ("Tokyo", "100-0001", "JP"),
    ("Zürich", "8001", "CH"),
)
# State/region per city, written the way people type it into a CRM (codes and names mixed).
# Looked up, not drawn, so adding it left every seeded sequence unchanged.
REGIONS = MappingProxyType(
    {
        "Berlin": "Berlin",
        "Paris": "Île-de-France",
        "London": "England",
        "New York": "NY",
        "San Francisco": "CA",
        "Toronto": "ON",
        "Madrid": "Comunidad de Madrid",
        "Tokyo": "Tokyo",
        "Zürich": "ZH",
    }
)
STREETS = ("Main St", "High St", "Rue de Rivoli", "Unter den Linden", "Market St", "Baker St")
PRODUCTS = (
    "Pro plan (monthly)",
    "Team plan (annual)",
    "Onboarding package",
    "Support hours",
    "API overage",
    "Enterprise seat",
    "Consulting day",
    "Storage add-on",
)


@dataclass(frozen=True, slots=True)
class Person:
    """A fake person; any field may be missing so mappers learn not to invent data."""

    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    company: str | None
    street: str | None
    city: str | None
    postal_code: str | None
    country: str | None
    state: str | None = None


def person(rng: random.Random, serial: int) -> Person:
    """About 1 in 10 people has no email, about 1 in 10 no name, half no phone."""
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    has_name = rng.random() >= 0.1
    has_email = rng.random() >= 0.1
    local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
    local = local.encode("ascii", "ignore").decode() or "user"
    email = f"{local}{serial}@{rng.choice(DOMAINS)}" if has_email else None
    phone = f"+1 555 {rng.randrange(1000, 9999)}" if rng.random() < 0.5 else None
    company = rng.choice(COMPANIES) if rng.random() < 0.7 else None
    street: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None
    if rng.random() < 0.6:
        city, postal_code, country = rng.choice(CITIES)
        street = f"{rng.randrange(1, 400)} {rng.choice(STREETS)}"
    return Person(
        first_name=first if has_name else None,
        last_name=last if has_name else None,
        email=email,
        phone=phone,
        company=company,
        street=street,
        city=city,
        postal_code=postal_code,
        country=country,
        state=REGIONS.get(city) if city else None,
    )
