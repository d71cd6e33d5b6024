"""A list as a file: every entity's list, filtered and sorted in the list API's query language,
as .xlsx or CSV, for the API's `format=` and the panel's export buttons alike.

One layout for both formats, the import template's: a row of Chinese headers, a row of field
names, then the rows as users read them (labels for codes, 是/否, Beijing time), so an export
opened in Excel reads right and can be imported again. The rows are `crud.iter_rows`'s: the
caller's scope and masking, and the `export` permission.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sqlalchemy.orm import Session

from backend.core import crud
from backend.core.db import Database
from backend.core.errors import not_found
from backend.core.filtering import ListQuery, parse_list_query
from backend.spreadsheets import tabular

CSV_CHUNK_ROWS = 500  # rows per chunk of a streamed CSV


def export_columns(spec: crud.EntitySpec, query: ListQuery) -> list[tabular.TabColumn]:
    """The columns of an export: the list's `fields`, or all of the entity's, in order."""
    by_field = {c.field: c for c in tabular.columns_for(spec)}
    return [by_field[name] for name in query.fields or list(spec.columns) if name in by_field]


def export_xlsx(session: Session, spec: crud.EntitySpec, query: ListQuery, caller: crud.Caller,
                limit: int | None) -> bytes:
    """At most Excel's 1,048,574 data rows."""
    limit = min(limit, tabular.XLSX_MAX_ROWS) if limit is not None else tabular.XLSX_MAX_ROWS
    rows = crud.iter_rows(session, spec, query, caller, limit)
    return tabular.write_xlsx(export_columns(spec, query), rows, spec.label)


def csv_stream(database: Database, spec: crud.EntitySpec, query: ListQuery, caller: crud.Caller,
               limit: int | None) -> Iterator[str]:
    """The CSV in chunks, read in a session of its own: a response streams after its route
    (and the route's session) has returned. Without a limit, every matching row."""
    columns = export_columns(spec, query)
    with database.session() as session:
        yield from tabular.csv_chunks(columns, crud.iter_rows(session, spec, query, caller, limit),
                                      CSV_CHUNK_ROWS)


def export_file(session: Session, entity: str, caller: crud.Caller,
                params: Mapping[str, str] | None = None, fmt: str = "xlsx",
                ) -> tuple[bytes, str, str]:
    """(content, media type, file name): an entity's list as .xlsx (or .csv), filtered and sorted by
    `params` in the list API's query language (e.g. {"grid_code__startswith": "410602001002",
    "sort": "name"}), for callers other than the list route (the admin panel)."""
    spec = crud.REGISTRY.get(entity)
    if spec is None:
        raise not_found("对象类型", entity)
    crud.require(caller, spec, "read")
    crud.require(caller, spec, "export")
    filterable, sortable = spec.queryable(caller)
    query = parse_list_query(params or {}, spec.columns, filterable, sortable, spec.default_sort,
                             max_limit=tabular.XLSX_MAX_ROWS, default_limit=tabular.XLSX_MAX_ROWS)
    limit = query.limit if params and "limit" in params else None
    if fmt == "csv":
        rows = crud.iter_rows(session, spec, query, caller, limit)
        return (tabular.write_csv(export_columns(spec, query), rows), tabular.CSV_MEDIA,
                f"{spec.name}.csv")
    return export_xlsx(session, spec, query, caller, limit), tabular.XLSX_MEDIA, f"{spec.name}.xlsx"
