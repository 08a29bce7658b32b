"""The sync report (R3.3): what one reintegration of a till did — tickets moved to the
server as they were (1:1), tickets merged into the server's ticket of the same table,
owners changed, the ``OFF`` bookings, the receipts made offline, and the conflicts waiting
for a person. The server builds it when the till has pushed everything
(``autonom.server.domain.sync_report``), keeps it and shows it in the back office; the
till prints it on the front-office printer (``autonom.devices.printer.sync_report_text``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class ReportedTicket:
    """A ticket the till opened offline that went to the server as it was (1:1) and is
    still open there."""

    ticket_id: str
    table: int | None
    total: Decimal
    off_lines: int
    owner: int


@dataclass(frozen=True)
class ReportedMerge:
    """The till's offline ticket ``merged_ticket_id`` merged into the server's ticket
    ``into_ticket_id`` of the same table; ``owner`` owns it now (R3.2)."""

    merged_ticket_id: str
    into_ticket_id: str
    table: int | None
    lines: int
    owner: int
    total: Decimal  # the merged ticket's total now


@dataclass(frozen=True)
class ReportedOwner:
    """A ticket whose owner the reintegration changed."""

    ticket_id: str
    table: int | None
    owner: int


@dataclass(frozen=True)
class ReportedBooking:
    """An ``OFF`` booking still on an open ticket: a line re-booked during the outage may
    be a duplicate of one the server's ticket held ("void due to emergency mode")."""

    booking_id: str
    ticket_id: str
    table: int | None
    name: str
    quantity: int
    amount: Decimal


@dataclass(frozen=True)
class ReportedConflict:
    """A flag waiting for a person (a follow-up ticket, a ticket paid on both sides, …)."""

    code: str
    message: str
    ticket_id: str | None
    till_number: int
    seq: int


@dataclass(frozen=True)
class SyncReport:
    """See the module docstring. ``first_seq``–``through_seq``: the operations of the
    till's log the reintegration covered; ``since``: when its outage began (its time)."""

    report_id: str
    till_number: int
    made_at: datetime
    since: datetime
    first_seq: int
    through_seq: int
    moved: tuple[ReportedTicket, ...]
    merged: tuple[ReportedMerge, ...]
    owners_changed: tuple[ReportedOwner, ...]
    off_bookings: int
    off_total: Decimal
    off_on_open_tickets: tuple[ReportedBooking, ...]
    offline_receipts: int
    offline_receipts_total: Decimal
    conflicts: tuple[ReportedConflict, ...]

    @property
    def operations(self) -> int:
        return max(0, self.through_seq - self.first_seq + 1)
