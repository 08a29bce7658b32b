"""The store's server: master data, shared tickets and the push endpoint (DESIGN.md)."""

from autonom.server.settings import DEFAULT_DB_URL, ServerSettings

__all__ = ["DEFAULT_DB_URL", "ServerSettings"]
