"""``autonom server`` as a store starts it: a real process on a free port."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.processes import ADMIN_TOKEN, start_seeded_server


@pytest.mark.e2e
def test_server_process_serves_the_seeded_store(tmp_path: Path) -> None:
    server = start_seeded_server(tmp_path)
    try:
        health = httpx.get(f"{server.url}/api/v1/health", timeout=5)
        assert health.json()["status"] == "ok"
        registered = httpx.post(f"{server.url}/api/v1/tills/10/register", json={}, timeout=5)
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
