"""A case's photos (现场照片), kept by GridLink itself: uploaded by whoever reports or handles
the case, served back only to those who may read the case.

Stored under `GRIDLINK_UPLOAD_DIR` (default ./var/uploads), one folder per case, each under a
random name. A file is taken only if Pillow reads it as a JPEG, PNG or WebP image of sensible
size, and it is stored re-encoded: what is kept is the picture, not what else the file carried
(a camera's GPS position in its EXIF, a script appended to it).
"""

from __future__ import annotations

import io
import os
import re
import uuid
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from backend.core.errors import FieldError, ProblemError

MAX_PHOTO_MB = 10
MAX_PHOTO_BYTES = MAX_PHOTO_MB * 2**20
MAX_PIXELS = 40_000_000  # a 40-megapixel camera; more is a decompression bomb, not a photo
MAX_PHOTOS = 20  # per workflow step, as the API's photo_urls allows
FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
MEDIA_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}
NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp)$")
API_URL = "/api/v1/cases/{case_id}/photos/{name}"
OWN_URL = re.compile(r"^/api/v1/cases/(\d+)/photos/([0-9a-f]{32}\.(?:jpg|png|webp))$")


def _refuse(field: str, reason: str, status: int = 422) -> ProblemError:
    return ProblemError(status, f"{field}: {reason}", [FieldError(field, reason)])


def save(directory: Path, case_id: int, content: bytes, field: str = "file") -> str:
    """Check and store one photo of the case; returns its URL (the API's)."""
    if not content:
        raise _refuse(field, "文件为空")
    if len(content) > MAX_PHOTO_BYTES:
        raise _refuse(field, f"照片超过 {MAX_PHOTO_MB} MB 上限", 413)
    try:
        with Image.open(io.BytesIO(content)) as probe:
            kind, (width, height) = probe.format, probe.size
            if kind not in FORMATS:
                raise _refuse(field, "只接受 JPEG、PNG 或 WebP 格式的照片")
            if width * height > MAX_PIXELS:
                raise _refuse(field, f"照片像素过大 ({width}×{height})")
            probe.verify()
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            picture = image.convert("RGB") if kind == "JPEG" and image.mode != "RGB" else image
            stored = io.BytesIO()
            picture.save(stored, format=kind)  # no EXIF carried over: no GPS position
    except ProblemError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError):
        raise _refuse(field, "不是可识别的 JPEG、PNG 或 WebP 图片") from None
    name = uuid.uuid4().hex + FORMATS[kind]
    folder = directory / "cases" / str(case_id)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{name}.part"
    partial.write_bytes(stored.getvalue())
    os.replace(partial, folder / name)  # whole or not at all
    return API_URL.format(case_id=case_id, name=name)


def stored(directory: Path, case_id: int, name: str) -> Path | None:
    """The stored file of a photo name of the case (None: no such photo)."""
    if not NAME.match(name):
        return None
    path = directory / "cases" / str(case_id) / name
    return path if path.is_file() else None


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
