"""A till whose credential the back office renewed keeps selling and shows why nothing
reaches the server; ``autonom till credential``, run by a manager, installs the new one and
the till sends at once (issue 9, point 1). Real server and till processes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from autonom.cli import app as cli
from tests.integration.till.conftest import TILL, TillApi, wait_for
from tests.support.processes import ADMIN_TOKEN, start_seeded_server, till_part

pytestmark = pytest.mark.e2e

MANAGER, MANAGER_PIN = 3, "9999"  # Clara, the demo café's manager


def test_a_manager_installs_a_new_credential_from_the_command_line(tmp_path: Path) -> None:
    server = start_seeded_server(tmp_path / "server")
    till_process = till_part(tmp_path, TILL, server.url).start()
    try:
        cashier = TillApi.at(till_process.url)
        cashier.wait_until_ready()
        cashier.log_in()
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        ) as back_office:
            renewed = back_office.post(f"/api/v1/tills/{TILL}/credential")
            assert renewed.status_code == 200, renewed.text
            credential = renewed.json()["credential"]
            cashier.sell("100")  # sold all the same; the push is refused
            refused = wait_for(
                lambda: cashier.status()["push_refused"],
                seconds=30,
                what="the refused push on the status line",
            )
            assert refused["code"] == "BAD_CREDENTIAL"
            assert "credential" in refused["to_do"]

            options = ["--url", till_process.url, "--operator", str(MANAGER)]
            result = CliRunner().invoke(
                cli,
                ["till", "credential", *options],
                env={"AUTONOM_PIN": MANAGER_PIN, "AUTONOM_TILL_CREDENTIAL": credential},
            )
            assert result.exit_code == 0, result.output
            assert "Credential installed" in result.output
            wait_for(
                lambda: (
                    (s := cashier.status())["unsent_operations"] == 0 and s["push_refused"] is None
                ),
                seconds=20,
                what="the upload after the credential was installed",
            )
            (row,) = back_office.get("/api/v1/tills").json()
            assert row["last_refusal"] is None
            assert row["applied_through"] > 0
    finally:
        till_process.stop()
        server.stop()
