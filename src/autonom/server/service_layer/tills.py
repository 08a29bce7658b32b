"""Tills: registration, credentials and the position of each till's operation log."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from uuid import UUID

from autonom.contracts import TillPosition, TillRegistered, TillRegistration
from autonom.domain import Refusal
from autonom.domain import errors as codes
from autonom.domain.numbering import check_till_number
from autonom.server.adapters import SqlUnitOfWork


def credential_hash(credential: str) -> str:
    """Only this hash is stored: a stolen database does not let anyone push as a till."""
    return hashlib.sha256(credential.encode()).hexdigest()


def secrets_match(given: str | None, expected: str) -> bool:
    """Compare a secret in constant time; a missing one never matches."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def register_till(
    *,
    uow: SqlUnitOfWork,
    number: int,
    registration: TillRegistration,
    enrolment_code: str | None,
    open_enrolment: bool = False,
    now: datetime,
) -> TillRegistered:
    """Register till ``number`` and hand it a fresh credential (shown once, kept hashed).

    A server without an enrolment code registers no till unless it was started with
    ``open_enrolment``: anyone on the network could otherwise push as a new till.
    """
    check_till_number(number)
    if enrolment_code is None and not open_enrolment:
        raise Refusal(
            codes.ENROLMENT_CLOSED,
            "This server takes no new tills: start it with --enrolment-code CODE (or "
            "AUTONOM_ENROLMENT_CODE) and give the till that code, or with --open-enrolment "
            "to let any till register.",
            status=403,
        )
    if enrolment_code is not None and not secrets_match(
        registration.enrolment_code, enrolment_code
    ):
        raise Refusal(
            codes.BAD_ENROLMENT_CODE,
            "The enrolment code is missing or wrong; ask the store manager for it.",
            status=403,
        )
    credential = secrets.token_urlsafe(32)
    log_id = None if registration.log_id is None else str(registration.log_id)
    with uow:
        added = uow.tills.add(
            number=number,
            name=registration.name or f"Till {number}",
            credential_hash=credential_hash(credential),
            log_id=log_id,
            at=now,
        )
        if not added and not _registers_again(uow, number, log_id):
            raise Refusal(
                codes.TILL_TAKEN,
                f"Till {number} is already registered; a replaced till gets a new credential "
                "from the back office.",
                status=409,
            )
        if not added:  # its first answer was lost: a fresh credential, the old one ends
            uow.tills.set_credential(number, credential_hash(credential), issued_at=None)
        uow.commit()
    return TillRegistered(till_number=number, credential=credential)


def _registers_again(uow: SqlUnitOfWork, number: int, log_id: str | None) -> bool:
    """The till database that holds the till's current log registers again (the answer to
    its registration was lost): the same log id. Its credential does not count as newly
    issued, so it opens no new log."""
    if log_id is None:
        return False
    current = uow.tills.log(number)
    return current is not None and current.claimed and current.log_id == log_id


def renew_credential(*, uow: SqlUnitOfWork, number: int, now: datetime) -> TillRegistered:
    """Give a replaced or restored till a new credential; the old one stops working at once,
    and the first push under it with a log id the server does not hold opens a new log."""
    credential = secrets.token_urlsafe(32)
    with uow:
        if not uow.tills.set_credential(number, credential_hash(credential), issued_at=now):
            raise Refusal(codes.UNKNOWN_TILL, f"Till {number} is not registered.", status=404)
        uow.commit()
    return TillRegistered(till_number=number, credential=credential)


def authenticate_till(*, uow: SqlUnitOfWork, credential: str | None) -> int:
    """The number of the till holding ``credential``; 401 BAD_CREDENTIAL when unknown."""
    with uow:
        holder = (
            uow.tills.number_for_credential(credential_hash(credential)) if credential else None
        )
    if holder is None:
        raise Refusal(
            codes.BAD_CREDENTIAL,
            "This till's credential is missing or unknown; register the till again.",
            status=401,
        )
    return holder


def check_same_till(*, authenticated: int, path_number: int) -> None:
    """A till acts only as itself: another till's credential is 403 WRONG_TILL."""
    if authenticated != path_number:
        raise Refusal(
            codes.WRONG_TILL,
            f"This credential belongs to till {authenticated}, not to till {path_number}.",
            status=403,
        )


def till_position(*, uow: SqlUnitOfWork, number: int, log_id: UUID | None) -> TillPosition:
    """The highest sequence of the till's log ``log_id`` (None: its current one) that the
    server holds; 0 for a log it does not hold (yet)."""
    with uow:
        log = uow.tills.log(number, None if log_id is None else str(log_id))
    if log is None:
        return TillPosition(till_number=number, applied_through=0, log_id=log_id)
    return TillPosition(
        till_number=number, applied_through=log.applied_through, log_id=UUID(log.log_id)
    )


def record_push_refusal(
    *, uow: SqlUnitOfWork, till_number: int, code: str, message: str, now: datetime
) -> None:
    """Keep the refusal of a push of a registered till for the back office, in its own
    transaction (the push's own was rolled back); a later push applied clears it."""
    with uow:
        if not uow.tills.is_registered(till_number):
            return  # nobody to show it for: a number no till holds
        uow.tills.refused(till_number, code=code, message=message, at=now)
        uow.commit()
