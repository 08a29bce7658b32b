"""The back office keeps master data; tills take a snapshot of it (R2.2), including the
operators' PIN hashes so they can log operators in while offline."""

from __future__ import annotations

from fastapi.testclient import TestClient

from autonom.contracts import MasterData
from autonom.domain import Operator
from tests.integration.server.till_log import ADMIN, register, seed_master_data


def snapshot(server: TestClient, auth: dict[str, str]) -> MasterData:
    answer = server.get("/api/v1/master-data", headers=auth)
    assert answer.status_code == 200, answer.text
    return MasterData.model_validate(answer.json())


def test_till_snapshot_holds_items_rates_and_operator_pin_hashes(server: TestClient) -> None:
    till = register(server, 10)
    empty = snapshot(server, till.auth)
    assert (empty.version, empty.items, empty.operators) == (0, [], [])
    seed_master_data(server)  # one tax rate, two items
    answer = server.put(
        "/api/v1/operators/1",
        json={"name": "Anna", "role": "cashier", "pin": "1111"},
        headers=ADMIN,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"number": 1, "name": "Anna", "role": "cashier"}

    data = snapshot(server, till.auth)
    assert data.version == 4  # every change counts
    assert [(r.code, str(r.percent)) for r in data.tax_rates] == [("A", "19.00")]
    assert [(i.plu, str(i.price)) for i in data.items] == [("100", "2.40"), ("200", "4.20")]
    [anna] = data.operators
    operator = Operator(number=anna.number, name=anna.name, role=anna.role, pin_hash=anna.pin_hash)
    assert operator.pin_matches("1111")
    assert not operator.pin_matches("2222")
    assert snapshot(server, ADMIN).version == 4


def test_operator_list_never_shows_the_pin(server: TestClient) -> None:
    server.put(
        "/api/v1/operators/3",
        json={"name": "Clara", "role": "manager", "pin": "9999"},
        headers=ADMIN,
    )
    answer = server.get("/api/v1/operators", headers=ADMIN)
    assert answer.json() == [{"number": 3, "name": "Clara", "role": "manager"}]
    assert "scrypt" not in answer.text
    assert "9999" not in answer.text


def test_changing_an_item_bumps_the_version_and_keeps_one_row(server: TestClient) -> None:
    seed_master_data(server)
    before = snapshot(server, ADMIN).version
    answer = server.put(
        "/api/v1/items/100",
        json={"name": "Espresso", "price": "2.60", "tax_code": "A", "active": False},
        headers=ADMIN,
    )
    assert answer.status_code == 200, answer.text
    data = snapshot(server, ADMIN)
    assert data.version == before + 1
    espresso = [i for i in data.items if i.plu == "100"]
    assert [(str(i.price), i.active) for i in espresso] == [("2.60", False)]


def test_negative_price_is_refused(server: TestClient) -> None:
    seed_master_data(server)
    answer = server.put(
        "/api/v1/items/300", json={"name": "Tea", "price": "-1.00", "tax_code": "A"}, headers=ADMIN
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "INVALID_INPUT"
    assert "price" in answer.json()["message"]
    assert [i["plu"] for i in server.get("/api/v1/items", headers=ADMIN).json()] == ["100", "200"]


def test_item_with_unknown_tax_rate_is_refused(server: TestClient) -> None:
    seed_master_data(server)
    version = snapshot(server, ADMIN).version
    answer = server.put(
        "/api/v1/items/300", json={"name": "Tea", "price": "2.00", "tax_code": "Z"}, headers=ADMIN
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "UNKNOWN_TAX_RATE"
    assert snapshot(server, ADMIN).version == version


def test_bad_master_data_input_is_refused_with_the_field(server: TestClient) -> None:
    bad_rate = server.put(
        "/api/v1/tax-rates/A", json={"percent": "150", "name": "x"}, headers=ADMIN
    )
    assert bad_rate.status_code == 422
    assert "percent" in bad_rate.json()["message"]
    bad_code = server.put(
        "/api/v1/tax-rates/abc", json={"percent": "7", "name": "x"}, headers=ADMIN
    )
    assert bad_code.status_code == 422
    bad_pin = server.put(
        "/api/v1/operators/2", json={"name": "Ben", "role": "cashier", "pin": "12"}, headers=ADMIN
    )
    assert bad_pin.status_code == 422
    assert "pin" in bad_pin.json()["message"]
    bad_role = server.put(
        "/api/v1/operators/2", json={"name": "Ben", "role": "boss", "pin": "1234"}, headers=ADMIN
    )
    assert bad_role.status_code == 422
    assert server.get("/api/v1/operators", headers=ADMIN).json() == []


def test_master_data_needs_a_credential(server: TestClient) -> None:
    answer = server.get("/api/v1/master-data")
    assert answer.status_code == 401
    assert answer.json()["code"] == "BAD_CREDENTIAL"
