"""Open311 GeoReport v2 at /open311/v2, beside the REST API and unlike it on purpose.

Citizens' apps and partner systems speak the specification, not GridLink: the format is the
path's suffix (.json or .xml), the API key travels as the `api_key` form or query parameter,
and errors are the spec's [{"code", "description"}] (or <errors><error>), not problem details.
Every parameter is read as text and checked in service.py, so that no FastAPI validation error
(a 422 problem document) can answer in place of an Open311 error.

(No `from __future__ import annotations`: FastAPI reads the parameter annotations.)
"""

import xml.etree.ElementTree as ET
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, FastAPI, Form, Path, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.types import Scope

from backend.api.deps import SessionDep
from backend.audit.writer import Actor
from backend.core.crud import Caller
from backend.core.errors import FieldError
from backend.open311 import service
from backend.open311.service import JSON_TYPE, XML_TYPE, Open311Error

PREFIX = "/open311/v2"
FORMATS = ("json", "xml")
# XML: the element each list holds, as in the spec's examples.
ITEM_TAGS = {"services": "service", "service_requests": "request", "errors": "error",
             "endpoints": "endpoint", "formats": "format", "attributes": "attribute",
             "values": "value"}


# --- writing JSON and XML ----------------------------------------------------------------


def _xml_element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        element.extend(_xml_element(key, item) for key, item in value.items())
    elif isinstance(value, list):
        element.extend(_xml_element(ITEM_TAGS[tag], item) for item in value)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
    return element


def render(fmt: str, root: str, document: Any, status_code: int = 200) -> Response:
    """The document as JSON, or as XML under `root` (lists hold ITEM_TAGS[root] elements)."""
    if fmt == "xml":
        body = ET.tostring(_xml_element(root, document), encoding="UTF-8", xml_declaration=True)
        return Response(body, status_code, media_type=f"{XML_TYPE}; charset=utf-8")
    return Response(orjson.dumps(document), status_code, media_type=f"{JSON_TYPE}; charset=utf-8")


def output_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(400, f"不支持的格式 '.{fmt}': 请用 .json 或 .xml")
    return fmt


def open311_error_response(request: Request, exc: Open311Error) -> Response:
    fmt = request.path_params.get("format")
    return render(fmt if fmt in FORMATS else "json", "errors",
                  [{"code": exc.status, "description": exc.description}], exc.status)


def input_refusal(scope: Scope, _status: int, errors: list[FieldError]) -> Response:
    """The input guard's refusal (backend/api/input_guard.py) as the spec's error list: 400,
    in the format of the path's suffix."""
    suffix = scope["path"].rsplit(".", 1)[-1]
    return render(suffix if suffix in FORMATS else "json", "errors",
                  [{"code": 400, "description": f"{e.field}: {e.msg}"} for e in errors], 400)


def mount(app: FastAPI) -> None:
    app.include_router(router)
    # Starlette types a handler as taking any Exception; it passes this one an Open311Error.
    app.add_exception_handler(Open311Error, open311_error_response)  # type: ignore[arg-type]


# --- OpenAPI: the JSON shapes, and the XML beside them ------------------------------------------


class Service(BaseModel):
    service_code: str = Field(examples=["07011"])
    service_name: str = Field(examples=["积存垃圾渣土"])
    description: str | None
    metadata: bool
    type: str = Field(description="realtime / batch / blackbox")
    keywords: str | None
    group: str | None = Field(examples=["市容环境"])


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[dict[str, Any]]


class ServiceRequest(BaseModel):
    service_request_id: str = Field(examples=["2026112800000001"])
    status: str = Field(description="open / closed")
    status_notes: str | None
    service_name: str | None
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str = Field(examples=["2026-11-28T16:30:00+08:00"])
    updated_datetime: str | None
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class CreatedRequest(BaseModel):
    service_request_id: str
    service_notice: str | None
    account_id: str | None


class Open311ErrorItem(BaseModel):
    code: int = Field(description="HTTP 状态码: 404 不存在, 403 api_key 缺失或无效, 400 其他")
    description: str


ERROR_TITLES = {400: "请求无效 (Open311)", 403: "api_key 缺失、无效或无权 (Open311)",
                404: "不存在 (Open311)"}
XML_DOC = {XML_TYPE: {"schema": {"type": "string"}}}


def docs(model: Any, *errors: int) -> dict[int | str, dict[str, Any]]:
    """200 in JSON (the model) or XML, and the spec's error list for each status."""
    responses: dict[int | str, dict[str, Any]] = {
        200: {"model": model, "description": "成功 (JSON 或 XML, 依路径后缀)", "content": XML_DOC}}
    for status in (400, *errors):
        responses[status] = {"model": list[Open311ErrorItem], "description": ERROR_TITLES[status],
                             "content": XML_DOC}
    return responses


router = APIRouter(prefix=PREFIX, tags=["Open311 GeoReport v2"])
Format = Annotated[str, Path(description="输出格式: json 或 xml",
                             json_schema_extra={"enum": list(FORMATS)})]
Text = Annotated[str | None, Form()]


@router.get("/discovery.{format}", operation_id="open311_discovery",
            summary="服务发现 Service discovery", responses=docs(dict[str, Any]))
def discovery(request: Request, format: Format, session: SessionDep) -> Response:
    endpoint = str(request.base_url).rstrip("/") + PREFIX
    return render(output_format(format), "discovery", service.discovery(session, endpoint))


@router.get("/services.{format}", operation_id="open311_services",
            summary="服务类型 (案件分类) 列表 GET Service List", responses=docs(list[Service]))
def list_services(format: Format, session: SessionDep) -> Response:
    return render(output_format(format), "services", service.services(session))


@router.get("/services/{service_code}.{format}", operation_id="open311_service_definition",
            summary="服务定义 GET Service Definition", responses=docs(ServiceDefinition, 404))
def service_definition(service_code: str, format: Format, session: SessionDep) -> Response:
    fmt = output_format(format)
    return render(fmt, "service_definition", service.service_definition(session, service_code))


@router.get(
    "/requests.{format}", operation_id="open311_list_requests",
    summary="查询诉求 (案卷) GET Service Requests",
    description="公开接口, 不返回上报人信息。未给时间时为最近 90 天; 每次最多 1000 条, "
                "newest first; page / page_size 翻页 (扩展参数)。",
    responses=docs(list[ServiceRequest]))
def list_requests(
    format: Format,
    session: SessionDep,
    service_request_id: Annotated[str | None,
                                  Query(description="逗号分隔; 给出时忽略其他条件")] = None,
    service_code: Annotated[str | None, Query(description="逗号分隔")] = None,
    start_date: Annotated[str | None,
                          Query(description="w3c 时间, 如 2026-11-01T00:00:00+08:00")] = None,
    end_date: Annotated[str | None,
                        Query(description="w3c 时间; 与 start_date 相隔不超过 90 天")] = None,
    status: Annotated[str | None, Query(description="open, closed 或 open,closed")] = None,
    page: Annotated[str | None, Query(description="页码, 从 1 开始 (扩展参数)")] = None,
    page_size: Annotated[str | None,
                         Query(description="每页条数 1-1000, 默认 1000 (扩展参数)")] = None,
) -> Response:
    fmt = output_format(format)
    found = service.find_requests(
        session, service_request_id=service_request_id, service_code=service_code,
        start_date=start_date, end_date=end_date, status=status, page=page, page_size=page_size)
    return render(fmt, "service_requests", found)


@router.post(
    "/requests.{format}", operation_id="open311_create_request",
    summary="上报诉求 POST Service Request",
    description="application/x-www-form-urlencoded。需 api_key (与 X-API-Key 相同的 GridLink "
                "API 密钥, 其用户须可上报案卷)。按 lat/long 确定网格; 生成来源为 open311 的案卷。"
                "email、device_id 与 attribute[...] 不保存。",
    responses=docs(list[CreatedRequest], 403, 404))
def create_request(
    request: Request,
    format: Format,
    session: SessionDep,
    api_key: Text = None,
    api_key_in_query: Annotated[str | None, Query(alias="api_key")] = None,
    # Declared so that the docs list the spec's fields; one jurisdiction here, and email,
    # device and account ids are personal data the case has no use for: none is kept.
    jurisdiction_id: Text = None,
    service_code: Text = None,
    lat: Text = None,
    long: Text = None,
    address_string: Text = None,
    address_id: Text = None,
    email: Text = None,
    device_id: Text = None,
    account_id: Text = None,
    first_name: Text = None,
    last_name: Text = None,
    phone: Text = None,
    description: Text = None,
    media_url: Text = None,
) -> Response:
    fmt = output_format(format)
    caller = api_key_caller(request, api_key or api_key_in_query)
    form = {"service_code": service_code, "lat": lat, "long": long,
            "address_string": address_string, "first_name": first_name,
            "last_name": last_name, "phone": phone, "description": description,
            "media_url": media_url}
    return render(fmt, "service_requests", service.create_request(session, caller, form))


@router.get("/requests/{service_request_id}.{format}", operation_id="open311_get_request",
            summary="查询单个诉求 GET Service Request", responses=docs(list[ServiceRequest], 404))
def get_request(service_request_id: str, format: Format, session: SessionDep) -> Response:
    fmt = output_format(format)
    return render(fmt, "service_requests", service.one_request(session, service_request_id))


def api_key_caller(request: Request, api_key: str | None) -> Caller:
    """The GridLink API key as the spec carries it; the same keys and cache as X-API-Key."""
    if not api_key:
        raise Open311Error(403, "缺少 api_key")
    principals = request.app.state.principals
    known, principal = principals.cached_for_key(api_key)
    if not known:
        principal = principals.load_for_key(api_key)
    if principal is None:
        raise Open311Error(403, "api_key 无效或已吊销")
    client = request.client.host if request.client else None
    return Caller(principal, Actor(principal.username, request.state.request_id, client))
