"""Unified customers and invoices."""
