"""Durable incremental syncs on Temporal."""
