"""A password change or a deactivation ends every API session of that user, and so does removing a staff
member's authenticator (a lost or stolen phone): their sessions were opened with it.

Access tokens stop working by themselves (their `hash_password` claim no longer matches, or the
user is inactive); here the outstanding refresh tokens are blacklisted too, in the same transaction
(User.save is atomic). A deactivation also disables the login's push devices: whoever holds a lost
phone must not keep being reminded that its owner is a patient here.
"""
from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from notifications.services import devices
from recovery.models import IncisionCheck, User
from recovery.services import sessions as tokens

# Device.disabled_reason of the devices of a deactivated login.
DEACTIVATED = "login_deactivated"


@receiver(pre_save, sender=User, dispatch_uid="recovery.note_credentials_change")
def note_credentials_change(sender: type[User], instance: User, raw: bool = False,
                            update_fields: Any = None, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. last_login on every login: nothing to compare
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    deactivated = bool(before and before["is_active"] and not instance.is_active)
    instance._deactivated = deactivated  # type: ignore[attr-defined]
    instance._revoke_sessions = bool(  # type: ignore[attr-defined]
        before and (before["password"] != instance.password or deactivated)
    )


@receiver(post_save, sender=User, dispatch_uid="recovery.revoke_sessions_on_credentials_change")
def revoke_sessions_on_credentials_change(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    if not created and getattr(instance, "_revoke_sessions", False):
        tokens.revoke_all_tokens(instance.pk)
        instance._revoke_sessions = False  # type: ignore[attr-defined]
    if not created and getattr(instance, "_deactivated", False):
        devices.disable_devices_of(instance.pk, reason=DEACTIVATED)
        instance._deactivated = False  # type: ignore[attr-defined]


@receiver(post_delete, sender=TOTPDevice, dispatch_uid="recovery.revoke_sessions_on_totp_device_removed")
@receiver(post_delete, sender=StaticDevice, dispatch_uid="recovery.revoke_sessions_on_static_device_removed")
def revoke_sessions_on_second_factor_removed(sender: type, instance: Any, **kwargs: Any) -> None:
    """The refresh tokens end now; access tokens live at most ACCESS_TOKEN_LIFETIME (15 minutes)."""
    if instance.user_id is not None:
        tokens.revoke_all_tokens(instance.user_id)


@receiver(post_delete, sender=IncisionCheck, dispatch_uid="recovery.delete_incision_photo_file")
def delete_photo_file_with_its_row(sender: type[IncisionCheck], instance: IncisionCheck, **kwargs: Any) -> None:
    """The photo is health data: once the row's deletion is committed (by itself, or with its patient), its file
    leaves the storage too; a rolled-back deletion keeps it."""
    name, storage = instance.photo.name, instance.photo.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))
