"""Root conftest: fixtures live in tests/fixtures/ and are registered here as plugins."""

pytest_plugins = [
    "tests.fixtures.settings",
    "tests.fixtures.postgres",
    "tests.fixtures.redis",
    "tests.fixtures.temporal",
    "tests.fixtures.jwks",
    "tests.fixtures.emulator",
    "tests.fixtures.stack",
]
