"""Live updates for the dashboard: Postgres LISTEN/NOTIFY fanned out as server-sent events."""
