"""Django admin for push devices and the notification outbox: for looking into
why a push did or did not go out. Delivery bookkeeping is read-only; tokens are never shown."""
from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from notifications.models import Device, Notification


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "platform", "created_at", "last_seen_at", "disabled_at", "disabled_reason")
    list_filter = ("platform", ("disabled_at", admin.EmptyFieldListFilter), "disabled_reason")
    search_fields = ("user__username", "token_digest")
    date_hierarchy = "created_at"
    list_select_related = ("user",)
    # The push token is a credential for reaching the phone: staff see its digest only.
    exclude = ("token",)
    # A device's owner never changes: a token registered by someone else is a new device, and its pushes go
    # with the old one (notifications.services.devices). The outbox's key (device, recipient) holds it too.
    readonly_fields = ("user", "token_digest", "created_at", "last_seen_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox as delivery left it: only looked at. A row is written by the services and moved by
    delivery and the sweep; a hand edit (status, next attempt, queue) or deletion would resend or lose a push."""

    list_display = ("created_at", "kind", "recipient", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("recipient__username", "dedupe_key", "fcm_message_id")
    date_hierarchy = "created_at"
    raw_id_fields = ("recipient", "device")
    list_select_related = ("recipient",)

    def get_readonly_fields(self, request: HttpRequest, obj: Notification | None = None) -> list[str]:
        return [field.name for field in Notification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
