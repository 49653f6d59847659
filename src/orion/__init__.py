"""Orion: a multi-tenant integration backend for Stripe and HubSpot."""

from importlib.metadata import PackageNotFoundError, version


def package_version() -> str:
    """The installed distribution's version, so every process reports the same one."""
    try:
        return version("orion")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"
