"""A password change or a deactivation ends every API session of that user.

Access tokens stop working by themselves (their `hash_password` claim no longer matches, or the
user is inactive); here the outstanding refresh tokens are blacklisted too, in the same transaction.
"""
from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from recovery.models import User
from recovery.services import sessions as tokens


@receiver(pre_save, sender=User, dispatch_uid="recovery.note_credentials_change")
def note_credentials_change(sender: type[User], instance: User, raw: bool = False,
                            update_fields: Any = None, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. last_login on every login: nothing to compare
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    instance._revoke_sessions = bool(  # type: ignore[attr-defined]
        before and (before["password"] != instance.password or (before["is_active"] and not instance.is_active))
    )


@receiver(post_save, sender=User, dispatch_uid="recovery.revoke_sessions_on_credentials_change")
def revoke_sessions_on_credentials_change(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    if not created and getattr(instance, "_revoke_sessions", False):
        tokens.revoke_all_tokens(instance.pk)
        instance._revoke_sessions = False  # type: ignore[attr-defined]
