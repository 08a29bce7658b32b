"""The card-payment device behind an adapter (R2.5; the protocol is docs/card-device.md).

``CardDevice`` is what a till needs of any card terminal; ``HttpCardDevice`` speaks the
protocol of ``autonom card-device`` over HTTP (httpx). A device that does not answer never
holds the till: connect and read are bounded (``DEVICE_TIMEOUT``, under 2 s in all) and
any network failure, 5xx or garbled answer becomes ``Refusal(CARD_DEVICE_UNAVAILABLE)``.
A 4xx is the device saying no and becomes a ``Refusal`` with the device's own code,
message and detail (``CARD_TYPE_OFFLINE``, ``OFFLINE_CAP_REACHED``, ``DEVICE_NOT_HERE``,
``PAYMENT_ID_REUSED``, ``INVALID_INPUT``, …). A card the bank declines at once is
``Refusal(CARD_DECLINED)`` from ``pay``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar
from uuid import UUID

import httpx
from pydantic import BaseModel, ValidationError

from autonom.contracts import ErrorBody
from autonom.contracts.card_device import (
    CardDeviceStatus,
    CardPaymentChanges,
    CardPaymentPublic,
)
from autonom.domain import Refusal
from autonom.domain.card import CardPaymentState, CardType, OfflinePolicy
from autonom.domain.errors import CARD_DECLINED, CARD_DEVICE_UNAVAILABLE

__all__ = [
    "DEVICE_TIMEOUT",
    "CardAuthorisation",
    "CardChanges",
    "CardDevice",
    "CardDeviceState",
    "HttpCardDevice",
]

CONNECT_TIMEOUT = 0.3  # seconds; a device on the store's LAN connects in milliseconds
READ_TIMEOUT = 1.5  # seconds; the emulator answers at once, from its own bank link
DEVICE_TIMEOUT = httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)

_Model = TypeVar("_Model", bound=BaseModel)


@dataclass(frozen=True)
class CardAuthorisation:
    """A card payment as the device answered it: ``approved`` (authorised), ``stored``
    (accepted offline, the bank's verdict pending) or ``declined``."""

    payment_id: UUID
    state: CardPaymentState
    card_type: CardType
    masked_pan: str
    approval_code: str | None
    amount: Decimal
    forwarded_at: datetime | None = None  # when a stored payment reached the bank

    @property
    def final(self) -> bool:
        """Has the bank decided (approved or declined)?"""
        return self.state.final


@dataclass(frozen=True)
class CardChanges:
    """The payments that changed after a change number, and the number to ask after next."""

    authorisations: tuple[CardAuthorisation, ...]
    through: int


@dataclass(frozen=True)
class CardDeviceState:
    """The device's bank link, what it holds offline, and its offline policy."""

    driven_by: int
    bank_link_up: bool
    stored_count: int
    stored_total: Decimal
    policy: OfflinePolicy


class CardDevice(Protocol):
    """A card-payment device as a till uses it. Every method answers within about two
    seconds or raises ``Refusal(CARD_DEVICE_UNAVAILABLE)``."""

    def pay(
        self,
        payment_id: UUID,
        till_number: int,
        amount: Decimal,
        card_type: CardType,
        card_number: str,
    ) -> CardAuthorisation:
        """Pay ``amount``: approved (online) or stored (offline), else a ``Refusal``
        (``CARD_DECLINED``, ``CARD_TYPE_OFFLINE``, ``OFFLINE_CAP_REACHED``, …). The same
        ``payment_id`` again is the same payment: never charged twice."""
        ...

    def result(self, payment_id: UUID) -> CardAuthorisation:
        """The payment's state now (a stored one becomes approved or declined)."""
        ...

    def changed_since(self, till_number: int, after: int = 0) -> CardChanges:
        """The till's payments that changed after change number ``after``."""
        ...

    def status(self) -> CardDeviceState: ...

    def close(self) -> None:
        """Let go of the connection (the till is stopping)."""
        ...


class HttpCardDevice:
    """``CardDevice`` over the HTTP protocol of ``autonom card-device``; thread-safe."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: httpx.Timeout = DEVICE_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def pay(
        self,
        payment_id: UUID,
        till_number: int,
        amount: Decimal,
        card_type: CardType,
        card_number: str,
    ) -> CardAuthorisation:
        body = {
            "payment_id": str(payment_id),
            "till_number": till_number,
            "amount": format(amount, "f"),  # plain decimal text, never an exponent
            "card_type": card_type.value,
            "card_number": card_number,
        }
        answer = self._call("POST", "/payments", json=body, payment_id=payment_id)
        authorisation = _authorisation(self._parse(CardPaymentPublic, answer))
        if authorisation.state is CardPaymentState.DECLINED:
            raise Refusal(
                CARD_DECLINED,
                f"The bank declined the card {authorisation.masked_pan}; take another card "
                "or cash.",
                409,
                detail={"payment_id": str(payment_id), "masked_pan": authorisation.masked_pan},
            )
        return authorisation

    def result(self, payment_id: UUID) -> CardAuthorisation:
        answer = self._call("GET", f"/payments/{payment_id}", payment_id=payment_id)
        return _authorisation(self._parse(CardPaymentPublic, answer))

    def changed_since(self, till_number: int, after: int = 0) -> CardChanges:
        answer = self._call("GET", "/payments", params={"till_number": till_number, "after": after})
        changes = self._parse(CardPaymentChanges, answer)
        return CardChanges(
            authorisations=tuple(_authorisation(p) for p in changes.payments),
            through=changes.through,
        )

    def status(self) -> CardDeviceState:
        status = self._parse(CardDeviceStatus, self._call("GET", "/status"))
        return CardDeviceState(
            driven_by=status.driven_by,
            bank_link_up=status.bank_link == "up",
            stored_count=status.stored_count,
            stored_total=status.stored_total,
            policy=OfflinePolicy(
                max_count=status.policy.max_count,
                max_amount=status.policy.max_amount,
                max_total=status.policy.max_total,
                refused_types=frozenset(status.policy.refused_types),
            ),
        )

    def close(self) -> None:
        self._client.close()

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        payment_id: UUID | None = None,
    ) -> Any:
        try:
            response = self._client.request(method, path, json=json, params=params)
        except httpx.HTTPError as error:
            raise _unavailable(f"{type(error).__name__}: {error}", payment_id) from error
        if response.status_code >= 500:
            raise _unavailable(f"it answered HTTP {response.status_code}", payment_id)
        try:
            body = response.json()
        except ValueError as error:
            raise _unavailable(
                f"it answered HTTP {response.status_code} without JSON", payment_id
            ) from error
        if response.status_code >= 400:
            raise _refusal(response.status_code, body)
        return body

    @staticmethod
    def _parse(model: type[_Model], body: Any) -> _Model:
        try:
            return model.model_validate(body)
        except ValidationError as error:
            raise _unavailable(f"its answer is not a {model.__name__}", None) from error


def _authorisation(payment: CardPaymentPublic) -> CardAuthorisation:
    return CardAuthorisation(
        payment_id=payment.payment_id,
        state=payment.state,
        card_type=payment.card_type,
        masked_pan=payment.masked_pan,
        approval_code=payment.approval_code,
        amount=payment.amount,
        forwarded_at=payment.forwarded_at,
    )


def _unavailable(reason: str, payment_id: UUID | None) -> Refusal:
    """The device could not be asked. For a payment the outcome is unknown: asking again
    with the same ``payment_id`` (``pay`` or ``result``) is always safe."""
    message = f"The card device does not answer ({reason}); pay cash or try again."
    detail = {"payment_id": str(payment_id)} if payment_id is not None else None
    return Refusal(CARD_DEVICE_UNAVAILABLE, message, 503, detail=detail)


def _refusal(status: int, body: Any) -> Refusal:
    try:
        error = ErrorBody.model_validate(body)
    except ValidationError:
        return Refusal(f"HTTP_{status}", f"The card device refused with HTTP {status}.", status)
    return Refusal(error.code, error.message, status, detail=error.detail)
