"""A case's photos (现场照片), kept by GridLink itself: uploaded by whoever reports or handles
the case, served back only to those who may read the case.

Stored under `GRIDLINK_UPLOAD_DIR` (default ./var/uploads), one folder per case, each under a
random name, checked and re-encoded by backend/core/images.py.
"""

from __future__ import annotations

import re
from pathlib import Path

from backend.core.images import (
    MAX_PHOTO_BYTES,
    MAX_PHOTO_MB,
    MEDIA_TYPES,
    store_image,
    stored_image,
)

__all__ = ["MAX_PHOTO_BYTES", "MAX_PHOTO_MB", "MEDIA_TYPES", "discard", "own_photo", "save",
           "stored"]
MAX_PHOTOS = 20  # per workflow step, as the API's photo_urls allows
API_URL = "/api/v1/cases/{case_id}/photos/{name}"
OWN_URL = re.compile(r"^/api/v1/cases/(\d+)/photos/([0-9a-f]{32}\.(?:jpg|png|webp))$")


def save(directory: Path, case_id: int, content: bytes, field: str = "file") -> str:
    """Check and store one photo of the case; returns its URL (the API's)."""
    name = store_image(directory / "cases" / str(case_id), content, field)
    return API_URL.format(case_id=case_id, name=name)


def stored(directory: Path, case_id: int, name: str) -> Path | None:
    """The stored file of a photo name of the case (None: no such photo)."""
    return stored_image(directory / "cases" / str(case_id), name)


def own_photo(url: str) -> tuple[int, str] | None:
    """(case id, name) when the URL is one of ours, else None (a link given by hand)."""
    found = OWN_URL.match(url)
    return (int(found.group(1)), found.group(2)) if found else None


def discard(directory: Path, urls: list[str]) -> None:
    """Remove photos stored for a step that was then not taken."""
    for url in urls:
        found = own_photo(url)
        path = stored(directory, *found) if found else None
        if path is not None:
            path.unlink(missing_ok=True)
