"""The refill safety net, run by the periodic jobs: a refill not recorded by the next refill date is
raised to the care team the day after (urgent); none by the alarm date is an emergency for baclofen
pumps and urgent for the others. Each stage is raised once per refill cycle: its alert stays open until a
recorded refill (services.pumps) closes it and starts a new cycle, which is raised again when missed, even for
a next refill date raised in an earlier cycle. Nothing else closes an alert: a care team that resolves the
case without recording a refill (no_action_needed) is not told again about the same missed date, and the
alarm-date stage still comes. The patient's reminders before the date are services.reminders'.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from recovery.i18n import patient_language
from recovery.models import (
    Escalation,
    Patient,
    PatientMessage,
    Pump,
    PumpRefill,
    RefillAlert,
    TriageLevel,
    User,
)
from recovery.selectors import emergency_number_of
from recovery.services.escalations import raise_case, resolve_raised_by_job

# A missed-refill stage is raised from this local time of its day: the care team's 2-hour (urgent) or
# 15-minute (emergency) acknowledgement clock then runs in the working day, and on the alarm date the
# reservoir still holds its low-reservoir reserve (the alarm date is itself rounded down).
SAFETY_NET_LOCAL_TIME = time(8, 0)

GUIDE_REFILLS = ('Guide line 84: "Have your medicine refilled regularly and on time"; line 80: "increase your risk '
                 'of medicine overdose or withdrawal."')
BACLOFEN_BOXED_WARNING = (
    "Lioresal Intrathecal (baclofen injection) and Gablofen prescribing information, boxed warning: "
    '"Abrupt discontinuation of intrathecal baclofen, regardless of the cause, has resulted in sequelae that '
    "include high fever, altered mental status, exaggerated rebound spasticity, and muscle rigidity, that in "
    'rare cases has advanced to rhabdomyolysis, multiple organ-system failure and death. Prevention of abrupt '
    'discontinuation of intrathecal baclofen requires careful attention to programming and monitoring of the '
    'infusion system, refill scheduling and procedures, and pump alarms."'
)


@dataclass(frozen=True)
class RefillRule:
    """A stage of a missed refill: from which local day it fires, for which drugs, at which level."""

    stage: str
    level: str
    baclofen: bool | None  # True: baclofen pumps only; False: all others; None: every pump
    source: str


REFILL_RULES: tuple[RefillRule, ...] = (
    # No refill recorded by next_refill_date: from the day after it.
    RefillRule(RefillAlert.Stage.OVERDUE, TriageLevel.URGENT, None, GUIDE_REFILLS),
    # None recorded by the alarm date: from the alarm date itself.
    RefillRule(RefillAlert.Stage.ALARM_DATE, TriageLevel.EMERGENCY, True, BACLOFEN_BOXED_WARNING),
    RefillRule(RefillAlert.Stage.ALARM_DATE, TriageLevel.URGENT, False,
               GUIDE_REFILLS + " Opioid withdrawal when intrathecal delivery stops: Infumorph prescribing "
               "information, warnings (withdrawal)."),
)

# What the patient is told (in their language), with the care team's escalation.
REFILL_ADVICE: dict[str, Promise] = {
    TriageLevel.URGENT: _(
        "Your pump refill is overdue. Your care team has been alerted and will contact you to book it; if you "
        "do not hear from them today, call your clinic."
    ),
    TriageLevel.EMERGENCY: _(
        "Your baclofen pump is about to run low and no refill is recorded. Your care team has been alerted. "
        "If you have itching, fever, confusion, or your muscles become much stiffer, call %(emergency_number)s "
        "now: these can be signs of baclofen withdrawal, which is dangerous."
    ),
}
REFILL_MESSAGE_TITLE = _("Your pump refill")


def _stage_date(pump: Pump, stage: str) -> date | None:
    if stage == RefillAlert.Stage.OVERDUE:
        return None if pump.next_refill_date is None else pump.next_refill_date + timedelta(days=1)
    return pump.alarm_date


def _rule_for(pump: Pump, stage: str) -> RefillRule:
    return next(rule for rule in REFILL_RULES
                if rule.stage == stage and rule.baclofen in (None, pump.is_baclofen))


def run_refill_safety_net(*, now: datetime | None = None) -> dict[str, int]:
    """Raise each missed-refill stage that has come in the patient's own zone and was not raised yet for
    this refill cycle. Returns how many of each stage were raised. Safe to run any number of times."""
    now = now or timezone.now()
    raised = {str(stage): 0 for stage in RefillAlert.Stage}
    zones = (Pump.objects.filter(next_refill_date__isnull=False).order_by()
             .values_list("patient__timezone", flat=True).distinct())
    for zone_name in zones:
        local = now.astimezone(ZoneInfo(zone_name))
        if local.time() < SAFETY_NET_LOCAL_TIME:
            continue
        today = local.date()
        # Only pumps with a stage that has come and was not raised yet for this cycle: a pump whose
        # alerts are all raised costs nothing on the next run (beat runs this every minute). The alarm
        # date can be the next refill date itself (a dose change that left the reservoir at its alarm
        # volume, recovery.refills), so the alarm-date stage can come on that day, before the overdue one.
        candidates = (
            Pump.objects.filter(patient__timezone=zone_name, next_refill_date__lte=today)
            .filter((Q(next_refill_date__lt=today) & ~_raised(RefillAlert.Stage.OVERDUE))
                    | (Q(alarm_date__lte=today) & ~_raised(RefillAlert.Stage.ALARM_DATE)))
            .select_related("patient__surgeon")
            .order_by("pk")
        )
        for pump in candidates:
            for stage in RefillAlert.Stage:
                day = _stage_date(pump, stage)
                if day is not None and day <= today and _raise_stage(pump, stage, now):
                    raised[str(stage)] += 1
    return raised


def _raised(stage: str) -> Exists:
    """The pump's open alert of `stage` for its current next_refill_date exists (SQL). Open only: a closed one
    was ended by a refill, so it belongs to an earlier cycle that may have had the same next refill date."""
    return Exists(RefillAlert.objects.filter(pump=OuterRef("pk"), due_date=OuterRef("next_refill_date"), stage=stage,
                                             closed_at__isnull=True))


def _raise_stage(pump: Pump, stage: str, now: datetime) -> bool:
    """Raise one stage once per cycle: an open RefillAlert row of it decides (one_open_refill_alert_per_stage
    is the backstop), so two runs never raise it twice.

    The pump row is locked and its dates read again first: a refill or dose change recorded since the
    candidates were read (it locks the pump too) has moved them, and the next run decides on the new ones
    instead of alerting about a refill already done."""
    rule = _rule_for(pump, stage)
    if pump.next_refill_date is None:  # the candidates are filtered on it; this narrows the type
        return False
    with transaction.atomic():
        dates_now = (Pump.objects.select_for_update().filter(pk=pump.pk)
                     .values_list("next_refill_date", "alarm_date").first())
        if dates_now != (pump.next_refill_date, pump.alarm_date):
            return False
        # The lookup is the partial constraint's: an IntegrityError on it makes get_or_create find the open row.
        alert, created = RefillAlert.objects.get_or_create(
            pump=pump, due_date=pump.next_refill_date, stage=stage, closed_at__isnull=True,
            defaults={"level": rule.level, "created_at": now},
        )
        if not created:
            return False
        alert.escalation = open_refill_escalation(pump.patient, rule.level, str(stage), now,
                                                  due_date=pump.next_refill_date, alert_id=alert.pk)
        alert.save(update_fields=["escalation"])
    return True


def open_refill_escalation(patient: Patient, level: str, reason: str, now: datetime, *,
                           due_date: date | None, alert_id: int | None = None) -> Escalation:
    """Tell the care team (and the patient) about a missed refill: the patient's open escalation case
    (opened, or joined and raised if more severe), without a phone report, and the advice message.

    The patient is pushed about the message whatever the case did; when it is joined without a rise, once per
    alert: stage (`reason`), missed refill date (`due_date`) and the alert row (`alert_id`: a later cycle can
    miss the same date again, and its push must not be taken for the earlier one's), as raise_case's
    patient_advice_key."""
    advice_key = f"triage_advice:refill:{patient.pk}:{reason}:{due_date.isoformat() if due_date else 'none'}"
    if alert_id is not None:
        advice_key += f":{alert_id}"
    with transaction.atomic():
        escalation = raise_case(patient, level, [reason], now, patient_advice_key=advice_key)
        with patient_language(patient.text_language):
            title = str(REFILL_MESSAGE_TITLE)
            body = str(REFILL_ADVICE[level]) % {"emergency_number": emergency_number_of(patient)}
        PatientMessage.objects.create(
            patient=patient, kind=PatientMessage.Kind.TRIAGE_ADVICE, title=title, body=body, escalation=escalation,
            created_at=now,
        )
    return escalation


def close_refill_alerts(pump: Pump, refill: PumpRefill, *, by: User | None) -> int:
    """A recorded refill closes the open missed-refill alerts and the escalations they raised: their cycle is
    over, and the rows stay as its history (a later cycle's miss of the same date is a new alert)."""
    now = timezone.now()
    alerts = list(RefillAlert.objects.filter(pump=pump, closed_at__isnull=True).select_related("escalation"))
    for alert in alerts:
        alert.closed_at, alert.closed_by_refill = now, refill
        if alert.escalation is not None:
            close_refill_escalation(alert.escalation, by=by, now=now)
    RefillAlert.objects.bulk_update(alerts, ["closed_at", "closed_by_refill"])
    return len(alerts)


def close_refill_escalation(escalation: Escalation, *, by: User | None, now: datetime) -> None:
    """The refill is done: the case it raised needs no one's attention any more and is resolved, unless
    a phone report joined it (a clinician resolves that one)."""
    resolve_raised_by_job(escalation, by=by, now=now, note=f"Refill recorded on {now:%Y-%m-%d}.")
