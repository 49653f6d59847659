"""The start-up check that row-level security can actually protect tenants.

RLS is only as strong as the role the application connects with: a superuser, a role with
BYPASSRLS, the tables' owner (unless FORCE is on) or a member of the owner's role sees every
tenant. Staging and production refuse to run unless all of these facts hold.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

_ROLE = text(
    "SELECT current_user AS name, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
)
_TENANT_TABLES = text(
    """
    SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
           pg_get_userbyid(c.relowner) AS owner,
           pg_has_role(current_user, c.relowner, 'MEMBER') AS member_of_owner
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r'
      AND (c.relname = 'tenants' OR EXISTS (
            SELECT 1 FROM pg_attribute a
            WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped))
    ORDER BY c.relname
    """
)


async def isolation_problems(engine: AsyncEngine) -> list[str]:
    """Every reason tenant isolation could fail for the role ``engine`` connects as."""
    problems: list[str] = []
    async with engine.connect() as connection:
        role = (await connection.execute(_ROLE)).one()
        if role.rolsuper:
            problems.append(f"role {role.name} is a superuser")
        if role.rolbypassrls:
            problems.append(f"role {role.name} has BYPASSRLS")
        tables = (await connection.execute(_TENANT_TABLES)).all()
    if not tables:
        problems.append("no tenant tables found: run `orion db upgrade`")
    for table in tables:
        if not table.relrowsecurity:
            problems.append(f"table {table.relname} does not enable row-level security")
        if not table.relforcerowsecurity:
            problems.append(f"table {table.relname} does not FORCE row-level security")
        if table.member_of_owner:
            problems.append(f"role {role.name} owns (or is in the owner role of) {table.relname}")
    return problems
