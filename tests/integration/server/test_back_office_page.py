"""The back-office page: a manager logs in with the admin token, sees every till's mode and
activity from its last report (STALLED prominently, a silent till honestly), changes a
till's station settings and reads its history of mode changes as log lines."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from autonom.contracts import HeartbeatReport
from autonom.server import service_layer as handlers
from autonom.server.adapters import SqlUnitOfWork
from autonom.server.entrypoints.deps import ServerContext
from tests.integration.server.till_log import (
    ADMIN_TOKEN,
    TillLog,
    heartbeat,
    mode_event,
    push,
    register,
)

PAGE = "/back-office"
CENTRAL_EUROPE = "CET-1CEST,M3.5.0,M10.5.0/3"
VOID_ELEMENTS = {"area", "br", "col", "hr", "img", "input", "link", "meta", "source", "wbr"}


class ElementTexts(HTMLParser):
    """The text of every element with a ``data-testid``, whitespace collapsed; repeated ids
    are kept in page order."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, list[str]] = {}
        self._open: list[tuple[str, str | None, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID_ELEMENTS:
            self._open.append((tag, dict(attrs).get("data-testid"), []))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, testid, parts = self._open.pop()
            text = " ".join("".join(parts).split())
            if self._open:
                self._open[-1][2].append(" " + "".join(parts) + " ")
            if testid is not None:
                self.found.setdefault(testid, []).append(text)
            if open_tag == tag:
                return

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)


def texts(html: str) -> dict[str, list[str]]:
    parser = ElementTexts()
    parser.feed(html)
    return parser.found


def text(html: str, testid: str) -> str:
    [found] = texts(html)[testid]
    return found


def log_in(server: TestClient) -> None:
    answer = server.post(f"{PAGE}/login", data={"token": ADMIN_TOKEN}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"{PAGE}/tills"


def page(server: TestClient, path: str, status: int = 200) -> str:
    answer = server.get(f"{PAGE}{path}", follow_redirects=False)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    return answer.text


def settings_of(server: TestClient, till: TillLog) -> dict[str, Any]:
    answer = server.get(f"/api/v1/tills/{till.number}/station-settings", headers=till.auth)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def report_earlier(server: TestClient, number: int, seconds_ago: int, **report: Any) -> None:
    """A report the server received ``seconds_ago``: the till has been silent since."""
    context: ServerContext = server.app.state.context  # type: ignore[attr-defined]
    handlers.receive_heartbeat(
        uow=SqlUnitOfWork(context.engine, context.settings.store_id),
        number=number,
        report=HeartbeatReport.model_validate(report),
        now=datetime.now(UTC) - timedelta(seconds=seconds_ago),
    )


@pytest.fixture
def central_europe(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The server's local time zone is Central European time for the test."""
    monkeypatch.setenv("TZ", CENTRAL_EUROPE)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_every_page_needs_the_login(server: TestClient) -> None:
    till = register(server, 10)
    for path in ("/tills", "/tills/10", "/tills/open?number=10"):
        answer = server.get(f"{PAGE}{path}", follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == f"{PAGE}/login"
    assert server.get(PAGE, follow_redirects=True).url.path == f"{PAGE}/login"
    posted = server.post(
        f"{PAGE}/tills/10/station-settings", data={"auto_return_s": "60"}, follow_redirects=False
    )
    assert posted.status_code == 303
    assert posted.headers["location"] == f"{PAGE}/login"
    assert settings_of(server, till) == {"emergency_allowed": True, "auto_return_s": 30}
    server.cookies.set("autonom_admin", "a-guess", path=PAGE)
    assert server.get(f"{PAGE}/tills", follow_redirects=False).status_code == 303
    assert "login-form" in texts(page(server, "/login"))
    assert server.get(f"{PAGE}/back_office.css").headers["content-type"].startswith("text/css")


def test_wrong_token_shows_the_login_again_with_a_message(server: TestClient) -> None:
    wrong = server.post(f"{PAGE}/login", data={"token": "admin"}, follow_redirects=False)
    assert wrong.status_code == 401
    assert "That is not the admin token" in text(wrong.text, "login-error")
    assert "set-cookie" not in wrong.headers
    empty = server.post(f"{PAGE}/login", data={"token": "  "}, follow_redirects=False)
    assert empty.status_code == 401
    assert text(empty.text, "login-error") == "Type the admin token to log in."
    assert server.get(f"{PAGE}/tills", follow_redirects=False).status_code == 303


def test_login_keeps_the_token_in_a_strict_httponly_cookie(server: TestClient) -> None:
    answer = server.post(f"{PAGE}/login", data={"token": ADMIN_TOKEN}, follow_redirects=False)
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("autonom_admin=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert f"Path={PAGE}" in cookie
    page(server, "/tills")
    out = server.post(f"{PAGE}/logout", follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"] == f"{PAGE}/login"
    assert server.get(f"{PAGE}/tills", follow_redirects=False).status_code == 303


def test_tills_page_shows_mode_activity_and_stalled(server: TestClient) -> None:
    till_10, till_11 = register(server, 10), register(server, 11)
    register(server, 12)
    heartbeat(server, till_10, mode="emergency", unsent_operations=3)
    heartbeat(server, till_11, mode="live", activity="stalled")
    server.put(
        "/api/v1/tills/11/station-settings",
        json={"emergency_allowed": False, "auto_return_s": 60},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    log_in(server)
    html = page(server, "/tills")
    assert text(html, "till-mode-10") == "EMERGENCY"
    assert text(html, "till-activity-10") == "alive"
    assert text(html, "till-unsent-10") == "3"
    assert text(html, "till-applied-10") == "0"
    assert text(html, "till-settings-10") == "emergency mode allowed · automatic return after 30 s"
    assert text(html, "till-mode-11") == "LIVE"
    assert text(html, "till-activity-11") == "STALLED"
    assert '<strong class="stalled">STALLED</strong>' in html
    assert text(html, "till-settings-11") == (
        "emergency mode not allowed · automatic return after 60 s"
    )
    assert text(html, "till-mode-12") == "no report yet"
    assert text(html, "till-report-12") == "never"
    assert "till-quiet-10" not in texts(html)
    assert 'href="/back-office/tills/12"' in html


def test_till_not_heard_from_shows_its_last_known_mode(server: TestClient) -> None:
    register(server, 10)
    report_earlier(
        server, 10, 42, mode="emergency", activity="alive", unsent_operations=5, events=[]
    )
    log_in(server)
    for html, suffix in ((page(server, "/tills"), "-10"), (page(server, "/tills/10"), "")):
        assert text(html, f"till-mode{suffix}") == "last known: EMERGENCY"
        quiet = re.fullmatch(r"not heard from for (\d+) s", text(html, "till-quiet-10"))
        assert quiet is not None
        assert 42 <= int(quiet[1]) < 60


def test_settings_form_changes_the_station_settings(server: TestClient) -> None:
    till = register(server, 10)
    log_in(server)
    html = page(server, "/tills/10")
    assert 'data-testid="settings-form"' in html
    assert "settings-saved" not in texts(html)
    # An unticked box is not sent at all: emergency mode is then not allowed.
    saved = server.post(
        f"{PAGE}/tills/10/station-settings", data={"auto_return_s": "45"}, follow_redirects=False
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{PAGE}/tills/10?saved=true"
    assert settings_of(server, till) == {"emergency_allowed": False, "auto_return_s": 45}
    after = page(server, "/tills/10?saved=true")
    assert "Saved." in text(after, "settings-saved")
    assert text(after, "settings-current") == (
        "Now: emergency mode not allowed · automatic return after 45 s"
    )
    assert heartbeat(server, till).json()["station_settings"]["auto_return_s"] == 45
    server.post(
        f"{PAGE}/tills/10/station-settings", data={"emergency_allowed": "on", "auto_return_s": "30"}
    )
    assert settings_of(server, till) == {"emergency_allowed": True, "auto_return_s": 30}


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("4", "Input should be greater than or equal to 5."),
        ("601", "Input should be less than or equal to 600."),
        ("soon", "Input should be a valid integer"),
        ("", "Input should be a valid integer"),
    ],
)
def test_bad_setting_is_shown_on_the_page_and_not_saved(
    server: TestClient, typed: str, problem: str
) -> None:
    till = register(server, 10)
    log_in(server)
    answer = server.post(
        f"{PAGE}/tills/10/station-settings",
        data={"auto_return_s": typed},
        follow_redirects=False,
    )
    assert answer.status_code == 422
    shown = text(answer.text, "settings-errors")
    assert shown.startswith("Automatic return to live mode after (seconds): ")
    assert problem in shown
    assert f'value="{typed}"' in answer.text  # what was typed stays in the form
    assert settings_of(server, till) == {"emergency_allowed": True, "auto_return_s": 30}


@pytest.mark.usefixtures("central_europe")
def test_history_shows_the_log_lines_newest_first_in_local_time(server: TestClient) -> None:
    till = register(server, 10)
    summer = datetime(2026, 8, 12, 14, 21, 47, tzinfo=UTC)
    heartbeat(
        server,
        till,
        mode_event(1, "OFFLINE NO PING", at=summer),
        mode_event(2, "ONLINE", state="server_available", at=summer + timedelta(seconds=19)),
        mode_event(
            3, "ACTIVITY <STALLED>", link="activity", state="stalled", at=summer.replace(month=11)
        ),
    )
    log_in(server)
    html = page(server, "/tills/10")
    assert texts(html)["mode-event-line"] == [
        "12.11.2026 / 15:21:47: ACTIVITY <STALLED>",
        "12.08.2026 / 16:22:06: ONLINE",
        "12.08.2026 / 16:21:47: OFFLINE NO PING",
    ]
    assert "ACTIVITY &lt;STALLED&gt;" in html
    [newest, *_] = re.findall(r'<tr data-testid="mode-event" data-seq="(\d+)">', html)
    assert newest == "3"
    assert "(CET)" in html or "(CEST)" in html


def test_settings_of_an_unregistered_till_can_be_set_on_its_page(server: TestClient) -> None:
    log_in(server)
    opened = server.get(f"{PAGE}/tills/open", params={"number": 12}, follow_redirects=False)
    assert opened.headers["location"] == f"{PAGE}/tills/12"
    html = page(server, "/tills/12")
    assert "not registered yet" in text(html, "not-registered")
    assert "no-mode-events" in texts(html)
    saved = server.post(
        f"{PAGE}/tills/12/station-settings", data={"auto_return_s": "90"}, follow_redirects=False
    )
    assert saved.status_code == 303
    till = register(server, 12)
    assert settings_of(server, till) == {"emergency_allowed": False, "auto_return_s": 90}


def test_page_errors_are_pages_and_api_errors_stay_json(server: TestClient) -> None:
    log_in(server)
    bad_number = page(server, "/tills/1000", status=422)
    assert "BAD_TILL_NUMBER" in text(bad_number, "error")
    not_a_number = page(server, "/tills/ten", status=422)
    assert "INVALID_INPUT" in text(not_a_number, "error")
    assert "INVALID_INPUT" in text(page(server, "/tills/open?number=x", status=422), "error")
    unknown = page(server, "/nothing-here", status=404)
    assert "NOT_FOUND" in text(unknown, "error")
    api = server.get("/api/v1/tills/0/mode-events", headers={"Authorization": "Bearer x"})
    assert api.headers["content-type"] == "application/json"
    assert api.json()["code"] == "ADMIN_REQUIRED"


def test_a_refused_push_and_a_new_credential_are_on_the_tills_page(server: TestClient) -> None:
    till = register(server, 10)
    log_in(server)
    assert "till-refusal" not in texts(page(server, "/tills/10"))
    issued = server.post(f"{PAGE}/tills/10/credential")  # the button: shown once, here
    assert issued.status_code == 200, issued.text
    credential = text(issued.text, "new-credential-value")
    assert credential not in page(server, "/tills/10")  # only in the answer to the button
    till.sale()
    operations = till.operations()
    refused = push(server, till, operations)  # the till still has its old credential
    assert refused.json()["code"] == "BAD_CREDENTIAL"
    html = page(server, "/tills/10")
    shown = text(html, "till-refusal")
    assert "BAD_CREDENTIAL" in shown
    assert "install" in shown  # what to do, in plain words
    assert "BAD_CREDENTIAL" in text(page(server, "/tills"), "till-refusal-10")
    till.credential = credential
    assert push(server, till, operations).status_code == 200
    assert "till-refusal" not in texts(page(server, "/tills/10"))  # mended: gone
