"""``autonom till sync``: follow a running till's reintegration from a terminal (issue 9,
point 7). It logs in to the till's JSON API as an operator, answers the "server available
again" dialog with "synchronise now" if asked to, and shows a Rich progress bar of what the
till reports (``GET /api/status``: ``sync`` while it reintegrates, else the unsent count)
until nothing is left unsent. The till does the work; this only watches and renders.

``autonom till credential``: a manager installs the credential the back office issued to a
replaced or restored till, through the same JSON API (``POST /api/credential``).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

POLL_S = 0.5
console = Console()


def follow_sync(url: str, operator: int, pin: str, *, sync_now: bool) -> int:
    """0 once the till is live with nothing unsent; 2 when it cannot be reached or the login
    is refused; 130 on Ctrl-C (the till goes on by itself)."""
    with httpx.Client(base_url=url.rstrip("/"), timeout=5.0) as till:
        if not _log_in(till, operator, pin):
            return 2
        try:
            return _follow(till, sync_now=sync_now)
        except KeyboardInterrupt:
            console.print("Stopped watching; the till goes on synchronising by itself.")
            return 130


def install_credential(url: str, operator: int, pin: str, credential: str) -> int:
    """0 once the till installed ``credential``; 2 when it cannot be reached, the login is
    refused, or the till refuses it (not a manager, not a credential)."""
    with httpx.Client(base_url=url.rstrip("/"), timeout=5.0) as till:
        if not _log_in(till, operator, pin):
            return 2
        try:
            answer = till.post("/api/credential", json={"credential": credential})
        except httpx.HTTPError as error:
            console.print(f"[red]The till at {url} does not answer: {error}[/red]")
            return 2
        if answer.status_code != 204:
            console.print(f"[red]{_refusal(answer)}[/red]")
            return 2
    console.print("Credential installed: the till sends its documents to the server now.")
    return 0


def _log_in(till: httpx.Client, operator: int, pin: str) -> bool:
    """Log in to the till's JSON API as ``operator``; say why not when it fails."""
    try:
        answer = till.post("/api/login", json={"operator_number": operator, "pin": pin})
    except httpx.HTTPError as error:
        console.print(f"[red]The till at {till.base_url} does not answer: {error}[/red]")
        return False
    if answer.status_code != 200:
        console.print(f"[red]{_refusal(answer)}[/red]")
        return False
    till.headers["Authorization"] = f"Bearer {answer.json()['token']}"
    return True


def _follow(till: httpx.Client, *, sync_now: bool) -> int:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    total = 0
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("Connecting", total=None, rate="")
        while True:
            status = _status(till)
            dialog = status.get("dialog") or {}
            if sync_now and "sync_now" in dialog.get("choices", []):
                till.post("/api/mode/sync_now").raise_for_status()
                continue
            unsent = int(status["unsent_operations"])
            sync = status.get("sync")
            if sync:
                rate = f"{sync['rate_per_s']:.0f}/s" if sync["rate_per_s"] else ""
                bar.update(
                    task,
                    description="Sending to the server",
                    total=sync["total"],
                    completed=sync["done"],
                    rate=rate,
                )
            else:
                total = max(total, unsent)
                bar.update(
                    task,
                    description=_waiting(status),
                    total=total or None,
                    completed=total - unsent,
                    rate="",
                )
            if status["mode"] == "live" and unsent == 0:
                bar.update(task, description="Everything is on the server", total=1, completed=1)
                return 0
            time.sleep(POLL_S)


def _status(till: httpx.Client) -> dict[str, Any]:
    answer = till.get("/api/status")
    answer.raise_for_status()
    status: dict[str, Any] = answer.json()
    return status


def _waiting(status: dict[str, Any]) -> str:
    match status["mode"]:
        case "emergency" | "outage_pending" | "suspect":
            return "Waiting for the server (emergency mode)"
        case "server_available":
            return "Waiting for the cashier's answer (tickets still open)"
        case _:
            return "Sending to the server"


def _refusal(answer: httpx.Response) -> str:
    try:
        body = answer.json()
        return f"{body['code']}: {body['message']}"
    except (ValueError, KeyError, TypeError):
        return f"the till answered HTTP {answer.status_code}"
