"""Stripe-compatible part of the emulator: data model, seeding, churn, listing and routes."""
