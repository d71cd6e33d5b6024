"""Pictures people upload (a case's photos, a grid worker's portrait), kept by GridLink itself.

A file is taken only if Pillow reads it as a JPEG, PNG or WebP image of sensible size, and it
is stored re-encoded under a random name: what is kept is the picture, not what else the file
carried (a camera's GPS position in its EXIF, a script appended to it).
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
FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
MEDIA_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}
NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp)$")


def _refuse(field: str, reason: str, status: int = 422) -> ProblemError:
    return ProblemError(status, f"{field}: {reason}", [FieldError(field, reason)])


def store_image(folder: Path, content: bytes, field: str = "file") -> str:
    """Check one picture and store it re-encoded in `folder`; returns its file name."""
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
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{name}.part"
    partial.write_bytes(stored.getvalue())
    os.replace(partial, folder / name)  # whole or not at all
    return name


def stored_image(folder: Path, name: str) -> Path | None:
    """The stored file of a picture name in `folder` (None: no such picture)."""
    if not NAME.match(name):
        return None
    path = folder / name
    return path if path.is_file() else None
