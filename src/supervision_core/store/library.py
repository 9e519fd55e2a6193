"""The documents library: what centers publish to their supervisors, and its downloads.

Listings never read the content; it is read when a document is opened. A supervisor
sees their own center's documents and the banner center's, never withdrawn ones; each
download is written to the access log (``download_document``).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session

from supervision_core.errors import InvalidInput, NotFound
from supervision_core.model.centers import CenterLevel
from supervision_core.model.library import DocumentCategory, LibraryDocument
from supervision_core.model.supervisors import SupervisorStatus
from supervision_core.rules.library import check_document, document_filename
from supervision_core.store.centers import require_center
from supervision_core.store.rows import MAX_ROW_ID
from supervision_core.store.tables import CenterRow, LibraryDocumentRow, table_of

if TYPE_CHECKING:
    from supervision_core.store.access import AccessLog
    from supervision_core.store.session import Database

__all__ = ["Library"]

_DOC = table_of(LibraryDocumentRow)
_CENTER = table_of(CenterRow)
_LISTED = [c for c in _DOC.c if c.name not in ("content", "sha256", "withdrawn_by")]
_TITLE = 200


def _category(category: DocumentCategory | str) -> DocumentCategory:
    try:
        return DocumentCategory(category)
    except ValueError:
        known = "、".join(f"{c.value}（{c.label}）" for c in DocumentCategory)
        msg = f"没有这个资料类别：{category!r}；可选：{known}"
        raise InvalidInput(msg) from None


def _document(r: Any) -> LibraryDocument:
    return LibraryDocument(
        id=r["id"],
        center=r["center_code"],
        category=r["category"],
        title=r["title"],
        filename=r["filename"],
        media_type=r["media_type"],
        size=r["size"],
        published_at=r["published_at"],
        published_by=r["published_by"],
        withdrawn_at=r["withdrawn_at"],
    )


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Library:
    """The documents the centers publish to their supervisors."""

    def __init__(self, db: Database, access: AccessLog) -> None:
        self.db = db
        self.access = access

    def publish_document(
        self,
        center: str,
        category: DocumentCategory | str,
        title: str,
        filename: str,
        content: bytes,
        media_type: str | None,
        actor: str,
    ) -> LibraryDocument:
        """Publish a document of ``center`` to its supervisors (the banner's: to every center's).

        Only PDF, DOCX, PNG and JPEG, recognised by the content (``media_type``, as the
        upload declared it, must agree or be generic); at most
        :data:`~supervision_core.model.library.MAX_DOCUMENT_BYTES`. The stored name gets
        the suffix of what the content is. Raises :class:`InvalidInput` in Chinese.
        """
        require_center(self.db, center)
        kind = _category(category)
        title = (title or "").strip()
        if not title:
            msg = "资料标题不能为空"
            raise InvalidInput(msg)
        if len(title) > _TITLE:
            msg = f"资料标题过长（最多 {_TITLE} 个字）"
            raise InvalidInput(msg)
        actor = (actor or "").strip()
        if not actor:
            msg = "必须说明由谁发布（actor）"
            raise InvalidInput(msg)
        detected = check_document(content, media_type)
        row = LibraryDocumentRow(
            center_code=center,
            category=kind.value,
            title=title,
            filename=document_filename(filename, detected),
            media_type=detected,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            published_at=self.db.clock(),
            published_by=actor[:200],
        )
        with self.db.session() as s:
            s.add(row)
            s.commit()
            assert row.id is not None
            return self._one(s, row.id)

    def withdraw_document(self, document_id: int, actor: str) -> LibraryDocument:
        """Withdraw a document: supervisors no longer see or download it. Kept, not deleted.

        Withdrawing one already withdrawn changes nothing and returns it.
        """
        actor = (actor or "").strip()
        if not actor:
            msg = "必须说明由谁撤回（actor）"
            raise InvalidInput(msg)
        with self.db.session() as s:
            row = self._row(s, document_id)
            if row.withdrawn_at is None:
                row.withdrawn_at, row.withdrawn_by = self.db.clock(), actor[:200]
                s.add(row)
                s.commit()
            return self._one(s, document_id)

    def document(self, document_id: int) -> LibraryDocument:
        """The document ``document_id``, withdrawn or not, for staff; or :class:`NotFound`."""
        with self.db.session() as s:
            return self._one(s, document_id)

    def document_content(self, document_id: int) -> tuple[LibraryDocument, bytes]:
        """The document and its content, for staff (not logged); or :class:`NotFound`."""
        with self.db.session() as s:
            row = self._row(s, document_id)
            return self._one(s, document_id), row.content

    def documents(
        self, center: str | None = None, *, include_withdrawn: bool = True
    ) -> list[LibraryDocument]:
        """The documents ``center`` published (every center's if ``None``), newest first."""
        query = sa.select(*_LISTED).order_by(_DOC.c.published_at.desc(), _DOC.c.id.desc())
        if center is not None:
            require_center(self.db, center)
            query = query.where(_DOC.c.center_code == center)
        if not include_withdrawn:
            query = query.where(_DOC.c.withdrawn_at.is_(None))
        with self.db.engine.connect() as connection:
            return [_document(r) for r in connection.execute(query).mappings()]

    def documents_for_supervisor(
        self,
        supervisor_id: int,
        *,
        query: str | None = None,
        category: DocumentCategory | str | None = None,
    ) -> list[LibraryDocument]:
        """What ``supervisor_id`` may read: their center's and the banner's documents.

        Withdrawn documents are left out; newest first. ``query`` keeps those whose
        title contains it (case-insensitive); ``category`` those of one category. A
        revoked supervisor is refused (:class:`InvalidInput`).
        """
        center = self._reader_center(supervisor_id)
        statement = (
            sa.select(*_LISTED)
            .where(self._visible_to(center), _DOC.c.withdrawn_at.is_(None))
            .order_by(_DOC.c.published_at.desc(), _DOC.c.id.desc())
        )
        if category is not None:
            statement = statement.where(_DOC.c.category == _category(category).value)
        words = (query or "").split()
        for word in words[:10]:
            statement = statement.where(_DOC.c.title.ilike(_like(word[:_TITLE]), escape="\\"))
        with self.db.engine.connect() as connection:
            return [_document(r) for r in connection.execute(statement).mappings()]

    def open_document(self, document_id: int, supervisor_id: int) -> tuple[LibraryDocument, bytes]:
        """The document and its content for ``supervisor_id``; the download is logged.

        Another township's document, a withdrawn one or one that does not exist is
        :class:`NotFound` alike. The access log gets a ``download_document`` entry
        (user ``supervisor:<id>``, target ``document:<id>``).
        """
        center = self._reader_center(supervisor_id)
        if not 0 < document_id <= MAX_ROW_ID:
            raise NotFound(f"没有编号为 {document_id} 的资料")
        with self.db.engine.connect() as connection:
            found = (
                connection.execute(
                    sa.select(*_LISTED, _DOC.c.content).where(
                        _DOC.c.id == document_id,
                        _DOC.c.withdrawn_at.is_(None),
                        self._visible_to(center),
                    )
                )
                .mappings()
                .first()
            )
        if found is None:
            msg = f"没有编号为 {document_id} 的资料"
            raise NotFound(msg)
        document = _document(found)
        self.access.log_access(
            user=f"supervisor:{supervisor_id}",
            action="download_document",
            purpose=f"下载资料 {document.filename}"[:200],
            supervisors=[supervisor_id],
            target=f"document:{document.id}",
        )
        return document, bytes(found["content"])

    def document_downloads(self, document_ids: list[int]) -> dict[int, int]:
        """How many times supervisors downloaded each document (from the access log)."""
        from supervision_core.store.tables import AccessLogRow

        log = table_of(AccessLogRow)
        if not document_ids:
            return {}
        counts = dict.fromkeys(document_ids, 0)
        with self.db.engine.connect() as connection:
            rows = connection.execute(
                sa.select(log.c.target, sa.func.count())
                .where(log.c.action == "download_document", log.c.target.like("document:%"))
                .group_by(log.c.target)
            ).all()
        for target, count in rows:
            head = str(target).split(" ", 1)[0]
            if head.startswith("document:") and head[9:].isdigit():
                key = int(head[9:])
                if key in counts:
                    counts[key] += int(count)
        return counts

    # ------------------------------------------------------------------ helpers

    def _reader_center(self, supervisor_id: int) -> str:
        with self.db.session() as s:
            sup = self.db.supervisor_row(s, supervisor_id)
        if sup.status == SupervisorStatus.REVOKED.value:
            msg = "已取消资格的监督员不能查阅资料库"
            raise InvalidInput(msg)
        return sup.center_code

    @staticmethod
    def _visible_to(center: str) -> sa.ColumnElement[bool]:
        banner = sa.select(_CENTER.c.code).where(_CENTER.c.level == CenterLevel.BANNER.value)
        return sa.or_(_DOC.c.center_code == center, _DOC.c.center_code.in_(banner))

    def _row(self, s: Session, document_id: int) -> LibraryDocumentRow:
        row = s.get(LibraryDocumentRow, document_id) if 0 < document_id <= MAX_ROW_ID else None
        if row is None:
            msg = f"没有编号为 {document_id} 的资料"
            raise NotFound(msg)
        return row

    def _one(self, s: Session, document_id: int) -> LibraryDocument:
        found = (
            s.connection()
            .execute(sa.select(*_LISTED).where(_DOC.c.id == document_id))
            .mappings()
            .first()
        )
        if found is None:
            msg = f"没有编号为 {document_id} 的资料"
            raise NotFound(msg)
        return _document(found)
