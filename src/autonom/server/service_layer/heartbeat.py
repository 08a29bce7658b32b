"""The heartbeat on the server (R1.1-R1.6): each till's last report and the mode changes
it logged, kept exactly once, and the station settings it gets back in the answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from autonom.contracts import (
    HeartbeatAck,
    HeartbeatReport,
    ModeEventPublic,
    StationSettingsPublic,
)
from autonom.domain.numbering import check_till_number
from autonom.server.adapters import SqlUnitOfWork, TillRecord
from autonom.server.domain import new_events


def receive_heartbeat(
    *, uow: SqlUnitOfWork, number: int, report: HeartbeatReport, now: datetime
) -> HeartbeatAck:
    """Keep the till's report and its new events in one transaction; answer the highest
    event seq held, the till's station settings and the backends that are down."""
    with uow:
        # Locks the till's status row to commit: the same report received by two server
        # processes at once is stored once (as the push locks the till's position).
        events_through = uow.till_status.record(
            number,
            mode=report.mode,
            activity=report.activity,
            unsent_operations=report.unsent_operations,
            at=now,
        )
        fresh = new_events(events_through=events_through, events=report.events)
        if fresh:
            uow.mode_events.add(number, fresh, at=now)
            events_through = fresh[-1].seq
        settings = uow.station_settings.get(number)
        backends_down = uow.backends.down()
        uow.commit()
    return HeartbeatAck(
        events_through=events_through, station_settings=settings, backends_down=backends_down
    )


def station_settings(*, uow: SqlUnitOfWork, number: int) -> StationSettingsPublic:
    """The till's station settings (R1.4, R1.5); the defaults when none were set."""
    with uow:
        return uow.station_settings.get(number)


def put_station_settings(
    *, uow: SqlUnitOfWork, number: int, settings: StationSettingsPublic, now: datetime
) -> StationSettingsPublic:
    """Set a till's station settings, also before that till registers; the till gets them
    with the answer to its next heartbeat."""
    check_till_number(number)
    with uow:
        uow.station_settings.put(number, settings, at=now)
        uow.commit()
    return settings


def till_overview(*, uow: SqlUnitOfWork) -> list[TillRecord]:
    """Every registered till: position, last push, last report and station settings."""
    with uow:
        return uow.back_office.tills()


def mode_events(*, uow: SqlUnitOfWork, number: int, limit: int) -> list[ModeEventPublic]:
    """The till's latest ``limit`` mode events, newest first."""
    check_till_number(number)
    with uow:
        return uow.mode_events.list(number, limit=limit)


@dataclass(frozen=True)
class TillHistory:
    """One till as its back-office page shows it; ``till`` is None while it is not
    registered (its settings can be set already)."""

    number: int
    till: TillRecord | None
    station_settings: StationSettingsPublic
    events: list[ModeEventPublic]


def till_history(*, uow: SqlUnitOfWork, number: int, limit: int) -> TillHistory:
    """The till's facts, station settings and latest ``limit`` mode events, read at once."""
    check_till_number(number)
    with uow:
        found = uow.back_office.tills(number=number)
        return TillHistory(
            number=number,
            till=found[0] if found else None,
            station_settings=uow.station_settings.get(number),
            events=uow.mode_events.list(number, limit=limit),
        )
