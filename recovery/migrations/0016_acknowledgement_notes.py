# Written by hand on 2026-11-26. Every acknowledgement note is kept (AcknowledgementNote) instead of the case's
# one acknowledge_note, which a later note overwrote. The note each case holds is carried over here; the column
# goes in 0017, a transaction of its own (PostgreSQL alters no table with the rows written here still to be
# checked against their deferred foreign keys). Going back puts each case's latest note into the column again.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

ACKNOWLEDGE = "acknowledge"  # AuditEvent.Action.ACKNOWLEDGE, as of this migration
CASE_LABEL = "recovery.Escalation"  # the object_type of a case's audit rows
BATCH = 500


def notes_are_carried_over(apps, schema_editor):
    """Each stored note becomes its case's first AcknowledgementNote. Who wrote it and when were not stored; the
    audit trail has the acknowledgements (acknowledge_note was written only with one, in its transaction): the
    author is the one person who acknowledged the case, left empty when several did (the first acknowledger is
    not necessarily the writer of the note that stood); the time is that of the case's last acknowledgement (of
    which the note is, exactly when there was one), else when the case was acknowledged."""
    Escalation = apps.get_model("recovery", "Escalation")
    AcknowledgementNote = apps.get_model("recovery", "AcknowledgementNote")
    AuditEvent = apps.get_model("recovery", "AuditEvent")
    cases = (Escalation.objects.exclude(acknowledge_note="").order_by("pk")
             .values_list("pk", "acknowledge_note", "acknowledged_at", "updated_at"))
    batch = list(cases[:BATCH])
    while batch:
        acknowledgements: dict[str, list[tuple[int | None, object]]] = {}
        for object_id, actor_id, at in (
            AuditEvent.objects.filter(action=ACKNOWLEDGE, object_type=CASE_LABEL,
                                      object_id__in=[str(pk) for pk, *_ in batch])
            .order_by("at", "id").values_list("object_id", "actor_id", "at")
        ):
            acknowledgements.setdefault(object_id, []).append((actor_id, at))
        notes = []
        for pk, text, acknowledged_at, updated_at in batch:
            seen = acknowledgements.get(str(pk), [])
            actors = {actor_id for actor_id, _at in seen}
            notes.append(AcknowledgementNote(
                escalation_id=pk, text=text, author_id=actors.pop() if len(actors) == 1 else None,
                created_at=seen[-1][1] if seen else (acknowledged_at or updated_at),
            ))
        AcknowledgementNote.objects.bulk_create(notes)
        batch = list(cases.filter(pk__gt=batch[-1][0])[:BATCH])


def latest_notes_are_put_back(apps, schema_editor):
    """Going back: each case holds its latest note again, as the column did (the earlier ones cannot be kept)."""
    Escalation = apps.get_model("recovery", "Escalation")
    AcknowledgementNote = apps.get_model("recovery", "AcknowledgementNote")
    latest: dict[int, str] = {}
    for escalation_id, text in AcknowledgementNote.objects.order_by("created_at", "id").values_list(
            "escalation_id", "text").iterator(chunk_size=2000):
        latest[escalation_id] = text
    for escalation_id, text in latest.items():
        Escalation.objects.filter(pk=escalation_id).update(acknowledge_note=text)


class Migration(migrations.Migration):

    dependencies = [
        ("recovery", "0015_devices_of_inactive_logins_disabled"),
    ]

    operations = [
        migrations.CreateModel(
            name="AcknowledgementNote",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("text", models.TextField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("author", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                             related_name="+", to=settings.AUTH_USER_MODEL)),
                ("escalation", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                 related_name="acknowledgement_notes", to="recovery.escalation")),
            ],
            options={
                "ordering": ["created_at", "id"],
                "constraints": [models.CheckConstraint(condition=models.Q(("text", ""), _negated=True),
                                                       name="acknowledgement_note_not_empty")],
            },
        ),
        migrations.RunPython(notes_are_carried_over, latest_notes_are_put_back),
    ]
