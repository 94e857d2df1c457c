"""The outbox's one foreign key (notifications 0010): the pair (device, recipient) against (device id, its owner).
A push's recipient is the owner of its device, in the database as in the writer; deletes still cascade."""
import pytest
from django.db import IntegrityError, connection, transaction

from notifications.models import Device, Notification
from notifications.services.devices import register_device
from tests.factories import DeviceFactory, UserFactory
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the key is checked at commit (deferred)


def foreign_keys_of_the_outbox() -> dict[str, tuple[str, bool]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
                       "WHERE conrelid = 'notifications_notification'::regclass AND contype = 'f'")
        return {name: (definition, valid) for name, definition, valid in cursor.fetchall()}


def test_the_outbox_has_one_foreign_key_the_device_with_its_owner():
    assert foreign_keys_of_the_outbox() == {"notification_device_of_recipient": (
        "FOREIGN KEY (device_id, recipient_id) REFERENCES notifications_device(id, user_id) "
        "DEFERRABLE INITIALLY DEFERRED", True)}


def test_a_push_to_another_users_device_is_refused_and_nothing_is_written():
    device, stranger = DeviceFactory(), UserFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        NotificationFactory(device=device, recipient=stranger)

    assert not Notification.objects.exists()


def test_a_push_to_a_device_that_does_not_exist_is_refused():
    device = DeviceFactory()
    gone = device.pk + 1000

    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(recipient=device.user, device_id=gone, kind="checkin_prompt", title="t",
                                    body="b", dedupe_key="nowhere")

    assert not Notification.objects.exists()


def test_a_device_with_pushes_cannot_be_deleted_in_sql_but_deletes_cascade_in_django():
    push = NotificationFactory()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM notifications_device WHERE id = %s", [push.device_id])
    assert Notification.objects.filter(pk=push.pk).exists()

    push.recipient.delete()

    assert not Notification.objects.filter(pk=push.pk).exists()
    assert not Device.objects.filter(pk=push.device_id).exists()


def test_a_token_taken_over_by_another_user_keeps_none_of_the_old_owners_pushes():
    push = NotificationFactory()
    token, newcomer = push.device.token, UserFactory()

    device, created = register_device(user=newcomer, token=token, platform=Device.Platform.IOS)

    assert created and device.user == newcomer
    assert not Notification.objects.filter(pk=push.pk).exists()

