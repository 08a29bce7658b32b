"""A till enrols with the server and proves itself on every call with its credential."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from autonom.server.entrypoints.api import create_app
from tests.integration.server.till_log import (
    ADMIN,
    ENROLMENT_CODE,
    push,
    register,
    server_settings,
)


@pytest.fixture
def enrolling_server(db_url: str) -> Iterator[TestClient]:
    """A server that only registers tills presenting the enrolment code."""
    settings = server_settings(db_url, enrolment_code="café-2026")
    with TestClient(create_app(settings)) as client:
        yield client


def test_till_number_can_be_registered_once(server: TestClient) -> None:
    first = server.post(
        "/api/v1/tills/10/register", json={"name": "Bar", "enrolment_code": ENROLMENT_CODE}
    )
    assert first.status_code == 201
    assert first.json()["till_number"] == 10
    assert len(first.json()["credential"]) >= 40
    second = server.post("/api/v1/tills/10/register", json={"enrolment_code": ENROLMENT_CODE})
    assert second.status_code == 409
    assert second.json()["code"] == "TILL_TAKEN"
    assert second.json()["message"]


@pytest.mark.parametrize("number", [0, 1000, -3])
def test_till_number_outside_1_to_999_is_refused(server: TestClient, number: int) -> None:
    answer = server.post(
        f"/api/v1/tills/{number}/register", json={"enrolment_code": ENROLMENT_CODE}
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "BAD_TILL_NUMBER"


def test_registration_needs_the_enrolment_code(enrolling_server: TestClient) -> None:
    for body in ({}, {"enrolment_code": "guess"}):
        answer = enrolling_server.post("/api/v1/tills/10/register", json=body)
        assert answer.status_code == 403
        assert answer.json()["code"] == "BAD_ENROLMENT_CODE"
    right = enrolling_server.post("/api/v1/tills/10/register", json={"enrolment_code": "café-2026"})
    assert right.status_code == 201


def test_server_without_an_enrolment_code_registers_no_till(db_url: str) -> None:
    settings = server_settings(db_url, enrolment_code=None)
    with TestClient(create_app(settings)) as server:
        for body in ({}, {"enrolment_code": "anything"}):
            answer = server.post("/api/v1/tills/10/register", json=body)
            assert answer.status_code == 403
            assert answer.json()["code"] == "ENROLMENT_CLOSED"
            assert "--open-enrolment" in answer.json()["message"]
        assert server.get("/api/v1/tills", headers=ADMIN).json() == []


def test_server_started_with_open_enrolment_registers_any_till(db_url: str) -> None:
    settings = server_settings(db_url, enrolment_code=None, open_enrolment=True)
    with TestClient(create_app(settings)) as server:
        answer = server.post("/api/v1/tills/10/register", json={"name": "Bar"})
        assert answer.status_code == 201, answer.text


def test_wrong_or_missing_credential_is_refused(server: TestClient) -> None:
    till = register(server, 10)
    till.sale()
    operations = till.operations()
    for headers in ({}, {"Authorization": "Bearer not-a-credential"}, {"Authorization": "Basic x"}):
        answer = server.post(
            "/api/v1/tills/10/operations", json={"operations": operations}, headers=headers
        )
        assert answer.status_code == 401
        assert answer.json()["code"] == "BAD_CREDENTIAL"
    answer = server.get("/api/v1/tills/10/position", headers={"Authorization": "Bearer nope"})
    assert answer.status_code == 401


def test_credential_of_another_till_is_refused(server: TestClient) -> None:
    till_10 = register(server, 10)
    till_11 = register(server, 11)
    till_10.sale()
    answer = server.post(
        "/api/v1/tills/10/operations",
        json={"operations": till_10.operations()},
        headers=till_11.auth,
    )
    assert answer.status_code == 403
    assert answer.json()["code"] == "WRONG_TILL"
    position = server.get("/api/v1/tills/10/position", headers=till_11.auth)
    assert position.status_code == 403


def test_replaced_till_gets_a_new_credential_and_the_old_one_stops(server: TestClient) -> None:
    till = register(server, 10)
    old = till.auth
    renewed = server.post("/api/v1/tills/10/credential", headers=ADMIN)
    assert renewed.status_code == 200, renewed.text
    till.credential = renewed.json()["credential"]
    till.sale()
    operations = till.operations()
    assert push(server, till, operations).status_code == 200
    refused = server.post(
        "/api/v1/tills/10/operations", json={"operations": operations}, headers=old
    )
    assert refused.status_code == 401
    unknown = server.post("/api/v1/tills/12/credential", headers=ADMIN)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "UNKNOWN_TILL"


def test_back_office_needs_the_admin_token(server: TestClient) -> None:
    till = register(server, 10)
    for headers in ({}, till.auth, {"Authorization": "Bearer wrong"}):
        answer = server.get("/api/v1/tills", headers=headers)
        assert answer.status_code == 401
        assert answer.json()["code"] == "ADMIN_REQUIRED"
    assert server.post("/api/v1/tills/10/credential", headers=till.auth).status_code == 401
