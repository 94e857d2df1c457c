"""Incision photos: hashed for idempotency, stored without their metadata."""
from __future__ import annotations

import hashlib
import io

from django.core.files import File
from django.core.files.base import ContentFile
from PIL import Image, ImageOps


class PhotoUnreadable(Exception):
    """The photo's header was readable but its pixels are not: a file cut off in transfer or damaged (the API
    answers 400 naming `photo`)."""


def without_metadata(upload: File) -> ContentFile:
    """The photo re-encoded as JPEG with no EXIF (GPS position, camera, time): only the pixels are kept.

    Phones write where a photo was taken into it; for a photo taken at home that is the patient's address.
    Raises PhotoUnreadable when the pixels cannot be decoded: the upload's check reads only the header (a JPEG
    cut off in transfer passes it), and decoding is the first time its pixels are read.
    """
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except Exception as exc:  # noqa: BLE001 - Pillow reports damaged data as OSError, SyntaxError, ValueError...
        raise PhotoUnreadable(str(exc)) from exc
    buffer = io.BytesIO()
    upright.save(buffer, format="JPEG", quality=90)
    upload.seek(0)
    return ContentFile(buffer.getvalue())


def file_sha256(upload: File) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()
