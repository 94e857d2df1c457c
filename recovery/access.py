"""Who may see what: the one place that decides it. DRF permissions, dashboard mixins, the login form
and the device API ask these; queries of a care-team member start from their querysets, so anything
else is a 404.

The care team of a patient is their surgeon and the nurses in that surgeon's team. A care-team member
(a Surgeon or a Nurse profile) works for a set of surgeons, their "teams": a surgeon for themself, a
nurse for every surgeon whose team they are in. They see the patients enrolled under those surgeons and
those whose escalation was passed on to one of them.
"""
from __future__ import annotations

from typing import Any, TypeAlias

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, Q, QuerySet

from recovery.models import Escalation, Nurse, Patient, Surgeon, User

CareTeamMember: TypeAlias = Surgeon | Nurse


def _profile(user: Any, name: str) -> Any:
    try:
        return getattr(user, name, None)
    except ObjectDoesNotExist:
        return None


def is_patient(user: Any) -> bool:
    """An activated patient login: role patient, linked to its Patient."""
    return bool(user and user.is_authenticated and user.role == User.Role.PATIENT
                and _profile(user, "patient") is not None)


def care_team_member(user: Any) -> CareTeamMember | None:
    """The clinical profile of a surgeon or nurse login (None for anyone else)."""
    if not (user and user.is_authenticated):
        return None
    if user.role == User.Role.SURGEON:
        return _profile(user, "surgeon")
    if user.role == User.Role.NURSE:
        return _profile(user, "nurse")
    return None


def is_care_team_member(user: Any) -> bool:
    """A surgeon or nurse login with its clinical profile (the dashboard and the surgeon API)."""
    return care_team_member(user) is not None


def may_own_devices(user: Any) -> bool:
    """Push tokens belong to the app's roles; staff logins have no devices (settings.PUSH_DEVICE_OWNER_CHECK)."""
    return bool(user and user.is_authenticated
                and user.role in (User.Role.PATIENT, User.Role.SURGEON, User.Role.NURSE))


def may_take_over_device(new_owner: Any, old_owner: Any, *, old_device_active: bool) -> bool:
    """May `new_owner` register a push token that `old_owner` registered (settings.PUSH_DEVICE_TAKEOVER_CHECK)?

    A token is a secret of one app install, so whoever registers it holds that phone: it moves to them
    (a shared or handed-on phone, a new login on it). One exception: a care-team member's enabled
    device never moves to a patient, so a patient can never receive escalation pushes meant for a
    surgeon by accident, nor silence a surgeon's phone by registering its token. Once the surgeon
    unregisters it (logs out of the app) or FCM disables it, it may move.
    """
    old_is_care_team = old_owner.role != User.Role.PATIENT
    return not (old_device_active and old_is_care_team and new_owner.role == User.Role.PATIENT)


def team_surgeons(member: CareTeamMember) -> QuerySet[Surgeon]:
    """The surgeons whose patients `member` looks after: a surgeon themself, a nurse their teams."""
    if isinstance(member, Nurse):
        return Surgeon.objects.filter(nurses=member)
    return Surgeon.objects.filter(pk=member.pk)


def care_team_patients(member: CareTeamMember) -> QuerySet[Patient]:
    """Patients of the member's teams and those whose escalation was passed on to one of those surgeons.

    The ids are a UNION of the two halves, each found from the teams by index: the OR of the surgeon and a
    join to every escalation, made DISTINCT, read every patient and escalation, 0.7 s for a page of the
    patients list with 100,000 patients (care_team_user_ids has the same shape for the same reason)."""
    teams = team_surgeons(member).values("pk")
    enrolled = Patient.objects.filter(surgeon__in=teams).order_by().values("pk")
    passed_on = Escalation.objects.filter(escalated_to__in=teams).order_by().values("patient_id")
    return Patient.objects.filter(pk__in=enrolled.union(passed_on))


def care_team_escalations(member: CareTeamMember) -> QuerySet[Escalation]:
    """Escalations assigned to one of the member's surgeons or passed on to one of them."""
    teams = team_surgeons(member).values("pk")
    return Escalation.objects.filter(Q(assigned_surgeon__in=teams) | Q(escalated_to__in=teams))


def own_patients(member: CareTeamMember) -> QuerySet[Patient]:
    """The patients enrolled under the member's surgeons: only they may get new activation codes, be edited or
    have their pump changed (refills, doses); a backup surgeon a case was passed on to only reads them."""
    return Patient.objects.filter(surgeon__in=team_surgeons(member).values("pk"))


def _care_team_parts(surgeon: Any, user_field: str) -> tuple[Q, Q]:
    """The surgeon, and the nurses of their team: the two halves of in_care_team_of. Active logins only: staff
    who leave are deactivated, not deleted (the audit trail names them), and a departed nurse's phone must
    neither receive the team's pushes nor count as the team being reachable."""
    prefix = f"{user_field}__" if user_field else ""
    active = Q(**{f"{prefix}is_active": True})
    return Q(active, **{f"{prefix}surgeon": surgeon}), Q(active, **{f"{prefix}nurse__teams": surgeon})


def in_care_team_of(surgeon: Any, *, user_field: str = "") -> Q:
    """The active logins told about a patient of `surgeon`: the surgeon and the nurses of their team. The one
    definition of who receives a case's pushes (recovery.services.pushes) and so of whether a team can be
    reached (recovery.services.reachability). A filter on User, or, with `user_field`, on a model whose
    field of that name is a User; `surgeon` may be an expression (OuterRef) of a Surgeon.

    For rows already narrowed down (one case's pushes). Over a whole table use care_team_user_ids or
    care_team_has: PostgreSQL answers this OR of two joins by reading every row; with 100,000 patients that
    was 11 ms for a case's recipients and 110 ms for its reachability check (bench/README.md, sixth pass)."""
    of_surgeon, of_nurses = _care_team_parts(surgeon, user_field)
    return of_surgeon | of_nurses


def care_team_has(rows: QuerySet[Any], surgeon: Any, *, user_field: str) -> Q:
    """Some of `rows` (their `user_field`) is in_care_team_of(surgeon): an EXISTS per half, each an index
    probe from the surgeon, where one EXISTS of the OR read all of `rows`."""
    of_surgeon, of_nurses = _care_team_parts(surgeon, user_field)
    return Q(Exists(rows.filter(of_surgeon))) | Q(Exists(rows.filter(of_nurses)))


def care_team_user_ids(surgeon: Surgeon) -> list[int]:
    """The user ids of in_care_team_of(surgeon), the surgeon first: a UNION of the two halves, each found
    from the surgeon by index."""
    of_surgeon, of_nurses = _care_team_parts(surgeon, "")
    ids = set(User.objects.filter(of_surgeon).values_list("pk", flat=True)
              .union(User.objects.filter(of_nurses).values_list("pk", flat=True)))
    return sorted(ids, key=lambda user_id: (user_id != surgeon.user_id, user_id))
