"""Every open escalation has someone who can be pushed: the care team it is assigned to, else at once
the backup surgeon's team, then the on-call surgeons' teams (settings.ON_CALL_SURGEONS, in order).

A surgeon's team is whoever is pushed about their cases: the surgeon and the nurses of their team
(access.in_care_team_of, the definition recovery.services.pushes uses too). A team is "reachable" when
one of them has an enabled push device: a surgeon without one whose nurse has one needs no pass-on. A
device dies when FCM answers UNREGISTERED (or an invalid-token INVALID_ARGUMENT) for it; notifications
tells recovery through its signals, and the periodic pass-on job repeats the check for anything a signal
missed. Registering a device again sends that person the pushes of their teams' open escalations that
this device never received.
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
from recovery import access
from recovery.models import Escalation, Surgeon, User
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


def team_has_working_device(surgeon: OuterRef) -> Q:
    """Someone pushed about the cases of `surgeon` (an OuterRef to a Surgeon) has an enabled device."""
    return access.care_team_has(Device.objects.filter(disabled_at__isnull=True), surgeon, user_field="user")


def reachable_teams(surgeons: list[Surgeon]) -> set[int]:
    """The ids of those of `surgeons` whose team can be pushed, in one query."""
    return set(Surgeon.objects.filter(team_has_working_device(OuterRef("pk")), pk__in=[s.pk for s in surgeons])
               .values_list("pk", flat=True))


def ensure_reachable(escalation: Escalation, *, now: datetime | None = None,
                     on_call: list[Surgeon] | None = None) -> Surgeon | None:
    """If nobody in the teams holding `escalation` (assignee's, or the one it was passed on to) has a
    working device, pass it on at once to the first in the chain whose team has one and push that team.
    If nobody has, it still goes to the first in the chain (their inbox) and is marked unreachable,
    logged as an error once.
    Returns the surgeon it was passed on to, if any. Call inside a transaction holding the row."""
    now = now or timezone.now()
    chain = pass_on_chain(escalation, on_call if on_call is not None else on_call_surgeons())
    holders = [escalation.assigned_surgeon] + ([escalation.escalated_to] if escalation.escalated_to else [])
    reachable = reachable_teams(holders + chain)
    if any(holder.pk in reachable for holder in holders):
        return None
    holder_ids = {holder.pk for holder in holders}
    target = next((s for s in chain if s.pk in reachable and s.pk not in holder_ids), None)
    if target is None and escalation.escalated_to is None and chain:
        target = chain[0]  # nobody can be pushed: at least it is in the backup's inbox
    if target is not None:
        escalation.escalated_to, escalation.escalated_at = target, now
        escalation.save(update_fields=["escalated_to", "escalated_at"])
        pushes.queue_pass_on_pushes(escalation)
        logger.warning("Escalation %s passed on at once: nobody in the care team holding it has a working push "
                       "device", escalation.pk)
    if target is None or target.pk not in reachable:
        mark_unreachable(escalation, now)
    return target


def mark_unreachable(escalation: Escalation, now: datetime) -> None:
    """Record that nobody can be pushed about `escalation`; the error is logged once per escalation."""
    if Escalation.objects.filter(pk=escalation.pk, unreachable_at__isnull=True).update(unreachable_at=now):
        escalation.unreachable_at = now
        logger.error("Escalation %s reaches nobody: no working push device in the team of its surgeon, backup or "
                     "on-call surgeons; it is on the dashboard", escalation.pk)


def teams_of(user_ids: list[int]) -> QuerySet[Surgeon]:
    """The surgeons in whose care team (access.in_care_team_of) one of these users is."""
    return Surgeon.objects.filter(Exists(User.objects.filter(access.in_care_team_of(OuterRef("pk")), pk__in=user_ids)))


def open_escalations_held_by(user_ids: list[int]) -> QuerySet[Escalation]:
    """Open escalations assigned or passed on to a team one of these users is in."""
    teams = teams_of(user_ids).values("pk")
    return Escalation.objects.filter(Q(assigned_surgeon__in=teams) | Q(escalated_to__in=teams),
                                     acknowledged_at__isnull=True)


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


def without_working_device(surgeon_field: str) -> Q:
    return ~team_has_working_device(OuterRef(surgeon_field))


def recheck_unreachable_escalations() -> int:
    """Periodic catch-all: open escalations none of whose holding teams has a working device (and not yet
    known to reach nobody) are passed on or marked. Returns how many changed."""
    stuck = Escalation.objects.filter(acknowledged_at__isnull=True, unreachable_at__isnull=True).filter(
        without_working_device("assigned_surgeon")
    ).filter(Q(escalated_to__isnull=True) | without_working_device("escalated_to"))
    return recheck(stuck)


def on_devices_lost(user_ids: list[int], **_: object) -> None:
    """notifications.signals.devices_lost: the open escalations of these people's teams may reach nobody now."""
    recheck(open_escalations_held_by(user_ids))


# A device has an escalation's push once a row of its topic was sent to it or is still being delivered;
# dead rows (its old token gone) and cancelled ones do not count.
COVERING_STATUSES = (Notification.Status.SENT, Notification.Status.PENDING, Notification.Status.FAILED)


def on_device_registered(user_id: int, device_id: int, **_: object) -> None:
    """notifications.signals.device_registered: send the new device the pushes of the open escalations of
    this person's teams it has neither received nor still on its way (an app re-registering on every launch
    gets nothing twice, also while FCM is failing: a pending or failed row is retried until the case is
    acknowledged, so another one would arrive as a second alert)."""
    escalations = list(open_escalations_held_by([user_id]))
    if not escalations:
        return
    own_teams = set(teams_of([user_id]).values_list("pk", flat=True))
    received = set(Notification.objects.filter(
        device_id=device_id, status__in=COVERING_STATUSES,
        topic__in=[pushes.escalation_topic(e.pk) for e in escalations],
    ).values_list("topic", flat=True))
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    resend = [
        pushes.to_care_team(
            e, user_id,
            pushes.PushKind.ESCALATION if e.assigned_surgeon_id in own_teams
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
