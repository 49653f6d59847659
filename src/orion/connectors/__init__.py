"""Provider connectors: pure adapters (HTTP calls + mapping to unified records), no database.

Each provider implements the small ``Connector`` protocol in ``base``; ``registry`` maps a
``Provider`` to the factory that builds its connector from a ``ConnectorConfig``.
"""
