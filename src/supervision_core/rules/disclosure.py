"""What a unit may learn of an issue dispatched to it: never who reported it (the notice's independence rule)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import attrs

from supervision_core.model.clock import local_date
from supervision_core.model.issues import Issue, UnitFile, UnitView
from supervision_core.model.notifications import Notice, RecipientKind
from supervision_core.model.reporters import Reporter
from supervision_core.rules.redaction import redact_for_unit

__all__ = ["UNIT_FILE_TYPES", "unit_files", "unit_notice", "unit_view"]

#: What a unit is served of each kind of file it may have: the type and extension of
#: the cleaned copy. Photos are re-encoded from their pixels (nothing else survives:
#: no EXIF, GPS, maker notes or comments); PDFs are rewritten without their metadata.
#: Other kinds are listed but not served: nothing here can vouch for what they carry.
UNIT_FILE_TYPES: Mapping[str, tuple[str, str]] = {
    "image/jpeg": ("image/jpeg", ".jpg"),
    "image/png": ("image/png", ".png"),
    "image/gif": ("image/png", ".png"),
    "image/webp": ("image/png", ".png"),
    "image/tiff": ("image/png", ".png"),
    "image/bmp": ("image/png", ".png"),
    "application/pdf": ("application/pdf", ".pdf"),
}


def unit_files(content_types: Iterable[str]) -> tuple[UnitFile, ...]:
    """The files of an issue as its unit has them: ``附件1.jpg``, ``附件2.pdf``..., in order.

    The names are the desk's, never the sender's (a file name can carry anything).
    """
    files = []
    for number, content_type in enumerate(content_types, start=1):
        served = UNIT_FILE_TYPES.get(content_type)
        if served is None:
            files.append(
                UnitFile(
                    number=number, filename=f"附件{number}", content_type=content_type, served=False
                )
            )
        else:
            kind, extension = served
            files.append(
                UnitFile(
                    number=number,
                    filename=f"附件{number}{extension}",
                    content_type=kind,
                    served=True,
                )
            )
    return tuple(files)


def unit_view(
    issue: Issue,
    reporter: Reporter | None = None,
    *,
    progress: Iterable[str] = (),
    files: Iterable[UnitFile] = (),
    dissatisfaction: str | None = None,
    conceal: Iterable[str] = (),
) -> UnitView:
    """What the unit an issue was dispatched to may see: never who reported it.

    Every text (the description, the venue, the measures, the progress entries, the
    evidence and the explanation) goes through :func:`redact_for_unit` with the
    ``reporter``'s identifiers; without them only the generic patterns apply.

    ``dissatisfaction`` is the supervisor's reason for not being satisfied (the note
    of the evaluation that reopened the issue); it reaches the unit redacted as the
    rest, and whatever of ``conceal`` (the supervisor's name and addresses, where no
    ``reporter`` is at hand) it contains is blotted out.
    """

    def clean(value: str | None) -> str | None:
        return redact_for_unit(value, reporter) if value else value

    reason = (
        redact_for_unit(_conceal(dissatisfaction.strip(), conceal), reporter)
        if dissatisfaction
        else None
    )

    return UnitView(
        number=issue.number,
        center=issue.center,
        received_on=local_date(issue.received_at),
        text=redact_for_unit(issue.text, reporter),
        hints=attrs.evolve(issue.hints, venue=clean(issue.hints.venue)),
        state=issue.state,
        unit=issue.unit,
        responsible_person=clean(issue.responsible_person),
        track=issue.track,
        measures=clean(issue.measures),
        due_on=issue.due_on,
        due_confirmed=issue.due_confirmed,
        dissatisfaction=reason or None,
        progress=tuple(redact_for_unit(p, reporter) for p in progress if p),
        evidence=clean(issue.evidence),
        explanation=clean(issue.explanation),
        files=tuple(files),
    )


def unit_notice(notice: Notice, reporter: Reporter | None) -> Notice:
    """A notice to a unit with its subject, body and fields redacted; any other as it is."""
    if notice.recipient_kind is not RecipientKind.UNIT:
        return notice
    return attrs.evolve(
        notice,
        subject=redact_for_unit(notice.subject, reporter),
        body=redact_for_unit(notice.body, reporter),
        fields={k: redact_for_unit(v, reporter) for k, v in notice.fields.items()},
    )


def _conceal(text: str, values: Iterable[str]) -> str:
    """``text`` with each of ``values`` (two characters or more) replaced by ``***``."""
    for value in sorted({v.strip() for v in values if len(v.strip()) >= 2}, key=len, reverse=True):
        text = re.sub(re.escape(value), "***", text, flags=re.IGNORECASE)
    return text
