"""One ORM lookup compiled to SQL once per process, for the queries every API request runs.

Django compiles a queryset to SQL anew each time it is evaluated. For the bearer-token user lookup (a user
with the patient profile, its pump and the surgeon profile in one join) compiling took three times as long as
running the query, about a sixth of a check-in's CPU (bench/profile_api.py). `CompiledLookup` compiles the
queryset once per database alias with a stand-in value, then runs that SQL with the real value and builds the
instances with Django's own pieces, as `ModelIterable` does: `Model.from_db`, the select_related populators and
the fields' converters. Query wrappers (`connection.execute_wrapper`) still see every execution.

`server_prepared_cursor` runs such a statement with its parameters bound by PostgreSQL, so that psycopg keeps
it prepared once the connection has run it a few times (settings: prepare_threshold): PostgreSQL then stops
parsing and planning it on every request. `CompiledInsert` does the same for a phone report's one-row INSERT,
compiled once like the lookup. Every other statement stays bound on the client (Django's default), which has no
limit on the number of parameters.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import NOT_PROVIDED, Model, QuerySet, signals, sql
from django.db.models.query import get_related_populators

ModelT = TypeVar("ModelT", bound=Model)

# Stands in for a looked-up text while compiling, found again among the compiled parameters (a number's stand-in
# is near the low end of its column's range: see _stand_in).
_STAND_IN_TEXT = "compiled-lookup-stand-in-7f3a9c"
_TEXT_FIELDS = ("CharField", "TextField")


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple[Any, ...]
    value_at: int
    init_list: list[str]
    fields_start: int
    fields_end: int
    populators: list[Any]
    converters: dict[int, Any]
    query: Any


class CompiledLookup(Generic[ModelT]):
    """`queryset.get(<field>=value)` with the SQL compiled once per database alias.

    Only for querysets whose SQL does not depend on anything but the value: no filters on the current time,
    no `in` lists of varying length; a lookup on an integer or text field; no prefetches or annotations (refused
    here). Raises the model's DoesNotExist or MultipleObjectsReturned like `get`.
    """

    def __init__(self, queryset: QuerySet[ModelT], field: str) -> None:
        if getattr(queryset, "_prefetch_related_lookups", ()) or queryset.query.annotations:
            raise ValueError("CompiledLookup builds plain and select_related rows only (no prefetches, annotations)")
        self.field: Any = queryset.model._meta.get_field(field)  # a concrete field (checked just below)
        internal_type = self.field.get_internal_type()
        if not internal_type.endswith(("AutoField", "IntegerField")) and internal_type not in _TEXT_FIELDS:
            raise ValueError(f"CompiledLookup looks up integer or text fields, not a {internal_type}")
        self.queryset = queryset.order_by()  # as `get` does: the model's default ordering is no use for one row
        self.field_name = field
        model: Any = queryset.model  # its own DoesNotExist and MultipleObjectsReturned (not in the stubs)
        self.model = model
        self.DoesNotExist = model.DoesNotExist  # simplejwt catches `user_model.DoesNotExist`
        self._plans: dict[str, _Plan] = {}

    def get(self, **lookup: Any) -> ModelT:
        """Same call shape as `QuerySet.get(field=value)` (simplejwt looks users up this way)."""
        if set(lookup) != {self.field_name}:
            return self.queryset.get(**lookup)
        db = self.queryset.db
        plan = self._plans.get(db) or self._compile(db)
        connection = connections[db]
        params = list(plan.params)
        # As the ORM prepares a filter's value (int("5") for an integer key; a ValueError for "x").
        params[plan.value_at] = self.field.get_db_prep_value(lookup[self.field_name], connection, prepared=False)
        with server_prepared_cursor(connection) as cursor:
            cursor.execute(plan.sql, params)
            rows = cursor.fetchmany(2)
        if not rows:
            raise self.model.DoesNotExist(f"{self.model._meta.object_name} matching query does not exist.")
        if len(rows) > 1:
            raise self.model.MultipleObjectsReturned(f"get() returned more than one {self.model._meta.object_name}.")
        if plan.converters:  # given this thread's connection, as the ORM gives them
            rows = list(plan.query.get_compiler(connection=connection).apply_converters(rows, plan.converters))
        row = rows[0]
        instance = self.model.from_db(db, plan.init_list, row[plan.fields_start:plan.fields_end])
        for populator in plan.populators:
            populator.populate(row, instance)
        return cast(ModelT, instance)

    def _compile(self, db: str) -> _Plan:
        stand_in = _stand_in(self.field.get_internal_type(), db)
        compiler = self.queryset.filter(**{self.field_name: stand_in}).query.get_compiler(using=db)
        sql, params = compiler.as_sql()
        positions = [n for n, param in enumerate(params) if param == stand_in]
        if len(positions) != 1:
            raise ValueError(f"cannot find the {self.field_name!r} parameter in the compiled query")
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        plan = _Plan(
            sql=sql, params=tuple(params), value_at=positions[0],
            init_list=[column[0].target.attname for column in select[start:end]],
            fields_start=start, fields_end=end,
            # django-stubs describes a later Django's signature (with fetch_mode); 5.2's takes these three.
            populators=get_related_populators(klass_info, select, db),  # type: ignore[call-arg]
            converters=compiler.get_converters([column[0] for column in select[:compiler.col_count]]),
            query=compiler.query,
        )
        self._plans[db] = plan
        return plan


class CompiledInsert(Generic[ModelT]):
    """`instance.save(force_insert=True)` of a new row, the INSERT compiled to SQL once per database alias and bound
    by the server (`server_prepared_cursor`): Model.save's work around a one-row INSERT (collecting the fields,
    compiling the statement, quoting its values) was two thirds of the CPU of a phone report's INSERT.

    The same row as `save`: each field's `pre_save` (auto_now and the like) and `get_db_prep_save`, the pre_save
    and post_save signals, the returned primary key set on the instance. For models with an auto primary key and
    no parent model; a value that is an expression (F(), a database default) takes `save` itself.
    """

    def __init__(self, model: type[ModelT]) -> None:
        meta = model._meta
        if meta.parents or meta.auto_field is None:
            raise ValueError("CompiledInsert writes models with an auto primary key and no parent model")
        if any(field.db_default is not NOT_PROVIDED for field in meta.local_concrete_fields):
            raise ValueError("CompiledInsert writes models without database defaults (DEFAULT in the statement)")
        self.model = model
        self.fields = [field for field in meta.local_concrete_fields
                       if not field.generated and field is not meta.auto_field]
        self.returning = list(meta.db_returning_fields)
        self._statements: dict[str, tuple[str, dict[int, Any], Any]] = {}

    def insert(self, instance: ModelT, using: str | None = None) -> None:
        if instance.pk is not None:
            raise ValueError("CompiledInsert writes new rows: this one already has a primary key")
        db = using or router.db_for_write(self.model, instance=instance)
        if any(hasattr(getattr(instance, field.attname), "resolve_expression") for field in self.fields):
            instance.save(force_insert=True, using=db)  # SQL that depends on the value: the ORM's own way
            return
        connection = connections[db]
        statement, converters, query = self._statements.get(db) or self._compile(db)
        signals.pre_save.send(sender=self.model, instance=instance, raw=False, using=db, update_fields=None)
        params = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in self.fields]
        with server_prepared_cursor(connection) as cursor:
            cursor.execute(statement, params)
            rows = [cursor.fetchone()]
        if converters:  # given this thread's connection, as the ORM gives them
            rows = list(query.get_compiler(connection=connection).apply_converters(rows, converters))
        for field, value in zip(self.returning, rows[0], strict=True):
            setattr(instance, field.attname, value)
        instance._state.adding = False
        instance._state.db = db
        signals.post_save.send(sender=self.model, instance=instance, created=True, update_fields=None, raw=False,
                               using=db)

    def _compile(self, db: str) -> tuple[str, dict[int, Any], Any]:
        """The statement's text, from a blank instance: only the placeholders matter, one per field (no instance's
        pre_save runs twice, and no report is kept alive by the cached query)."""
        query = sql.InsertQuery(self.model)
        query.insert_values(self.fields, [self.model()])
        compiler = query.get_compiler(using=db)
        compiler.returning_fields = self.returning
        ((statement, _params),) = compiler.as_sql()
        table = self.model._meta.db_table
        converters = compiler.get_converters([field.get_col(table) for field in self.returning])
        self._statements[db] = (statement, converters, query)
        return statement, converters, query


def _stand_in(internal_type: str, db: str) -> int | str:
    """A value of the field's type that the ORM accepts in a filter (inside the column's range)."""
    if internal_type in _TEXT_FIELDS:
        return _STAND_IN_TEXT
    low, _high = connections[db].ops.integer_field_range(internal_type)
    return (low if low is not None else -(2**63)) + 7919


@contextmanager
def server_prepared_cursor(connection: BaseDatabaseWrapper) -> Iterator[CursorWrapper]:
    """Django's cursor (health check, error translation, execute wrappers, query logging), but on PostgreSQL one
    whose parameters the server binds (`server_bound_statements`): the kind psycopg prepares after
    `prepare_threshold` runs. Only for statements with few parameters (the server takes at most 65,535).
    Elsewhere Django's own cursor."""
    with server_bound_statements(connection), connection.cursor() as cursor:
        yield cursor


@contextmanager
def server_bound_statements(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """The statements run inside (the ORM's, or `server_prepared_cursor`'s) have their parameters bound by
    PostgreSQL: psycopg sends the values beside the text instead of quoting each into it, and keeps a statement
    run `prepare_threshold` times prepared. Only for statements with few parameters (the server takes at most
    65,535), such as one row's INSERT. Elsewhere than PostgreSQL, nothing changes."""
    if connection.vendor != "postgresql":
        yield
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    # The request's health check first: a reconnect inside would give a connection binding on the client.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw: Any = connection.connection
    client_bound = raw.cursor_factory
    raw.cursor_factory = ServerBindingCursor
    try:
        yield
    finally:
        raw.cursor_factory = client_bound
