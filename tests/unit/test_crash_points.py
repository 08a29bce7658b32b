"""The crash points of the crash harness: inert unless armed, and once armed the nth visit
kills the process with SIGKILL — tried in a child Python process, never in the test's."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from autonom.crash_points import ENVIRONMENT_VARIABLE, CrashPoint, arm_from_environment, parse

VISIT_FIVE_TIMES = """
import sys
from autonom.crash_points import CrashPoint, arm_from_environment, crash_point
arm_from_environment()
for visit in range(1, 6):
    print(visit, flush=True)
    crash_point(CrashPoint.TILL_BEFORE_PRINT)
    crash_point(CrashPoint.SERVER_AFTER_COMMIT)
"""


def visit_five_times(value: str | None) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": ":".join(sys.path)}
    if value is not None:
        env[ENVIRONMENT_VARIABLE] = value
    return subprocess.run(
        [sys.executable, "-c", VISIT_FIVE_TIMES], env=env, capture_output=True, text=True
    )


def test_a_point_of_a_process_started_without_the_variable_does_nothing() -> None:
    done = visit_five_times(None)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "2", "3", "4", "5"]


def test_the_armed_point_kills_the_process_with_sigkill_on_its_nth_visit() -> None:
    done = visit_five_times("till.before_print:3")

    assert done.returncode == -signal.SIGKILL
    assert done.stdout.split() == ["1", "2", "3"]  # killed during the third visit


def test_without_a_count_the_first_visit_kills() -> None:
    done = visit_five_times("server.after_commit")

    assert done.returncode == -signal.SIGKILL
    assert done.stdout.split() == ["1"]


def test_another_point_than_the_armed_one_never_kills() -> None:
    done = visit_five_times("till.before_commit:1")

    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("till.after_lunch", "unknown crash point 'till.after_lunch'"),
        ("till.before_print:0", "'0' is not a count from 1"),
        ("till.before_print:x", "'x' is not a count from 1"),
    ],
)
def test_a_wrong_value_is_refused_with_what_is_wrong(value: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse(value)


def test_arming_names_the_point_and_an_empty_value_disarms() -> None:
    try:
        assert arm_from_environment({ENVIRONMENT_VARIABLE: "till.push_sent:2"}) is (
            CrashPoint.TILL_PUSH_SENT
        )
        assert arm_from_environment({ENVIRONMENT_VARIABLE: ""}) is None
    finally:
        arm_from_environment({})
