"""Tenants (the isolation boundary) and their audit log."""
