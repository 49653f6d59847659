"""Cross-cutting building blocks. Nothing here imports a domain package."""
