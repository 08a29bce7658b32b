"""``autonom server`` as a store starts it: a real process on a free port."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.processes import (
    ADMIN_TOKEN,
    ENROLMENT_CODE,
    Part,
    free_port,
    start_seeded_server,
)


@pytest.mark.e2e
def test_server_process_serves_the_seeded_store(tmp_path: Path) -> None:
    server = start_seeded_server(tmp_path)
    try:
        health = httpx.get(f"{server.url}/api/v1/health", timeout=5)
        assert health.json()["status"] == "ok"
        registered = httpx.post(
            f"{server.url}/api/v1/tills/10/register",
            json={"enrolment_code": ENROLMENT_CODE},
            timeout=5,
        )
        assert registered.status_code == 201
        credential = registered.json()["credential"]
        snapshot = httpx.get(
            f"{server.url}/api/v1/master-data",
            headers={"Authorization": f"Bearer {credential}"},
            timeout=5,
        ).json()
        assert len(snapshot["items"]) > 10
        assert [o["name"] for o in snapshot["operators"]] == ["Anna", "Ben", "Clara"]
        refused = httpx.get(
            f"{server.url}/api/v1/tills", headers={"Authorization": "Bearer no"}, timeout=5
        )
        assert refused.json()["code"] == "ADMIN_REQUIRED"
        tills = httpx.get(
            f"{server.url}/api/v1/tills",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=5,
        ).json()
        assert [t["till_number"] for t in tills] == [10]
    finally:
        server.stop()
    assert "Traceback" not in server.output()


@pytest.mark.e2e
def test_generated_admin_token_is_shown_once_on_the_console_and_never_logged(
    tmp_path: Path,
) -> None:
    port = free_port()
    # Empty is unset for the command line: no token and no code given.
    environment = dict.fromkeys(("AUTONOM_ADMIN_TOKEN", "AUTONOM_ENROLMENT_CODE"), "")
    server = Part(
        args=["server", "--db", f"sqlite:///{tmp_path / 'server.sqlite'}", "--port", str(port)],
        url=f"http://127.0.0.1:{port}",
        log=tmp_path / "console.txt",
        errors=tmp_path / "log.txt",
        health_path="/api/v1/health",
        env=environment,
    )
    server.start()
    try:
        console = server.log.read_text()
        shown = [line for line in console.splitlines() if "Back-office token" in line]
        assert len(shown) == 1, console
        token = shown[0].rsplit(" ", 1)[-1]
        tills = httpx.get(
            f"{server.url}/api/v1/tills", headers={"Authorization": f"Bearer {token}"}, timeout=5
        )
        assert tills.status_code == 200
        # Started without an enrolment code: no till may register, and it says how to open.
        refused = httpx.post(f"{server.url}/api/v1/tills/10/register", json={}, timeout=5)
        assert refused.status_code == 403
        assert refused.json()["code"] == "ENROLMENT_CLOSED"
    finally:
        server.stop()
    log = (tmp_path / "log.txt").read_text()
    assert "server ready" in log  # the log lines did go here
    assert token not in log
    assert server.log.read_text().count(token) == 1
