"""The till's JSON API shapes (``/api/…``); the wire shape is never the table. Tickets are
shown in the server's own shape (``contracts.TicketPublic``), so a client reads a ticket
the same way from a till and from the server."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field, StrictInt, StrictStr

from autonom.contracts.fields import NO_CONTROL_CHARACTERS, Inbound, Plu
from autonom.domain import PaymentMethod, Receipt, Role
from autonom.till.adapters.outbox import UnsentDocument
from autonom.till.adapters.station import LoggedEntry
from autonom.till.domain import (
    Activity,
    Choice,
    DialogKind,
    Health,
    Link,
    Mode,
    NoticeKind,
    Reason,
)
from autonom.till.service_layer.status import StatusIcon, StatusLine


class LoginIn(Inbound):
    operator_number: StrictInt = Field(ge=1, le=9999)
    pin: str = Field(max_length=8)


class SessionPublic(BaseModel):
    """A login: send ``token`` as ``Authorization: Bearer <token>`` with every later call."""

    token: str
    operator_number: int
    name: str
    role: Role


class OpenTicketIn(Inbound):
    table: StrictInt | None = Field(default=None, description="a table, or none for a counter sale")


class BookingIn(Inbound):
    plu: Plu
    quantity: StrictInt = 1  # its range is the domain's rule (BAD_QUANTITY)


class VoidIn(Inbound):
    reason: Annotated[str, Field(max_length=200), NO_CONTROL_CHARACTERS]


class TenderIn(Inbound):
    method: PaymentMethod
    amount: StrictStr | StrictInt = Field(description='money as text, e.g. "20.00"')


class CloseIn(Inbound):
    tenders: list[TenderIn] = Field(min_length=1, max_length=10)
    print_receipt: bool = Field(default=True, description="print on the till's printer")


class ReceiptPublic(BaseModel):
    """A receipt as this till saved it, with the lines exactly as printed."""

    number: str
    ticket_id: str
    till_number: int
    table: int | None
    operator_number: int
    closed_at: datetime
    total: Decimal
    change: Decimal
    offline: bool
    lines: list[str]
    printer_problem: str | None = Field(
        default=None, description="set when the receipt is saved but could not be printed"
    )


class ReceiptSummary(BaseModel):
    number: str
    ticket_id: str
    closed_at: datetime
    total: Decimal
    offline: bool
    sent: bool = Field(description="the server has confirmed it (R2.7)")


class PrintResult(BaseModel):
    printed: bool
    printer_problem: str | None = None


class UnsentPublic(BaseModel):
    seq: int
    kind: str
    title: str
    document_id: str
    recorded_at: datetime
    receipt_number: str | None
    offline: bool

    @classmethod
    def of(cls, document: UnsentDocument) -> UnsentPublic:
        return cls(
            seq=document.seq,
            kind=document.kind,
            title=document.title,
            document_id=document.document_id,
            recorded_at=document.recorded_at,
            receipt_number=document.receipt_number,
            offline=document.offline,
        )


class ModeLogEntry(BaseModel):
    """One change of the heartbeat's log (R1.1)."""

    seq: int
    at: datetime
    link: Link
    words: str
    state: str
    line: str = Field(description="exactly as in the plain-text log file")
    sent: bool = Field(description="the server has it")

    @classmethod
    def of(cls, logged: LoggedEntry) -> ModeLogEntry:
        entry = logged.entry
        return cls(
            seq=logged.seq,
            at=entry.at,
            link=entry.link,
            words=entry.words,
            state=entry.state,
            line=entry.line,
            sent=logged.sent,
        )


class MasterDataRefreshed(BaseModel):
    version: int


class DialogPublic(BaseModel):
    """The question the cashier must answer (R1.4-R1.6); ``choices`` go to ``POST
    /api/mode/{choice}``."""

    kind: DialogKind
    choices: list[Choice]
    reason: Reason | None
    auto_return_in_s: float | None
    local_open_tickets: int
    cause: str = Field(description="why, in the cashier's words; `reason` is the code")
    stops: list[str] = Field(description="the functions emergency mode stops (the matrix)")


class TillStatus(BaseModel):
    """What the status line shows (R2.7); also the till's health check."""

    status: str = "ok"
    till_number: int
    registered: bool
    mode: Mode
    icon: StatusIcon
    server_link: Health | None = Field(description="the heartbeat's verdict; none before a probe")
    operator_link: Health | None = Field(description="the fiscal operator link; none if unwatched")
    activity: Activity
    emergency_allowed: bool
    auto_return_s: float
    dialog: DialogPublic | None
    notice: NoticeKind | None
    emergency_mode: bool = Field(description="receipts are documented offline now")
    server_problem: str | None
    upload_problem: str | None
    unsent_operations: int
    unsent_receipts: int
    master_data_version: int | None
    master_data_at: datetime | None
    master_data_stale: bool = Field(description="older than the warning age: refresh it")
    items: int
    operators: int
    operator_number: int | None = Field(default=None, description="with a session token")
    operator_name: str | None = None

    @classmethod
    def of(cls, line: StatusLine) -> TillStatus:
        """The status line's facts as the API answers them."""
        return cls.model_validate(line, from_attributes=True)


def receipt_public(
    receipt: Receipt, lines: list[str], printer_problem: str | None = None
) -> ReceiptPublic:
    return ReceiptPublic(
        number=receipt.number,
        ticket_id=receipt.ticket_id,
        till_number=receipt.till_number,
        table=receipt.table,
        operator_number=receipt.operator_number,
        closed_at=receipt.closed_at,
        total=receipt.total,
        change=receipt.change,
        offline=receipt.offline,
        lines=lines,
        printer_problem=printer_problem,
    )
