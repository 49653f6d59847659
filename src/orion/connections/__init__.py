"""A tenant's provider accounts and their encrypted credentials."""
