"""Django admin for push devices and the notification outbox: for looking into
why a push did or did not go out. Delivery bookkeeping is read-only; tokens are never shown, and users are
named by id only: a patient's login name says who is a patient here, and these pages are not audited (the
users list, which names them, is: recovery.admin)."""
from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from notifications.models import Device, Notification


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("user_id", "platform", "created_at", "last_seen_at", "disabled_at", "disabled_reason")
    list_filter = ("platform", ("disabled_at", admin.EmptyFieldListFilter), "disabled_reason")
    search_fields = ("=user__id", "token_digest")
    date_hierarchy = "created_at"
    # The push token is a credential for reaching the phone: staff see its digest only. A device's owner never
    # changes (a token registered by someone else is a new device, and the old one's pushes go with it:
    # notifications.services.devices; the outbox's key (device, recipient) holds it too): shown, by id.
    exclude = ("token", "user")
    readonly_fields = ("user_id", "token_digest", "created_at", "last_seen_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox as delivery left it: only looked at. A row is written by the services and moved by
    delivery and the sweep; a hand edit (status, next attempt, queue) or deletion would resend or lose a push."""

    list_display = ("created_at", "kind", "recipient_id", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("=recipient__id", "dedupe_key", "fcm_message_id")
    date_hierarchy = "created_at"
    exclude = ("recipient", "device")  # shown by id (get_readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Notification | None = None) -> list[str]:
        return [field.attname if field.is_relation else field.name for field in Notification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
