"""Stripe: customers and invoices through the official ``stripe`` SDK's async API.

Backfill pages ``/v1/{customers,invoices}``; afterwards ``/v1/events`` is read forward from a
watermark taken before the backfill, so every change is seen (see ``cursor``).
"""
