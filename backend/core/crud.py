"""The CRUD registry: declare an entity once, get its service functions and REST routes.

An `EntitySpec` names the model, its hand-written create schema and the few rules that differ
between entities (parent whose grid code a row inherits, immutable codes, domain checks, which
fields are personal data). Everything else — read/update schemas, filters, sorting, paging,
CSV, ETags, foreign-key, uniqueness and column-limit checks, scope, masking and the audit
trail — is derived here, once, for every entity.

Every function takes a `Caller`: who asks (a principal whose grants decide the rows, or the
system itself for the CLI and the seed) and who to name in the audit log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import JSON, ColumnDefault, String, Text, false, func, insert, select, update
from sqlalchemy.orm import Session, object_session
from sqlalchemy.sql.schema import Column

from backend.audit import writer as audit
from backend.audit.writer import SYSTEM, Actor
from backend.core.db import Base, TableBase, TagList
from backend.core.errors import FieldError, ProblemError, field_error, invalid_input, not_found
from backend.core.filtering import ListQuery, integer_range
from backend.core.schemas import partial_schema, read_schema_for
from backend.core.text import text_problem
from rbac.enforcer import bump_generation
from rbac.masking import MASKS, mask_note
from rbac.scope import Principal, row_in_scope, scope_condition

SERVER_FIELDS = ("id", "created_at", "updated_at", "version")
Validator = Callable[[Session, dict[str, Any], Any], None]


@dataclass(frozen=True)
class ParentLink:
    """A row whose grid code is its parent's: a household's is its building's, and so on."""

    fk: str  # column on the child holding the parent's id, e.g. "building_id"
    model: type[TableBase]
    copies: str = "grid_code"  # the column copied from the parent and kept in step with it


@dataclass(frozen=True)
class SensitiveRows:
    """Rows whose very existence is personal data: a 帮教 visit says who is under supervision.

    They are read only under a grant holding `pii` on the entity or standing at a grid (the
    grid's own staff, rbac/scope.py); everyone else counts them through the KPI module. The
    audit log keeps their `identifying` fields masked, whoever reads it."""

    column: str
    value: Any
    identifying: tuple[str, ...]

    def condition(self, table: Any) -> Any:
        return table.c[self.column] == self.value

    def holds(self, *rows: Any) -> bool:
        """Whether any of these rows (dicts or objects) is one of them."""
        return any((row.get(self.column) if isinstance(row, dict)
                    else getattr(row, self.column, None)) == self.value for row in rows)


@dataclass(frozen=True)
class Caller:
    """Who asks: `principal` None is the system itself (CLI, seed, jobs): no scope applies."""

    principal: Principal | None
    actor: Actor

    @classmethod
    def system(cls, name: str = "system") -> Caller:
        return cls(None, Actor(name) if name != "system" else SYSTEM)

    @property
    def person(self) -> str:
        """Who it is, as a record names them (王书记, not the login): a reviewer, a rater."""
        return self.principal.display_name if self.principal else self.actor.name


@dataclass
class EntitySpec:
    name: str  # URL segment: /api/v1/<name>
    model: type[TableBase]
    create_schema: type[BaseModel]
    label: str  # zh-CN name users read, e.g. 居民
    label_en: str
    # The code column a grant's area code is matched against (None: not area-scoped).
    scope_column: str | None = "grid_code"
    # Rows above a grant are visible too (areas and departments: one's street and county).
    scope_lineage: bool = False
    # The column a department grant is matched against (cases: the department handling it),
    # or a condition of its own (cases: also those the department was summoned to).
    department_column: str | None = None
    department_scope: Callable[[str], Any] | None = None
    # Personal data: field -> mask ("id_number", "phone" or "hide"), for roles without `pii`.
    pii: dict[str, str] = field(default_factory=dict)
    # Rows only `pii` grants and the grid's own staff read (帮教 visits), or None.
    sensitive: SensitiveRows | None = None
    # Never shown, filtered or sorted on (password hashes).
    hidden: tuple[str, ...] = ()
    parent: ParentLink | None = None
    # Children that copy our grid code: (their entity name, their fk column to us).
    children: tuple[tuple[str, str], ...] = ()
    immutable: tuple[str, ...] = ()
    # Fields computed from another (field -> its source, e.g. sex -> id_number): not carried
    # into a PATCH merge, and changed only with their source. Alone, a PATCH would test a
    # guess against a source the caller may not read (200 for the right birth date).
    derived: dict[str, str] = field(default_factory=dict)
    default_sort: str = "id"
    read_only: bool = False  # only the GET routes (the audit log)
    # Writes change who may do what: bump the policy generation, reload every worker.
    changes_policy: bool = False
    # Example values of the fields the server fills in (codes, statuses), for the read schema.
    read_example: dict[str, Any] = field(default_factory=dict)
    validate: Validator | None = None
    # Turns validated input into columns just before a write (e.g. a password into its hash).
    # (session, the changed fields, the row before or None, who writes).
    prepare_write: Callable[[Session, dict[str, Any], Any, Caller], None] | None = None
    # Runs after the insert (the row has its id): (session, row, when it was created).
    after_create: Callable[[Session, Any, dt.datetime | None], None] | None = None
    # Actions of this object beyond CRUD that the policy grants (the case workflow's).
    actions: tuple[str, ...] = ()
    # Fields computed at read time (name -> (type, zh label)) and the function adding them to
    # full rows (a case's live light and time left); `fields=` lists do not include them.
    computed_fields: dict[str, tuple[Any, str]] = field(default_factory=dict)
    compute: Callable[[Session, list[dict[str, Any]]], None] | None = None
    # Refuses a delete the domain forbids (e.g. the last administrator), by raising.
    before_delete: Callable[[Session, Any], None] | None = None
    read_schema: type[BaseModel] = field(init=False)
    update_schema: type[BaseModel] = field(init=False)
    list_item_schema: type[BaseModel] = field(init=False)

    def __post_init__(self) -> None:
        extra = self.create_schema.model_config.get("json_schema_extra")
        examples: Any = extra.get("examples") if isinstance(extra, dict) else None
        example = examples[0] if examples else {}
        self.read_schema = read_schema_for(
            self.model, example | self.read_example, hidden=self.hidden, nullable=set(self.pii),
            computed=self.computed_fields,
            notes={name: mask_note(mask) for name, mask in self.pii.items()},
        )
        self.update_schema = partial_schema(self.create_schema, f"{self.model.__name__}Update")
        self.list_item_schema = partial_schema(self.read_schema, f"{self.model.__name__}ListItem")

    @cached_property
    def columns(self) -> dict[str, Column]:
        """The table's columns clients see, id first and the bookkeeping columns last."""
        cols = {k: c for k, c in self.model.__table__.columns.items() if k not in self.hidden}
        ordered = {"id": cols.pop("id")}
        tail = {name: cols.pop(name) for name in SERVER_FIELDS[1:]}
        return ordered | cols | tail

    @cached_property
    def select_columns(self):
        """SELECT of every column clients see, built once: `.where()` and the like copy it."""
        return select(*self.columns.values())

    @cached_property
    def filterable(self) -> set[str]:
        return {name for name, col in self.columns.items() if not isinstance(col.type, JSON)}

    @cached_property
    def sortable(self) -> set[str]:
        return {
            name
            for name, col in self.columns.items()
            if not isinstance(col.type, JSON | TagList) and type(col.type) is not Text
        }

    def queryable(self, caller: Caller) -> tuple[set[str], set[str]]:
        """(filterable, sortable) for this caller: no probing personal data one may not see."""
        if caller.principal is None or not self.pii or caller.principal.sees_pii(self.name):
            return self.filterable, self.sortable
        return self.filterable - set(self.pii), self.sortable - set(self.pii)

    def scope_of(self, row: Any) -> str | None:
        return getattr(row, self.scope_column, None) if self.scope_column else None


REGISTRY: dict[str, EntitySpec] = {}


def register(spec: EntitySpec) -> EntitySpec:
    REGISTRY[spec.name] = spec
    return spec


def spec_for_model(model: type) -> EntitySpec:
    return next(s for s in REGISTRY.values() if s.model is model)


def spec_for_table(table_name: str) -> EntitySpec | None:
    return next((s for s in REGISTRY.values() if s.model.__tablename__ == table_name), None)


# --- permission and scope --------------------------------------------------------------------


def require(caller: Caller, spec: EntitySpec, action: str) -> None:
    if caller.principal is not None:
        caller.principal.require(spec.name, action)


def _scope(caller: Caller, spec: EntitySpec, action: str):
    if caller.principal is None:
        return None
    return scope_condition(caller.principal, spec, action)


def _check_row_scope(caller: Caller, spec: EntitySpec, action: str, values: dict) -> None:
    if caller.principal is not None and not row_in_scope(caller.principal, spec, action, values):
        where = values.get(spec.scope_column) if spec.scope_column else None
        raise ProblemError(403, f"{spec.label}不在您的管辖范围内{f' ({where})' if where else ''}")


def readable(caller: Caller, spec: EntitySpec):
    """The rows of `spec` the caller may read, as a WHERE condition (None: every row).

    A reference may point only at such a row: a row the caller cannot read is as unknown to
    them as a missing one, in a reference as in a URL (see `unknown_reference`)."""
    principal = caller.principal
    if principal is None:
        return None
    if not principal.can(spec.name, "read"):
        return false()
    return scope_condition(principal, spec, "read")


def present(caller: Caller, spec: EntitySpec, row: dict[str, Any]) -> dict[str, Any]:
    """What this caller may see of a row: personal data masked for roles without `pii`."""
    for name, mask in _masks(caller, spec):
        if name in row:
            row[name] = mask(row[name])
    return row


def _masks(caller: Caller, spec: EntitySpec) -> list[tuple[str, Callable[[Any], Any]]]:
    """The (field, mask) pairs this caller's rows get: none for the system and `pii` roles.

    Asked once per page, not once per row: it is a policy check."""
    if caller.principal is None or not spec.pii or caller.principal.sees_pii(spec.name):
        return []
    return [(name, MASKS[mask]) for name, mask in spec.pii.items()]


def _mask_rows(rows: list[dict[str, Any]], masks: list[tuple[str, Callable[[Any], Any]]]) -> None:
    for name, mask in masks:
        for row in rows:
            if name in row:
                row[name] = mask(row[name])


# --- reading -----------------------------------------------------------------------------


def row_dict(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def _select_page(spec: EntitySpec, query: ListQuery, caller: Caller):
    table = spec.model.__table__
    conditions = list(query.conditions)
    scope = _scope(caller, spec, "read")
    if scope is not None:
        conditions.append(scope)
    if query.fields:
        stmt = select(*(table.c[name] for name in query.fields))
    else:
        stmt = spec.select_columns
    return stmt.where(*conditions), conditions


def _fetch(session: Session, stmt) -> list[dict[str, Any]]:
    """Rows as dicts: keys once per result, then one zip per row (not a RowMapping per row).

    A Core statement on the session's connection, in its transaction: `session.execute` would
    add its ORM layer's overhead, for no ORM entity."""
    result = session.connection().execute(stmt)
    keys = tuple(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.all()]


def list_rows(
    session: Session, spec: EntitySpec, query: ListQuery, caller: Caller
) -> tuple[list[dict], int | None]:
    stmt, conditions = _select_page(spec, query, caller)
    stmt = stmt.order_by(*query.order_by).limit(query.limit).offset(query.offset)
    rows = _fetch(session, stmt)
    _mask_rows(rows, _masks(caller, spec))
    if spec.compute is not None and query.fields is None:
        spec.compute(session, rows)
    total = None
    if query.count:
        if 0 < len(rows) < query.limit or (not rows and not query.offset):
            # The page holds the last rows (or there are none at all): the total follows.
            total = query.offset + len(rows)
        else:
            count_stmt = select(func.count()).select_from(spec.model.__table__).where(*conditions)
            total = session.connection().execute(count_stmt).scalar_one()
    return rows, total


def iter_rows(session: Session, spec: EntitySpec, query: ListQuery, caller: Caller,
              limit: int | None):
    """All rows of a list query in batches (CSV export): a server-side cursor, not one big list."""
    require(caller, spec, "export")
    stmt, _ = _select_page(spec, query, caller)
    stmt = stmt.order_by(*query.order_by).offset(query.offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    masks = _masks(caller, spec)
    result = session.execute(stmt.execution_options(yield_per=1000))
    keys = tuple(result.keys())
    for partition in result.partitions():
        batch = [dict(zip(keys, row, strict=True)) for row in partition]
        _mask_rows(batch, masks)
        yield from _computed(session, spec, query, batch)


def _computed(session: Session, spec: EntitySpec, query: ListQuery, rows: list[dict]):
    if spec.compute is not None and query.fields is None:
        spec.compute(session, rows)
    return rows


def get_row(session: Session, spec: EntitySpec, row_id: int, caller: Caller,
            action: str = "read") -> Any:
    """The row if it exists within the caller's scope for `action`; 404 otherwise, alike."""
    require(caller, spec, action)
    stmt = select(spec.model).where(spec.model.id == row_id)
    scope = _scope(caller, spec, action)
    if scope is not None:
        stmt = stmt.where(scope)
    obj = session.execute(stmt).scalar_one_or_none()
    if obj is None:
        raise not_found(spec.label, row_id)
    return obj


def show(caller: Caller, spec: EntitySpec, obj: Any) -> dict[str, Any]:
    row = present(caller, spec, row_dict(obj, spec.columns))
    if spec.compute is not None:
        session = object_session(obj)
        assert session is not None, "a row to show is one the session has just read or written"
        spec.compute(session, [row])
    return row


# --- checks shared by create and update ----------------------------------------------------


def _check_column_limits(spec: EntitySpec, data: dict[str, Any]) -> None:
    """What the database would refuse with an error (PostgreSQL) or silently accept (SQLite)."""
    errors: list[FieldError] = []
    table_columns = spec.model.__table__.columns
    for name, value in data.items():
        column = table_columns.get(name)
        if column is None or value is None:
            continue
        if isinstance(value, str):
            # What no request can bring (the input guard refuses it at the door) but a file
            # can: an imported cell. The guard's rule, so that both say the same.
            problem = text_problem(value)
            if problem is not None:
                errors.append(FieldError(name, problem))
            length = getattr(column.type, "length", None)
            if isinstance(column.type, String) and length and len(value) > length:
                errors.append(FieldError(name, f"长度不能超过 {length} 个字符"))
        elif isinstance(value, int) and not isinstance(value, bool):
            low, high = integer_range(column)
            if not low <= value <= high:
                errors.append(FieldError(name, f"应在 {low} 到 {high} 之间"))
        elif isinstance(value, dt.datetime) and not 1900 <= value.year <= 2999:
            errors.append(FieldError(name, "时间应在 1900 到 2999 年之间"))
        elif isinstance(value, dt.date) and not 1880 <= value.year <= 2999:
            errors.append(FieldError(name, "日期应在 1880 到 2999 年之间"))
    if errors:
        raise ProblemError(422, "; ".join(f"{e.field}: {e.msg}" for e in errors), errors)


def _referenced_label(table_name: str) -> str:
    spec = spec_for_table(table_name)
    return spec.label if spec is not None else table_name


def unknown_reference(field_name: str, label: str) -> ProblemError:
    """The one answer to a reference the caller may not follow: missing, or outside their
    scope, alike. It does not repeat the value, so that the two bodies are the same bytes."""
    return field_error(422, field_name, f"未知的{label}: 不存在或不在您的管辖范围内")


class Lookups:
    """How the write checks ask the database: one small query per question.

    The checks themselves (which columns, what counts as a conflict, the messages) live in the
    functions below and nowhere else; an import swaps in `BatchLookups`, which answers the same
    questions from a few queries per thousand rows and knows the rows earlier in the same file.
    References (a parent, a foreign key) find only rows the caller may read (`readable`).
    """

    def __init__(self, session: Session, caller: Caller) -> None:
        self.session = session
        self.caller = caller
        self._readable: dict[str, Any] = {}

    def readable(self, table_name: str):
        """`readable` for the entity kept in this table (None: no condition), asked once."""
        if table_name not in self._readable:
            spec = spec_for_table(table_name)
            self._readable[table_name] = None if spec is None else readable(self.caller, spec)
        return self._readable[table_name]

    def parent(self, link: ParentLink, key: Any) -> Any:
        """The parent row (anything with the `link.copies` attribute), or None."""
        scope = self.readable(link.model.__tablename__)
        if scope is None:
            return self.session.get(link.model, key)
        stmt = select(link.model).where(link.model.id == key, scope)
        return self.session.execute(stmt).scalar_one_or_none()

    def exists(self, target: Column, value: Any) -> bool:
        stmt = select(target).where(target == value)
        scope = self.readable(target.table.name)
        if scope is not None:
            stmt = stmt.where(scope)
        return self.session.execute(stmt.limit(1)).first() is not None

    def conflict(self, spec: EntitySpec, column: Column, value: Any,
                 row_id: int | None) -> str | None:
        """Why `value` cannot go into unique `column`, or None if it can."""
        stmt = select(spec.model.id).where(column == value)
        if row_id is not None:
            stmt = stmt.where(spec.model.id != row_id)
        return "已存在" if self.session.execute(stmt.limit(1)).first() is not None else None


def _check_foreign_keys(spec: EntitySpec, data: dict[str, Any], lookups: Lookups) -> None:
    table_columns = spec.model.__table__.columns
    for name, value in data.items():
        column = table_columns.get(name)
        if column is None or value is None or not column.foreign_keys:
            continue
        target = next(iter(column.foreign_keys)).column
        if not lookups.exists(target, value):
            raise unknown_reference(name, _referenced_label(target.table.name))


def _check_unique(session: Session, spec: EntitySpec, data: dict[str, Any], row_id: int | None,
                  lookups: Lookups) -> None:
    table_columns = spec.model.__table__.columns
    for name, value in data.items():
        column = table_columns.get(name)
        if column is None or value is None or not column.unique:
            continue
        why = lookups.conflict(spec, column, value, row_id)
        if why is not None:
            shown = value if name not in spec.pii else MASKS[spec.pii[name]](value)
            raise field_error(409, name, f"'{shown}' {why}")


def _inherit_from_parent(spec: EntitySpec, data: dict[str, Any], lookups: Lookups) -> None:
    link = spec.parent
    if link is None or data.get(link.fk) is None:
        return
    parent = lookups.parent(link, data[link.fk])
    if parent is None:
        raise unknown_reference(link.fk, spec_for_model(link.model).label)
    inherited = getattr(parent, link.copies)
    given = data.get(link.copies)
    if given is not None and given != inherited:
        raise field_error(
            422, link.copies, f"与所属{spec_for_model(link.model).label}的 {inherited} 不一致"
        )
    data[link.copies] = inherited


def _validate_schema(spec: EntitySpec, data: dict[str, Any]) -> dict[str, Any]:
    try:
        return spec.create_schema.model_validate(data).model_dump()
    except ValidationError as exc:
        raise invalid_input(exc.errors()) from None


def _prepare(
    session: Session, spec: EntitySpec, data: dict[str, Any], changed: dict[str, Any],
    existing: Any, caller: Caller, lookups: Lookups | None = None,
) -> None:
    """Every check before a write; `changed` is what is new, `data` the whole row after it.

    References come first, as the client gave them: one the caller may not follow is refused
    before any check that would tell something of the row it names (the scope check's 403
    names a grid; a case's grid from the map depends on which grids have boundaries)."""
    lookups = lookups or Lookups(session, caller)
    _check_column_limits(spec, changed)
    _check_foreign_keys(spec, changed, lookups)
    if spec.prepare_write is not None:
        # May fill in what follows from the input (a case's grid from the map).
        spec.prepare_write(session, changed, existing, caller)
        data.update(changed)
    _check_row_scope(caller, spec, "create" if existing is None else "update", data)
    if spec.validate is not None:
        spec.validate(session, data, existing)
    _check_unique(session, spec, changed, existing.id if existing is not None else None, lookups)


def _masked_changes(spec: EntitySpec, changes: dict[str, tuple[Any, Any]],
                    row: Any = None) -> dict:
    """The audit log keeps personal data masked, whoever wrote it; hidden fields not at all;
    of a sensitive row (`row`, or what the changes say of it) who it is about not at all."""
    sensitive = spec.sensitive
    identifying = sensitive.identifying if sensitive is not None and sensitive.holds(
        {k: before for k, (before, _after) in changes.items()},
        {k: after for k, (_before, after) in changes.items()},
        *([row] if row is not None else [])) else ()
    logged: dict[str, tuple[Any, Any]] = {}
    for name, (before, after) in changes.items():
        if name in spec.hidden:
            logged[name] = ("***", "***")
        elif name in identifying:
            logged[name] = (None, None)  # withheld, as a key-group tag is
        elif name in spec.pii:
            mask = MASKS[spec.pii[name]]
            logged[name] = (mask(before), mask(after))
        else:
            logged[name] = (before, after)
    return logged


def _finish_write(session: Session, spec: EntitySpec, commit: bool = True) -> None:
    if spec.changes_policy:
        bump_generation(session)
    if commit:
        session.commit()


# --- writing -------------------------------------------------------------------------------


def check_new_row(session: Session, spec: EntitySpec, data: dict[str, Any], caller: Caller,
                  lookups: Lookups | None = None) -> dict[str, Any]:
    """Every check a new row passes before it is written, for the API and imports alike.

    `data` is the create schema's output (model_dump); it comes back with what the row
    inherits (its parent's grid code) and what `prepare_write` fills in. Raises ProblemError
    (403 scope, 409 unique, 422 anything else) naming the field.
    """
    lookups = lookups or Lookups(session, caller)
    _inherit_from_parent(spec, data, lookups)
    _prepare(session, spec, data, data, None, caller, lookups)
    return data


def parse_new_row(spec: EntitySpec, raw: dict[str, Any]) -> dict[str, Any]:
    """The create schema applied to untyped input (a spreadsheet row), as the API applies it to
    a JSON body; then check_new_row. ProblemError 422 listing every field's error."""
    return _validate_schema(spec, raw)


def _created_changes(spec: EntitySpec, after: dict[str, Any]) -> dict:
    """A new row's entry: what was written (not the columns the database computes)."""
    columns = spec.model.__table__.columns
    return _masked_changes(spec, {k: (None, v) for k, v in after.items()
                                  if k not in SERVER_FIELDS and columns[k].computed is None})


def create_row(session: Session, spec: EntitySpec, payload: BaseModel, caller: Caller, *,
               at: dt.datetime | None = None, commit: bool = True) -> Any:
    """The one way a row is created: by the API, the panel, the CLI, Open311, the demo seed and
    the default policy's upgrade.

    `at`: when it happened (default now; the demo seed's simulated year passes its own clock).
    `commit=False` leaves the row flushed in the caller's transaction, with its other writes
    (the seed commits a slice of its year at a time; backend/identity/policy_release.py a
    release's policy changes at once).
    """
    require(caller, spec, "create")
    data = check_new_row(session, spec, payload.model_dump(), caller)
    stamps = {"created_at": at, "updated_at": at} if at is not None else {}
    obj = spec.model(**data, **stamps)
    session.add(obj)
    session.flush()
    if spec.after_create is not None:
        spec.after_create(session, obj, at)
    after = row_dict(obj, spec.model.__table__.columns.keys())
    audit.record(session, caller.actor, "create", spec.name, obj.id, spec.scope_of(obj),
                 _created_changes(spec, after), at=at)
    _finish_write(session, spec, commit)
    return obj


def _insert_with_ids(session: Session, table, rows: list[dict[str, Any]]) -> list[int]:
    """One executemany INSERT; the new ids in the rows' order.

    PostgreSQL: the ids are drawn from the table's sequence first and the INSERT is psycopg's
    pipelined executemany; INSERT ... RETURNING in parameter order would go through
    SQLAlchemy's insertmanyvalues at 5x the client CPU (benchmarks/RESULTS.md, imports).
    """
    if session.get_bind().dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(f'"{table.name}"', "id")
        ids = list(session.execute(
            select(func.nextval(sequence)).select_from(func.generate_series(1, len(rows)))
        ).scalars())
        session.execute(insert(table), [row | {"id": row_id}
                                        for row, row_id in zip(rows, ids, strict=True)])
        return ids
    return list(session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    ).scalars())


def prepare_rows(spec: EntitySpec, rows: list[dict[str, Any]],
                 caller: Caller) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Rows that passed check_new_row, each with its audit entry made ready (the entry
    create_row writes, personal data masked; the row's id filled in by insert_rows). Done
    before the write, so that an import holds SQLite's write lock only to write."""
    if spec.after_create is not None or spec.changes_policy:
        raise ValueError(f"{spec.name}: rows are created one at a time (create_row)")
    table = spec.model.__table__
    defaults = {name: column.default.arg for name, column in table.columns.items()
                if isinstance(column.default, ColumnDefault) and column.default.is_scalar}
    names = [column.key for column in table.columns if column.key not in SERVER_FIELDS]
    prepared = []
    for data in rows:
        after = {name: data[name] if name in data else defaults.get(name) for name in names}
        scope = after.get(spec.scope_column) if spec.scope_column else None
        prepared.append((data, audit.entry(caller.actor, "create", spec.name, None, scope,
                                           _created_changes(spec, after))))
    return prepared


def insert_rows(session: Session, spec: EntitySpec,
                prepared: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[tuple[int, Any]]:
    """Inserts prepare_rows' rows: one executemany INSERT for the rows, one for their audit
    entries; no commit. Returns (id, scope code) per row, in order."""
    if not prepared:
        return []
    ids = _insert_with_ids(session, spec.model.__table__, [data for data, _ in prepared])
    entries = [entry | {"entity_id": row_id}
               for row_id, (_, entry) in zip(ids, prepared, strict=True)]
    audit.record_many(session, entries)
    return [(row_id, entry["scope_code"]) for row_id, entry in zip(ids, entries, strict=True)]


def check_if_match(obj: Any, if_match: str | None) -> None:
    """Optimistic locking: a stale If-Match answers 412 before anything is written."""
    if if_match is None or if_match.strip() == "*":
        return
    versions = {tag.strip().removeprefix("W/").strip('"') for tag in if_match.split(",")}
    if str(obj.version) not in versions:
        raise ProblemError(
            412, f"记录已被修改: 当前版本为 {obj.version}, 请求基于 {if_match}", []
        )


def update_row(
    session: Session, spec: EntitySpec, obj: Any, patch: dict[str, Any], if_match: str | None,
    caller: Caller,
) -> Any:
    check_if_match(obj, if_match)
    if not patch:
        return obj
    for name in spec.immutable:
        if name in patch and patch[name] != getattr(obj, name):
            raise field_error(422, name, "创建后不可修改")
    for name, source in spec.derived.items():
        if name in patch and source not in patch:
            raise field_error(422, name, f"由 {source} 推出, 只能随 {source} 一起修改")
    schema_fields = spec.create_schema.model_fields
    current = {
        name: getattr(obj, name)
        for name in schema_fields
        if hasattr(obj, name) and name not in spec.derived
    }
    if spec.parent is not None and spec.parent.fk in patch and spec.parent.copies not in patch:
        current.pop(spec.parent.copies, None)  # a new parent brings its own grid code
    data = _validate_schema(spec, {**current, **patch})
    link = spec.parent
    lookups = Lookups(session, caller)
    if link is not None and (link.fk in patch or link.copies in patch):
        _inherit_from_parent(spec, data, lookups)
    # Only what the client sent can change, and what follows from it (derived, inherited).
    candidates = set(patch) | set(spec.derived) | ({link.copies} if link else set())
    changed = {name: data[name] for name in candidates
               if name in data and (not hasattr(obj, name) or getattr(obj, name) != data[name])}
    if not changed:
        return obj
    _prepare(session, spec, data, changed, obj, caller, lookups)
    before = {name: getattr(obj, name) for name in changed if hasattr(obj, name)}
    old_scope = spec.scope_of(obj)
    for name, value in changed.items():
        setattr(obj, name, value)
    session.flush()
    if spec.scope_column and spec.scope_of(obj) != old_scope:
        _cascade_scope(session, spec, [obj.id], spec.scope_of(obj))
    audit.record(session, caller.actor, "update", spec.name, obj.id, spec.scope_of(obj),
                 _masked_changes(spec, {k: (before.get(k), getattr(obj, k)) for k in changed
                                        if hasattr(obj, k)}, obj))
    _finish_write(session, spec)
    return obj


def _cascade_scope(session: Session, spec: EntitySpec, ids: list[int],
                   new_code: str | None) -> None:
    """Children copy their parent's grid code; move them with it, all the way down."""
    for child_name, fk in spec.children:
        child = REGISTRY[child_name]
        child_table = child.model.__table__
        child_ids = list(
            session.execute(select(child_table.c.id).where(child_table.c[fk].in_(ids))).scalars()
        )
        if not child_ids:
            continue
        session.execute(
            update(child_table)
            .where(child_table.c.id.in_(child_ids))
            .values({child.scope_column: new_code, "version": child_table.c.version + 1})
        )
        _cascade_scope(session, child, child_ids, new_code)


def delete_row(session: Session, spec: EntitySpec, obj: Any, if_match: str | None,
               caller: Caller, *, commit: bool = True) -> None:
    """`commit=False`: as for create_row."""
    check_if_match(obj, if_match)
    if spec.before_delete is not None:
        spec.before_delete(session, obj)
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is not spec.model.__table__:
                continue
            if fk.ondelete in ("CASCADE", "SET NULL"):
                continue
            value = getattr(obj, fk.column.name)
            if value is None or (fk.parent.table is spec.model.__table__ and value == obj.id):
                continue
            exists = session.execute(
                select(fk.parent).where(fk.parent == value).limit(1)
            ).first()
            if exists is not None:
                raise ProblemError(
                    409, f"{spec.label} {obj.id} 仍被{_referenced_label(table.name)}引用, 不能删除"
                )
    snapshot = row_dict(obj, spec.model.__table__.columns.keys())
    audit.record(session, caller.actor, "delete", spec.name, obj.id, spec.scope_of(obj),
                 _masked_changes(spec, {k: (v, None) for k, v in snapshot.items()
                                        if k not in SERVER_FIELDS}))
    session.delete(obj)
    _finish_write(session, spec, commit)
