"""Live updates: change notifications for the dashboard, and one-time stream tickets.

Compatibility: expand only. Adds a table nothing older reads, one trigger function, nine
statement-level triggers and one SECURITY DEFINER function. Older code keeps writing
``connections``, ``sync_runs`` and ``webhook_events`` unchanged; the triggers only add a
``pg_notify`` that nobody has to listen to. Downgrade drops exactly these.

Why triggers rather than ``pg_notify`` calls in the code paths: they also catch the worker's
writes (sync progress, webhook processing), the webhook writer's batches and cascades, so the
dashboard never misses a change whichever process made it. They are *statement*-level with
transition tables, so a 500-row webhook batch sends one notification per tenant, not 500:
NOTIFY serialises the commits of notifying transactions, and a per-row trigger would multiply
that cost. Payloads carry the tenant, the kind, the operation, at most 20 ids and a count, never
row data; listeners re-read through the tenant-isolated API.

Stream tickets: ``EventSource`` cannot send an ``Authorization`` header, so a signed-in client
trades its bearer token for a one-time ticket (only its SHA-256 is stored) that any API
instance can redeem once, within 30 seconds, through ``orion_redeem_stream_ticket``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

from orion.platform.migrations import sql_statements

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_GROUP = "orion_app_rw"
WATCHED = {"connections": "connection", "sync_runs": "sync_run", "webhook_events": "webhook_event"}
REDEEM = "orion_redeem_stream_ticket(bytea)"

# The channel name is orion.live.notifications.CHANNEL (a migration never follows later code).
SCHEMA = """
CREATE TABLE live_stream_tickets (
    ticket_hash bytea PRIMARY KEY,
    tenant_id uuid NOT NULL,
    subject text NOT NULL,
    expires_at timestamptz NOT NULL,
    session_expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_live_stream_tickets_expires ON live_stream_tickets (expires_at);

CREATE FUNCTION orion_redeem_stream_ticket(p_hash bytea)
    RETURNS TABLE (tenant_id uuid, subject text, session_expires_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
    BEGIN
        DELETE FROM live_stream_tickets t WHERE t.expires_at < now() - interval '1 minute';
        RETURN QUERY
            DELETE FROM live_stream_tickets t
            WHERE t.ticket_hash = p_hash AND t.expires_at >= now()
            RETURNING t.tenant_id, t.subject, t.session_expires_at;
    END $$;

CREATE FUNCTION orion_notify_change() RETURNS trigger
    LANGUAGE plpgsql SET search_path = public, pg_temp
    AS $$
    DECLARE
        change record;
    BEGIN
        FOR change IN
            SELECT r.tenant_id, count(*) AS n, (array_agg(r.id ORDER BY r.id))[1:20] AS ids
            FROM changed_rows r GROUP BY r.tenant_id
        LOOP
            PERFORM pg_notify('orion_live', json_build_object(
                'tenant', change.tenant_id, 'kind', TG_ARGV[0], 'op', lower(TG_OP),
                'ids', change.ids, 'count', change.n)::text);
        END LOOP;
        RETURN NULL;
    END $$;
"""


def _triggers(table: str, kind: str) -> str:
    # A transition table can serve only one event, hence one trigger per operation; all of
    # them name it changed_rows so they share the function.
    return "\n".join(
        f"CREATE TRIGGER live_{table}_{event.lower()} AFTER {event} ON {table} "
        f"REFERENCING {image} TABLE AS changed_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION orion_notify_change('{kind}');"
        for event, image in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))
    )


def upgrade() -> None:
    for statement in sql_statements(SCHEMA):
        op.execute(statement)
    for table, kind in WATCHED.items():
        for statement in sql_statements(_triggers(table, kind)):
            op.execute(statement)
    op.execute("ALTER TABLE live_stream_tickets ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE live_stream_tickets FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON live_stream_tickets "
        "USING (tenant_id = orion_current_tenant()) "
        "WITH CHECK (tenant_id = orion_current_tenant())"
    )
    op.execute(f"GRANT INSERT ON live_stream_tickets TO {APP_GROUP}")
    op.execute(f"REVOKE ALL ON FUNCTION {REDEEM} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {REDEEM} TO {APP_GROUP}")


def downgrade() -> None:
    for table in WATCHED:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS live_{table}_{event} ON {table}")
    for statement in sql_statements(
        """
        DROP FUNCTION IF EXISTS orion_notify_change();
        DROP FUNCTION IF EXISTS orion_redeem_stream_ticket(bytea);
        DROP TABLE IF EXISTS live_stream_tickets;
        """
    ):
        op.execute(statement)
