"""Serializer fields that refuse input before it costs memory or overflows."""
from __future__ import annotations

import warnings
from datetime import date
from typing import Any

from django.conf import settings
from django.utils.translation import gettext
from PIL import Image
from rest_framework import serializers

from recovery.plausible_dates import out_of_window


class BoundedImageField(serializers.ImageField):
    """An image whose size in pixels is read from its header and refused before anything is decoded.

    A PNG of 12000 x 12000 pixels can be 140 KB on the wire and 576 MB once decoded; Pillow only
    warns up to 89.5 megapixels (Image.MAX_IMAGE_PIXELS). settings.INCISION_PHOTO_MAX_PIXELS is far lower.
    """

    def to_internal_value(self, data: Any) -> Any:
        limit = settings.INCISION_PHOTO_MAX_PIXELS
        pixels = header_pixels(data)
        if pixels is not None and pixels > limit:  # limit: settings.INCISION_PHOTO_MAX_PIXELS, an int
            raise serializers.ValidationError(
                gettext("The photo has too many pixels: at most %(megapixels)s megapixels (for example "
                        "%(width)s x %(height)s).")
                % {"megapixels": limit // 1_000_000, "width": int((limit * 4 / 3) ** 0.5),
                   "height": int((limit * 3 / 4) ** 0.5)}
            )
        return super().to_internal_value(data)


def header_pixels(upload: Any) -> int | None:
    """Width x height from the image header (Image.open reads no pixel data); None if not an image."""
    if not hasattr(upload, "seek"):
        return None
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(upload) as probe:
                width, height = probe.size
    except Image.DecompressionBombError:
        return 2 * (Image.MAX_IMAGE_PIXELS or 0) + 1
    except Exception:  # noqa: BLE001 - not an image: the ImageField's own check names the problem
        return None
    finally:
        upload.seek(0)
    return width * height


class BoundedDateField(serializers.DateField):
    """A date within a plausible window around today (`past_days` back, `future_days` ahead).

    A year such as 9999 overflows the date arithmetic of the recovery plan; refused here with a 400
    naming the field instead.
    """

    def __init__(self, *, past_days: int, future_days: int, **kwargs: Any) -> None:
        self.past_days, self.future_days = past_days, future_days
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> date:
        day = super().to_internal_value(value)
        problem = out_of_window(day, {"past_days": self.past_days, "future_days": self.future_days})
        if problem:
            raise serializers.ValidationError(problem)
        return day
