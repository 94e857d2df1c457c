"""Push tokens: one Device row per token, owned by the user who registered it last."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from notifications.models import Device


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def register_device(*, user: Any, token: str, platform: str) -> tuple[Device, bool]:
    """Register a push token for `user`; the same token again re-owns and re-enables it (no duplicate)."""
    now = timezone.now()
    with transaction.atomic():
        device, created = Device.objects.select_for_update().get_or_create(
            token_digest=token_digest(token),
            defaults={"user": user, "token": token, "platform": platform, "last_seen_at": now},
        )
        if not created:
            device.user = user
            device.platform = platform
            device.last_seen_at = now
            device.disabled_at = None
            device.disabled_reason = ""
            device.save(update_fields=["user", "platform", "last_seen_at", "disabled_at", "disabled_reason"])
    return device, created


def unregister_device(*, user: Any, token: str) -> bool:
    """Disable the caller's own device with this token; False if it is not theirs."""
    return bool(
        Device.objects.filter(user=user, token_digest=token_digest(token)).update(
            disabled_at=timezone.now(), disabled_reason="unregistered"
        )
    )


def active_devices(user_ids: Iterable[int | None]) -> list[tuple[int, int]]:
    """(device id, user id) of every enabled device of these users, in one query."""
    ids = [uid for uid in user_ids if uid is not None]
    return list(
        Device.objects.filter(user_id__in=ids, disabled_at__isnull=True).values_list("id", "user_id")
    ) if ids else []
