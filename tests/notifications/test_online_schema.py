"""The index migrations of the outbox, PromptLog and the phone reports reach on PostgreSQL, without a rebuild,
the schema the models declare (notifications.online_schema), and can be undone and applied again on a filled
table."""
import importlib
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count

from notifications.models import Notification
from recovery.models import CheckIn, IncisionCheck, PromptLog, WarningReport
from tests.factories import DeviceFactory, PatientFactory, UserFactory
from tests.notifications.factories import NotificationFactory
from tests.support import migrate_to_the_latest

pytestmark = pytest.mark.django_db(transaction=True)


def constraints(table: str) -> dict[str, Any]:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, table)


def test_the_outbox_has_the_indexes_its_model_declares_and_no_others():
    found = constraints(Notification._meta.db_table)
    names = set(found)
    assert {"notification_topic", "notification_dedupe_key", "notification_due_per_queue",
            "notification_failed_or_dead"} <= names
    assert found["notification_dedupe_key"]["unique"]
    assert found["notification_topic"]["columns"] == ["topic"]
    assert "notification_due" not in names
    assert not [name for name in names if name.endswith("_like")]
    # Nothing looks pushes up by recipient alone (a user's deletion goes through their devices: notifications 0012).
    assert not [name for name, info in found.items() if info["columns"] == ["recipient_id"] and info["index"]]
    assert [name for name, info in found.items() if info["columns"] == ["device_id"] and info["index"]]


@pytest.mark.parametrize("model", [CheckIn, IncisionCheck, WarningReport])
def test_patient_records_keep_their_patient_foreign_key_without_an_index_of_its_own(model):
    """The unique key starting with the patient serves its lookups and cascades."""
    found = constraints(model._meta.db_table).values()
    on_patient = [info for info in found if info["columns"] == ["patient_id"]]
    assert [info["foreign_key"] for info in on_patient] == [("recovery_patient", "id")]
    assert not any(info["index"] for info in on_patient)
    assert any(info["unique"] and info["columns"][0] == "patient_id" for info in found)


def test_prompt_log_has_neither_a_foreign_key_check_nor_an_index_of_its_own_on_the_patient():
    """Its unique key starting with the patient serves the dispatch's probe and a patient's cascade (recovery 0020)."""
    found = constraints(PromptLog._meta.db_table).values()
    assert not [info for info in found if info["columns"] == ["patient_id"]]
    assert not [info for info in found if info["foreign_key"]]
    assert any(info["unique"] and info["columns"][0] == "patient_id" for info in found)


def test_a_deleted_patients_prompt_logs_and_a_deleted_users_pushes_go_with_them():
    """Without the database's cascade, Django's: a patient's PromptLog rows, and a user's pushes through their
    devices (the recipient is no longer looked up on its own)."""
    patient = PatientFactory()
    PromptLog.objects.create(patient=patient, kind="checkin_prompt", local_date=patient.surgery_date)
    kept = PromptLog.objects.create(patient=PatientFactory(), kind="checkin_prompt", local_date=patient.surgery_date)
    push, other = NotificationFactory(), NotificationFactory()

    patient.delete()
    push.recipient.delete()

    assert list(PromptLog.objects.values_list("pk", flat=True)) == [kept.pk]
    assert list(Notification.objects.values_list("pk", flat=True)) == [other.pk]


def test_the_migrations_undo_and_apply_again_on_a_filled_outbox():
    row = NotificationFactory(topic="escalation:1", dedupe_key="once")
    executor = MigrationExecutor(connection)
    executor.migrate([("notifications", "0006_push_category_topic_expiry"),
                      ("recovery", "0011_nurses_contact_two_way_messages")])
    before = constraints(Notification._meta.db_table)
    assert "notification_due" in before
    single_keys = sorted(info["columns"] for info in before.values() if info["foreign_key"])
    assert single_keys == [["device_id"], ["recipient_id"]]
    migrate_to_the_latest()
    # The topic and dedupe key indexes are built again, concurrently, as partial ones (0011, 0013).
    assert index_definition("notification_topic").endswith(TOPIC_INDEX)
    assert index_definition("notification_dedupe_key").endswith(DEDUPE_KEY_INDEX)
    test_the_outbox_has_the_indexes_its_model_declares_and_no_others()
    after = constraints(Notification._meta.db_table)
    assert [info["columns"] for info in after.values() if info["foreign_key"]] == [["device_id", "recipient_id"]]
    for model in (CheckIn, IncisionCheck, WarningReport):
        test_patient_records_keep_their_patient_foreign_key_without_an_index_of_its_own(model)
    test_prompt_log_has_neither_a_foreign_key_check_nor_an_index_of_its_own_on_the_patient()
    assert Notification.objects.get(dedupe_key="once").pk == row.pk


TOPIC_INDEX = "USING btree (topic) WHERE ((topic)::text <> ''::text)"
DEDUPE_KEY_INDEX = "USING btree (dedupe_key) WHERE (dedupe_key IS NOT NULL)"


def index_definition(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_indexdef(indexrelid), indisvalid FROM pg_index WHERE indexrelid = %s::regclass",
                       [name])
        definition, valid = cursor.fetchone()
    assert valid
    return definition


def plan_without_seq_scans(queryset) -> str:
    """The plan of `queryset` when PostgreSQL avoids whole-table reads where it can: whether an index can serve
    it (a table this small is read whole otherwise)."""
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            return queryset.explain()
        finally:
            cursor.execute("RESET enable_seqscan")


def test_the_topic_index_holds_only_rows_with_a_topic_and_serves_every_query_by_topic():
    """Reminders (a fan-out's 100,000 rows) have no topic and never enter it; each query by topic can still use
    it, also the inbox's, whose topic is built from the case id."""
    from recovery.models import Escalation
    from recovery.selectors import push_delivery_state

    assert index_definition("notification_topic").endswith(TOPIC_INDEX)
    NotificationFactory(topic="escalation:1")
    by_topic = {
        "cancel_topic": Notification.objects.filter(topic="escalation:1", status__in=["pending", "failed"]),
        "reachability": Notification.objects.filter(topic__in=["escalation:1", "escalation:2"]),
    }
    for name, queryset in by_topic.items():
        assert "notification_topic" in plan_without_seq_scans(queryset), name
    inbox = plan_without_seq_scans(Escalation.objects.annotate(**push_delivery_state()))
    assert "notification_topic" in inbox, inbox


def test_going_back_before_the_partial_topic_index_rebuilds_the_whole_one_and_forward_again():
    executor = MigrationExecutor(connection)
    executor.migrate([("notifications", "0010_one_foreign_key_per_push")])
    assert index_definition("notification_topic").endswith("USING btree (topic)")
    migrate_to_the_latest()
    assert index_definition("notification_topic").endswith(TOPIC_INDEX)


def test_the_dedupe_key_index_holds_only_rows_with_a_key_and_still_refuses_a_second_one():
    """A fan-out's reminders carry no key (PromptLog's unique key makes them at most once) and never enter it;
    a key is still written once (notifications 0013)."""
    from django.db import IntegrityError, transaction

    assert index_definition("notification_dedupe_key").endswith(DEDUPE_KEY_INDEX)
    NotificationFactory(dedupe_key=None)
    NotificationFactory(dedupe_key=None)
    NotificationFactory(dedupe_key="care_team_message:1:1")
    with pytest.raises(IntegrityError), transaction.atomic():
        NotificationFactory(dedupe_key="care_team_message:1:1")
    assert Notification.objects.filter(dedupe_key__isnull=True).count() == 2


@pytest.mark.parametrize("interrupted_after", [0, 1, 2])
def test_going_back_before_the_partial_dedupe_key_index_and_forward_again_even_after_an_interruption(
        interrupted_after):
    """Back to the whole table's unique constraint (0012), and forward again; a `migrate` interrupted after any of
    0013's statements goes on from there when run again, and the index always refuses a second row of a key."""
    partial_index = importlib.import_module("notifications.migrations.0013_dedupe_key_index_of_keys_only").rebuilt(
        keys_only=True)
    NotificationFactory(dedupe_key="once:1")
    executor = MigrationExecutor(connection)
    executor.migrate([("notifications", "0012_no_recipient_index")])
    found = constraints(Notification._meta.db_table)["notification_dedupe_key"]
    assert found["unique"] and index_definition("notification_dedupe_key").endswith("USING btree (dedupe_key)")
    with connection.schema_editor(atomic=False) as editor:
        for statement in partial_index(editor)[:interrupted_after]:
            editor.execute(statement)
    migrate_to_the_latest()
    assert index_definition("notification_dedupe_key").endswith(DEDUPE_KEY_INDEX)
    assert not [name for name in constraints(Notification._meta.db_table) if name.endswith("_rebuilt")]
    assert Notification.objects.get(dedupe_key="once:1")


def test_the_failed_or_dead_index_holds_only_those_rows_and_serves_the_metrics_count():
    """Built concurrently by hand (0009): the same partial index Django would build, and one the /metrics count of
    failed and dead rows can be answered from (sent and pending rows, a fan-out's, never enter it)."""
    assert index_definition("notification_failed_or_dead").endswith(
        "(status) WHERE ((status)::text = ANY ((ARRAY['failed'::character varying, "
        "'dead'::character varying])::text[]))")
    metrics_count = (Notification.objects.filter(status__in=["failed", "dead"]).values_list("status")
                     .annotate(n=Count("*")).values_list("status", "n"))  # notifications.metrics
    assert "notification_failed_or_dead" in plan_without_seq_scans(metrics_count)


def test_a_failed_concurrent_build_of_the_failed_or_dead_index_is_built_again_by_the_next_migrate():
    """A cancelled CREATE INDEX CONCURRENTLY leaves an invalid index, and the migration unrecorded: migrating again
    must not take that index for done."""
    executor = MigrationExecutor(connection)
    executor.migrate([("notifications", "0008_escalation_pushes_on_the_urgent_queue")])
    with connection.cursor() as cursor:  # what a cancelled build leaves behind
        cursor.execute("CREATE INDEX notification_failed_or_dead ON notifications_notification (status)")
        cursor.execute("UPDATE pg_index SET indisvalid = false "
                       "WHERE indexrelid = 'notification_failed_or_dead'::regclass")
    migrate_to_the_latest()
    test_the_failed_or_dead_index_holds_only_those_rows_and_serves_the_metrics_count()


BEFORE_THE_PAIR_KEY = [("notifications", "0009_notification_failed_or_dead")]


def outbox_foreign_keys() -> list[tuple[str, str, bool]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
                       "WHERE conrelid = 'notifications_notification'::regclass AND contype = 'f' ORDER BY 1")
        return cursor.fetchall()


def test_the_pair_key_migration_deletes_the_pushes_a_device_kept_from_its_former_owner():
    """Before 0c9a68c a token taken over kept its device row, given to the new owner with the former owner's
    pushes (and the admin could change a device's owner): such rows must not stop 0010, nor reach the new owner."""
    MigrationExecutor(connection).migrate(BEFORE_THE_PAIR_KEY)
    kept = NotificationFactory(dedupe_key="kept")
    device, former_owner = DeviceFactory(), UserFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO notifications_notification (recipient_id, device_id, kind, queue, category, topic, title, "
            "body, data, dedupe_key, status, attempts, next_attempt_at, last_error, created_at, fcm_message_id) "
            "VALUES (%s, %s, 'checkin_prompt', 'bulk', 'reminder', '', 't', 'b', '{}', 'former', 'pending', 0, "
            "now(), '', now(), '')", [former_owner.pk, device.pk])

    migrate_to_the_latest()

    assert list(Notification.objects.values_list("pk", flat=True)) == [kept.pk]
    assert [(name, valid) for name, _, valid in outbox_foreign_keys()] == [("notification_device_of_recipient", True)]


def test_going_back_from_the_pair_key_can_be_run_again_after_an_interruption(monkeypatch):
    NotificationFactory()
    executor = MigrationExecutor(connection)
    migration = executor.loader.get_migration("notifications", "0010_one_foreign_key_per_push")
    dropping_the_pair_key = migration.operations[1]

    def interrupted(apps, schema_editor):
        raise RuntimeError("lock timeout")

    monkeypatch.setattr(dropping_the_pair_key, "reverse_code", interrupted)
    with pytest.raises(RuntimeError):
        executor.migrate(BEFORE_THE_PAIR_KEY)
    monkeypatch.undo()
    MigrationExecutor(connection).migrate(BEFORE_THE_PAIR_KEY)

    assert sorted(definition for _, definition, valid in outbox_foreign_keys() if valid) == [
        "FOREIGN KEY (device_id) REFERENCES notifications_device(id) DEFERRABLE INITIALLY DEFERRED",
        "FOREIGN KEY (recipient_id) REFERENCES recovery_user(id) DEFERRABLE INITIALLY DEFERRED"]
    migrate_to_the_latest()
    assert [(name, valid) for name, _, valid in outbox_foreign_keys()] == [("notification_device_of_recipient", True)]
