"""Ledger import: the one service the REST API and the admin panel call.

An import is a job (`import_job` row). The file is parsed when it is uploaded (a damaged file,
wrong headers or a missing required column answer at once, 4xx); then every row is checked
with exactly the checks of the API's create (`crud.parse_new_row` + `crud.check_new_row`:
schema, parent's grid, scope, column limits, foreign keys, domain checks, uniqueness — the
last also against earlier rows of the same file), and, depending on the mode, written.

Modes: `dry_run` checks and writes nothing; `all_or_nothing` (default) writes every row or, if
any row has an error, none; `valid_only` writes the valid rows and reports the others.

Every row is checked before the first one is written, so "all rows valid" is decided before
any write. The rows are then written WRITE_CHUNK at a time, each chunk in a short transaction
of its own together with its audit entries and the job's progress: SQLite's one write lock is
held for a chunk at a time, and on SQLite the import pauses between chunks so that the writers
waiting for the lock get it (backend/core/db.py). The job's `written` is committed with the rows it
counts, so it always says how far the write got: if the worker dies mid-way (the job then
reads as `failed` once stale) or a conflict stops the write, the rows written so far stay, each
with its audit entry; importing the same file again with `valid_only` skips them as duplicates.

Progress: the job row carries total / checked / written / errors, updated after every chunk
of rows, so a client polls `GET /api/v1/imports/{id}` on any worker. Small files run within
the upload request; larger ones in this process's import thread (one at a time per process).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.audit import writer as audit
from backend.core import area_codes, crud
from backend.core.db import Database, utcnow
from backend.core.errors import CHOICES_PREFIX, FieldError, ProblemError, in_chinese, not_found
from backend.imports import addresses
from backend.imports.models import ImportJob, ImportMode, ImportStatus
from backend.ledgers import entities as _ledgers  # noqa: F401 - registers the importable specs
from backend.spreadsheets import tabular

log = logging.getLogger(__name__)

IMPORTABLE = ("buildings", "households", "residents")
CHUNK = 1000  # rows checked between progress reports
WRITE_CHUNK = 1000  # rows written per transaction (~0.1-0.3 s of SQLite's write lock)
# On SQLite, after each chunk's commit the import leaves the lock free for as long as the
# chunk held it, and at least this long: SQLite's busy handler retries at most 100 ms apart,
# so every writer waiting for the lock tries while it is free, however busy the machine.
LOCK_PAUSE_S = 0.1
LOOKUP_BATCH = 500  # values per IN (...) of the batched lookups
MAX_STORED_ERRORS = 1000
INLINE_ROWS = 2000  # files up to this many rows are processed within the upload request
STALE_AFTER = dt.timedelta(minutes=15)  # an unfinished job not updated for this long died
FINISHED = (ImportStatus.done, ImportStatus.failed)

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gridlink-import")


def importable(entity: str) -> crud.EntitySpec:
    if entity not in IMPORTABLE or entity not in crud.REGISTRY:
        raise ProblemError(404, f"不支持导入 {entity}; 可导入: {', '.join(IMPORTABLE)}")
    return crud.REGISTRY[entity]


def sheet_columns(spec: crud.EntitySpec) -> list[tabular.TabColumn]:
    """What an import sheet's columns may be: the create schema's fields, and the address a
    row may be placed by instead of an internal id (楼栋, 单元, 房号: backend/imports/addresses.py)
    right after that id's column."""
    columns = tabular.columns_for(spec, importing=True)
    extra, target = addresses.COLUMNS.get(spec.name, ([], ""))
    if not extra:
        return columns
    at = next(i for i, c in enumerate(columns) if c.field == target)
    instead = f"或不填编号, 改填{'、'.join(c.label for c in extra)}"
    placed_by_id = replace(columns[at], required=False,
                           note="; ".join(n for n in (columns[at].note, instead) if n))
    return [*columns[:at], placed_by_id, *extra, *columns[at + 1:]]


# --- lookups in batches ----------------------------------------------------------------------


def _key(column) -> str:
    return f"{column.table.name}.{column.name}"


def _batches(values: Iterable[Any], size: int = LOOKUP_BATCH) -> Iterator[list[Any]]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


class BatchLookups(crud.Lookups):
    """The create checks' questions answered a chunk of rows at a time, and with memory of the
    file: a unique value an earlier row of the file claimed is a conflict too. References find
    only the rows the caller may read, as the API's do."""

    def __init__(self, session: Session, spec: crud.EntitySpec, caller: crud.Caller) -> None:
        super().__init__(session, caller)
        self.spec = spec
        self._parents: dict[Any, Any] = {}
        self._exists: dict[str, dict[Any, bool]] = defaultdict(dict)
        self._taken: dict[str, dict[Any, bool]] = defaultdict(dict)
        self._claimed: dict[str, dict[Any, int]] = defaultdict(dict)

    def prefetch(self, rows: list[dict[str, Any]]) -> None:
        """Load what the checks of these (schema-valid) rows will ask, in a few queries."""
        table = self.spec.model.__table__
        link = self.spec.parent
        if link is not None:
            parent_table = link.model.__table__
            wanted = {r[link.fk] for r in rows if r.get(link.fk) is not None} - set(self._parents)
            scope = self.readable(parent_table.name)
            for batch in _batches(wanted):
                stmt = select(parent_table.c.id, parent_table.c[link.copies]).where(
                    parent_table.c.id.in_(batch))
                if scope is not None:
                    stmt = stmt.where(scope)
                found = {row.id: row for row in self.session.execute(stmt)}
                for key in batch:
                    self._parents[key] = found.get(key)
        for column in table.columns:
            if not (column.foreign_keys or column.unique):
                continue
            values = {r[column.name] for r in rows if r.get(column.name) is not None}
            if link is not None and column.name == link.copies:  # inherited, then checked
                values |= {getattr(self._parents[r[link.fk]], link.copies) for r in rows
                           if self._parents.get(r.get(link.fk)) is not None}
            if not values:
                continue
            if column.foreign_keys:
                target = next(iter(column.foreign_keys)).column
                self._fetch(self._exists[_key(target)], target, values,
                            self.readable(target.table.name))
            if column.unique:
                self._fetch(self._taken[_key(column)], column, values)

    def _fetch(self, known: dict[Any, bool], column, values: set[Any], scope=None) -> None:
        for batch in _batches(values - set(known)):
            stmt = select(column).where(column.in_(batch))
            if scope is not None:
                stmt = stmt.where(scope)
            found = set(self.session.execute(stmt).scalars())
            for value in batch:
                known[value] = value in found

    def parent(self, link: crud.ParentLink, key: Any) -> Any:
        if key in self._parents:
            return self._parents[key]
        return super().parent(link, key)

    def exists(self, target, value: Any) -> bool:
        known = self._exists[_key(target)]
        if value not in known:
            known[value] = super().exists(target, value)
        return known[value]

    def conflict(self, spec, column, value: Any, row_id: int | None) -> str | None:
        earlier = self._claimed[_key(column)].get(value)
        if earlier is not None:
            return f"与文件第 {earlier} 行重复"
        known = self._taken[_key(column)]
        if value in known:
            return "已存在" if known[value] else None
        return super().conflict(spec, column, value, row_id)

    def claim(self, data: dict[str, Any], row: int) -> None:
        """A checked row's unique values: later rows of the file may not repeat them."""
        for column in self.spec.model.__table__.columns:
            if column.unique and data.get(column.name) is not None:
                self._claimed[_key(column)][data[column.name]] = row


# --- messages ----------------------------------------------------------------------------


def _zh(message: str, column: tabular.TabColumn | None) -> str:
    """A refusal as a sheet's reader needs it: a choice column names the labels the sheet
    holds (户籍、常住), not the values the API stores; the rest in Chinese (the schema's
    messages come translated already, backend/core/errors.py)."""
    if (message.startswith(("Input should be ", CHOICES_PREFIX)) and column is not None
            and column.choices):
        return CHOICES_PREFIX + "、".join(column.choices)
    return in_chinese(message)


# --- the import itself -------------------------------------------------------------------


@dataclass
class Outcome:
    """What an import did; also what its job row ends up holding."""

    total: int
    checked: int = 0
    written: int = 0
    rejected: int = 0  # rows with at least one error
    error_count: int = 0  # errors in all; `errors` keeps the first MAX_STORED_ERRORS
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    status: ImportStatus = ImportStatus.checking
    detail: str = ""


Progress = Callable[[Outcome], None]


class _RowErrors:
    def __init__(self, spec: crud.EntitySpec, sheet: tabular.Sheet,
                 columns: dict[str, tabular.TabColumn]) -> None:
        self.spec, self.sheet, self.columns = spec, sheet, columns

    def make(self, row: int, field_name: str | None, reason: str) -> dict[str, Any]:
        header = self.sheet.header_for(field_name) if field_name else None
        link = self.spec.parent
        if header is None and link is not None and field_name == link.copies:
            header = self.sheet.header_for(link.fk)  # the grid came from the parent named there
        column = self.columns.get(field_name) if field_name else None
        return {
            "row": row,
            "column": header.text if header else (column.label if column else None),
            "cell": f"{header.letter}{row}" if header else None,
            "field": field_name,
            "reason": _zh(reason, column),
        }

    def from_problem(self, row: int, exc: ProblemError, skip: Collection[str] = frozenset()):
        if not exc.errors:  # scope (403) and the like: about the row's grid
            field_name = self.spec.scope_column if exc.status == 403 else None
            return [self.make(row, field_name, exc.detail)]
        found = []
        for error in exc.errors:
            field_name = error.field.split(".")[0]
            if field_name in skip:
                continue
            found.append(self.make(row, field_name if field_name != "body" else None, error.msg))
        return found


def _row_input(columns: dict[str, tabular.TabColumn], cells: dict[str, Any]
               ) -> tuple[dict[str, Any], dict[str, str]]:
    raw: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, value in cells.items():
        column = columns.get(name)
        if column is None:
            continue  # a column we recognise and ignore (an export's id, timestamps)
        try:
            converted = tabular.cell_value(column, value)
        except tabular.CellError as exc:
            problems[name] = str(exc)
            continue
        if converted is not None:  # blank: as if the field were left out (its default)
            raw[name] = converted
    return raw, problems


def _common_scope(codes: Iterable[str | None]) -> str | None:
    """The area every written row lies in (audit scope of the import entry): 6/9/12/15 digits."""
    prefix: str | None = None
    for code in codes:
        if code is None:
            return None
        if prefix is None:
            prefix = code
        while not code.startswith(prefix):
            prefix = prefix[:-1]
    if not prefix:
        return None
    return area_codes.whole_levels(prefix) or None


def import_rows(
    session: Session, spec: crud.EntitySpec, sheet: tabular.Sheet, caller: crud.Caller,
    mode: ImportMode = ImportMode.all_or_nothing, *, file_name: str = "", job_id: int | None = None,
    progress: Progress | None = None,
    save: Callable[[Session, Outcome], None] | None = None,
) -> Outcome:
    """Check every row of a parsed sheet, then write them as `mode` says, in short transactions.

    The synchronous core (the job runner and the benchmark call it). `progress(outcome)` is
    called after each chunk of rows checked, when the write starts and after each chunk
    written; `save(session, outcome)` within each write transaction (each chunk's and the
    last, which holds the import's audit entry and the final state), so that what the job
    says was written is what is committed. A conflict at write time (a concurrent writer took
    an ID number after it was checked) stops the write there: the outcome is `failed`, the
    chunks before stay written.
    """
    crud.require(caller, spec, "create")
    mode = ImportMode(mode)
    columns = {c.field: c for c in sheet_columns(spec)}
    errors_for = _RowErrors(spec, sheet, columns)
    outcome = Outcome(total=len(sheet.rows), warnings=list(sheet.warnings))
    lookups = BatchLookups(session, spec, caller)
    example = _example_cells(spec, columns)
    valid: list[dict[str, Any]] = []

    def report(row_errors: list[dict[str, Any]]) -> None:
        outcome.rejected += 1
        outcome.error_count += len(row_errors)
        room = MAX_STORED_ERRORS - len(outcome.errors)
        outcome.errors.extend(row_errors[:max(room, 0)])

    for chunk in sheet.take(CHUNK):
        parsed: list[tuple[int, dict[str, Any]]] = []
        read: list[tuple[int, dict[str, Any], dict[str, str]]] = []
        for number, cells in chunk:
            raw, problems = _row_input(columns, cells)
            if _same(raw, example):
                outcome.total -= 1
                outcome.warnings.append(f"第 {number} 行与模板示例相同, 已跳过")
                continue
            read.append((number, raw, problems))
        unplaced = addresses.place(session, spec.name, caller, [raw for _, raw, _ in read])
        for index, (number, raw, problems) in enumerate(read):
            outcome.checked += 1
            found = [errors_for.make(number, name, msg) for name, msg in problems.items()]
            if index in unplaced:  # its other checks would only repeat that it has no place
                report([*found, errors_for.make(number, *unplaced[index])])
                continue
            try:
                data = crud.parse_new_row(spec, raw)
            except ProblemError as exc:
                found += errors_for.from_problem(number, exc, skip=set(problems))
                data = None
            if found:
                report(found)
            elif data is not None:
                parsed.append((number, data))
        lookups.prefetch([data for _, data in parsed])
        for number, data in parsed:
            try:
                crud.check_new_row(session, spec, data, caller, lookups)
            except ProblemError as exc:
                report(errors_for.from_problem(number, exc))
                continue
            lookups.claim(data, number)
            valid.append(data)
        if progress is not None:
            progress(outcome)
    write = bool(valid) and mode is not ImportMode.dry_run and not (
        mode is ImportMode.all_or_nothing and outcome.rejected)
    if write:
        scopes = _write_in_chunks(session, spec, caller, valid, outcome, progress, save)
        # entity_id stays empty: the job's number is not a row of `spec`.
        if outcome.written:
            audit.record(session, caller.actor, "import", spec.name, None, _common_scope(scopes), {
                "job": (None, job_id), "file": (None, file_name), "mode": (None, mode.value),
                "rows": (None, outcome.total), "written": (None, outcome.written),
                "rejected": (None, outcome.rejected)})
    if outcome.status is not ImportStatus.failed:
        outcome.status = ImportStatus.done
        outcome.detail = _summary(spec, mode, outcome, write)
    if save is not None:
        save(session, outcome)
    session.commit()
    return outcome


def _write_in_chunks(session: Session, spec: crud.EntitySpec, caller: crud.Caller,
                     valid: list[dict[str, Any]], outcome: Outcome, progress: Progress | None,
                     save: Callable[[Session, Outcome], None] | None) -> list[str | None]:
    """Insert checked rows WRITE_CHUNK per transaction; the scope codes of those written."""
    outcome.status = ImportStatus.writing
    if progress is not None:
        progress(outcome)
    share_the_lock = session.get_bind().dialect.name == "sqlite"
    held = 0.0
    scopes: list[str | None] = []
    for start in range(0, len(valid), WRITE_CHUNK):
        if share_the_lock and start:
            time.sleep(max(LOCK_PAUSE_S, held))  # the lock is free: other writers' turn
        # Audit entries made ready outside the transaction: the lock is held only to write.
        prepared = crud.prepare_rows(spec, valid[start:start + WRITE_CHUNK], caller)
        written_before = outcome.written
        began = time.monotonic()
        try:
            created = crud.insert_rows(session, spec, prepared)
            outcome.written += len(created)
            if save is not None:
                save(session, outcome)
            session.commit()
        except IntegrityError:
            session.rollback()
            outcome.written = written_before
            outcome.status = ImportStatus.failed
            outcome.detail = _conflict_detail(outcome.written)
            break
        held = time.monotonic() - began
        scopes.extend(scope for _, scope in created)
        if progress is not None:
            progress(outcome)
    return scopes


def _conflict_detail(written: int) -> str:
    conflict = "写入时发生数据冲突 (可能有人同时录入了相同的数据)"
    if not written:
        return f"{conflict}, 未写入任何数据; 请重新导入"
    return f"{conflict}: {_partly_written(written)}"


def _partly_written(written: int) -> str:
    """What a client is told when an import stopped after writing some of its rows."""
    return (f"已写入 {written} 行 (审计日志中逐行可查), 其余未写入; 可用「仅导入有效行」重新导入"
            "同一文件, 已写入的行会作为重复跳过")


def _example_cells(spec: crud.EntitySpec, columns: dict[str, tabular.TabColumn]):
    """The template's example row as `_row_input` reads it (left in place, it is skipped)."""
    example = tabular.example_row(spec, list(columns.values()), addresses.example(spec.name))
    raw, problems = _row_input(columns, example)
    return None if problems else raw


def _same(raw: dict[str, Any], example: dict[str, Any] | None) -> bool:
    """Cell by cell as text: a CSV's "1" is the xlsx's 1."""
    return example is not None and raw.keys() == example.keys() and all(
        str(raw[k]) == str(example[k]) for k in raw)


def _summary(spec: crud.EntitySpec, mode: ImportMode, outcome: Outcome, wrote: bool) -> str:
    bad = f"{outcome.rejected} 行有错误 (共 {outcome.error_count} 处)"
    if mode is ImportMode.dry_run:
        good = outcome.total - outcome.rejected
        return (f"试运行: 共 {outcome.total} 行, {good} 行可以导入"
                + (f", {bad}" if outcome.rejected else "") + "; 未写入任何数据")
    if not wrote:
        if outcome.rejected:
            return f"共 {outcome.total} 行, {bad}; 按「全部或全不」未写入任何数据, 请改正后重新导入"
        return "没有可导入的行"
    if outcome.rejected:
        return f"已导入 {outcome.written} 行{spec.label}; 跳过 {bad}"
    return f"已导入全部 {outcome.written} 行{spec.label}"


# --- files -------------------------------------------------------------------------------


def read_sheet(spec: crud.EntitySpec, content: bytes, file_name: str) -> tabular.Sheet:
    """Parse an upload for `spec`: 4xx ProblemError for an unreadable file, an unknown header,
    a missing required column or no data at all."""
    columns = sheet_columns(spec)
    names = {c.field for c in columns}
    others = [c for c in tabular.columns_for(spec) if c.field not in names]
    sheet = tabular.read_table(content, file_name, columns, others)
    missing = [c for c in columns if c.required and c.field not in sheet.fields]
    if missing:
        labels = "、".join(c.label for c in missing)
        raise ProblemError(422, f"缺少必填列: {labels} (请使用下载的模板)",
                           [FieldError(c.field, f"缺少必填列「{c.label}」") for c in missing])
    ignored = [h.text for h in sheet.headers if h.field is not None and h.field not in names]
    if ignored:
        sheet.warnings.append("以下列由系统生成, 导入时已忽略: " + "、".join(ignored))
    if not sheet.rows:
        raise ProblemError(422, "文件中没有数据行 (表头之下全是空行)")
    return sheet


def template(entity: str, fmt: str = "xlsx") -> tuple[bytes, str, str]:
    """(content, media type, file name) of the import template of `entity`."""
    spec = importable(entity)
    columns = sheet_columns(spec)
    instead = addresses.example(spec.name)
    if fmt == "csv":
        return (tabular.template_csv(spec, columns, instead), tabular.CSV_MEDIA,
                f"{spec.name}-template.csv")
    return (tabular.template_xlsx(spec, columns, instead), tabular.XLSX_MEDIA,
            f"{spec.name}-template.xlsx")


# --- jobs --------------------------------------------------------------------------------


def submit(db: Database, entity: str, file_name: str, content: bytes, caller: crud.Caller,
           mode: ImportMode | str = ImportMode.all_or_nothing, *,
           inline_rows: int = INLINE_ROWS, progress: Progress | None = None) -> dict[str, Any]:
    """Start an import: parse the file (4xx at once if it is not a usable table), create its
    job and run it — within this call for up to `inline_rows` rows, else in the import thread.
    Returns the job as `job_view` shows it; poll `get_job` until `finished`.

    `progress`, if given, is called with the Outcome so far once the job exists (queued),
    after every chunk of rows checked or written, and once finished (in the import thread
    for a background job): for callers that push progress rather than poll."""
    spec = importable(entity)
    crud.require(caller, spec, "create")
    mode = ImportMode(mode)
    # The name as the user's machine gave it, minus any path and control characters (which
    # PostgreSQL text would refuse).
    file_name = "".join(ch for ch in (file_name or "upload") if ch.isprintable())
    file_name = file_name.replace("\\", "/").rsplit("/", 1)[-1][:255] or "upload"
    sheet = read_sheet(spec, content, file_name)
    principal = caller.principal
    with db.session() as session:
        job = ImportJob(entity=spec.name, user_id=principal.user_id if principal else None,
                        actor=caller.actor.name[:50], file_name=file_name, mode=mode,
                        status=ImportStatus.queued, total=len(sheet.rows), checked=0, written=0,
                        rejected=0, error_count=0, errors=[], warnings=sheet.warnings)
        session.add(job)
        session.commit()
        job_id = job.id
    if progress is not None:
        progress(Outcome(total=len(sheet.rows), warnings=sheet.warnings,
                         status=ImportStatus.queued))
    if len(sheet.rows) <= inline_rows:
        run_job(db, job_id, spec, sheet, caller, mode, file_name, progress)
    else:
        _executor.submit(run_job, db, job_id, spec, sheet, caller, mode, file_name, progress)
    with db.session() as session:
        return job_view(session.get_one(ImportJob, job_id))


def _job_values(outcome: Outcome) -> dict[str, Any]:
    return {"status": outcome.status, "total": outcome.total, "checked": outcome.checked,
            "written": outcome.written, "rejected": outcome.rejected,
            "error_count": outcome.error_count,
            "errors": outcome.errors, "warnings": outcome.warnings}


def _update_job(session: Session, job_id: int, values: dict[str, Any]) -> None:
    table = ImportJob.__table__
    session.execute(update(table).where(table.c.id == job_id).values(
        **values, updated_at=utcnow(), version=table.c.version + 1))


def run_job(db: Database, job_id: int, spec: crud.EntitySpec, sheet: tabular.Sheet,
            caller: crud.Caller, mode: ImportMode, file_name: str = "",
            notify: Progress | None = None) -> None:
    """Process a queued job to its end; never raises (a failure is the job's status)."""

    def progress(outcome: Outcome) -> None:
        if notify is not None:
            notify(outcome)
        if outcome.status is ImportStatus.writing and outcome.written:
            return  # saved with the rows it counts (save below)
        with db.session() as tracking:
            values = _job_values(outcome)
            if outcome.status is ImportStatus.checking:
                values = {k: values[k] for k in ("status", "checked", "rejected", "error_count")}
            _update_job(tracking, job_id, values)
            tracking.commit()

    def save(session: Session, outcome: Outcome) -> None:
        values = _job_values(outcome)
        if outcome.status in FINISHED:
            values |= {"detail": outcome.detail, "finished_at": utcnow()}
        _update_job(session, job_id, values)

    try:
        with db.session() as session:
            outcome = import_rows(session, spec, sheet, caller, mode, file_name=file_name,
                                  job_id=job_id, progress=progress, save=save)
    except ProblemError as exc:
        _fail(db, job_id, exc.detail, notify)
    except Exception:
        log.exception("import job %s failed", job_id)
        _fail(db, job_id, "服务器内部错误", notify)
    else:
        if notify is not None:
            notify(outcome)


def _fail(db: Database, job_id: int, reason: str, notify: Progress | None = None) -> None:
    """The job failed for `reason`; the detail also says what was written before (if any)."""
    try:
        with db.session() as session:
            written = session.get_one(ImportJob, job_id).written
            detail = f"{reason}: {_partly_written(written)}" if written else \
                f"{reason}, 未写入任何数据; 请联系管理员或重新导入"
            _update_job(session, job_id, {"status": ImportStatus.failed, "detail": detail,
                                          "finished_at": utcnow()})
            session.commit()
    except Exception:
        log.exception("import job %s: could not record its failure", job_id)
        detail = reason
    if notify is not None:
        notify(Outcome(total=0, status=ImportStatus.failed, detail=detail))


def _visible(caller: crud.Caller):
    """Who sees which jobs: their own; administrators (a global admin grant) every one."""
    principal = caller.principal
    if principal is None or any(g.role == "admin" and g.is_global for g in principal.grants):
        return None
    return ImportJob.user_id == principal.user_id


def get_job(session: Session, job_id: int, caller: crud.Caller) -> ImportJob:
    stmt = select(ImportJob).where(ImportJob.id == job_id)
    condition = _visible(caller)
    if condition is not None:
        stmt = stmt.where(condition)
    job = session.execute(stmt).scalar_one_or_none()
    if job is None:
        raise not_found("导入任务", job_id)
    return job


def list_jobs(session: Session, caller: crud.Caller, limit: int = 20) -> list[ImportJob]:
    """The caller's own most recent jobs (an administrator: everyone's)."""
    stmt = select(ImportJob).order_by(ImportJob.id.desc()).limit(limit)
    condition = _visible(caller)
    if condition is not None:
        stmt = stmt.where(condition)
    return list(session.execute(stmt).scalars())


def job_view(job: ImportJob, now: dt.datetime | None = None) -> dict[str, Any]:
    """A job as clients see it: counts, a percentage, the errors and a summary."""
    status, detail, finished_at = job.status, job.detail, job.finished_at
    now = now or utcnow()
    if status not in FINISHED and now - job.updated_at > STALE_AFTER:
        status = ImportStatus.failed
        stopped = "导入中断 (服务重启或进程退出)"
        detail = (f"{stopped}: {_partly_written(job.written)}" if job.written
                  else f"{stopped}, 未写入任何数据; 请重新导入")
    finished = status in FINISHED
    spec = crud.REGISTRY.get(job.entity)
    if finished:
        percent = 100
    elif job.total == 0:
        percent = 0
    elif job.mode is ImportMode.dry_run:
        percent = int(100 * job.checked / job.total)
    else:
        percent = int(100 * (job.checked + job.written) / (2 * job.total))
    return {
        "id": job.id, "entity": job.entity, "entity_label": spec.label if spec else job.entity,
        "file_name": job.file_name, "mode": job.mode.value, "mode_label": job.mode.label,
        "status": status.value, "status_label": status.label, "finished": finished,
        "percent": percent, "total": job.total, "checked": job.checked, "written": job.written,
        "rejected": job.rejected, "error_count": job.error_count, "errors": job.errors or [],
        "errors_truncated": job.error_count > len(job.errors or []),
        "warnings": job.warnings or [], "detail": detail, "actor": job.actor,
        "created_at": job.created_at, "updated_at": job.updated_at, "finished_at": finished_at,
    }
