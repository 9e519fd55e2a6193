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
        (
            '[[centers]]\ncode = "a"\nname = "甲"\nemail = "jiandu"\n',
            "centers[0].email：应为电子邮箱地址",
        ),
        (
            '[[centers]]\ncode = "a"\nname = "甲"\ndelivery_order = { staff = ["email"] }\n',
            "centers[0].delivery_order：未知的收件人类别 staff",
        ),
        (
            '[[centers]]\ncode = "a"\nname = "甲"\ndelivery_order = { unit = "wecom" }\n',
            "centers[0].delivery_order.unit：应为字符串列表",
        ),
    ],
)
def test_bad_configuration_is_named(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(text)
    assert message in str(info.value) and "test.toml" in str(info.value)


def test_closures_take_dates() -> None:
    settings = parse('[calendar]\nclosures = [2026-07-15, "2026-07-16"]\n')
    assert settings.closures == {dt.date(2026, 7, 15), dt.date(2026, 7, 16)}


def test_a_years_holidays_and_make_up_days_are_configured() -> None:
    settings = parse(
        """
[calendar]
closures = ["2027-07-15"]

[calendar.2027]
notice = "国务院办公厅关于2027年部分节假日安排的通知"
holidays = [2027-01-01, "2027-02-06..2027-02-12"]
workdays = ["2027-02-14", "2027-02-20"]

[calendar.2026]
holidays = ["2026-01-01"]
workdays = []
"""
    )
    assert settings.closures == {dt.date(2027, 7, 15)}
    y2026, y2027 = settings.calendar_years
    assert y2027.year == 2027 and y2027.source == "config"
    assert y2027.notice == "国务院办公厅关于2027年部分节假日安排的通知"
    assert sorted(y2027.holidays) == [dt.date(2027, 1, 1)] + [
        dt.date(2027, 2, d) for d in range(6, 13)
    ]
    assert y2027.workdays == {dt.date(2027, 2, 14), dt.date(2027, 2, 20)}
    assert (y2026.year, y2026.holidays, y2026.workdays) == (2026, {dt.date(2026, 1, 1)}, set())


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("[calendar.2027]\nworkdays = []\n", "calendar.2027.holidays", "缺少此项"),
        ('[calendar.2027]\nholidays = ["2027-01-01"]\n', "calendar.2027.workdays", "workdays = []"),
        ('[calendar.2027]\nholidays = "2027-01-01"\nworkdays = []\n', "calendar.2027.holidays", "应为日期列表"),
        ('[calendar.2027]\nholidays = ["2027年1月1日"]\nworkdays = []\n', "calendar.2027.holidays", "YYYY-MM-DD"),
        ('[calendar.2027]\nholidays = [2027-01-01T08:00:00]\nworkdays = []\n', "calendar.2027.holidays", "YYYY-MM-DD"),
        ('[calendar.2027]\nholidays = ["2027-02-12..2027-02-06"]\nworkdays = []\n', "calendar.2027.holidays", "终点早于起点"),
        ('[calendar.2027]\nholidays = ["2027-01-01", "2027-01-01"]\nworkdays = []\n', "calendar.2027.holidays", "2027-01-01 重复出现"),
        ('[calendar.2027]\nholidays = ["2026-12-31"]\nworkdays = []\n', "calendar.2027", "2026-12-31 不在 2027 年"),
        ('[calendar.2027]\nholidays = ["2027-01-01"]\nworkdays = ["2027-01-04"]\n', "calendar.2027", "调休上班日（workdays）应为周六或周日"),
        ('[calendar.2027]\nholidays = ["2027-02-14"]\nworkdays = ["2027-02-14"]\n', "calendar.2027", "不能既是放假日"),
        ('[calendar.2027]\nholidays = []\nworkdays = []\n', "calendar.2027", "holidays 不能为空"),
        ('[calendar.2027]\nholiday = ["2027-01-01"]\nworkdays = []\n', "calendar.2027", "未知的键 holiday"),
        ('[calendar.2027]\nholidays = ["2027-01-01"]\nworkdays = []\nnotice = 1\n', "calendar.2027.notice", "应为字符串"),
        ("[calendar]\n2027 = 1\n", "calendar.2027", "应为表"),
        ('[calendar.1999]\nholidays = ["1999-01-01"]\nworkdays = []\n', "calendar.1999", "2000 到 2100"),
        ('[calendar.y2027]\nholidays = ["2027-01-01"]\nworkdays = []\n', "calendar.y2027", "只能有 closures 和年份表"),
        ("[calendar]\nclosure = []\n", "calendar.closure", "只能有 closures 和年份表"),
    ],
)  # fmt: skip
def test_a_wrong_year_table_is_named(text: str, key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse(text)
    assert f"配置文件 test.toml 中 {key}：" in str(info.value)
    assert problem in str(info.value)


# ---------------------------------------------------------------- plugins' tables


def test_plugin_tables_are_read_from_their_own_sections(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "tg"
    secret.write_text("123:from-a-file\n", encoding="utf-8")
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "from-the-environment")
    settings = parse(
        f"""
[channels.telegram]
token = {{ file = "{secret}" }}
[notifiers.email]
host = "smtp.example.cn"
port = 587
password = {{ env = "TEST_SMTP_PASSWORD" }}
"""
    )
    telegram = settings.plugin_table("channels", "telegram")
    assert telegram.secret("token") == "123:from-a-file"  # the trailing newline is not the token's
    email = settings.plugin_table("notifiers", "email")
    assert (email.text("host"), email.integer("port"), email.secret("password")) == (
        "smtp.example.cn",
        587,
        "from-the-environment",
    )
    assert settings.plugin_table("notifiers", "wecom").data == {}  # absent: empty, defaults apply
    assert email.integer("timeout", 30) == 30


@pytest.mark.parametrize(
    ("table", "read", "message"),
    [
        (
            'token = "123:written-in-the-file"',
            lambda t: t.secret("token"),
            "test.toml 中 channels.x.token：密钥不能直接写在配置文件中",
        ),
        (
            'token = { env = "TEST_UNSET_VARIABLE" }',
            lambda t: t.secret("token"),
            "channels.x.token：环境变量 TEST_UNSET_VARIABLE 未设置",
        ),
        (
            'token = { file = "/nonexistent/secret" }',
            lambda t: t.secret("token"),
            "channels.x.token：无法读取密钥文件 /nonexistent/secret",
        ),
        (
            'token = { env = "A", file = "B" }',
            lambda t: t.secret("token"),
            "channels.x.token：应为",
        ),
        ('port = "25"', lambda t: t.integer("port", 25), "test.toml 中 channels.x.port：应为整数"),
        (
            "starttls = 1",
            lambda t: t.flag("starttls", False),
            "channels.x.starttls：应为 true 或 false",
        ),
        ("poll = 5", lambda t: t.text("host"), "channels.x.host：缺少此项"),
        ("hots = 'x'", lambda t: t.only("host"), "test.toml 中 channels.x：未知的键 hots"),
        (
            "[[channels.x.boxes]]\nport = true",
            lambda t: t.tables("boxes")[0].integer("port"),
            "channels.x.boxes[0].port：应为整数",
        ),
    ],
)
def test_plugin_table_errors_name_the_file_and_the_key(
    table: str, read, message: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("TEST_UNSET_VARIABLE", raising=False)
    text = table if table.startswith("[[") else f"[channels.x]\n{table}"
    settings = parse(text)
    with pytest.raises(ConfigError) as caught:
        read(settings.plugin_table("channels", "x"))
    assert message in str(caught.value)


def test_notifiers_tables_must_be_tables() -> None:
    with pytest.raises(ConfigError, match=r"test\.toml 中 notifiers\.wecom：应为表"):
        parse('notifiers = { wecom = "yes" }')


def test_built_in_channels_check_their_tables() -> None:
    from channels.email.options import EmailOptions
    from channels.phone.channel import PhoneSettings
    from channels.telegram.settings import TelegramSettings

    settings = parse(
        """
[channels.email]
from_address = "JianDu@Desk.test"
[channels.email.lmtp]
port = 8025
[[channels.email.mailboxes]]
center = "banner"
host = "imap.example.cn"
username = "banner@desk.test"
[channels.phone_log]
watch = "/srv/drop"
"""
    )
    email = EmailOptions.from_table(settings.plugin_table("channels", "email"))
    assert email.from_address == "jiandu@desk.test" and email.lmtp and email.lmtp_port == 8025
    assert email.own_addresses == {"jiandu@desk.test", "banner@desk.test"}
    assert (
        PhoneSettings.from_table(settings.plugin_table("channels", "phone_log")).watch_seconds
        == 10.0
    )
    assert TelegramSettings.from_table(settings.plugin_table("channels", "telegram")).token is None
    with pytest.raises(
        ConfigError, match=r"channels.email.mailboxes\[0\].security：应为 ssl、starttls 或 none"
    ):
        EmailOptions.from_table(
            parse(
                '[[channels.email.mailboxes]]\ncenter = "b"\nhost = "h"\nusername = "u"\nsecurity = "tls"'
            ).plugin_table("channels", "email")
        )
    with pytest.raises(ConfigError, match=r"channels\.phone_log：未知的键 folder"):
        PhoneSettings.from_table(
            parse('[channels.phone_log]\nfolder = "/srv"').plugin_table("channels", "phone_log")
        )


def test_each_kind_of_recipient_is_reached_in_the_centers_order() -> None:
    settings = parse(
        """
[[centers]]
code = "a"
name = "甲"
notifiers = ["telegram", "email"]
email = "jiandu@a.gov.cn"
delivery_order = { unit = ["wecom", "email"] }
"""
    )
    center = settings.center("a")
    assert center is not None and center.email == "jiandu@a.gov.cn"
    assert center.ways("supervisor") == ("telegram", "email")  # notifiers, in its order
    assert center.ways("center") == ("telegram", "email")
    assert center.ways("unit") == ("wecom", "email")


def test_a_notifier_named_only_in_delivery_order_must_be_installed() -> None:
    from supervision_core.config import check_plugins

    settings = parse('[[centers]]\ncode = "a"\nname = "甲"\ndelivery_order = { unit = ["fax"] }\n')
    with pytest.raises(ConfigError, match="未安装的通知方式 'fax'"):
        check_plugins(settings, channels={}, policies={"default"}, notifiers={"email"})
