"""Where a batch with a log id the server does not hold goes (issue 9): pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from autonom.domain import Refusal
from autonom.server.domain import LogChoice, TillLog, place_unknown_log

STARTED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def log(*, claimed: bool) -> TillLog:
    return TillLog("a-log", 1, claimed=claimed, started_at=STARTED, applied_through=57)


def test_a_credential_issued_after_the_last_log_started_opens_a_new_log() -> None:
    later = STARTED + timedelta(hours=3)
    assert place_unknown_log(current=log(claimed=True), credential_issued_at=later) is (
        LogChoice.OPEN
    )
    # Also when the server made the current log's id: a replaced till is not an upgrade.
    assert place_unknown_log(current=log(claimed=False), credential_issued_at=later) is (
        LogChoice.OPEN
    )


def test_a_till_upgraded_in_place_claims_the_log_whose_id_the_server_made() -> None:
    assert place_unknown_log(current=log(claimed=False), credential_issued_at=STARTED) is (
        LogChoice.CLAIM
    )


@pytest.mark.parametrize("issued", [STARTED, STARTED - timedelta(days=1)])
def test_another_database_under_an_old_credential_is_a_log_mismatch(issued: datetime) -> None:
    with pytest.raises(Refusal) as refused:
        place_unknown_log(current=log(claimed=True), credential_issued_at=issued)
    assert (refused.value.code, refused.value.status) == ("LOG_MISMATCH", 409)
    assert refused.value.detail == {"log_number": 1}
    assert "new credential" in refused.value.message
