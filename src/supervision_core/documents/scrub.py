"""Copies of photos and PDFs without their metadata, for a unit (who must not learn who reported).

A phone's photo carries EXIF: the owner's name (Artist, Copyright), the camera's serial,
the place (GPS) and the time; a PDF carries its author and creator, XMP, annotations
signed with a name, and photos of its own with their EXIF. What a unit is served is
made anew:

- a photo is decoded and re-encoded from its pixels alone (turned upright first, since
  its orientation tag goes too): JPEG stays JPEG, anything else becomes PNG;
- a PDF is rewritten page by page without the document information, XMP (of the file,
  its pages and its images), annotations, embedded files and scripts, and each JPEG in
  it loses its EXIF, XMP, IPTC and comment segments.

What cannot be read is not served (:class:`~supervision_core.errors.InvalidInput`).
"""

from __future__ import annotations

import io
from typing import Any

from supervision_core.errors import InvalidInput
from supervision_core.rules.disclosure import UNIT_FILE_TYPES

__all__ = ["strip_jpeg_metadata", "strip_metadata"]

_UNREADABLE = (
    "附件内容无法读取，不能去除其中的个人信息，因此不向承办单位提供；如需要，请联系中心工作人员。"
)


def strip_metadata(content_type: str, content: bytes) -> tuple[str, bytes]:
    """A copy of a photo or PDF without metadata: ``(content type, content)``.

    Raises :class:`InvalidInput` for a kind that is not served to units or a file that
    cannot be read.
    """
    served = UNIT_FILE_TYPES.get(content_type)
    if served is None:
        msg = f"此类附件（{content_type}）可能含有无法去除的个人信息，不向承办单位提供。"
        raise InvalidInput(msg)
    kind = served[0]
    try:
        if kind == "application/pdf":
            return kind, _clean_pdf(content)
        return kind, _clean_image(content, "JPEG" if kind == "image/jpeg" else "PNG")
    except InvalidInput:
        raise
    except Exception as exc:  # a broken, truncated or hostile file: never served
        raise InvalidInput(_UNREADABLE) from exc


def _clean_image(content: bytes, fmt: str) -> bytes:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(content)) as opened:
        opened.load()
        upright = ImageOps.exif_transpose(opened)
    if fmt == "JPEG":
        mode = "L" if upright.mode in ("1", "L", "I;16") else "RGB"
    else:
        mode = upright.mode if upright.mode in ("1", "L", "LA", "RGB", "RGBA") else "RGBA"
    pixels = upright.convert(mode)
    # Made from the pixels alone: no info, EXIF, ICC, XMP or comment can come along.
    fresh = Image.frombytes(mode, pixels.size, pixels.tobytes())
    buffer = io.BytesIO()
    if fmt == "JPEG":
        fresh.save(buffer, format="JPEG", quality=90)
    else:
        fresh.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


# APP0 (JFIF) and APP14 (Adobe: the colour transform) are needed to read a JPEG; APP2
# is kept only for an ICC profile. Every other APPn (EXIF, XMP, IPTC, maker notes,
# thumbnails in MPF) and COM segments go.
_KEEP_APP = {0xE0, 0xEE}


def strip_jpeg_metadata(data: bytes) -> bytes:
    """A JPEG's bytes without its EXIF, XMP, IPTC and comment segments; the image data untouched.

    Raises :class:`InvalidInput` for something that is not a well-formed JPEG.
    """
    if not data.startswith(b"\xff\xd8"):
        raise InvalidInput(_UNREADABLE)
    out = [b"\xff\xd8"]
    i = 2
    while i < len(data):
        if data[i] != 0xFF or i + 1 >= len(data):
            raise InvalidInput(_UNREADABLE)
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9 or 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out.append(data[i : i + 2])
            i += 2
            continue
        if i + 4 > len(data):
            raise InvalidInput(_UNREADABLE)
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        segment = data[i : i + 2 + length]
        if length < 2 or len(segment) < 2 + length:
            raise InvalidInput(_UNREADABLE)
        if marker == 0xDA:  # start of scan: the entropy-coded data runs to the end
            out.append(data[i:])
            break
        application = 0xE0 <= marker <= 0xEF
        icc = marker == 0xE2 and segment[4:16] == b"ICC_PROFILE\x00"
        if not (marker == 0xFE or (application and marker not in _KEEP_APP and not icc)):
            out.append(segment)
        i += 2 + length
    return b"".join(out)


def _clean_pdf(content: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    reader = PdfReader(io.BytesIO(content))
    if reader.is_encrypted:
        msg = "加密的 PDF 无法去除其中的个人信息，不向承办单位提供；如需要，请联系中心工作人员。"
        raise InvalidInput(msg)
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)  # pages only: no catalog (scripts, embedded files, outlines)
    writer.remove_annotations(subtypes=None)  # comments signed with a name, links, forms
    seen: set[int] = set()
    for page in writer.pages:
        for key in ("/Metadata", "/PieceInfo"):
            page.pop(NameObject(key), None)
        _clean_resources(page.get("/Resources"), seen)
    writer.metadata = None  # no document information dictionary at all
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _clean_resources(resources: Any, seen: set[int]) -> None:
    """Strip the metadata of the images (and forms' images) under a page's resources."""
    from pypdf.generic import NameObject, StreamObject

    resources = _resolved(resources)
    if not hasattr(resources, "get"):
        return
    xobjects = _resolved(resources.get("/XObject"))
    if not hasattr(xobjects, "values"):
        return
    for reference in xobjects.values():
        xobject = _resolved(reference)
        if id(xobject) in seen or not hasattr(xobject, "get"):
            continue
        seen.add(id(xobject))
        for key in ("/Metadata", "/PieceInfo"):
            xobject.pop(NameObject(key), None)
        filters = xobject.get("/Filter")
        filters = filters if isinstance(filters, list) else [filters]
        if xobject.get("/Subtype") == "/Image" and filters[-1] == "/DCTDecode":
            if not isinstance(xobject, StreamObject):
                continue
            # Every filter but DCT undone (pypdf leaves DCT as it is): the JPEG itself.
            jpeg = strip_jpeg_metadata(xobject.get_data())
            xobject[NameObject("/Filter")] = NameObject("/DCTDecode")
            xobject.pop(NameObject("/DecodeParms"), None)
            StreamObject.set_data(xobject, jpeg)
        elif xobject.get("/Subtype") == "/Form":
            _clean_resources(xobject.get("/Resources"), seen)


def _resolved(value: Any) -> Any:
    get_object = getattr(value, "get_object", None)
    return get_object() if get_object else value
