"""The cashier page, one ``APIRouter`` per screen family: logging in, tickets (and paying
them), receipts, the status line with the mode dialog, and the gate. Each route parses the
form, calls the till's service layer (``Till.selling``, ``Till.gate``) and renders a
template or redirects (post/redirect/get); a refusal comes back as an alert on the screen
the cashier was on."""

from __future__ import annotations

from autonom.till.entrypoints.pages import (
    card_payments,
    gate,
    login,
    receipts,
    reports,
    server_functions,
    status,
    tables,
    tickets,
)

ROUTERS = (
    login.router,
    tickets.router,
    tables.router,
    receipts.router,
    reports.router,
    gate.router,
    status.router,
    server_functions.router,
    card_payments.router,
)

__all__ = ["ROUTERS"]
