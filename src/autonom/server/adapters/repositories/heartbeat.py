"""The heartbeat's tables (R1.1-R1.6): station settings, each till's last report and the
mode changes it logged."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from autonom.contracts import ModeEventIn, ModeEventPublic, StationSettingsPublic
from autonom.server.adapters import tables as t
from autonom.server.adapters.repositories.base import Repository, dialect_insert, upsert


def station_settings_of(row: Any) -> StationSettingsPublic:
    """The settings of a (possibly outer-joined) row; no row means the defaults."""
    if row.emergency_allowed is None:
        return StationSettingsPublic()
    return StationSettingsPublic(
        emergency_allowed=row.emergency_allowed, auto_return_s=row.auto_return_s
    )


class StationSettingsRepository(Repository):
    """Each till's station settings (R1.4, R1.5), also before it registers."""

    def get(self, till_number: int) -> StationSettingsPublic:
        """The till's settings; the defaults when none were set."""
        ss = t.station_settings
        row = self.connection.execute(
            select(ss.c.emergency_allowed, ss.c.auto_return_s).where(
                ss.c.store_id == self.store_id, ss.c.till_number == till_number
            )
        ).first()
        return StationSettingsPublic() if row is None else station_settings_of(row)

    def put(self, till_number: int, settings: StationSettingsPublic, *, at: datetime) -> None:
        """Set the till's settings."""
        upsert(
            self.connection,
            t.station_settings,
            {
                "store_id": self.store_id,
                "till_number": till_number,
                "emergency_allowed": settings.emergency_allowed,
                "auto_return_s": settings.auto_return_s,
                "updated_at": at,
            },
        )


class TillStatusRepository(Repository):
    """Each till's last heartbeat report."""

    def record(
        self, till_number: int, *, mode: str, activity: str, unsent_operations: int, at: datetime
    ) -> int:
        """Keep the till's latest report and return the highest event seq held for it.

        The upsert keeps the till's status row locked to commit: a second process receiving
        the same report waits here, then reads what the first one stored (PostgreSQL: the
        upsert's row lock, and the next statement sees the first one's events; SQLite:
        BEGIN IMMEDIATE).
        """
        st = t.till_status
        report = {
            "mode": mode,
            "activity": activity,
            "unsent_operations": unsent_operations,
            "reported_at": at,
        }
        statement = dialect_insert(self.connection, st).values(
            store_id=self.store_id, till_number=till_number, **report
        )
        self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[st.c.store_id, st.c.till_number], set_=report
            )
        )
        me = t.mode_events
        held = self.connection.execute(
            select(func.coalesce(func.max(me.c.seq), 0)).where(
                me.c.store_id == self.store_id, me.c.till_number == till_number
            )
        ).scalar_one()
        return int(held)


class ModeEventRepository(Repository):
    """The mode changes each till logged, each seq once."""

    def add(self, till_number: int, events: Sequence[ModeEventIn], *, at: datetime) -> None:
        """Store ``events`` of the till, received at ``at``."""
        self.connection.execute(
            t.mode_events.insert(),
            [
                {
                    "store_id": self.store_id,
                    "till_number": till_number,
                    "seq": event.seq,
                    "at": event.at,
                    "link": event.link,
                    "words": event.words,
                    "state": event.state,
                    "received_at": at,
                }
                for event in events
            ],
        )

    def list(self, till_number: int, *, limit: int) -> list[ModeEventPublic]:
        """The till's latest ``limit`` events, newest first."""
        me = t.mode_events
        rows = self.connection.execute(
            select(me)
            .where(me.c.store_id == self.store_id, me.c.till_number == till_number)
            .order_by(me.c.seq.desc())
            .limit(limit)
        )
        return [
            ModeEventPublic(
                till_number=r.till_number,
                seq=r.seq,
                at=r.at,
                link=r.link,
                words=r.words,
                state=r.state,
                received_at=r.received_at,
            )
            for r in rows
        ]
