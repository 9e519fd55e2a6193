"""The testing helpers: what "under CI" means, and a guard that skips here but fails there."""

from __future__ import annotations

import threading

import pytest

from supervision_core.testing import HookRecorder, require, skip_or_fail, under_ci, wait_until


@pytest.mark.parametrize("value", ["true", "1", "yes", "TRUE", "True", "on", "github-actions"])
def test_any_value_of_ci_but_a_no_means_under_ci(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CI", value)
    assert under_ci()


@pytest.mark.parametrize("value", ["", "0", "false", "FALSE", "no", " No "])
def test_a_no_or_nothing_means_not_under_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert not under_ci()
    monkeypatch.delenv("CI")
    assert not under_ci()


def test_a_missing_need_skips_here_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "0")
    with pytest.raises(pytest.skip.Exception, match="no dovecot"):
        skip_or_fail("no dovecot")
    with pytest.raises(pytest.skip.Exception, match="no chromium"):
        require(False, "no chromium")
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="under CI this test must run: no dovecot"):
        skip_or_fail("no dovecot")
    with pytest.raises(pytest.fail.Exception, match="no chromium"):
        require("", "no chromium")
    require(True, "never said")


def test_wait_until_gives_up_with_what_it_waited_for() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"gave up after 0\.05 s waiting for the moon"):
        wait_until(lambda: False, timeout=0.05, what="the moon", interval=0.01)
    wait_until(lambda: True, timeout=0, what="nothing")


def test_the_recorder_wakes_a_waiter_when_another_thread_records() -> None:
    recorder = HookRecorder()
    thread = threading.Timer(
        0.01, recorder._record, args=("supervision_report_received",), kwargs={"n": 2}
    )
    thread.start()
    call = recorder.wait_for(
        "supervision_report_received", lambda c: c.kwargs["n"] == 2, timeout=10
    )
    assert call.kwargs == {"n": 2}
    with pytest.raises(pytest.fail.Exception, match="supervision_issue_changed was not called"):
        recorder.wait_for("supervision_issue_changed", timeout=0.01)
