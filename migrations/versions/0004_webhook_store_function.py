"""Webhook inbox: store a batch of events, of any tenants, in one statement (one round trip).

Compatibility: expand only. Adds one SECURITY INVOKER function; the table, its policies and
older code's plain INSERT are unchanged, so the previous release keeps working against this
schema. Downgrade drops the function.

Why: the group-commit writer spent most of a batch's time on round trips (pool ping, BEGIN,
``set_config``, INSERT, COMMIT), each waiting for a busy event loop to come back to it; with
the tenant set and the rows inserted by one function call, run outside an explicit
transaction, the batch is a single statement: it commits on its own, atomically (all tenants'
rows or none), in one round trip. The function runs with the caller's rights and sets
``app.tenant_id`` to each tenant in turn before inserting that tenant's rows, so row-level
security still checks every row against the tenant it claims (``set_config(..., true)`` lasts
for that one statement's transaction only, which also keeps it safe behind a transaction
pooler).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

from orion.platform.migrations import sql_statements

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_GROUP = "orion_app_rw"
SIGNATURE = (
    "orion_store_webhook_events(uuid[], uuid[], text[], text[], text[], text[], timestamptz[],"
    " text[], bytea[], text[])"
)

SCHEMA = """
CREATE FUNCTION orion_store_webhook_events(
        p_tenants uuid[], p_connections uuid[], p_providers text[], p_event_ids text[],
        p_types text[], p_objects text[], p_occurred timestamptz[], p_payloads text[],
        p_bodies bytea[], p_headers text[])
    RETURNS TABLE (id uuid, tenant_id uuid, connection_id uuid, provider text, event_id text)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = public, pg_temp
    AS $$
    #variable_conflict use_column
    DECLARE
        tenant uuid;
    BEGIN
        FOR tenant IN SELECT DISTINCT t FROM unnest(p_tenants) AS t LOOP
            PERFORM set_config('app.tenant_id', tenant::text, true);
            RETURN QUERY
                INSERT INTO webhook_events AS w (tenant_id, connection_id, provider, event_id,
                                                 event_type, object_id, occurred_at, payload,
                                                 raw_body, headers)
                SELECT r.tenant_id, r.connection_id, r.provider, r.event_id, r.event_type,
                       r.object_id, r.occurred_at, r.payload::jsonb, r.raw_body,
                       r.headers::jsonb
                FROM unnest(p_tenants, p_connections, p_providers, p_event_ids, p_types,
                            p_objects, p_occurred, p_payloads, p_bodies, p_headers)
                     AS r(tenant_id, connection_id, provider, event_id, event_type, object_id,
                          occurred_at, payload, raw_body, headers)
                WHERE r.tenant_id = tenant
                ON CONFLICT (provider, connection_id, event_id) DO NOTHING
                RETURNING w.id, w.tenant_id, w.connection_id, w.provider, w.event_id;
        END LOOP;
    END $$;
"""


def upgrade() -> None:
    for statement in sql_statements(SCHEMA):
        op.execute(statement)
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {APP_GROUP}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
