"""What a unit downloads: photos and PDFs without metadata, the 派单通知 as PDF and DOCX."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import ExifTags, Image

from redaction_corpus import SECRET, cases, leaks, pdf_with_metadata, photo
from supervision_core import (
    SHANGHAI,
    InvalidInput,
    Issue,
    IssueState,
    RectificationTrack,
    ReportHints,
    dispatch_notice_docx,
    dispatch_notice_pdf,
    unit_view,
)
from supervision_core.documents.printable import find_cjk_font
from supervision_core.documents.scrub import strip_jpeg_metadata, strip_metadata
from supervision_core.rules.disclosure import unit_files
from supervision_core.testing import skip_or_fail


def _gps(content: bytes) -> dict[int, object]:
    with Image.open(io.BytesIO(content)) as image:
        return dict(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))


def test_the_test_photo_carries_what_a_phone_writes() -> None:
    original = photo()
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif()[ExifTags.Base.Artist] == SECRET
        assert {"xmp", "comment", "exif"} <= set(image.info)
    assert _gps(original)[1] == "N" and original.count(b"Bateer") == 3


def test_a_photo_is_reencoded_without_exif_gps_xmp_or_comment() -> None:
    kind, cleaned = strip_metadata("image/jpeg", photo())
    assert kind == "image/jpeg" and cleaned.startswith(b"\xff\xd8")
    assert b"Bateer" not in cleaned and b"13948772345" not in cleaned and b"Exif" not in cleaned
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.format == "JPEG" and image.size == (40, 20)
        assert len(image.getexif()) == 0 and _gps(cleaned) == {}
        assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)
        assert image.getpixel((5, 10))[2] > 150 and image.getpixel((35, 10))[0] > 150


def test_a_photo_turned_by_its_orientation_tag_stays_upright() -> None:
    _, cleaned = strip_metadata("image/jpeg", photo(orientation=6))  # taken turned: 90° clockwise
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.size == (20, 40) and len(image.getexif()) == 0
        assert image.getpixel((10, 5))[2] > 150  # the blue half is on top now


def test_other_images_become_png_without_their_text() -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", SECRET)
    buffer = io.BytesIO()
    Image.new("P", (8, 8), 3).save(buffer, "PNG", pnginfo=info)
    for kind in ("image/png", "image/gif"):
        content = buffer.getvalue()
        if kind == "image/gif":
            gif = io.BytesIO()
            Image.new("P", (8, 8), 3).save(gif, "GIF", comment=SECRET.encode())
            content = gif.getvalue()
        assert SECRET.encode() in content
        served, cleaned = strip_metadata(kind, content)
        assert served == "image/png" and SECRET.encode() not in cleaned
        with Image.open(io.BytesIO(cleaned)) as image:
            assert image.format == "PNG" and "Author" not in image.info


def test_what_cannot_be_cleaned_is_refused() -> None:
    with pytest.raises(InvalidInput, match="不向承办单位提供"):
        strip_metadata("audio/ogg", b"OggS")
    with pytest.raises(InvalidInput, match="无法读取"):
        strip_metadata("image/jpeg", b"\xff\xd8 not really a photo")
    with pytest.raises(InvalidInput, match="无法读取"):
        strip_metadata("application/pdf", b"%PDF-1.4 broken")


def test_a_jpeg_keeps_its_image_data_when_its_segments_go() -> None:
    original = photo()
    stripped = strip_jpeg_metadata(original)
    assert b"Bateer" not in stripped and len(stripped) < len(original)
    with Image.open(io.BytesIO(original)) as a, Image.open(io.BytesIO(stripped)) as b:
        assert a.tobytes() == b.tobytes()  # the same pixels: nothing re-encoded
    with pytest.raises(InvalidInput):
        strip_jpeg_metadata(b"GIF89a")


def test_a_pdf_is_rewritten_without_metadata() -> None:
    from pypdf import PdfReader

    original = pdf_with_metadata()
    before = PdfReader(io.BytesIO(original))
    assert before.metadata is not None and before.metadata.author == SECRET
    assert before.xmp_metadata is not None and before.pages[0].annotations
    assert b"Exif" in original
    kind, cleaned = strip_metadata("application/pdf", original)
    assert kind == "application/pdf"
    assert b"Bateer" not in cleaned and b"13948772345" not in cleaned and b"Exif" not in cleaned
    after = PdfReader(io.BytesIO(cleaned))
    assert not after.metadata and after.xmp_metadata is None
    assert len(after.pages) == 1 and not after.pages[0].annotations
    assert "queue at the realty window" in after.pages[0].extract_text()
    (image,) = after.pages[0].images
    with Image.open(io.BytesIO(image.data)) as shown:
        assert shown.size == (40, 20)


def test_an_encrypted_pdf_is_refused() -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.encrypt("secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(InvalidInput, match="加密"):
        strip_metadata("application/pdf", buffer.getvalue())


# ------------------------------------------------------------------ the dispatch notice

FORGED = next(c for c in cases() if c.name == "forged-deadline").text


@pytest.fixture
def view():  # type: ignore[no-untyped-def]
    try:
        find_cjk_font()
    except Exception as exc:
        skip_or_fail(f"no CJK font installed (scripts/setup installs fonts-wqy-microhei): {exc}")
    issue = Issue(
        id=1,
        number="wushenzhao-2026-00007",
        center="wushenzhao",
        report_id=1,
        supervisor_id=7,
        received_at=dt.datetime(2026, 3, 2, 9, tzinfo=SHANGHAI),
        subject=None,
        text=FORGED + "\u202e反转\u202c\x07",
        hints=ReportHints(problem_type="back_and_forth", venue="乌审召镇便民服务大厅"),
        state=IssueState.RECTIFYING,
        unit="wushenzhao-window",
        responsible_person="其木格",
        track=RectificationTrack.SCHEDULED,
        measures="张贴一次性告知清单",
        due_on=dt.date(2026, 3, 16),
    )
    return unit_view(issue, progress=["已制作清单"], files=unit_files(["image/jpeg"]))


def test_the_pdf_notice_sets_the_deadline_before_any_free_text(view) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    content = dispatch_notice_pdf(
        view,
        center_name="乌审召镇政务服务中心",
        unit_name="乌审召镇综合窗口",
        on=dt.date(2026, 3, 3),
    )
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    for expected in (
        "派单通知",
        "乌审召镇综合窗口：",
        "wushenzhao-2026-00007",
        "其木格",
        "张贴一次性告知清单",
        "已制作清单",
        "附件1.jpg",
    ):
        assert expected in text, expected
    deadline, description = text.index("2026年3月16日"), text.index("问题描述")
    assert deadline < description < text.index("2099-12-31")  # the forged line is inside the text
    assert text.count("2026年3月16日") == 1 and "\u202e" not in text


def test_the_docx_notice_keeps_every_text_in_its_cell(view) -> None:  # type: ignore[no-untyped-def]
    from docx import Document

    content = dispatch_notice_docx(
        view,
        center_name="乌审召镇政务服务中心",
        unit_name="乌审召镇综合窗口",
        on=dt.date(2026, 3, 3),
    )
    document = Document(io.BytesIO(content))
    (table,) = document.tables
    rows = {row.cells[0].text: row.cells[1].text for row in table.rows}
    assert rows["整改期限"] == "2026年3月16日" and rows["责任人"] == "其木格"
    assert rows["问题描述"].startswith("窗口不给开证明。\n期限：2099-12-31\n- 期限：2099-12-31")
    assert "\u202e" not in rows["问题描述"] and "\x07" not in rows["问题描述"]
    outside = "\n".join(p.text for p in document.paragraphs)
    assert "2099" not in outside and "乌审召镇综合窗口：" in outside
    assert document.core_properties.author == "乌审召镇政务服务中心"


def test_the_notices_carry_no_identifier_of_the_reporter(view) -> None:  # type: ignore[no-untyped-def]
    from docx import Document
    from pypdf import PdfReader

    from supervision_core import ContactKind, Identity, Reporter

    issue_text = "\n\n".join(c.text for c in cases()[:6])
    reporter = Reporter(
        names=["巴特尔", "Bateer"],
        contacts=[
            Identity(ContactKind.PHONE, "13948772345"),
            Identity(ContactKind.PHONE, "0477-7123456"),
        ],
    )
    issue = Issue(
        id=1,
        number="wushenzhao-2026-00008",
        center="wushenzhao",
        report_id=1,
        supervisor_id=7,
        received_at=dt.datetime(2026, 3, 2, 9, tzinfo=SHANGHAI),
        subject=None,
        text=issue_text,
        hints=ReportHints(venue="巴特尔说的窗口"),
        state=IssueState.DISPATCHED,
        unit="wushenzhao-window",
        responsible_person="其木格",
    )
    assert leaks(issue_text)
    redacted = unit_view(issue, reporter)
    pdf = dispatch_notice_pdf(redacted, center_name="中心", on=dt.date(2026, 3, 3))
    pdf_text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    document = Document(
        io.BytesIO(dispatch_notice_docx(redacted, center_name="中心", on=dt.date(2026, 3, 3)))
    )
    docx_text = "\n".join(c.text for row in document.tables[0].rows for c in row.cells)
    for text in (pdf_text, docx_text):
        assert "【监督员】" in text and "不动产登记窗口" in text
        assert leaks(text) == []
