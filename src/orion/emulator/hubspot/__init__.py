"""HubSpot-compatible part of the emulator: CRM v3 objects, search, rate limits, routes."""
