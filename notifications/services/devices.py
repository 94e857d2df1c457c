"""Push tokens: one Device row per token, owned by the user who registered it last."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from notifications import signals
from notifications.models import Device


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class DeviceTakeoverRefused(Exception):
    """The token is another user's, and the product's rule (settings.PUSH_DEVICE_TAKEOVER_CHECK) says no."""


class LoginInactive(Exception):
    """The login was deactivated while its request was on its way: its devices stay disabled."""


def register_device(*, user: Any, token: str, platform: str) -> tuple[Device, bool]:
    """Register a push token for `user`: (device, created).

    The caller's own token again: re-enabled, nothing new stored. Another user's token: their record
    is deleted with every push queued on it (nothing of theirs is kept, shown or sent to the new
    owner) and a fresh one is created, if settings.PUSH_DEVICE_TAKEOVER_CHECK allows it; otherwise
    DeviceTakeoverRefused and nothing changes. A login deactivated meanwhile: LoginInactive, nothing changes.
    Two registrations of one token at once end in one row:
    the row lock orders them when the row exists; when it does not, the unique digest lets one insert
    win and the other decides again against the winner's row.
    """
    try:
        return _register(user=user, token=token, platform=platform)
    except IntegrityError:
        return _register(user=user, token=token, platform=platform)


def _register(*, user: Any, token: str, platform: str) -> tuple[Device, bool]:
    now = timezone.now()
    digest = token_digest(token)
    with transaction.atomic():
        # The login's row locked and read again: a deactivation committed since the request was authenticated
        # disabled this user's devices (a lost or stolen phone), and re-enabling one would undo it.
        if not get_user_model()._default_manager.select_for_update(no_key=True).filter(
                pk=user.pk, is_active=True).exists():
            raise LoginInactive
        existing = Device.objects.select_for_update().select_related("user").filter(token_digest=digest).first()
        if existing is not None and existing.user_id == user.pk:
            existing.platform = platform
            existing.last_seen_at = now
            existing.disabled_at = None
            existing.disabled_reason = ""
            existing.save(update_fields=["platform", "last_seen_at", "disabled_at", "disabled_reason"])
            _announce_registration(existing)
            return existing, False
        if existing is not None:
            may_take_over = import_string(settings.PUSH_DEVICE_TAKEOVER_CHECK)
            if not may_take_over(user, existing.user, old_device_active=existing.is_active):
                raise DeviceTakeoverRefused
            existing.delete()  # its outbox rows go with it (on_delete=CASCADE): pending ones are never sent
        device = Device.objects.create(user=user, token=token, token_digest=digest, platform=platform,
                                       last_seen_at=now)
        _announce_registration(device)
    return device, True


def _announce_registration(device: Device) -> None:
    """After commit: notifications.signals.device_registered (the product resends what the person missed)."""
    user_id, device_id = device.user_id, device.pk
    transaction.on_commit(lambda: signals.device_registered.send(
        sender=Device, user_id=user_id, device_id=device_id), robust=True)


def unregister_device(*, user: Any, token: str) -> bool:
    """Disable the caller's own device with this token; False if it is not theirs."""
    return bool(
        Device.objects.filter(user=user, token_digest=token_digest(token)).update(
            disabled_at=timezone.now(), disabled_reason="unregistered"
        )
    )


def disable_devices_of(user_id: int, *, reason: str) -> int:
    """Disable every enabled device of a user, in the caller's transaction; returns how many. What is queued for
    them is never sent (the delivery claim marks a disabled device's rows dead), and the app's next registration
    of a token re-enables its row (register_device). Devices already disabled keep their reason."""
    return Device.objects.filter(user_id=user_id, disabled_at__isnull=True).update(
        disabled_at=timezone.now(), disabled_reason=reason
    )


def active_devices(user_ids: Iterable[int | None]) -> list[tuple[int, int]]:
    """(device id, user id) of every enabled device of these users, in one query."""
    ids = [uid for uid in user_ids if uid is not None]
    return list(
        Device.objects.filter(user_id__in=ids, disabled_at__isnull=True).values_list("id", "user_id")
    ) if ids else []
