"""Back-office shapes that only the server speaks (what tills read is in
``autonom.contracts``). The wire shape is never the table."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from autonom.contracts import StationSettingsPublic
from autonom.contracts.master_data import TaxPercent, TaxRateName
from autonom.domain import PaymentMethod, PaymentTotal, ReceiptRange, Role, TaxTotal
from autonom.domain.admission import AdmissionState
from autonom.domain.card import CardPaymentState
from autonom.domain.push_refusals import push_advice
from autonom.server.adapters import DayCloseRecord, RefusalRecord
from autonom.server.domain.day_report import DayReport


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "down"]
    server_time: datetime | None = None


class PushRefusalPublic(BaseModel):
    """A refused push: its code and message, when, and in plain words what happened and
    what to do (``autonom.domain.push_refusals``)."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    message: str
    refused_at: datetime
    happened: str
    to_do: str

    @classmethod
    def of(cls, record: RefusalRecord) -> PushRefusalPublic:
        advice = push_advice(record.code)
        return cls(
            code=record.code,
            message=record.message,
            refused_at=record.refused_at,
            happened=advice.happened,
            to_do=advice.to_do,
        )


class TillPublic(BaseModel):
    """A registered till with its log position and, from its last heartbeat report, its
    mode and activity (``None`` before the first report)."""

    model_config = ConfigDict(from_attributes=True)

    till_number: int
    name: str
    registered_at: datetime
    log_number: int = Field(description="its current log: 1, then 2 once replaced, …")
    applied_through: int
    last_push_at: datetime | None
    last_refusal: PushRefusalPublic | None = Field(
        description="the last push the server refused, until a later one is applied"
    )
    mode: str | None = Field(description="the mode of its server link when it last reported")
    activity: str | None = Field(description="alive or stalled (R1.3), as last reported")
    reported_at: datetime | None = Field(description="when the server got its last report")
    unsent_operations: int | None = Field(description="operations not yet pushed, as reported")
    station_settings: StationSettingsPublic

    @field_validator("last_refusal", mode="before")
    @classmethod
    def _advised(cls, refusal: object) -> object:
        return PushRefusalPublic.of(refusal) if isinstance(refusal, RefusalRecord) else refusal


class TaxRateIn(BaseModel):
    percent: TaxPercent
    name: TaxRateName


class OperatorSummary(BaseModel):
    """An operator as the back office lists it: never the PIN's hash."""

    model_config = ConfigDict(from_attributes=True)

    number: int
    name: str
    role: Role


class ReceiptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    ticket_id: str
    till_number: int
    total: Decimal
    closed_at: datetime
    offline: bool
    duplicate: bool = Field(description="the number was used before (see flags)")


class FlagPublic(BaseModel):
    """Something the server accepted but a person should look at (invariant 6)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    till_number: int
    seq: int
    ticket_id: str | None
    code: str
    message: str
    created_at: datetime


class SyncReportSummary(BaseModel):
    """A sync report kept on the server (R3.3), as the back office lists it; the whole
    report at ``GET /sync-reports/{report_id}``."""

    model_config = ConfigDict(from_attributes=True)

    report_id: str
    till_number: int
    made_at: datetime
    first_seq: int
    through_seq: int
    conflicts: int


class DayClosePublic(BaseModel):
    """A till's day close with its Z report (R2.8), as the till pushed it."""

    till_number: int
    z_number: int
    document_id: str
    operator_number: int
    closed_at: datetime = Field(description="the till's time of the day close")
    period_start: datetime | None = Field(description="the day close before; None: the first")
    receipt_count: int
    sales_total: Decimal
    tax_totals: list[TaxTotal]
    payment_totals: list[PaymentTotal] = Field(description="cash counted net of change")
    void_count: int
    void_total: Decimal
    receipt_ranges: list[ReceiptRange]
    grand_total: Decimal
    offline: bool = Field(description="closed in emergency mode, uploaded later")
    duplicate: bool = Field(description="the Z number came before (see flags)")
    received_at: datetime

    @classmethod
    def of(cls, record: DayCloseRecord) -> DayClosePublic:
        event = record.event
        return cls(
            till_number=record.till_number,
            z_number=record.z_number,
            document_id=record.document_id,
            operator_number=record.operator_number,
            closed_at=record.closed_at,
            period_start=record.period_start,
            receipt_count=record.receipt_count,
            sales_total=record.sales_total,
            tax_totals=list(event.tax_totals),
            payment_totals=list(event.payment_totals),
            void_count=event.void_count,
            void_total=event.void_total,
            receipt_ranges=list(event.receipt_ranges),
            grand_total=record.grand_total,
            offline=record.offline,
            duplicate=record.duplicate,
            received_at=record.received_at,
        )


class AdmissionPublic(BaseModel):
    """An admission sold (R2.6): valid at the gate from ``valid_from`` (when its receipt
    reached the server), used by the scan ``used_by`` at ``used_at``, or voided."""

    model_config = ConfigDict(from_attributes=True)

    number: str
    ticket_id: str
    receipt_number: str
    till_number: int
    sold_at: datetime
    offline: bool
    valid_from: datetime
    state: AdmissionState
    used_at: datetime | None
    used_by: str | None


class CardPaymentPublic(BaseModel):
    """A card payment on a receipt (R2.5): as the till's slip said it, and the bank's later
    verdict on one stored offline (a declined one is also a ``CARD_DEBT`` flag)."""

    model_config = ConfigDict(from_attributes=True)

    payment_id: str
    ticket_id: str | None
    till_number: int
    receipt_number: str
    amount: Decimal
    card_type: str | None = Field(description="none: its receipt has not reached the server")
    masked_pan: str | None
    state: CardPaymentState
    approval_code: str | None
    stored_offline: bool = Field(description="the card device stored it while its bank was away")
    closed_at: datetime | None
    settled_at: datetime | None = Field(description="when the bank decided a stored payment")


class TillDayPublic(BaseModel):
    """One till's share of the day (R3.4); ``offline_*``: receipts made in emergency mode."""

    model_config = ConfigDict(from_attributes=True)

    till_number: int
    receipt_count: int
    offline_count: int
    total: Decimal
    offline_total: Decimal


class TaxDayPublic(BaseModel):
    code: str
    percent: Decimal
    gross: Decimal
    tax: Decimal


class MethodDayPublic(BaseModel):
    method: PaymentMethod
    amount: Decimal


class DayReportPublic(BaseModel):
    """The store's day on the server (R3.4): every receipt it holds for the day (UTC),
    those uploaded after an outage included, by till, tax rate and payment method."""

    day: date
    receipt_count: int
    offline_count: int = Field(description="receipts made in emergency mode")
    total: Decimal
    tills: list[TillDayPublic]
    taxes: list[TaxDayPublic]
    payments: list[MethodDayPublic]

    @classmethod
    def of(cls, report: DayReport) -> DayReportPublic:
        return cls(
            day=report.day,
            receipt_count=report.receipt_count,
            offline_count=report.offline_count,
            total=report.total,
            tills=[TillDayPublic.model_validate(t) for t in report.tills.values()],
            taxes=[
                TaxDayPublic(code=code, percent=percent, gross=gross, tax=tax)
                for (code, percent), (gross, tax) in sorted(report.taxes.items())
            ],
            payments=[
                MethodDayPublic(method=method, amount=amount)
                for method, amount in report.payments.items()
            ],
        )
