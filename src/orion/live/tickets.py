"""One-time stream tickets: a bearer token is traded for a ticket that ``EventSource`` can carry.

``EventSource`` cannot send an ``Authorization`` header, and a bearer token in a URL ends up in
proxy and platform access logs, browser history and ``Referer`` headers. A ticket is useless
once used or 30 seconds after it was issued, so it does not matter where it is logged. Only
its SHA-256 is stored, in Postgres, so whichever API instance the stream lands on can redeem it
(``orion_redeem_stream_ticket`` deletes and returns it in one statement: exactly once).
A stream lives no longer than the token that asked for its ticket.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from orion.live.models import live_stream_tickets
from orion.platform.auth import Principal
from orion.platform.db import Database

TICKET_TTL_SECONDS = 30
TICKET_PATTERN = r"^[A-Za-z0-9_-]{43}$"  # token_urlsafe(32)
_REDEEM = text(
    "SELECT tenant_id, subject, session_expires_at FROM orion_redeem_stream_ticket(:hash)"
)


@dataclass(frozen=True)
class StreamGrant:
    tenant_id: uuid.UUID
    subject: str
    session_expires_at: datetime


def ticket_hash(ticket: str) -> bytes:
    return hashlib.sha256(ticket.encode()).digest()


def session_expiry(principal: Principal) -> datetime:
    """When the token behind the request expires (verification required ``exp``)."""
    return datetime.fromtimestamp(int(principal.claims["exp"]), UTC)


async def issue_ticket(session: AsyncSession, principal: Principal) -> str:
    ticket = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    await session.execute(
        insert(live_stream_tickets).values(
            ticket_hash=ticket_hash(ticket),
            tenant_id=principal.tenant_id,
            subject=principal.subject,
            expires_at=now + timedelta(seconds=TICKET_TTL_SECONDS),
            session_expires_at=session_expiry(principal),
        )
    )
    return ticket


async def redeem_ticket(database: Database, ticket: str) -> StreamGrant | None:
    """The grant of a valid, unused ticket (which is used up now), else ``None``."""
    async with database.system_transaction() as session:
        row = (await session.execute(_REDEEM, {"hash": ticket_hash(ticket)})).first()
    if row is None:
        return None
    return StreamGrant(row.tenant_id, row.subject, row.session_expires_at)
