"""The cashier page, one ``APIRouter`` per screen family: logging in, tickets (and paying
them), receipts, and the status line with the mode dialog. Each route parses the form,
calls the till's service layer (``Till.selling``) and renders a template or redirects
(post/redirect/get); a refusal comes back as an alert on the screen the cashier was on."""

from __future__ import annotations

from autonom.till.entrypoints.pages import card_payments, login, receipts, status, tickets

ROUTERS = (login.router, tickets.router, receipts.router, status.router, card_payments.router)

__all__ = ["ROUTERS"]
