"""Initial schema: tenants, connections, sync state, unified records, webhook inbox, audit.

Compatibility: first revision (expand only). Every tenant table has row-level security enabled
and forced; the application role group ``orion_app_rw`` gets data privileges, never ownership.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

from orion.platform.migrations import sql_statements

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_GROUP = "orion_app_rw"
TENANT_TABLES = (
    "connections",
    "sync_cursors",
    "sync_runs",
    "customers",
    "invoices",
    "webhook_events",
    "audit_log",
)

SCHEMA = """
CREATE FUNCTION orion_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE TABLE tenants (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE connections (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    provider text NOT NULL CHECK (provider IN ('stripe', 'hubspot')),
    external_account_id text NOT NULL,
    display_name text,
    credentials bytea NOT NULL,
    credentials_key_id text NOT NULL,
    webhook_secrets bytea,
    webhook_secrets_key_id text,
    status text NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'needs_reauth', 'paused')),
    status_reason text,
    sync_interval_seconds integer NOT NULL DEFAULT 3600 CHECK (sync_interval_seconds >= 60),
    last_synced_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_connections_tenant_provider_account
        UNIQUE (tenant_id, provider, external_account_id)
);
CREATE INDEX ix_connections_provider_account ON connections (provider, external_account_id);

CREATE TABLE sync_cursors (
    connection_id uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('customer', 'invoice')),
    cursor text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connection_id, kind)
);

CREATE TABLE sync_runs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    connection_id uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    workflow_id text NOT NULL,
    trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    status text NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
    pages integer NOT NULL DEFAULT 0,
    records_upserted integer NOT NULL DEFAULT 0,
    records_deleted integer NOT NULL DEFAULT 0,
    gap boolean NOT NULL DEFAULT false,
    error text,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_sync_runs_tenant_started ON sync_runs (tenant_id, started_at DESC, id);
CREATE INDEX ix_sync_runs_connection ON sync_runs (connection_id, started_at DESC);

CREATE TABLE customers (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    connection_id uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    provider text NOT NULL CHECK (provider IN ('stripe', 'hubspot')),
    external_id text NOT NULL,
    email text,
    name text,
    phone text,
    company text,
    address jsonb,
    raw jsonb NOT NULL,
    source_updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_customers_connection_external UNIQUE (connection_id, external_id)
);
CREATE INDEX ix_customers_tenant_updated ON customers (tenant_id, updated_at, id);
CREATE INDEX ix_customers_tenant_email ON customers (tenant_id, lower(email));

CREATE TABLE invoices (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    connection_id uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    provider text NOT NULL CHECK (provider IN ('stripe', 'hubspot')),
    external_id text NOT NULL,
    number text,
    customer_external_id text,
    currency text,
    amount_due bigint,
    amount_paid bigint,
    amount_remaining bigint,
    total bigint,
    status text,
    provider_status text,
    issued_at timestamptz,
    due_at timestamptz,
    paid_at timestamptz,
    raw jsonb NOT NULL,
    source_updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_invoices_connection_external UNIQUE (connection_id, external_id)
);
CREATE INDEX ix_invoices_tenant_updated ON invoices (tenant_id, updated_at, id);
CREATE INDEX ix_invoices_tenant_customer ON invoices (tenant_id, customer_external_id);

CREATE TABLE webhook_events (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    connection_id uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    provider text NOT NULL CHECK (provider IN ('stripe', 'hubspot')),
    event_id text NOT NULL,
    event_type text NOT NULL,
    object_id text,
    occurred_at timestamptz,
    payload jsonb NOT NULL,
    raw_body bytea NOT NULL,
    headers jsonb NOT NULL DEFAULT '{}'::jsonb,
    status text NOT NULL DEFAULT 'received'
        CHECK (status IN ('received', 'dispatched', 'processed', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    received_at timestamptz NOT NULL DEFAULT now(),
    dispatched_at timestamptz,
    processed_at timestamptz,
    CONSTRAINT uq_webhook_events_provider_connection_event
        UNIQUE (provider, connection_id, event_id)
);
CREATE INDEX ix_webhook_events_tenant_received ON webhook_events (tenant_id, received_at DESC, id);
CREATE INDEX ix_webhook_events_undispatched ON webhook_events (received_at)
    WHERE status = 'received';

CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    actor text NOT NULL,
    action text NOT NULL,
    target_type text,
    target_id text,
    details jsonb NOT NULL DEFAULT '{}'::jsonb,
    request_id text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_audit_log_tenant_created ON audit_log (tenant_id, created_at DESC);

-- Narrow, audited doors through RLS for the few lookups that must happen before the tenant
-- is known. Each returns only ids, never tenant data.
CREATE FUNCTION orion_connection_tenant(p_connection_id uuid) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT tenant_id FROM connections WHERE id = p_connection_id $$;

CREATE FUNCTION orion_connections_for_account(p_provider text, p_account text)
    RETURNS TABLE (connection_id uuid, tenant_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT id, tenant_id FROM connections
          WHERE provider = p_provider AND external_account_id = p_account $$;

CREATE FUNCTION orion_undispatched_webhook_events(p_older_than interval, p_limit integer)
    RETURNS TABLE (event_id uuid, tenant_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT id, tenant_id FROM webhook_events
          WHERE status = 'received' AND received_at < now() - p_older_than
          ORDER BY received_at LIMIT p_limit $$;

CREATE FUNCTION orion_webhook_backlog()
    RETURNS TABLE (undispatched bigint, oldest_received_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT count(*), min(received_at) FROM webhook_events WHERE status = 'received' $$;

CREATE FUNCTION orion_all_connections()
    RETURNS TABLE (connection_id uuid, tenant_id uuid, status text, sync_interval_seconds integer)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT id, tenant_id, status, sync_interval_seconds FROM connections $$;
"""


def _ensure_app_group() -> None:
    op.execute(
        f"""
        DO $$ BEGIN
            CREATE ROLE {APP_GROUP} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
        EXCEPTION WHEN duplicate_object THEN NULL;
        END $$;
        """
    )


def _enable_vector_if_available() -> None:
    op.execute(
        """
        DO $$ BEGIN
            IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
                CREATE EXTENSION IF NOT EXISTS vector;
            ELSE
                RAISE NOTICE 'pgvector is not installed on this server; vector not enabled';
            END IF;
        END $$;
        """
    )


def upgrade() -> None:
    _ensure_app_group()
    _enable_vector_if_available()
    for statement in sql_statements(SCHEMA):
        op.execute(statement)
    op.execute("ALTER TABLE tenants ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE tenants FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON tenants "
        "USING (id = orion_current_tenant()) WITH CHECK (id = orion_current_tenant())"
    )
    for table in TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            "USING (tenant_id = orion_current_tenant()) "
            "WITH CHECK (tenant_id = orion_current_tenant())"
        )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_GROUP}")
    tables = ", ".join(("tenants", *TENANT_TABLES))
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {tables} TO {APP_GROUP}")
    op.execute(f"GRANT SELECT ON alembic_version TO {APP_GROUP}")  # readiness reads the head
    for signature in (
        "orion_current_tenant()",
        "orion_connection_tenant(uuid)",
        "orion_connections_for_account(text, text)",
        "orion_undispatched_webhook_events(interval, integer)",
        "orion_webhook_backlog()",
        "orion_all_connections()",
    ):
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP_GROUP}")


def downgrade() -> None:
    for statement in sql_statements(
        """
        DROP FUNCTION IF EXISTS orion_all_connections();
        DROP FUNCTION IF EXISTS orion_webhook_backlog();
        DROP FUNCTION IF EXISTS orion_undispatched_webhook_events(interval, integer);
        DROP FUNCTION IF EXISTS orion_connections_for_account(text, text);
        DROP FUNCTION IF EXISTS orion_connection_tenant(uuid);
        DROP TABLE IF EXISTS audit_log, webhook_events, invoices, customers, sync_runs,
            sync_cursors, connections, tenants;
        DROP FUNCTION IF EXISTS orion_current_tenant();
        """
    ):
        op.execute(statement)
