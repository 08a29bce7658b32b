"""Autonom: a point-of-sale system whose tills keep selling when the server is gone."""

__version__ = "0.1.0"
