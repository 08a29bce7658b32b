"""The server's one settings object."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_DB_URL = "sqlite:///var/server/server.sqlite"


@dataclass(frozen=True)
class ServerSettings:
    """How one server process runs. Several processes with the same ``db_url`` and
    ``store_id`` serve the same store (invariant 9): the database holds all state.

    ``admin_token`` guards the back office (``autonom server`` generates one and prints it
    when none is given; ``create_app`` needs it set). A till that registers must present
    ``enrolment_code``; without one, registration is closed unless ``open_enrolment``
    says that any till on the network may register.
    """

    db_url: str = DEFAULT_DB_URL
    store_id: int = 1
    admin_token: str | None = None
    enrolment_code: str | None = None
    open_enrolment: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
