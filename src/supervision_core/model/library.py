"""The documents library (资料库): rules, service guides and forms for supervisors.

The notice gives supervisors the right to consult and obtain the centers' management
rules and service documents (查阅、获取相关管理制度、业务办理文件和资料). A center
publishes a :class:`LibraryDocument`; the banner center's documents are for every
center's supervisors, a township's for its own. A document is withdrawn, never deleted.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

__all__ = ["DOCUMENT_MEDIA_TYPES", "MAX_DOCUMENT_BYTES", "DocumentCategory", "LibraryDocument"]

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
"""The largest document a center may publish (20 MB)."""

DOCUMENT_MEDIA_TYPES: dict[str, str] = {
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "image/png": ".png",
    "image/jpeg": ".jpg",
}
"""The kinds of file the library takes (recognised by their content), with their suffix."""


class DocumentCategory(enum.StrEnum):
    """How the library sorts its documents."""

    RULES = "rules"  # 管理制度
    GUIDES = "guides"  # 办事指南
    FORMS = "forms"  # 表格
    OTHER = "other"  # 其他

    @property
    def label(self) -> str:
        """The category in Chinese."""
        return {"rules": "管理制度", "guides": "办事指南", "forms": "表格", "other": "其他"}[
            self.value
        ]


@attrs.frozen(kw_only=True)
class LibraryDocument:
    """A document a center published to its supervisors (the content is kept apart).

    ``media_type`` is what the content is (one of :data:`DOCUMENT_MEDIA_TYPES`), found
    from the bytes, not the name; ``filename`` ends with that kind's suffix. ``size`` is
    in bytes. ``withdrawn_at`` is set once the center withdrew it: supervisors no
    longer see it, staff still do.
    """

    id: int
    center: str
    category: DocumentCategory = attrs.field(converter=DocumentCategory)
    title: str
    filename: str
    media_type: str
    size: int
    published_at: dt.datetime
    published_by: str
    withdrawn_at: dt.datetime | None = None

    @property
    def withdrawn(self) -> bool:
        """Whether the document was withdrawn."""
        return self.withdrawn_at is not None
