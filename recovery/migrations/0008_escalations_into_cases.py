"""Existing escalations become cases (shared/API.md 1.1, "Escalation cases").

- Every escalation gets its report as the case's first report.
- An escalation already acknowledged was, under contract 1.0, done: it becomes a resolved case (resolved
  when and by whom it was acknowledged; no outcome, since none was recorded then).
- A patient with several unacknowledged escalations gets one open case: the oldest keeps them all
  (reports, advice messages), at the highest level with every reason; the others are deleted.
"""
from django.db import migrations

SEVERITY = {"routine": 0, "urgent": 1, "emergency": 2}
LEGACY_NOTE = "Acknowledged before escalations became cases; closed by the migration."


def forwards(apps, schema_editor):
    Escalation = apps.get_model("recovery", "Escalation")
    EscalationReport = apps.get_model("recovery", "EscalationReport")
    PatientMessage = apps.get_model("recovery", "PatientMessage")

    links = []
    for esc in Escalation.objects.select_related("checkin", "incision_check", "warning_report").iterator():
        source = esc.checkin or esc.incision_check or esc.warning_report
        links.append(EscalationReport(
            escalation_id=esc.pk, checkin_id=esc.checkin_id, incision_check_id=esc.incision_check_id,
            warning_report_id=esc.warning_report_id, created_at=source.created_at if source else esc.created_at,
        ))
    EscalationReport.objects.bulk_create(links, batch_size=1000)
    for esc in Escalation.objects.filter(acknowledged_at__isnull=False).iterator():
        esc.resolved_at, esc.resolved_by_id = esc.acknowledged_at, esc.acknowledged_by_id
        esc.resolution_note, esc.updated_at = LEGACY_NOTE, esc.acknowledged_at
        esc.save(update_fields=["resolved_at", "resolved_by", "resolution_note", "updated_at"])

    open_cases = Escalation.objects.filter(resolved_at__isnull=True).order_by("patient_id", "created_at", "id")
    kept = None
    for esc in open_cases.iterator():
        if kept is None or kept.patient_id != esc.patient_id:
            kept = esc
            continue
        EscalationReport.objects.filter(escalation_id=esc.pk).update(escalation_id=kept.pk)
        PatientMessage.objects.filter(escalation_id=esc.pk).update(escalation_id=kept.pk)
        if SEVERITY[esc.level] > SEVERITY[kept.level]:
            kept.level, kept.ack_due_at = esc.level, min(kept.ack_due_at, esc.ack_due_at)
        kept.reasons = list(dict.fromkeys([*kept.reasons, *esc.reasons]))
        kept.updated_at = max(kept.updated_at, esc.created_at)
        kept.escalated_to_id = kept.escalated_to_id or esc.escalated_to_id
        kept.escalated_at = kept.escalated_at or esc.escalated_at
        kept.save()
        esc.delete()


class Migration(migrations.Migration):

    dependencies = [("recovery", "0007_escalation_cases")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
