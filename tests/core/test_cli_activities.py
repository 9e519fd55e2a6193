"""``supdesk activities announce/signup/signups/withdraw/cancel/attend``, on both databases."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from supervision_core import SHANGHAI, open_ledger
from supervision_core.cli import cli
from supervision_core.config import load_settings
from supervision_core.testing import FrozenClock


@pytest.fixture
def run(supdesk_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUPDESK_DATABASE_URL", supdesk_database_url)
    monkeypatch.setenv("SUPDESK_ACTOR", "operator:cli-test")
    monkeypatch.delenv("SUPDESK_CONFIG", raising=False)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    assert invoke("init", "--demo").exit_code == 0
    return invoke


def _json(result: Result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _ids(run) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {s["name"]: s["id"] for s in _json(run("supervisors", "list", "--json"))}  # type: ignore[union-attr]


def test_announce_sign_up_list_withdraw_and_cancel(run) -> None:  # type: ignore[no-untyped-def]
    # The command line runs on the real clock: the activity is a week from now.
    start = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=7)).replace(second=0, microsecond=0)
    deadline = start - dt.timedelta(days=2)
    fmt = "%Y-%m-%d %H:%M"
    bateer = str(_ids(run)["巴特尔"])
    other = str(_ids(run)["乌云其其格"])  # 嘎鲁图镇's
    announced = _json(
        run("activities", "announce", "--center", "wushenzhao", "--kind", "training",
            "--title", "政务服务政策解读培训", "--place", "乌审召镇便民服务中心",
            "--start", start.strftime(fmt), "--deadline", deadline.strftime(fmt),
            "--capacity", "30", "--description", "解读最新的一件事一次办政策。", "--json")
    )  # fmt: skip
    assert isinstance(announced, dict)
    assert announced["capacity"] == 30 and announced["signed_up"] == []
    assert dt.datetime.fromisoformat(announced["starts_at"]) == start
    activity = str(announced["id"])

    signed = _json(run("activities", "signup", activity, bateer, "--json"))
    assert signed["signed_up"] == [int(bateer)]  # type: ignore[index]
    again = run("activities", "signup", activity, bateer)
    assert again.exit_code == 0 and "已报名 1 人" in again.output
    refused = run("activities", "signup", activity, other)
    assert refused.exit_code == 1 and "没有编号为" in refused.output

    listed = _json(run("activities", "signups", activity, "--json"))
    assert listed["signups"] == [  # type: ignore[index]
        {"supervisor_id": int(bateer), "name": "巴特尔", "phone": "139****2345", "attendance": None}
    ]
    human = run("activities", "signups", activity)
    assert "139****2345" in human.output and "13904772345" not in human.output
    log = _json(run("access-log", "--supervisor", bateer, "--json"))
    assert any(e["action"] == "activity_signups" for e in log)  # type: ignore[union-attr]

    early = run("activities", "attend", activity, bateer)
    assert early.exit_code == 1 and "尚未开始" in early.output
    bad = run("activities", "announce", "--center", "wushenzhao", "--kind", "forum",
              "--title", "座谈", "--place", "会议室", "--start", start.strftime(fmt),
              "--deadline", (start + dt.timedelta(hours=1)).strftime(fmt))  # fmt: skip
    assert bad.exit_code == 1 and "晚于活动开始时间" in bad.output and "Traceback" not in bad.output

    assert _json(run("activities", "withdraw", activity, bateer, "--json"))["signed_up"] == []  # type: ignore[index]
    run("activities", "signup", activity, bateer)
    cancelled = _json(run("activities", "cancel", activity, "--reason", "主讲人临时有事", "--json"))
    assert cancelled["cancel_reason"] == "主讲人临时有事"  # type: ignore[index]
    outbox = run("outbox", "list")
    assert "取消了活动" in outbox.output
    twice = run("activities", "cancel", activity, "--reason", "再取消")
    assert twice.exit_code == 1 and "已于" in twice.output
    listing = run("activities", "list", "--center", "wushenzhao")
    assert "政务服务政策解读培训" in listing.output


def test_attendance_recorded_at_the_command_line_counts_in_the_evaluation(
    run, supdesk_database_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # Announced three days ago (a ledger on a clock in the past), held yesterday.
    now = dt.datetime.now(SHANGHAI).replace(second=0, microsecond=0)
    start, deadline = now - dt.timedelta(days=1), now - dt.timedelta(days=2)
    bateer = _ids(run)["巴特尔"]
    ledger = open_ledger(
        supdesk_database_url,
        settings=load_settings(tmp_path / "supdesk.toml"),
        clock=FrozenClock(now - dt.timedelta(days=3)),
    )
    try:
        held = ledger.announce_activity(
            center="wushenzhao", kind="group_experience", title="集中体验：不动产登记",
            place="乌审召镇便民服务中心", starts_at=start, signup_deadline=deadline,
            actor="operator:test",
        )  # fmt: skip
        ledger.sign_up_for_activity(held.id, bateer)
    finally:
        ledger.engine.dispose()
    year = str(start.year)
    before = _json(run("evaluate", year, "--center", "wushenzhao", "--json"))
    mine = next(e for e in before["entries"] if e["supervisor_id"] == bateer)  # type: ignore[index]
    assert mine["year_facts"]["activities_attended"] == []  # signed up is not attended
    done = run("activities", "attend", str(held.id), str(bateer))
    assert done.exit_code == 0 and "出席" in done.output
    after = _json(run("evaluate", year, "--center", "wushenzhao", "--json"))
    entry = next(e for e in after["entries"] if e["supervisor_id"] == bateer)  # type: ignore[index]
    assert entry["year_facts"]["activities_attended"] == [f"活动#{held.id}"]
    assert entry["score"]["total"] > mine["score"]["total"]
