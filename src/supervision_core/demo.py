"""Demo data for Uxin Banner (乌审旗): the example configuration and a few months of work."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from importlib import resources

from supervision_core.config import Settings, parse_settings
from supervision_core.errors import InvalidInput
from supervision_core.ledger import Ledger
from supervision_core.model.reports import Report, ReportHints, Sender
from supervision_core.model.supervisors import ContactKind, Identity, NewSupervisor, Origin
from supervision_core.model.vocabulary import Method, ProblemType, Stage, Topic

__all__ = [
    "DEMO_MAIL_FROM",
    "DEMO_SIGN_INS",
    "demo_config_text",
    "demo_settings",
    "foreign_data",
    "load_demo",
]

#: The address the demo's e-mail notices come from.
DEMO_MAIL_FROM = "jiandu@wushen.example.cn"

_MAIL_SINK_TABLE = """
# The demo's notices go by e-mail (the "email" notifier, every center) to a local mail
# sink that keeps each message in a Maildir: scripts/demo starts it as
#   python -m supervision_daemon.mail_sink --maildir mail --port {port}
# A deployment points this table at its own SMTP server instead (docs/email.md).
[notifiers.email]
from_address = "{sender}"
host = "{host}"
port = {port}
"""


#: The scoring policy 乌审召镇's own plugin registers (plugins/supervision-township-wushenzhao).
WUSHENZHAO_POLICY = "wushenzhao-2026"


def demo_config_text(
    *, mail_sink: tuple[str, int] | None = None, policies: Collection[str] = ()
) -> str:
    """The demo ``supdesk.toml``: the banner center and its six townships.

    With ``mail_sink`` (host, port), every center also sends its notices by e-mail
    through that SMTP server: the demo's local mail sink, so the loop of notices to
    supervisors can be seen (``scripts/demo``). When ``policies`` (the registered scoring
    policies) hold 乌审召镇's own, 乌审召镇 uses it; otherwise the line stays a comment
    saying which plugin to install.
    """
    text = (resources.files("supervision_core") / "demo.toml").read_text(encoding="utf-8")
    if WUSHENZHAO_POLICY in policies:
        text = text.replace(
            f'# scoring_policy = "{WUSHENZHAO_POLICY}"', f'scoring_policy = "{WUSHENZHAO_POLICY}"'
        )
    if mail_sink is None:
        return text
    host, port = mail_sink
    # A key right under a [[centers]] header belongs to that center.
    text = re.sub(r"(?m)^\[\[centers\]\]\n", '[[centers]]\nnotifiers = ["email"]\n', text)
    return text + _MAIL_SINK_TABLE.format(sender=DEMO_MAIL_FROM, host=host, port=port)


def demo_settings() -> Settings:
    """The demo configuration, parsed."""
    import tomllib

    return parse_settings(tomllib.loads(demo_config_text()), "demo.toml")


# Every supervisor but one can be written to; 张志强 gave only a phone number, so what
# he is told has to reach him another way (a call).
_SUPERVISORS: list[tuple[str, str, Origin, str | None, str]] = [
    ("王建国", "banner", Origin.EXPERIENCE_OFFICER, "wang.jianguo@example.cn", "13847701234"),
    ("李秀英", "banner", Origin.EXPERIENCE_OFFICER, "li.xiuying@example.cn", "15104775678"),
    ("巴特尔", "wushenzhao", Origin.TOWNSHIP_HIRED, "bateer@example.cn", "13948772345"),
    ("乌云其其格", "galutu", Origin.TOWNSHIP_HIRED, "wuyun@example.cn", "18647773456"),
    ("张志强", "tuke", Origin.EXPERIENCE_OFFICER, None, "13604774567"),
    ("刘海燕", "sulide", Origin.TOWNSHIP_HIRED, "liu.haiyan@example.cn", "15847775678"),
]

_REPORTS = [
    (
        "banner",
        0,
        "在不动产登记窗口办理过户，工作人员要求补交三次材料，每次只说一项，没有一次性告知。",
        ReportHints(
            method=Method.IN_PERSON,
            stage=Stage.ACCEPTANCE,
            topic=Topic.WINDOW_STAFF,
            problem_type=ProblemType.TELL_ONCE,
            unit="realty",
        ),
    ),
    (
        "banner",
        1,
        "旗政务服务网企业开办入口在手机上打不开，提示证书错误，试了三天都不行。",
        ReportHints(
            method=Method.SIMULATED,
            topic=Topic.ONLINE_SERVICE,
            problem_type=ProblemType.ONLINE_EXPERIENCE,
            unit="online",
        ),
    ),
    (
        "banner",
        0,
        "大厅门口有人自称可以代办营业执照，收费500元，疑似黄牛。",
        ReportHints(
            method=Method.INSPECTION,
            topic=Topic.BAD_PRACTICES,
            problem_type=ProblemType.BROKERS,
            venue="旗政务服务大厅",
        ),
    ),
    (
        "wushenzhao",
        2,
        "镇便民服务中心中午12点到2点无人值守，群众在门口等候，没有延时服务告示。",
        ReportHints(
            method=Method.IN_PERSON,
            topic=Topic.CONVENIENCE,
            problem_type=ProblemType.TIME_LIMIT,
            unit="wushenzhao-window",
        ),
    ),
    (
        "galutu",
        3,
        "社保卡补办要求先去旗里开证明再回镇上办理，来回跑了两趟。",
        ReportHints(
            method=Method.ACCOMPANYING,
            stage=Stage.CONSULTATION,
            topic=Topic.BAD_PRACTICES,
            problem_type=ProblemType.BACK_AND_FORTH,
            unit="galutu-window",
        ),
    ),
    (
        "tuke",
        4,
        "这个事情我已经向法院起诉了，希望中心督促对方尽快履行判决。",
        ReportHints(method=Method.IN_PERSON),
    ),
    (
        "sulide",
        5,
        "苏木便民服务中心自助服务终端长期故障，无法打印社保缴费证明。",
        ReportHints(
            method=Method.SIMULATED,
            topic=Topic.CONVENIENCE,
            problem_type=ProblemType.VENUE_ENVIRONMENT,
            unit="sulide-window",
        ),
    ),
]


#: The demo's staff accounts share one password, printed by ``supdesk init --demo``:
#: a demonstration, never a deployment.
DEMO_PASSWORD = "demo-desk-2026"
DEMO_USERS = (
    ("banner-desk", "旗中心前台", "banner"),
    ("wushenzhao-desk", "乌审召镇前台", "wushenzhao"),
)
#: The demo's other roles: a unit's account (its portal, ``/unit``) and an auditor's
#: (reads everything, changes nothing): username, name, center, role, unit.
DEMO_ROLE_USERS = (
    ("realty-window", "不动产登记窗口（演示）", "banner", "unit", "realty"),
    ("banner-auditor", "旗中心审计员（演示）", "banner", "auditor", None),
)
#: Every demo sign-in, for people: username, what it is, where it lands.
DEMO_SIGN_INS = (
    ("banner-desk", "旗中心工作人员（所有中心）", "/console"),
    ("wushenzhao-desk", "乌审召镇工作人员", "/console"),
    ("realty-window", "承办单位：不动产登记窗口", "/unit"),
    ("banner-auditor", "审计员（只读）", "/console"),
)


def _demo_users(ledger: Ledger) -> None:
    existing = {u.username for u in ledger.users.list()}
    for username, display_name, center in DEMO_USERS:
        if username not in existing and ledger.settings.center(center) is not None:
            ledger.users.add(
                username=username,
                display_name=display_name,
                password=DEMO_PASSWORD,
                role="staff",
                center=center,
            )
    units = {(u.center, u.code) for u in ledger.units()}
    for username, display_name, center, role, unit in DEMO_ROLE_USERS:
        if username in existing or ledger.settings.center(center) is None:
            continue
        if unit is not None and (center, unit) not in units:
            continue
        ledger.users.add(
            username=username,
            display_name=display_name,
            password=DEMO_PASSWORD,
            role=role,
            center=center,
            unit=unit,
        )


def foreign_data(ledger: Ledger) -> list[str]:
    """What ``ledger`` holds that the demo did not put there (in Chinese); empty if nothing.

    Staff accounts, supervisors and reports other than the demo's own: a ledger in use.
    """
    found: list[str] = []
    demo_users = {username for username, _, _ in DEMO_USERS} | {
        username for username, *_ in DEMO_ROLE_USERS
    }
    users = [u.username for u in ledger.users.list() if u.username not in demo_users]
    if users:
        found.append(f"工作人员账号 {len(users)} 个")
    demo_people = {(name, center) for name, center, *_ in _SUPERVISORS}
    people = [s for s in ledger.supervisors() if (s.name, s.center) not in demo_people]
    if people:
        found.append(f"监督员 {len(people)} 名")
    reports = sum(
        n for channel, n in ledger.status()["reports_by_channel"].items() if channel != "demo"
    )
    if reports:
        found.append(f"反馈 {reports} 条")
    return found


def load_demo(ledger: Ledger, *, actor: str = "demo") -> dict[str, int]:
    """Fill a fresh ledger with supervisors and issues at every stage of their life.

    Idempotent: reports carry fixed external ids, so loading twice adds nothing.
    Returns how many supervisors, issues and quarantined reports the ledger then has.

    :raises InvalidInput: the ledger holds data of its own (:func:`foreign_data`): the
        demo's accounts (whose password is published), supervisors and issues must never
        enter a ledger in use
    """
    foreign = foreign_data(ledger)
    if foreign:
        msg = (
            f"数据库中已有实际数据（{'、'.join(foreign)}），不能载入演示数据："
            "演示账号的密码是公开的，演示监督员和问题会混入真实台账。"
            "请为演示另建一个空数据库（例如 supdesk --database sqlite:///demo.db init --demo）"
        )
        raise InvalidInput(msg)
    _demo_users(ledger)
    existing = {s.name for s in ledger.supervisors()}
    ids: list[int] = []
    for name, center, origin, email, phone in _SUPERVISORS:
        if name in existing:
            ids.append(next(s.id for s in ledger.supervisors() if s.name == name))
            continue
        supervisor = ledger.add_supervisor(
            NewSupervisor(
                name=name,
                center=center,
                origin=origin,
                letter_number=f"WSQ-JDY-2026-{len(ids) + 1:03d}",
                card_number=f"GZZ-{len(ids) + 1:04d}",
                term_start=dt.date(2026, 1, 1),
                term_end=dt.date(2027, 12, 31),
                identities=[
                    *([Identity(ContactKind.EMAIL, email)] if email else []),
                    Identity(ContactKind.PHONE, phone),
                ],
            )
        )
        ids.append(supervisor.id)
    now = ledger.clock()
    real_clock = ledger.clock
    numbers = []
    for i, (center, who, text, hints) in enumerate(_REPORTS):
        received_at = now - dt.timedelta(days=30 - 3 * i)
        ledger.clock = lambda at=received_at: at  # type: ignore[misc]
        result = ledger.receive(
            Report(
                channel="demo",
                external_id=f"demo-{i + 1}",
                center=center,
                received_at=received_at,
                sender=_sender(who),
                text=text,
                hints=hints,
            )
        )
        ledger.clock = real_clock
        if result.duplicate_delivery:
            return _counts(ledger)
        assert result.issue_number is not None
        numbers.append(result.issue_number)
    ledger.receive(
        Report(
            channel="demo",
            external_id="demo-unknown",
            center="banner",
            received_at=now - dt.timedelta(days=2),
            sender=Sender(ContactKind.PHONE, "13900001111", "未登记来电"),
            text="窗口工作人员上班时间玩手机，态度冷淡。",
        )
    )
    op = f"{actor}:operator"

    def on(days_ago: float) -> None:
        # Steps are recorded as if taken on past days, so the demo shows deadlines
        # met, near and passed.
        ledger.clock = lambda: now - dt.timedelta(days=days_ago)

    try:
        # 1: the whole life, ending satisfied.
        on(29)
        ledger.accept(numbers[0], actor=op)
        ledger.dispatch(numbers[0], unit="realty", responsible_person="赵主任", actor=op)
        on(28)
        ledger.plan(
            numbers[0], track="scheduled", measures="制定一次性告知清单并张贴", actor="unit:realty"
        )
        on(24)
        ledger.progress(numbers[0], note="清单已起草，待审核", actor="unit:realty")
        on(20)
        ledger.complete(
            numbers[0], evidence="一次性告知清单已在窗口张贴（附照片）", actor="unit:realty"
        )
        on(18)
        ledger.evaluate(numbers[0], satisfaction="satisfied", actor=f"supervisor:{ids[0]}")
        # 2: on a schedule, extended once, that has run out all the same: overdue.
        on(26)
        ledger.accept(numbers[1], actor=op)
        ledger.dispatch(numbers[1], unit="online", responsible_person="孙工程师", actor=op)
        on(25)
        ledger.plan(
            numbers[1],
            track="scheduled",
            measures="更换网站证书并做移动端适配测试",
            days=5,
            actor=op,
        )
        on(20)
        ledger.extend(
            numbers[1], days=3, reason="新证书须由上级平台统一签发，到货延后", actor="unit:online"
        )
        # 3: accepted, waiting for dispatch.
        on(0)
        ledger.accept(numbers[2], actor=op)
        # 4: explained, waiting for the supervisor's evaluation.
        on(20)
        ledger.accept(numbers[3], actor=op)
        ledger.dispatch(numbers[3], unit="wushenzhao-window", responsible_person="其木格", actor=op)
        on(19)
        ledger.plan(numbers[3], track="explained", actor=op)
        ledger.explain(
            numbers[3], explanation="中心已实行午间轮岗值守，将补充张贴延时服务告示。", actor=op
        )
        # 5: an immediate fix under way, due soon.
        on(0)
        ledger.accept(numbers[4], actor=op)
        ledger.dispatch(numbers[4], unit="galutu-window", responsible_person="高娃", actor=op)
        ledger.plan(numbers[4], track="immediate", actor=op)
        # 6: not accepted (litigation).
        on(14)
        ledger.not_accept(
            numbers[5],
            reason="legal_procedure",
            note="该事项已进入诉讼程序，请通过法院执行途径解决。",
            actor=op,
        )
    finally:
        ledger.clock = real_clock
    # 7 stays waiting for screening.
    return _counts(ledger)


def _sender(who: int) -> Sender:
    """How supervisor ``who`` reported: by e-mail, or by phone where they have no address."""
    _, _, _, email, phone = _SUPERVISORS[who]
    return Sender(ContactKind.EMAIL, email) if email else Sender(ContactKind.PHONE, phone)


def _counts(ledger: Ledger) -> dict[str, int]:
    return {
        "supervisors": len(ledger.supervisors()),
        "issues": sum(ledger.count_by_center_and_state().values()),
        "quarantined": len(ledger.quarantine()),
    }
