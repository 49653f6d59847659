"""Orion: integration backend."""
