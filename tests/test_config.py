"""supdesk.toml: what parses, and what is refused with the file and key named."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from supervision_core import ConfigError, parse_settings
from supervision_core.demo import demo_settings


def parse(text: str):  # type: ignore[no-untyped-def]
    return parse_settings(tomllib.loads(text), "test.toml")


def test_demo_configuration_parses() -> None:
    settings = demo_settings()
    assert [c.center.code for c in settings.centers][:2] == ["banner", "galutu"]
    assert settings.center("wushenzhao") is not None
    assert settings.time_limits.scheduled == 10


def test_profiles_parse_from_toml() -> None:
    settings = parse(
        """
[[profiles]]
name = "duty-phone"
label = "值班电话"
time_formats = ["%Y.%m.%d %H:%M"]
[profiles.columns]
time = ["值班时间"]
caller_number = "来电号码"
content = ["来电事由", "事由"]
"""
    )
    (profile,) = settings.profiles
    assert profile.name == "duty-phone" and profile.time_formats == ("%Y.%m.%d %H:%M",)
    assert profile.columns["caller_number"] == ("来电号码",)
    assert profile.locate(["值班时间", "来电号码", "事由"]) == {
        "time": 0,
        "caller_number": 1,
        "content": 2,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[profiles]]\nname = "x"\n[profiles.columns]\nwhen = ["时间"]\n', "未知的字段 when"),
        ('[[profiles]]\nname = "x"\n', "profiles[0]"),
        ("[time_limits]\nscheduled = -1\n", "scheduled"),
        ("[time_limits]\nfortnight = 14\n", "未知的时限名称"),
        ('[calendar]\nclosures = ["7月15日"]\n', "YYYY-MM-DD"),
        ("[desk]\nduplicate_threshold = 3\n", "0 到 1"),
        (
            '[[centers]]\ncode = "a"\nname = "甲"\nlevel = "banner"\n[[centers]]\ncode = "b"\nname = "乙"\nlevel = "banner"\n',
            "最多只能有一个旗级中心",
        ),
        ('[[centers]]\ncode = "a"\nname = "甲"\ncolour = "red"\n', "未知的键 colour"),
        ("[mystery]\nx = 1\n", "未知的节 mystery"),
    ],
)
def test_bad_configuration_is_named(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(text)
    assert message in str(info.value) and "test.toml" in str(info.value)


def test_closures_take_dates() -> None:
    settings = parse('[calendar]\nclosures = [2026-07-15, "2026-07-16"]\n')
    assert settings.closures == {dt.date(2026, 7, 15), dt.date(2026, 7, 16)}
