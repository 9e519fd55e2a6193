"""What a file published to the library is, from its bytes; the name it is served under."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile

from supervision_core.errors import InvalidInput
from supervision_core.model.library import DOCUMENT_MEDIA_TYPES, MAX_DOCUMENT_BYTES

__all__ = ["check_document", "document_filename", "document_media_type"]

_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_GENERIC = {"", "application/octet-stream", "binary/octet-stream"}
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def document_media_type(content: bytes) -> str | None:
    """The kind of ``content`` if the library takes it (PDF, DOCX, PNG, JPEG), else ``None``.

    Judged by the bytes only: a PDF starts ``%PDF-``, a PNG and a JPEG by their
    signatures, a DOCX is a ZIP holding ``word/document.xml`` (a ZIP that is not a Word
    document, an old ``.doc`` or anything else is ``None``).
    """
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "word/document.xml" in names and "[Content_Types].xml" in names:
            return _DOCX
    return None


def document_filename(filename: str, media_type: str) -> str:
    """``filename`` made safe to serve and ending with ``media_type``'s suffix.

    The directory part, control characters and characters Windows refuses go; a name
    with another suffix (``规定.doc`` holding a PDF) gets the right one added. At most
    200 characters; an empty name becomes ``资料`` with the suffix.
    """
    suffix = DOCUMENT_MEDIA_TYPES[media_type]
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" ._") or "资料"
    stem, dot, ext = name.rpartition(".")
    if dot and f".{ext.lower()}" in (suffix, ".jpeg" if suffix == ".jpg" else suffix):
        name = f"{stem[: 200 - len(ext) - 1]}.{ext}"
    else:
        name = f"{name[: 200 - len(suffix)]}{suffix}"
    return name


def check_document(content: bytes, declared: str | None = None) -> str:
    """The media type of a file to publish, or :class:`InvalidInput` saying why not.

    Refused: an empty file, one over :data:`MAX_DOCUMENT_BYTES`, one whose bytes are not
    a PDF, DOCX, PNG or JPEG, and one declared (``declared``, as an upload says it) to be
    another of these kinds than it is. A generic declaration (``application/octet-stream``)
    is not held against it.
    """
    if not content:
        msg = "文件是空的"
        raise InvalidInput(msg)
    if len(content) > MAX_DOCUMENT_BYTES:
        limit = MAX_DOCUMENT_BYTES // (1024 * 1024)
        msg = f"文件过大（{len(content) / 1024 / 1024:.1f} MB），资料库最多收 {limit} MB 的文件"
        raise InvalidInput(msg)
    kind = document_media_type(content)
    if kind is None:
        msg = "资料库只收 PDF、Word（.docx）文档和 PNG、JPEG 图片；这个文件的内容不是其中任何一种"
        raise InvalidInput(msg)
    said = (declared or "").split(";", 1)[0].strip().lower()
    if said == "image/jpg":
        said = "image/jpeg"
    if said not in _GENERIC and said != kind:
        msg = f"文件内容是 {DOCUMENT_MEDIA_TYPES[kind][1:].upper()}，与声明的类型 {said} 不符"
        raise InvalidInput(msg)
    return kind
