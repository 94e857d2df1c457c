"""Incision photos: hashed for idempotency, stored without their metadata."""
from __future__ import annotations

import hashlib
import io

from django.core.files import File
from django.core.files.base import ContentFile
from PIL import Image, ImageOps


def without_metadata(upload: File) -> ContentFile:
    """The photo re-encoded as JPEG with no EXIF (GPS position, camera, time): only the pixels are kept.

    Phones write where a photo was taken into it; for a photo taken at home that is the patient's address.
    """
    upload.seek(0)
    with Image.open(upload) as image:
        upright = ImageOps.exif_transpose(image).convert("RGB")
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
