"""Release and operations tooling: configuration checks, smoke tests, guard, backups."""
