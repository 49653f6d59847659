"""Webhook inbox: replay generations, a dead-letter index, two operator lookups through RLS.

Compatibility: expand only. ``webhook_events.replays`` is a new column with a default (a
catalog-only change on Postgres 11+, no table rewrite), so code from revision 0001 keeps
inserting and reading rows unchanged. The index and the two SECURITY DEFINER functions are
additions nothing older uses. Downgrade drops exactly these. The index is partial (dead
events only), so the inbox's hot inserts and status updates never touch it.

Why: a replayed event needs a new Temporal workflow id that concurrent replays agree on
(``replays`` is bumped in the same UPDATE that resets the row), and ``orion webhooks replay``
runs outside any tenant, so it needs narrow doors that return only ids and tenants.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

from orion.platform.migrations import sql_statements

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_GROUP = "orion_app_rw"
FUNCTIONS = (
    "orion_webhook_event_tenants(uuid[])",
    "orion_dead_webhook_events(integer)",
)

SCHEMA = """
ALTER TABLE webhook_events ADD COLUMN replays integer NOT NULL DEFAULT 0;

CREATE INDEX ix_webhook_events_tenant_dead
    ON webhook_events (tenant_id, received_at DESC, id) WHERE status = 'dead';

CREATE FUNCTION orion_webhook_event_tenants(p_ids uuid[])
    RETURNS TABLE (event_id uuid, tenant_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT id, tenant_id FROM webhook_events WHERE id = ANY(p_ids) $$;

CREATE FUNCTION orion_dead_webhook_events(p_limit integer)
    RETURNS TABLE (event_id uuid, tenant_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT id, tenant_id FROM webhook_events WHERE status = 'dead'
          ORDER BY received_at LIMIT p_limit $$;
"""


def upgrade() -> None:
    for statement in sql_statements(SCHEMA):
        op.execute(statement)
    for signature in FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_GROUP}")


def downgrade() -> None:
    for statement in sql_statements(
        """
        DROP FUNCTION IF EXISTS orion_dead_webhook_events(integer);
        DROP FUNCTION IF EXISTS orion_webhook_event_tenants(uuid[]);
        DROP INDEX IF EXISTS ix_webhook_events_tenant_dead;
        ALTER TABLE webhook_events DROP COLUMN IF EXISTS replays;
        """
    ):
        op.execute(statement)
