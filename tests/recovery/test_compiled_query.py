"""recovery/compiled_query.CompiledLookup gives what the ORM's `get` gives: the same rows, the same related
instances cached, the same errors, in one query."""
from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from recovery.compiled_query import CompiledLookup, server_bound_statements
from recovery.models import User
from tests.factories import NurseFactory, PatientFactory, PumpFactory, SurgeonFactory, UserFactory
from tests.support import bearer

pytestmark = pytest.mark.django_db

USERS = User.objects.select_related("patient__pump", "surgeon")


def fields(instance: Model | None) -> dict[str, Any] | None:
    if instance is None:
        return None
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def related(user: Model, path: str) -> Model | None:
    """The instance select_related cached along `path`, or None where the join found no row."""
    instance: Any = user
    for name in path.split("__"):
        field = instance._meta.get_field(name)
        assert field.is_cached(instance), f"{path}: {name} was not loaded with the user"
        instance = field.get_cached_value(instance)
        if instance is None:
            return None
    return instance


@pytest.mark.parametrize("kind", ["patient with pump", "patient without pump", "surgeon", "nurse", "staff"])
def test_the_same_user_and_profiles_as_the_orm(kind: str) -> None:
    user = {
        "patient with pump": lambda: PumpFactory().patient.user,
        "patient without pump": lambda: PatientFactory().user,
        "surgeon": lambda: SurgeonFactory().user,
        "nurse": lambda: NurseFactory().user,
        "staff": lambda: UserFactory(),
    }[kind]()
    lookup = CompiledLookup(USERS, "id")
    expected = USERS.get(id=user.id)

    for attempt in range(2):  # compiled on the first call, reused on the second
        with CaptureQueriesContext(connection) as queries:
            found = lookup.get(id=user.id)
            for path in ("patient", "patient__pump", "surgeon"):
                assert fields(related(found, path)) == fields(related(expected, path)), (attempt, path)
        assert len(queries) == 1
        assert fields(found) == fields(expected)
        assert found._state.db == "default" and not found._state.adding


def test_a_missing_user_is_does_not_exist_and_a_bad_id_a_value_error() -> None:
    lookup = CompiledLookup(USERS, "id")
    user = UserFactory()
    assert lookup.get(id=str(user.id)).pk == user.pk  # prepared as the ORM prepares it
    with pytest.raises(User.DoesNotExist):
        lookup.get(id=user.id + 1000)
    with pytest.raises(ValueError):
        lookup.get(id="not-a-number")


def test_other_lookups_go_through_the_orm() -> None:
    user = UserFactory()
    assert CompiledLookup(USERS, "id").get(username=user.username).pk == user.pk


def test_field_converters_run_as_in_the_orm() -> None:
    """JSONField values come back decoded (the ORM's from_db_value converters), with the patient joined."""
    from recovery.models import CheckIn
    from tests.factories import CheckInFactory

    checkin = CheckInFactory(symptoms=["fever", "headache"], triage_reasons=[{"code": "x"}])
    checkins = CheckIn.objects.select_related("patient")
    found = CompiledLookup(checkins, "id").get(id=checkin.id)
    assert found.symptoms == ["fever", "headache"] and found.triage_reasons == [{"code": "x"}]
    assert fields(found) == fields(checkins.get(id=checkin.id))
    assert fields(related(found, "patient")) == fields(checkin.patient)


def test_the_bearer_token_lookup_is_prepared_on_the_server_after_a_few_requests(api_client) -> None:
    """settings: server-side binding with psycopg's prepare threshold, so PostgreSQL stops parsing and planning
    the user join on every API request of a connection."""
    from tests.support import bearer

    patient = PumpFactory().patient
    bearer(api_client, patient.user)
    for _ in range(6):
        assert api_client.get("/api/v1/me/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any('FROM "recovery_user"' in sql and '"recovery_pump"' in sql for sql in prepared), prepared


def test_a_lookup_on_a_32_bit_key_and_on_a_text_field_without_the_default_ordering() -> None:
    """The stand-in fits the column's range (Django refuses a filter value outside it), a username is looked up
    as text, and the model's default ordering is dropped as `get` drops it."""
    from django.contrib.auth.models import Permission

    permission = Permission.objects.select_related("content_type").first()
    assert permission is not None and Permission._meta.ordering  # a 32-bit AutoField with a default ordering
    lookup = CompiledLookup(Permission.objects.select_related("content_type"), "id")
    with CaptureQueriesContext(connection) as queries:
        found = lookup.get(id=permission.id)
    assert fields(found) == fields(permission) and fields(related(found, "content_type")) == fields(
        permission.content_type)
    assert "ORDER BY" not in queries[0]["sql"]
    user = UserFactory()
    assert CompiledLookup(USERS, "username").get(username=user.username).pk == user.pk


def test_lookups_it_cannot_compile_are_refused_when_built() -> None:
    from recovery.models import CheckIn

    with pytest.raises(ValueError, match="prefetches"):
        CompiledLookup(User.objects.prefetch_related("groups"), "id")
    with pytest.raises(ValueError, match="DateField"):
        CompiledLookup(CheckIn.objects.all(), "local_date")


@pytest.mark.parametrize("committed", [
    pytest.param(False, id="in-a-transaction"),
    pytest.param(True, id="autocommit", marks=pytest.mark.django_db(transaction=True)),
])
def test_a_check_in_insert_is_prepared_on_the_server_after_a_few_check_ins(api_client, committed) -> None:
    """recovery.services.reports binds a phone report's INSERT on the server (CompiledInsert), so
    PostgreSQL stops parsing and planning it on every check-in of a connection: inside a transaction (a report
    that escalates) and on its own (a routine check-in, autocommit, the common case)."""
    if committed:
        connection.close()  # a new session: nothing prepared by an earlier test's check-ins
    patient = PumpFactory().patient
    bearer(api_client, patient.user)
    for _ in range(6):
        body = {"client_id": str(uuid.uuid4()), "pain_score": 2}
        assert api_client.post("/api/v1/checkins/", body, format="json").status_code == 201
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any(sql.startswith('INSERT INTO "recovery_checkin"') for sql in prepared), prepared


def test_after_server_bound_statements_the_connection_binds_on_the_client_again() -> None:
    """Also when a statement inside failed: the ORM's other statements may have any number of parameters."""
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic(), server_bound_statements(connection):
        User.objects.create(username=user.username)
    assert User.objects.filter(id__in=range(1, 70_001)).exclude(pk=user.pk).count() == 0
