"""The documents library: centers publish, supervisors read and download (logged)."""

from __future__ import annotations

import io
import zipfile

import pytest

from supervision_core import (
    MAX_DOCUMENT_BYTES,
    ContactKind,
    DocumentCategory,
    Identity,
    InvalidInput,
    Ledger,
    LibraryDocument,
    NewSupervisor,
    NotFound,
    Revocation,
    document_media_type,
)
from supervision_core.testing import FrozenClock

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("政务服务监督员管理办法")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, "PNG")
    return out.getvalue()


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(out, "JPEG")
    return out.getvalue()


def _zip(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return out.getvalue()


def test_files_are_known_by_their_content_not_their_name() -> None:
    assert document_media_type(PDF) == "application/pdf"
    assert document_media_type(_docx()) == DOCX_TYPE
    assert document_media_type(_png()) == "image/png"
    assert document_media_type(_jpeg()) == "image/jpeg"
    assert document_media_type(_zip("a.txt", "[Content_Types].xml")) is None  # a ZIP, not Word
    assert document_media_type(_zip("xl/workbook.xml", "[Content_Types].xml")) is None
    assert document_media_type(b"PK\x03\x04broken") is None
    assert document_media_type(b"\xd0\xcf\x11\xe0 an old .doc") is None
    assert document_media_type(b"<html>") is None


def _people(ledger: Ledger) -> dict[str, int]:
    made = {}
    for key, name, center, phone in [
        ("town", "巴特尔", "wushenzhao", "13904772345"),
        ("other", "王芳", "galutu", "13804771111"),
        ("banner", "旗级监督员", "banner", "13904772347"),
    ]:
        made[key] = ledger.add_supervisor(
            NewSupervisor(name=name, center=center, identities=[Identity(ContactKind.PHONE, phone)])
        ).id
    return made


def test_publish_list_search_open_and_withdraw(
    supdesk_ledger: Ledger, supdesk_clock: FrozenClock
) -> None:
    ledger = supdesk_ledger
    people = _people(ledger)
    rules = ledger.publish_document(
        "banner",
        "rules",
        "乌审旗政务服务监督员管理办法",
        "办法.pdf",
        PDF,
        "application/pdf",
        "banner-desk",
    )
    assert rules == LibraryDocument(
        id=rules.id,
        center="banner",
        category=DocumentCategory.RULES,
        title="乌审旗政务服务监督员管理办法",
        filename="办法.pdf",
        media_type="application/pdf",
        size=len(PDF),
        published_at=supdesk_clock(),
        published_by="banner-desk",
    )
    supdesk_clock.advance(minutes=1)
    # The name is not trusted: a Word document called .doc is served as .docx.
    word = _docx()
    guide = ledger.publish_document(
        "wushenzhao",
        DocumentCategory.GUIDES,
        "不动产登记办事指南",
        "../../指南.doc",
        word,
        "application/octet-stream",
        "town-desk",
    )
    assert guide.filename == "指南.doc.docx" and guide.media_type == DOCX_TYPE
    supdesk_clock.advance(minutes=1)
    form = ledger.publish_document(
        "galutu", "forms", "问题反馈登记表", "表.JPEG", _jpeg(), "image/jpeg", "galutu-desk"
    )
    assert form.filename == "表.JPEG"

    # A supervisor sees their center's and the banner's, newest first.
    assert ledger.documents_for_supervisor(people["town"]) == [guide, rules]
    assert ledger.documents_for_supervisor(people["other"]) == [form, rules]
    assert ledger.documents_for_supervisor(people["banner"]) == [rules]
    assert ledger.documents_for_supervisor(people["town"], query="办事") == [guide]
    assert ledger.documents_for_supervisor(people["town"], query="监督员 办法") == [rules]
    assert ledger.documents_for_supervisor(people["town"], query="100%") == []
    assert ledger.documents_for_supervisor(people["town"], category="rules") == [rules]
    with pytest.raises(InvalidInput, match="没有这个资料类别"):
        ledger.documents_for_supervisor(people["town"], category="secret")

    # Opening is logged; another township's document is not found.
    shown, content = ledger.open_document(guide.id, people["town"])
    assert shown == guide and content == word
    with pytest.raises(NotFound):
        ledger.open_document(form.id, people["town"])
    with pytest.raises(NotFound):
        ledger.open_document(99999, people["town"])
    (entry,) = ledger.access_log(user=f"supervisor:{people['town']}")
    assert entry.action == "download_document" and entry.target.startswith(f"document:{guide.id} ")
    assert entry.supervisor_id == people["town"] and entry.center == "wushenzhao"
    ledger.open_document(rules.id, people["other"])
    ledger.open_document(rules.id, people["town"])
    assert ledger.document_downloads([rules.id, guide.id, form.id]) == {
        rules.id: 2,
        guide.id: 1,
        form.id: 0,
    }

    # Withdrawn: staff still list it, supervisors neither see nor open it.
    supdesk_clock.advance(minutes=1)
    gone = ledger.withdraw_document(guide.id, "town-desk")
    assert gone.withdrawn and gone.withdrawn_at == supdesk_clock()
    assert ledger.withdraw_document(guide.id, "town-desk") == gone  # once is enough
    assert ledger.documents_for_supervisor(people["town"]) == [rules]
    with pytest.raises(NotFound):
        ledger.open_document(guide.id, people["town"])
    assert ledger.documents("wushenzhao") == [gone]
    assert ledger.documents("wushenzhao", include_withdrawn=False) == []
    assert [d.id for d in ledger.documents()] == [form.id, guide.id, rules.id]
    assert ledger.document_content(guide.id)[1] == content
    # A revoked supervisor has no library.
    ledger.revoke(
        people["other"],
        Revocation(
            on=supdesk_clock().date(), reason="退出", letter_returned=True, card_returned=True
        ),
        actor="galutu-desk",
    )
    with pytest.raises(InvalidInput, match="已取消资格"):
        ledger.documents_for_supervisor(people["other"])
    with pytest.raises(InvalidInput, match="已取消资格"):
        ledger.open_document(rules.id, people["other"])


@pytest.mark.parametrize(
    ("content", "declared", "message"),
    [
        (b"", None, "文件是空的"),
        (b"MZ\x90\x00 a program", "application/pdf", "只收 PDF"),
        (b"<script>alert(1)</script>", "text/html", "只收 PDF"),
        (PDF, "image/png", "文件内容是 PDF，与声明的类型 image/png 不符"),
        (b"%PDF-" + b"0" * MAX_DOCUMENT_BYTES, None, "文件过大"),
    ],
)
def test_what_the_library_refuses(
    supdesk_ledger: Ledger, content: bytes, declared: str | None, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        supdesk_ledger.publish_document(
            "wushenzhao", "other", "资料", "资料.pdf", content, declared, "town-desk"
        )
    assert supdesk_ledger.documents() == []


def test_a_document_needs_a_center_category_title_and_publisher(supdesk_ledger: Ledger) -> None:
    ledger = supdesk_ledger
    with pytest.raises(NotFound, match="服务中心"):
        ledger.publish_document("nowhere", "rules", "办法", "a.pdf", PDF, None, "x")
    with pytest.raises(InvalidInput, match="没有这个资料类别"):
        ledger.publish_document("banner", "secret", "办法", "a.pdf", PDF, None, "x")
    with pytest.raises(InvalidInput, match="标题不能为空"):
        ledger.publish_document("banner", "rules", " ", "a.pdf", PDF, None, "x")
    with pytest.raises(InvalidInput, match="标题过长"):
        ledger.publish_document("banner", "rules", "长" * 201, "a.pdf", PDF, None, "x")
    with pytest.raises(InvalidInput, match="由谁发布"):
        ledger.publish_document("banner", "rules", "办法", "a.pdf", PDF, None, " ")
    with pytest.raises(NotFound):
        ledger.withdraw_document(12345, "x")
    with pytest.raises(NotFound):
        ledger.document(12345)
    # A name with nothing left after cleaning gets one.
    doc = ledger.publish_document("banner", "rules", "办法", "<>|", _png(), "image/png", "x")
    assert doc.filename == "资料.png"
