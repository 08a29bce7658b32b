"""The server link turns every network failure into ServerUnreachable and every 4xx into a
Refusal with the server's own code. HTTP is answered in memory (httpx.MockTransport): no
socket in unit tests; the real server is exercised in tests/integration/till."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from autonom.contracts import TillRegistration
from autonom.domain import Refusal, errors
from autonom.till.adapters.server_link import ServerLink, ServerUnreachable

Handler = Callable[[httpx.Request], httpx.Response]


def link_answering(handler: Handler, credential: str | None = "secret") -> ServerLink:
    return ServerLink(
        "http://server:8000/", 10, credential=credential, transport=httpx.MockTransport(handler)
    )


def test_a_refusal_of_the_server_keeps_its_code_message_and_detail() -> None:
    def gap(request: httpx.Request) -> httpx.Response:
        body = {"code": "SEQUENCE_GAP", "message": "expected 4", "detail": {"expected": 4}}
        return httpx.Response(409, json=body)

    with pytest.raises(Refusal) as refused:
        link_answering(gap).position()
    assert (refused.value.code, refused.value.status) == (errors.SEQUENCE_GAP, 409)
    assert refused.value.detail == {"expected": 4}


def test_calls_carry_the_till_credential_and_reach_the_versioned_api() -> None:
    seen: list[httpx.Request] = []

    def position(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"till_number": 10, "applied_through": 7})

    assert link_answering(position).position().applied_through == 7
    assert seen[0].url == "http://server:8000/api/v1/tills/10/position"
    assert seen[0].headers["Authorization"] == "Bearer secret"


def test_registration_is_sent_without_a_credential() -> None:
    seen: list[httpx.Request] = []

    def register(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"till_number": 10, "credential": "new"})

    link = link_answering(register, credential=None)
    answer = link.register(TillRegistration(name="till 10", enrolment_code="code"))
    assert answer.credential == "new"
    assert "Authorization" not in seen[0].headers


@pytest.mark.parametrize(
    "answer",
    [
        lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused", request=request)),
        lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("silent", request=request)),
        lambda request: httpx.Response(503, json={"status": "degraded"}),
        lambda request: httpx.Response(200, text="<html>a proxy page</html>"),
        lambda request: httpx.Response(200, json={"unexpected": True}),
    ],
    ids=["refused", "timeout", "server-in-trouble", "not-json", "wrong-shape"],
)
def test_any_network_or_server_failure_becomes_server_unreachable(answer: Handler) -> None:
    with pytest.raises(ServerUnreachable):
        link_answering(answer).master_data()


def test_a_till_without_credential_does_not_call_the_server() -> None:
    def never(request: httpx.Request) -> httpx.Response:
        raise AssertionError("called")

    with pytest.raises(ServerUnreachable, match="not registered"):
        link_answering(never, credential=None).open_ticket_at(3)


def test_the_oldest_open_ticket_of_a_table_is_the_one_to_join() -> None:
    def tickets(request: httpx.Request) -> httpx.Response:
        assert request.url.params["status"] == "open"
        assert request.url.params["table"] == "3"
        ticket = {
            "table": 3,
            "till_number": 11,
            "owner": 2,
            "status": "open",
            "total": "0.00",
            "bookings": [],
        }
        return httpx.Response(
            200,
            json=[
                {**ticket, "ticket_id": "later", "opened_at": "2026-11-21T10:00:00Z"},
                {**ticket, "ticket_id": "first", "opened_at": "2026-11-21T09:00:00Z"},
            ],
        )

    found = link_answering(tickets).open_ticket_at(3)
    assert found is not None
    assert found.ticket_id == "first"
    assert link_answering(lambda request: httpx.Response(200, json=[])).open_ticket_at(3) is None
