"""The three environments Orion runs in."""

from enum import StrEnum


class Environment(StrEnum):
    DEVELOPMENT = "development"
    STAGING = "staging"
    PRODUCTION = "production"

    @property
    def deployed(self) -> bool:
        """Staging and production share every safety rule except which provider keys they take."""
        return self is not Environment.DEVELOPMENT
