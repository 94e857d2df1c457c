"""A pixel bomb (a tiny file of a huge image) is refused from its header, before any pixel is decoded."""
from __future__ import annotations

import io
import struct
import uuid
import zlib
from functools import cache

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from recovery.models import IncisionCheck
from tests.recovery.api.conftest import patient, patient_client  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

BOMB_SIDE = 12000  # 144 megapixels: 576 MB once Pillow decodes it, above Pillow's own warning limit


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@cache
def png_bomb(side: int = BOMB_SIDE) -> bytes:
    """A valid greyscale PNG of side x side black pixels, compressed row by row (about 140 KB)."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (side + 1)  # filter byte + one byte per pixel
    compressed = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", compressed) + _chunk(b"IEND", b"")


def post_photo(client, content: bytes):
    photo = SimpleUploadedFile("IMG_0001.png", content, content_type="image/png")
    return client.post("/api/v1/incision-checks/", {"client_id": str(uuid.uuid4()), "site": "abdomen",
                                                    "redness": "true", "photo": photo}, format="multipart")


def images_allocated() -> int:
    """How many image buffers Pillow's allocator has created in this process (none without a decode)."""
    return Image.core.get_stats()["new_count"]


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_the_bomb_is_a_real_image_of_144_megapixels_in_a_small_file():
    bomb = png_bomb()
    assert len(bomb) < 1_000_000
    with Image.open(io.BytesIO(bomb)) as image:
        assert image.size == (BOMB_SIDE, BOMB_SIDE)


def test_pixel_bomb_upload_is_400_naming_photo_and_stores_nothing(patient_client):  # noqa: F811
    answer = post_photo(patient_client, png_bomb())
    assert answer.status_code == 400
    assert "photo" in answer.json() and "megapixels" in answer.json()["photo"][0]
    assert not IncisionCheck.objects.exists()


def test_pixel_bomb_is_refused_without_decoding_a_single_pixel(patient_client):  # noqa: F811
    before = images_allocated()
    assert post_photo(patient_client, png_bomb()).status_code == 400
    assert images_allocated() == before


def test_a_photo_within_the_limit_is_decoded_and_stored(patient_client, settings):  # noqa: F811
    # The allocation counter above does see a decode: a small photo is decoded (to strip EXIF).
    settings.INCISION_PHOTO_MAX_PIXELS = 1000 * 1000
    before = images_allocated()
    answer = post_photo(patient_client, png_bomb(1000))
    assert answer.status_code == 201, answer.content
    assert images_allocated() > before


def test_the_pixel_limit_is_well_below_pillows_own(settings):
    assert Image.MAX_IMAGE_PIXELS is not None
    assert settings.INCISION_PHOTO_MAX_PIXELS <= Image.MAX_IMAGE_PIXELS / 3
