"""Root conftest: fixtures live in tests/fixtures/ and are registered here as plugins."""

pytest_plugins = ["tests.fixtures.settings"]
