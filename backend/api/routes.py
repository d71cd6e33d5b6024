"""Turns every registered EntitySpec into its five REST routes.

(No `from __future__ import annotations` here: FastAPI reads the schema classes from the
closures' annotations at import time.)
"""

from typing import Annotated, Any, cast

import orjson
from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from backend.api.deps import CurrentCaller, SessionDep
from backend.api.problems import problem_docs
from backend.core import crud
from backend.core.db import MAX_ID
from backend.core.filtering import __doc__ as QUERY_DOC
from backend.core.filtering import parse_list_query
from backend.core.schemas import Page
from backend.spreadsheets.export import csv_stream, export_xlsx
from backend.spreadsheets.tabular import CSV_MEDIA, XLSX_MEDIA

JSON_MEDIA = "application/json"
ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="编号 id")]


def json_response(content: Any, status_code: int = 200, headers: dict | None = None) -> Response:
    return Response(
        orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_UTC_Z),
        status_code=status_code,
        media_type=JSON_MEDIA,
        headers=headers,
    )


def etag(obj: Any) -> dict[str, str]:
    return {"ETag": f'"{obj.version}"'}


def _read_only(session: Session) -> None:
    """A GET only reads: on PostgreSQL its statements run in autocommit, which spares the
    BEGIN and ROLLBACK round trips around them. Nothing else changes: in the default READ
    COMMITTED each statement takes its own snapshot inside a transaction too (and SQLite's
    driver runs SELECTs outside one anyway). The pool resets the connection on its return."""
    if not session.in_transaction() and session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _policy_changed(request: Request, spec: crud.EntitySpec) -> None:
    if spec.changes_policy:
        request.app.state.policy_sync.notify()


def build_router(spec: crud.EntitySpec) -> APIRouter:
    router = APIRouter(prefix=f"/{spec.name}", tags=[f"{spec.label} {spec.label_en}"],
                       responses=problem_docs(401, 403))
    # The entity's schemas are made at run time: FastAPI reads them from the annotations below,
    # where mypy sees only variables (hence the `type: ignore`s on them).
    create_schema = spec.create_schema
    update_schema = spec.update_schema
    read_schema = spec.read_schema
    page_schema = Page[spec.list_item_schema]  # type: ignore[name-defined]

    @router.get(
        "",
        response_model=page_schema,
        summary=f"{spec.label}列表 List {spec.label_en}",
        description=f"筛选、排序、分页与导出 (format=csv 或 xlsx)。\n\n```\n{QUERY_DOC}\n```",
        responses=problem_docs(400, 422) | {200: {"content": {"text/csv": {}, XLSX_MEDIA: {}}}},
        operation_id=f"list_{spec.name.replace('-', '_')}",
    )
    def list_items(
        request: Request,
        session: SessionDep,
        caller: CurrentCaller,
        sort: Annotated[str | None, Query(description="排序, 如 -created_at,id")] = None,
        fields: Annotated[str | None, Query(description="只返回这些字段, 逗号分隔")] = None,
        limit: Annotated[int | None, Query(ge=1, le=1000, description="每页条数")] = None,
        offset: Annotated[int | None, Query(ge=0, le=2**31, description="跳过条数")] = None,
        count: Annotated[bool, Query(description="是否统计总数")] = True,
        format: Annotated[str, Query(pattern="^(json|csv|xlsx)$",
                                     description="json、csv 或 xlsx")] = "json",
    ) -> Any:
        crud.require(caller, spec, "read")
        # app.state read here rather than through two more dependencies for FastAPI to solve
        settings = request.app.state.settings
        filterable, sortable = spec.queryable(caller)
        query = parse_list_query(
            request.query_params,
            spec.columns,
            filterable,
            sortable,
            spec.default_sort,
            max_limit=settings.max_page_size,
            default_limit=settings.default_page_size,
        )
        if query.format == "xlsx":
            crud.require(caller, spec, "export")
            xlsx_limit = query.limit if limit is not None else None
            return Response(
                export_xlsx(session, spec, query, caller, xlsx_limit),
                media_type=XLSX_MEDIA,
                headers={"Content-Disposition": f'attachment; filename="{spec.name}.xlsx"'},
            )
        if query.format == "csv":
            # An export without an explicit limit is every matching row, streamed.
            csv_limit = query.limit if limit is not None else None
            crud.require(caller, spec, "export")
            return StreamingResponse(
                csv_stream(request.app.state.db, spec, query, caller, csv_limit),
                media_type=CSV_MEDIA,
                headers={"Content-Disposition": f'attachment; filename="{spec.name}.csv"'},
            )
        _read_only(session)
        rows, total = crud.list_rows(session, spec, query, caller)
        session.close()  # the connection back to the pool here, in the route's thread
        return json_response(
            {"items": rows, "total": total, "limit": query.limit, "offset": query.offset}
        )

    @router.get(
        "/{item_id}",
        response_model=read_schema,
        summary=f"{spec.label}详情 Get {spec.label_en}",
        responses=problem_docs(404, 422),
        operation_id=f"get_{spec.name.replace('-', '_')}",
    )
    def get_item(item_id: ItemId, session: SessionDep, caller: CurrentCaller) -> Any:
        _read_only(session)
        obj = crud.get_row(session, spec, item_id, caller)
        body = crud.show(caller, spec, obj)
        session.close()  # the connection back to the pool here, in the route's thread
        return json_response(body, headers=etag(obj))

    if spec.read_only:
        return router

    @router.post(
        "",
        response_model=read_schema,
        status_code=201,
        summary=f"新建{spec.label} Create {spec.label_en}",
        responses=problem_docs(409, 422),
        operation_id=f"create_{spec.name.replace('-', '_')}",
    )
    def create_item(
        request: Request,
        body: create_schema,  # type: ignore[valid-type]
        session: SessionDep,
        caller: CurrentCaller,
    ) -> Any:
        obj = crud.create_row(session, spec, body, caller)
        _policy_changed(request, spec)
        headers = etag(obj) | {"Location": f"/api/v1/{spec.name}/{obj.id}"}
        return json_response(crud.show(caller, spec, obj), 201, headers)

    @router.patch(
        "/{item_id}",
        response_model=read_schema,
        summary=f"修改{spec.label} Update {spec.label_en}",
        responses=problem_docs(404, 409, 412, 422),
        operation_id=f"update_{spec.name.replace('-', '_')}",
    )
    def update_item(
        request: Request,
        caller: CurrentCaller,
        item_id: ItemId,
        body: update_schema,  # type: ignore[valid-type]
        session: SessionDep,
        if_match: Annotated[
            str | None, Header(description='乐观锁: 上次读取的 ETag, 如 "3"')
        ] = None,
    ) -> Any:
        obj = crud.get_row(session, spec, item_id, caller, "update")
        patch = cast(BaseModel, body).model_dump(exclude_unset=True)
        obj = crud.update_row(session, spec, obj, patch, if_match, caller)
        _policy_changed(request, spec)
        return json_response(crud.show(caller, spec, obj), headers=etag(obj))

    @router.delete(
        "/{item_id}",
        status_code=204,
        summary=f"删除{spec.label} Delete {spec.label_en}",
        responses=problem_docs(404, 409, 412, 422),
        operation_id=f"delete_{spec.name.replace('-', '_')}",
    )
    def delete_item(
        request: Request,
        caller: CurrentCaller,
        item_id: ItemId,
        session: SessionDep,
        if_match: Annotated[str | None, Header(description="乐观锁: 上次读取的 ETag")] = None,
    ) -> Response:
        obj = crud.get_row(session, spec, item_id, caller, "delete")
        crud.delete_row(session, spec, obj, if_match, caller)
        _policy_changed(request, spec)
        return Response(status_code=204)

    return router
