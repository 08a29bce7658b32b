"""The sync report on the wire (R3.3): a till asks the server for the report of its
reintegration once everything is pushed (``SyncReportRequest``) and gets it back
(``SyncReport``, the domain's own dataclass, also what the back office lists)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import Field, Strict, TypeAdapter, model_validator

from autonom.contracts.fields import Inbound, Moment, Seq
from autonom.domain import limits
from autonom.domain.sync_report import SyncReport

SYNC_REPORT: TypeAdapter[SyncReport] = TypeAdapter(SyncReport)


class SyncReportRequest(Inbound):
    """The report of the till's operations ``first_seq``–``through_seq`` (its whole
    reintegration; ``through_seq`` may be ``first_seq - 1``: nothing was made offline),
    its outage having begun ``since`` (the till's time). ``report_id`` is made by the till,
    so asking again returns the same report."""

    report_id: UUID
    since: Moment
    first_seq: Seq
    through_seq: Annotated[int, Strict(), Field(ge=0, le=limits.MAX_SEQ)]

    @model_validator(mode="after")
    def _in_order(self) -> SyncReportRequest:
        if self.through_seq < self.first_seq - 1:
            raise ValueError("through_seq must not be below first_seq - 1")
        return self
