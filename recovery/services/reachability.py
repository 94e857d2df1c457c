"""Every open escalation has someone who can be pushed: the surgeon it is assigned to, else at once the
backup, then the on-call surgeons (settings.ON_CALL_SURGEONS, in order). The care team has no nurses yet;
when it does, they belong at the end of `pass_on_chain`.

"Reachable" means at least one enabled push device. A device dies when FCM answers UNREGISTERED (or an
invalid-token INVALID_ARGUMENT) for it; notifications tells recovery through its signals, and the
periodic pass-on job repeats the check for anything a signal missed. Registering a device again sends
that person the pushes of their open escalations that this device never received.
"""
from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from notifications.models import Device, Notification
from notifications.services import outbox
from notifications.services.devices import active_devices
from recovery.models import Escalation, Surgeon
from recovery.services import pushes

logger = logging.getLogger(__name__)


def on_call_surgeons() -> list[Surgeon]:
    """The surgeons of settings.ON_CALL_SURGEONS, in that order (unknown names skipped)."""
    by_username = {
        surgeon.user.username: surgeon
        for surgeon in Surgeon.objects.filter(user__username__in=settings.ON_CALL_SURGEONS).select_related("user")
    }
    return [by_username[name] for name in settings.ON_CALL_SURGEONS if name in by_username]


def pass_on_chain(escalation: Escalation, on_call: list[Surgeon]) -> list[Surgeon]:
    """Who takes an escalation its holders cannot: the assignee's backup, then the on-call surgeons."""
    assignee = escalation.assigned_surgeon
    candidates = ([assignee.backup] if assignee.backup_id is not None else []) + on_call
    chain: list[Surgeon] = []
    for surgeon in candidates:
        if surgeon is not None and surgeon.pk != assignee.pk and surgeon not in chain:
            chain.append(surgeon)
    return chain


def ensure_reachable(escalation: Escalation, *, now: datetime | None = None,
                     on_call: list[Surgeon] | None = None) -> Surgeon | None:
    """If nobody holding `escalation` (assignee, or whom it was passed on to) has a working device, pass
    it on at once to the first in the chain who has one and push them. If nobody has, it still goes to
    the first in the chain (their inbox) and is marked unreachable, logged as an error once.
    Returns the surgeon it was passed on to, if any. Call inside a transaction holding the row."""
    now = now or timezone.now()
    chain = pass_on_chain(escalation, on_call if on_call is not None else on_call_surgeons())
    holders = [escalation.assigned_surgeon] + ([escalation.escalated_to] if escalation.escalated_to else [])
    reachable = {user_id for _, user_id in active_devices([s.user_id for s in holders + chain])}
    if any(holder.user_id in reachable for holder in holders):
        return None
    holder_ids = {holder.pk for holder in holders}
    target = next((s for s in chain if s.user_id in reachable and s.pk not in holder_ids), None)
    if target is None and escalation.escalated_to is None and chain:
        target = chain[0]  # nobody can be pushed: at least it is in the backup's inbox
    if target is not None:
        escalation.escalated_to, escalation.escalated_at = target, now
        escalation.save(update_fields=["escalated_to", "escalated_at"])
        pushes.queue_pass_on_pushes(escalation)
        logger.warning("Escalation %s passed on at once: the surgeon holding it has no working push device",
                       escalation.pk)
    if target is None or target.user_id not in reachable:
        mark_unreachable(escalation, now)
    return target


def mark_unreachable(escalation: Escalation, now: datetime) -> None:
    """Record that nobody can be pushed about `escalation`; the error is logged once per escalation."""
    if Escalation.objects.filter(pk=escalation.pk, unreachable_at__isnull=True).update(unreachable_at=now):
        escalation.unreachable_at = now
        logger.error("Escalation %s reaches nobody: no working push device for its surgeon, backup or on-call "
                     "surgeons; it is on the dashboard", escalation.pk)


def open_escalations_held_by(user_ids: list[int]) -> QuerySet[Escalation]:
    return Escalation.objects.filter(
        Q(assigned_surgeon__user_id__in=user_ids) | Q(escalated_to__user_id__in=user_ids),
        acknowledged_at__isnull=True,
    )


def recheck(escalations: QuerySet[Escalation], *, limit: int = 100) -> int:
    """ensure_reachable for each of these open escalations, each locked so two runs never pass one on twice."""
    on_call = on_call_surgeons()
    changed = 0
    with transaction.atomic():
        for escalation in (escalations.select_for_update(skip_locked=True, of=("self",))
                           .select_related("assigned_surgeon__backup", "escalated_to", "patient")
                           .order_by("created_at", "id")[:limit]):
            before = (escalation.escalated_to_id, escalation.unreachable_at)
            ensure_reachable(escalation, on_call=on_call)
            changed += (escalation.escalated_to_id, escalation.unreachable_at) != before
    return changed


def without_working_device(user_field: str) -> Q:
    return ~Q(Exists(Device.objects.filter(user_id=OuterRef(user_field), disabled_at__isnull=True)))


def recheck_unreachable_escalations() -> int:
    """Periodic catch-all: open escalations none of whose holders has a working device (and not yet
    known to reach nobody) are passed on or marked. Returns how many changed."""
    stuck = Escalation.objects.filter(acknowledged_at__isnull=True, unreachable_at__isnull=True).filter(
        without_working_device("assigned_surgeon__user_id")
    ).filter(Q(escalated_to__isnull=True) | without_working_device("escalated_to__user_id"))
    return recheck(stuck)


def on_devices_lost(user_ids: list[int], **_: object) -> None:
    """notifications.signals.devices_lost: the open escalations these people held may reach nobody now."""
    recheck(open_escalations_held_by(user_ids))


def on_device_registered(user_id: int, device_id: int, **_: object) -> None:
    """notifications.signals.device_registered: send the new device the pushes of this person's open
    escalations it never received (an app re-registering on every launch gets nothing twice)."""
    escalations = list(open_escalations_held_by([user_id]).select_related("assigned_surgeon", "escalated_to"))
    if not escalations:
        return
    received = set(Notification.objects.filter(
        device_id=device_id, status=Notification.Status.SENT,
        topic__in=[pushes.escalation_topic(e.pk) for e in escalations],
    ).values_list("topic", flat=True))
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    resend = [
        pushes.to_care_team(
            e, user_id,
            pushes.PushKind.ESCALATION if e.assigned_surgeon.user_id == user_id
            else pushes.PushKind.ESCALATION_PASSED_ON,
            f"resend:{e.pk}:{stamp}", device_id=device_id,
        )
        for e in escalations if pushes.escalation_topic(e.pk) not in received
    ]
    with transaction.atomic():
        outbox.queue_pushes(resend)
        Escalation.objects.filter(pk__in=[e.pk for e in escalations], unreachable_at__isnull=False).update(
            unreachable_at=None
        )
    if resend:
        logger.info("Resent %d open escalation push(es) to a newly registered device", len(resend))
