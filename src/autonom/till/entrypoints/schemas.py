"""The till's JSON API shapes (``/api/…``); the wire shape is never the table. Tickets are
shown in the server's own shape (``contracts.TicketPublic``), so a client reads a ticket
the same way from a till and from the server."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, model_validator

from autonom.contracts.fields import NO_CONTROL_CHARACTERS, Inbound, Plu
from autonom.domain import PaymentMethod, Receipt, Role, limits
from autonom.domain.card import CardType
from autonom.domain.sync_report import SyncReport
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
from autonom.till.domain.capabilities import Level
from autonom.till.domain.card_payments import CardIntent, IntentState
from autonom.till.domain.reintegration import Fate, PlannedTicket
from autonom.till.service_layer.card_payments import CardDeviceView
from autonom.till.service_layer.selling import UnsentSummary
from autonom.till.service_layer.status import StatusIcon, StatusLine


class LoginIn(Inbound):
    operator_number: StrictInt = Field(ge=1, le=9999)
    pin: str = Field(max_length=8)


class CredentialIn(Inbound):
    """A credential the back office issued, as a manager installs it."""

    credential: str = Field(max_length=200)


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
    amount: StrictStr | StrictInt | None = Field(
        default=None, description='money as text, e.g. "20.00"; none: the amount due'
    )


class CardIn(Inbound):
    """The card the customer presents (R2.5). A real terminal reads it from the card; the
    card device's emulator is told it (a test card: e.g. 4111111111111111 is approved,
    4000000000000002 declined)."""

    card_type: CardType
    card_number: Annotated[
        str, Field(min_length=1, max_length=limits.MAX_PAN_LENGTH), NO_CONTROL_CHARACTERS
    ]


class CloseIn(Inbound):
    tenders: list[TenderIn] = Field(min_length=1, max_length=10)
    print_receipt: bool = Field(default=True, description="print on the till's printer")
    card: CardIn | None = Field(
        default=None, description="the card, for a card tender (paid through the card device)"
    )


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


MAX_UNSENT_LISTED = 10_000  # the longest list of unsent operations one answer holds


class UnsentSummaryPublic(BaseModel):
    """What is not finished, by kind (R2.7)."""

    operations: dict[str, int] = Field(description="unconfirmed operations by kind")
    card_payments_awaiting_the_bank: int
    gate_scans_awaiting_a_result: int

    @classmethod
    def of(cls, summary: UnsentSummary) -> UnsentSummaryPublic:
        return cls.model_validate(summary, from_attributes=True)


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


class SyncReportPrinted(BaseModel):
    """The sync report of the latest reintegration (R3.3), its lines as printed, and why it
    was not printed (None when it was)."""

    report: SyncReport
    lines: list[str]
    printer_problem: str | None


class MasterDataRefreshed(BaseModel):
    version: int


class PlannedTicketPublic(BaseModel):
    """A local open ticket and what reintegration does to it (R3.2): ``fate`` is move,
    merge (with the server's ticket ``server_ticket_id`` of its table), join, follow_up
    or unknown; ``words`` says it in the cashier's words."""

    ticket_id: str
    table: int | None
    total: Decimal
    lines: int
    off_lines: int
    owner: int
    fate: Fate
    server_ticket_id: str | None
    words: str

    @model_validator(mode="before")
    @classmethod
    def _of_plan(cls, planned: Any) -> Any:
        if isinstance(planned, PlannedTicket):
            return {
                "ticket_id": planned.ticket_id,
                "table": planned.table,
                "total": planned.total,
                "lines": planned.lines,
                "off_lines": planned.off_lines,
                "owner": planned.owner,
                "fate": planned.fate,
                "server_ticket_id": planned.server.ticket_id if planned.server else None,
                "words": planned.words,
            }
        return planned


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
    plan: list[PlannedTicketPublic] = Field(
        default_factory=list,
        description="server available again: each local open ticket and what synchronising "
        "does to it (R3.2)",
    )


class SyncProgressPublic(BaseModel):
    """A reintegration under way (issue 9): ``done`` of ``total`` operations on the server."""

    model_config = ConfigDict(from_attributes=True)

    total: int
    done: int
    remaining: int
    rate_per_s: float | None = Field(description="operations a second; none before the first")
    seconds_left: float | None


class PushRefusedPublic(BaseModel):
    """The push the server refused, until one goes through (issue 9)."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    message: str
    happened: str
    to_do: str
    at: datetime


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
    push_refused: PushRefusedPublic | None = Field(
        description="the push the server refused: code, what happened, what to do"
    )
    unsent_operations: int
    unsent_receipts: int
    master_data_version: int | None
    master_data_at: datetime | None
    master_data_stale: bool = Field(description="older than the warning age: refresh it")
    items: int
    operators: int
    sync: SyncProgressPublic | None = Field(description="a reintegration under way")
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


class CardPaymentPublic(BaseModel):
    """A card payment of this till (R2.5): what the card device answered, the receipt it
    is on, and the bank's later verdict on a payment stored offline."""

    payment_id: str
    ticket_id: str
    amount: Decimal
    card_type: CardType
    masked_pan: str | None
    state: IntentState
    words: str = Field(description="the state as the cashier reads it")
    approval_code: str | None
    receipt_number: str | None
    stored_offline: bool = Field(description="the device stored it while its bank link was down")
    unfinished: bool = Field(
        description="charged, or maybe charged, and on no receipt yet: pay the ticket by card "
        "again to finish it"
    )
    refusal_code: str | None
    created_at: datetime
    settled_at: datetime | None = Field(description="when the bank decided a stored payment")

    @classmethod
    def of(cls, intent: CardIntent) -> CardPaymentPublic:
        return cls(
            payment_id=intent.payment_id,
            ticket_id=intent.ticket_id,
            amount=intent.amount,
            card_type=intent.card_type,
            masked_pan=intent.masked_pan,
            state=intent.state,
            words=intent.words,
            approval_code=intent.approval_code,
            receipt_number=intent.receipt_number,
            stored_offline=intent.stored_offline,
            unfinished=intent.unfinished,
            refusal_code=intent.refusal_code,
            created_at=intent.created_at,
            settled_at=intent.settled_at,
        )


class CardDevicePublic(BaseModel):
    """This till's card device as last asked (every few seconds, in the background)."""

    configured: bool
    bank_link_up: bool | None = Field(description="none: not known (not asked yet, no answer)")
    offline_room: int | None = Field(description="payments it may still store offline")
    problem: str | None
    card_payment: Level = Field(description="the capability matrix's cell for card payments now")
    words: str

    @classmethod
    def of(cls, view: CardDeviceView) -> CardDevicePublic:
        return cls(
            configured=view.configured,
            bank_link_up=view.bank_link_up,
            offline_room=view.offline_room,
            problem=view.problem,
            card_payment=view.availability.level,
            words=view.availability.words,
        )
