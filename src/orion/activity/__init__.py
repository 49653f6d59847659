"""What the dashboard's overview charts: sync and webhook activity of a tenant over time."""
