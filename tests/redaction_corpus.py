"""The redaction corpus (tests/core/data/redaction_corpus.txt) and the reporter it is about.

Shared by the rule's tests (tests/core/test_redaction.py) and the unit's pages, downloads,
notices and exports (tests/web/test_unit_privacy.py). The check for leaks is written
here independently of the code under test: NFKC folding, separators dropped, and every
four digits in a row of the reporter's phone numbers.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import ExifTags, Image

CORPUS = Path(__file__).parent / "core" / "data" / "redaction_corpus.txt"

NAME = "巴特尔"
LETTER = "乌审召聘字〔2024〕第3号"
CARD = "WSZ-GZ-2024-017"
EMAILS = ("bateer@example.cn", "bateer.wsz@foxmail.com")
PHONES = ("13948772345", "0477-7123456")
MESSENGERS = ("telegram:55501234", "wecom:bateer_wsz")
DISPLAY_NAME = "Bateer"

# What no redacted text may hold, compared without case, width or separators.
_SECRETS = (
    "巴特尔",
    "特尔",
    "巴老师",
    "巴**",
    "bateer",
    "foxmail",
    "examplecn",
    "55501234",
    "gz2024017",
    "聘字",
    "三九四八",
    "四八七七",
)
_WINDOWS = {
    digits[i : i + 4]
    for digits in (re.sub(r"\D", "", p) for p in PHONES)
    for i in range(len(digits) - 3)
}


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    keep: tuple[str, ...]
    gone: tuple[str, ...]


def cases() -> list[Case]:
    """Every case of the corpus, in order."""
    found = []
    body = "\n".join(
        line
        for line in CORPUS.read_text(encoding="utf-8").split("\n")
        if not line.startswith("#") or line.startswith("### ")
    )
    for chunk in body.split("### ")[1:]:
        head, _, text = chunk.partition("\n---\n")
        name, *fields = head.split("\n")
        values = {
            k: tuple(v.strip() for v in rest.split(" | "))
            for k, _, rest in (f.partition(": ") for f in fields if f)
        }
        found.append(
            Case(name.strip(), text.strip("\n"), values.get("keep", ()), values.get("gone", ()))
        )
    return found


def compact(text: str) -> str:
    """``text`` folded (NFKC), lower-cased, without spaces, dashes, dots and brackets."""
    return re.sub(
        r"[\s\-_.·・()（）〔〕\[\]<>:：,，]", "", unicodedata.normalize("NFKC", text).lower()
    )


def leaks(text: str) -> list[str]:
    """The reporter's identifiers ``text`` still gives away (none, if it is redacted)."""
    squeezed = compact(text)
    found = [s for s in _SECRETS if compact(s) in squeezed]
    for run in re.findall(r"\d+", squeezed):
        found += sorted(w for w in _WINDOWS if w in run)
    return found


# ------------------------------------------------------------ files as phones and offices write them

SECRET = "Bateer 13948772345"


def photo(size: tuple[int, int] = (40, 20), orientation: int = 1) -> bytes:
    """A JPEG as a phone writes it: the owner as Artist, where it was taken, a comment, XMP."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 220), (0, 0, size[0] // 2, size[1]))  # left half blue
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = SECRET
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (39.0, 27.0, 30.0), 3: "E", 4: (108.0, 50.0, 15.0)}
    buffer = io.BytesIO()
    image.save(
        buffer,
        "JPEG",
        exif=exif,
        comment=SECRET.encode(),
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Bateer</dc:creator></x:xmpmeta>',
        quality=95,
    )
    return buffer.getvalue()


def pdf_with_metadata() -> bytes:
    """A PDF as an office or a phone app writes it: author, XMP, a signed note, a photo with EXIF."""
    from fpdf import FPDF
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import Text
    from pypdf.generic import NameObject, TextStringObject

    pdf = FPDF()
    pdf.add_page()
    pdf.set_author(SECRET)
    pdf.set_creator("Bateer's phone")
    pdf.set_xmp_metadata(
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Bateer</dc:creator>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    pdf.image(io.BytesIO(photo()), x=10, y=10, w=40)
    pdf.set_font("helvetica", size=12)
    pdf.text(20, 80, "queue at the realty window")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(bytes(pdf.output()))))
    note = Text(rect=(50, 550, 200, 650), text=SECRET)
    note[NameObject("/T")] = TextStringObject("Bateer")
    writer.add_annotation(page_number=0, annotation=note)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
