"""The unit never learns who reported: its pages, downloads, files, notices and exports, on both databases.

The reports are the redaction corpus (tests/core/data/redaction_corpus.txt), sent by a
supervisor whose every identifier the corpus uses; the leak check is the corpus's own
(tests/redaction_corpus.py), independent of the code under test.
"""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape
from typing import Any
from urllib.parse import quote

import attrs
import pytest
from click.testing import CliRunner
from PIL import ExifTags, Image
from test_web_desk import login

from conftest import PASSWORD
from redaction_corpus import (
    CARD,
    DISPLAY_NAME,
    EMAILS,
    LETTER,
    MESSENGERS,
    NAME,
    PHONES,
    SECRET,
    cases,
    leaks,
    pdf_with_metadata,
    photo,
)
from supervision_core import (
    Attachment,
    ContactKind,
    Identity,
    Ledger,
    NewSupervisor,
    Notice,
    PluginManager,
    Report,
    ReportHints,
    Sender,
    Settings,
    hookimpl,
)

UNIT = "wushenzhao-window"
# Reports whose text holds no quotation or signature read as one: a report each for the rest.
_QUIET = (
    "name-in-a-sentence",
    "name-spaced-out",
    "name-in-part",
    "mobile-in-every-spelling",
    "landline-in-every-spelling",
    "addresses-and-handles",
    "wechat-and-qq",
    "phone-in-chinese-numerals",
    "letter-and-card-numbers",
    "messenger-accounts",
    "tail-digits",
)


class Recording:
    name = "recording"

    def __init__(self) -> None:
        self.sent: list[Notice] = []

    def deliver(self, notice: Notice) -> None:
        self.sent.append(notice)


@pytest.fixture
def notifier() -> Recording:
    return Recording()


@pytest.fixture
def supdesk_settings(supdesk_settings: Settings) -> Settings:
    centers = tuple(attrs.evolve(c, notifiers=("recording",)) for c in supdesk_settings.centers)
    return attrs.evolve(supdesk_settings, centers=centers)


@pytest.fixture
def supdesk_plugin_manager(
    supdesk_plugin_manager: PluginManager, notifier: Recording
) -> PluginManager:
    class Plugin:
        @hookimpl
        def supervision_register_notifiers(self, register: Any) -> None:
            register.add(notifier)

    supdesk_plugin_manager.register(Plugin(), name="recording-notifier")
    return supdesk_plugin_manager


@pytest.fixture
def dispatched(supdesk_ledger: Ledger) -> dict[str, str]:
    """The corpus reported by 巴特尔 and dispatched to the window: issue number by case."""
    ledger = supdesk_ledger
    ledger.add_supervisor(
        NewSupervisor(
            name=NAME,
            center="wushenzhao",
            letter_number=LETTER,
            card_number=CARD,
            identities=[
                *(Identity(ContactKind.EMAIL, e) for e in EMAILS),
                *(Identity(ContactKind.PHONE, p) for p in PHONES),
                *(Identity(ContactKind.MESSENGER, m) for m in MESSENGERS),
            ],
        )
    )
    ledger.add_supervisor(NewSupervisor(name="王芳", center="wushenzhao"))
    for username, unit in (("window-unit", UNIT), ("tuke-unit", "tuke-window")):
        center = "wushenzhao" if unit == UNIT else "tuke"
        ledger.users.add(
            username=username,
            display_name=username,
            password=PASSWORD,
            role="unit",
            center=center,
            unit=unit,
        )
    by_case = {c.name: c for c in cases()}
    reports = [("quiet", "\n\n".join(by_case[n].text for n in _QUIET))]
    reports += [(c.name, c.text) for c in cases() if c.name not in _QUIET]
    numbers = {}
    for n, (name, text) in enumerate(reports):
        attachments = ()
        if name == "quiet":
            attachments = (
                Attachment(f"{NAME}-13948772345.jpg", "image/jpeg", photo()),
                Attachment(f"{NAME}的材料.pdf", "application/pdf", pdf_with_metadata()),
                Attachment("语音.ogg", "audio/ogg", b"OggS" + SECRET.encode()),
            )
        result = ledger.receive(
            Report(
                channel="email",
                external_id=f"privacy-{n}",
                center="wushenzhao",
                received_at=ledger.clock(),
                sender=Sender(ContactKind.EMAIL, EMAILS[0], DISPLAY_NAME),
                subject=f"{NAME}的反馈",
                text=text,
                hints=ReportHints(venue=f"{NAME}说的便民服务点（{PHONES[0]}）"),
                attachments=attachments,
            )
        )
        assert result.issue_number, result
        ledger.accept(result.issue_number, actor="op")
        ledger.dispatch(result.issue_number, unit=UNIT, responsible_person="其木格", actor="op")
        numbers[name] = result.issue_number
    # A follow-up from his other address, with a photo: its file is the issue's too.
    supplement = ledger.receive(
        Report(
            channel="email",
            external_id="privacy-supplement",
            center="wushenzhao",
            received_at=ledger.clock(),
            sender=Sender(ContactKind.EMAIL, EMAILS[1], f"{NAME}（补充）"),
            text="补充照片。",
            follows_up=numbers["forged-deadline"],
            attachments=(Attachment("IMG_0001.jpg", "image/jpeg", photo()),),
        )
    )
    assert supplement.supplement and supplement.issue_number == numbers["forged-deadline"]
    # What staff pass on can name the reporter too: the measures, a progress note, the evidence.
    quiet = numbers["quiet"]
    ledger.plan(quiet, track="scheduled", measures=f"已联系{NAME}（139-4877-2345）核实", actor="op")
    ledger.progress(quiet, note=f"按{EMAILS[0]}提供的线索整改，工作证 {CARD}", actor="op")
    ledger.complete(quiet, evidence=f"已回访巴老师 {PHONES[1]}", actor="op")
    return numbers


def _main_text(html: str) -> str:
    main = html[html.index("<main") : html.index("</main>")]
    return unescape(re.sub(r"<[^>]+>", " ", main))


def test_the_units_pages_hold_no_identifier_of_the_reporter(
    web_client, supdesk_ledger, dispatched
) -> None:
    login(web_client, "window-unit")
    listing = web_client.get("/unit")
    assert listing.status_code == 200 and leaks(_main_text(listing.text)) == []
    for name, number in dispatched.items():
        page = web_client.get(f"/unit/issues/{number}")
        assert page.status_code == 200
        text = _main_text(page.text)
        assert leaks(text) == [], (name, leaks(text))
        assert "【监督员】" in text  # the venue names him, in every issue
    page = _main_text(web_client.get(f"/unit/issues/{dispatched['quiet']}").text)
    for kept in (
        "不动产登记窗口",
        "社保窗口",
        "请回电",
        "已联系【监督员】",
        "附件1.jpg",
        "附件2.pdf",
        "附件3",
    ):
        assert kept in page, kept
    assert "13948772345" not in page and ".ogg" not in page
    forged = _main_text(web_client.get(f"/unit/issues/{dispatched['forged-deadline']}").text)
    assert "附件1.jpg" in forged and "IMG_0001" not in forged
    # The list reads every view in a few queries: the same views as one by one.
    ids = [supdesk_ledger.issue(n).id for n in dispatched.values()]
    assert supdesk_ledger.unit_views(ids) == [
        supdesk_ledger.unit_view(n) for n in dispatched.values()
    ]


def test_the_dispatch_notice_downloads_hold_no_identifier(web_client, dispatched) -> None:
    from docx import Document
    from pypdf import PdfReader

    login(web_client, "window-unit")
    for name, number in dispatched.items():
        docx = web_client.get(f"/unit/issues/{number}/notice.docx")
        assert docx.status_code == 200 and docx.headers["content-disposition"].startswith(
            "attachment"
        )
        document = Document(io.BytesIO(docx.content))
        text = "\n".join(
            [p.text for p in document.paragraphs]
            + [c.text for t in document.tables for row in t.rows for c in row.cells]
        )
        assert number in text and leaks(text) == [], (name, leaks(text))
        assert document.core_properties.author != NAME
    # The printable PDF (slow to set in a CJK font): the report that gathers most of the corpus.
    for name in ("quiet", "forged-deadline"):
        pdf = web_client.get(f"/unit/issues/{dispatched[name]}/notice.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        reader = PdfReader(io.BytesIO(pdf.content))
        text = "\n".join(p.extract_text() for p in reader.pages)
        assert "派单通知" in text and leaks(text) == [], leaks(text)
        assert NAME not in str(reader.metadata)
    assert web_client.get(f"/unit/issues/{dispatched['quiet']}/notice.md").status_code == 404


def test_a_units_files_come_without_metadata_and_under_the_desks_names(
    web_client, dispatched
) -> None:
    from pypdf import PdfReader

    number = dispatched["quiet"]
    login(web_client, "window-unit")
    photo_response = web_client.get(f"/unit/issues/{number}/files/1")
    assert (
        photo_response.status_code == 200 and photo_response.headers["content-type"] == "image/jpeg"
    )
    assert (
        photo_response.headers["content-disposition"]
        == f"inline; filename*=UTF-8''{quote('附件1.jpg')}"
    )
    with Image.open(io.BytesIO(photo_response.content)) as image:
        assert len(image.getexif()) == 0 and not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"Bateer" not in photo_response.content and b"13948772345" not in photo_response.content
    pdf = web_client.get(f"/unit/issues/{number}/files/2")
    assert pdf.status_code == 200 and b"Bateer" not in pdf.content
    assert not PdfReader(io.BytesIO(pdf.content)).metadata
    refused = web_client.get(f"/unit/issues/{number}/files/3")
    assert refused.status_code == 403 and "不向承办单位提供" in refused.text
    assert web_client.get(f"/unit/issues/{number}/files/4").status_code == 404
    follow_up = web_client.get(f"/unit/issues/{dispatched['forged-deadline']}/files/1")
    assert follow_up.status_code == 200 and b"Bateer" not in follow_up.content
    # The original, with its EXIF, stays where only staff reach it.
    assert web_client.get("/attachments/1").status_code == 403
    web_client.cookies.clear()
    login(web_client, "tuke-unit")
    assert web_client.get(f"/unit/issues/{number}/files/1").status_code == 403
    assert web_client.get(f"/unit/issues/{number}/notice.pdf").status_code == 403


def test_the_units_notices_hold_no_identifier(supdesk_ledger, dispatched, notifier) -> None:
    to_unit = [e.notice for e in supdesk_ledger.outbox() if e.notice.recipient_kind == "unit"]
    assert len(to_unit) == len(dispatched)
    for notice in to_unit:
        assert leaks(notice.subject + notice.body) == [], notice.body
    bodies = "\n".join(n.body for n in to_unit)
    assert "【监督员】" in bodies and "不动产登记窗口" in bodies
    supdesk_ledger.deliver_notices()
    sent = [n for n in notifier.sent if n.recipient_kind == "unit"]
    assert sorted(n.body for n in sent) == sorted(n.body for n in to_unit)
    # The supervisor's own notices still reach him by his address.
    assert any(EMAILS[0] in {a.value for a in n.addresses} for n in notifier.sent)


def test_the_unit_copy_and_the_exports(
    supdesk_ledger, supdesk_database_url, dispatched, tmp_path, monkeypatch
) -> None:
    from supervision_core import unit_copy
    from supervision_core.cli import cli
    from supervision_core.documents.ledger_workbook import export_ledger

    ledger = supdesk_ledger
    for number in dispatched.values():
        text = unit_copy(
            ledger.unit_view(number),
            center_name="乌审召镇便民服务中心",
            unit_name="乌审召镇综合窗口",
        )
        assert leaks(text) == [], leaks(text)
    view = ledger.unit_view(dispatched["forged-deadline"])
    forged = unit_copy(view, center_name="中心")
    assert [line for line in forged.split("\n") if line.startswith("- 期限")] == [
        f"- 期限：{view.due_on}"
    ]
    assert "> - 期限：2099-12-31" in forged
    # The ledger (staff's) masks the numbers in every free text: measures, progress, evidence.
    export_ledger(ledger, tmp_path / "ledger.csv", fmt="csv")
    rows = list(csv.reader((tmp_path / "ledger.csv").open(encoding="utf-8-sig")))
    quiet = next(r for r in rows if r[1] == dispatched["quiet"])
    assert "139****2345" in quiet[15] and "047****3456" in quiet[19]
    assert all(
        p not in "".join(r) for r in rows for p in ("13948772345", "0477-7123456", "(0477)7123456")
    )
    # The command line: the unit's copy as a document, and JSON masked as the text is.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUPDESK_DATABASE_URL", supdesk_database_url)
    monkeypatch.delenv("SUPDESK_CONFIG", raising=False)
    runner = CliRunner()
    result = runner.invoke(cli, ["issues", "unit-copy", dispatched["quiet"], "--out", "copy.docx"])
    assert result.exit_code == 0, result.output
    from docx import Document

    document = Document(str(tmp_path / "copy.docx"))
    cells = "\n".join(c.text for row in document.tables[0].rows for c in row.cells)
    assert "不动产登记窗口" in cells and leaks(cells) == []
    shown = runner.invoke(cli, ["issues", "show", dispatched["quiet"], "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["issue"]["number"] == dispatched["quiet"]
    for full in ("13948772345", "0477-7123456", "1394877234"):
        assert full not in shown.output
    assert "139****2345" in shown.output


def test_quarantine_json_masks_as_the_text_does(
    supdesk_ledger, supdesk_database_url, tmp_path, monkeypatch
) -> None:
    from supervision_core.cli import cli

    supdesk_ledger.receive(
        Report(
            channel="phone_log",
            external_id="stranger",
            center="wushenzhao",
            received_at=supdesk_ledger.clock(),
            sender=Sender(ContactKind.PHONE, "15947771234", "陌生人 15947771234"),
            subject="来电 15947771234",
            text="我的电话１５９４７７７１２３４，身份证15062619900101123X",
        )
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUPDESK_DATABASE_URL", supdesk_database_url)
    monkeypatch.delenv("SUPDESK_CONFIG", raising=False)
    runner = CliRunner()
    plain = runner.invoke(cli, ["quarantine", "list"])
    as_json = runner.invoke(cli, ["quarantine", "list", "--json"])
    assert plain.exit_code == 0 and as_json.exit_code == 0, as_json.output
    (held,) = json.loads(as_json.output)
    assert held["sender"]["value"] == "159****1234" and "159****1234" in plain.output
    for full in ("15947771234", "１５９４７７７１２３４", "15062619900101123X"):
        assert full not in as_json.output and full not in plain.output
    assert "150626********123X" in held["text"] and "159****1234" in held["subject"]
