"""The evidence photo of a hand score or veto: stored as every uploaded picture is
(backend/core/images.py), one per entry, for the API and the panel alike."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from backend.assessment.entities import ASSESSMENT_ENTRIES
from backend.assessment.models import AssessmentEntry
from backend.audit import writer as audit
from backend.core import crud
from backend.core.images import store_image, stored_image

FIELD = "evidence"


def folder(upload_dir: Path, entry_id: int) -> Path:
    return upload_dir / "assessment" / str(entry_id)


def attach(session: Session, entry: AssessmentEntry, content: bytes, upload_dir: Path,
           caller: crud.Caller, field: str = FIELD) -> None:
    """Store the picture as the entry's evidence, replacing any before it, and commit (a
    refused picture raises ProblemError 413/422 naming `field`, and nothing is written)."""
    place = folder(upload_dir, entry.id)
    name = store_image(place, content, field)
    old = stored_image(place, entry.evidence) if entry.evidence else None
    audit.record(session, caller.actor, FIELD, ASSESSMENT_ENTRIES.name, entry.id,
                 entry.area_code, {FIELD: (entry.evidence, name)})
    entry.evidence = name
    session.commit()
    if old is not None:
        old.unlink(missing_ok=True)


def stored(upload_dir: Path, entry: AssessmentEntry) -> Path | None:
    return stored_image(folder(upload_dir, entry.id), entry.evidence) if entry.evidence else None
