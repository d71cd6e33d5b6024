"""Open311 GeoReport v2 over the case table: services are case categories, requests are cases.

Documents are built here as plain lists and dicts, with the specification's field names in its
order; router.py writes them as JSON or XML. Reading is public, so requests are selected column
by column and never carry the reporter: no name, phone or anything else about who reported.

Spec: http://wiki.open311.org/GeoReport_v2 (and /Service_Discovery).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.areas.geometry import grid_index
from backend.cases.entities import CASES
from backend.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseCategory,
    CaseSource,
    CaseStatus,
    Department,
)
from backend.core.crud import Caller, create_row
from backend.core.db import BEIJING, utcnow
from backend.core.errors import ProblemError

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
JSON_TYPE = "application/json"
XML_TYPE = "text/xml"  # the specification's, and what discovery announces
# "Default query limit is a span of 90 days or first 1000 requests returned, whichever is smallest."
MAX_SPAN = dt.timedelta(days=90)
MAX_REQUESTS = 1000

CLOSED_STATUSES = (CaseStatus.closed, CaseStatus.cancelled)
OPEN311_STATUS = {status: "open" for status in OPEN_STATUSES} | {
    status: "closed" for status in CLOSED_STATUSES}

# What a create error names in the case, as the Open311 client named it.
OPEN311_NAMES = {"category_code": "service_code", "lng": "long", "address": "address_string",
                 "title": "address_string", "reporter_name": "first_name/last_name",
                 "reporter_phone": "phone", "grid_code": "lat/long"}


class Open311Error(Exception):
    """An error answered as the spec's [{"code", "description"}]; code is the HTTP status:
    404 for what does not exist, 403 for a missing or wrong api_key, 400 for the rest."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def w3c(value: dt.datetime | None) -> str | None:
    """ISO 8601 with the offset, as the spec requires; in Beijing time, the users' clock."""
    return value.astimezone(BEIJING).isoformat(timespec="seconds") if value else None


def deadline_notice(value: int, unit: Any) -> str:
    return f"处置时限: {value} {unit.label}"


# --- discovery and services ----------------------------------------------------------------


def discovery(session: Session, endpoint_url: str) -> dict[str, Any]:
    # The changeset tells clients to refresh cached services: it moves with the category table.
    changed = session.execute(select(func.max(CaseCategory.updated_at))).scalar()
    changeset = (changed or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)).astimezone(BEIJING)
    stamp = changeset.strftime("%Y-%m-%d %H:%M")
    return {
        "changeset": stamp,
        "contact": "GridLink 网格联动: 请联系本区网格化管理指挥中心",
        "key_service": "API 密钥由系统管理员签发 "
                       "(gridlink apikeys create <用户名> --name <系统名称>), "
                       "密钥所属用户须有上报案卷的权限 (cases: create)",
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": endpoint_url,
            "changeset": stamp,
            "type": "production",
            "formats": [XML_TYPE, JSON_TYPE],
        }],
    }


def _service(category: CaseCategory) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": f"{category.kind.label} · {category.big_class_name} · {category.name}; "
                       f"{deadline_notice(category.deadline_value, category.deadline_unit)}",
        "metadata": False,  # no extra attributes: a point and a description are enough
        "type": "realtime",  # the case code is known as soon as the case is written
        "keywords": f"{category.kind.label}, {category.big_class_name}, {category.name}",
        "group": category.big_class_name,
    }


def services(session: Session) -> list[dict[str, Any]]:
    categories = session.execute(select(CaseCategory).where(CaseCategory.is_active.is_(True))
                                 .order_by(CaseCategory.code)).scalars()
    return [_service(category) for category in categories]


def active_category(session: Session, service_code: str | None) -> CaseCategory:
    if not service_code:
        raise Open311Error(400, "缺少 service_code")
    category = session.execute(select(CaseCategory).where(
        CaseCategory.code == service_code, CaseCategory.is_active.is_(True))).scalar_one_or_none()
    if category is None:
        raise Open311Error(404, f"service_code '{service_code}' 不存在")
    return category


def service_definition(session: Session, service_code: str) -> dict[str, Any]:
    active_category(session, service_code)
    return {"service_code": service_code, "attributes": []}


# --- reading requests ------------------------------------------------------------------------


_REQUEST_COLUMNS = (
    Case.code, Case.status, Case.category_code, CaseCategory.name.label("service_name"),
    CaseCategory.deadline_value, CaseCategory.deadline_unit, Case.description,
    Department.name.label("agency"), Case.reported_at, Case.updated_at, Case.closed_at,
    Case.due_at, Case.address, Case.lat, Case.lng,
)


def _request(row: Any) -> dict[str, Any]:
    closed = row.status is CaseStatus.closed and row.closed_at is not None
    return {
        "service_request_id": row.code,
        "status": OPEN311_STATUS[row.status],
        "status_notes": row.status.label,
        "service_name": row.service_name,
        "service_code": row.category_code,
        "description": row.description,
        "agency_responsible": row.agency,
        "service_notice": deadline_notice(row.deadline_value, row.deadline_unit),
        "requested_datetime": w3c(row.reported_at),
        # "For requests with status=closed, this will be the date the request was closed."
        "updated_datetime": w3c(row.closed_at if closed else row.updated_at),
        "expected_datetime": w3c(row.due_at),
        "address": row.address,
        "address_id": None,
        "zipcode": None,
        "lat": row.lat,
        "long": row.lng,
        "media_url": None,
    }


def _select_requests(*conditions: Any):
    return (select(*_REQUEST_COLUMNS)
            .join(CaseCategory, CaseCategory.code == Case.category_code)
            .outerjoin(Department, Department.code == Case.department_code)
            .where(*conditions))


def one_request(session: Session, service_request_id: str) -> list[dict[str, Any]]:
    row = session.execute(_select_requests(Case.code == service_request_id)).first()
    if row is None:
        raise Open311Error(404, f"service_request_id '{service_request_id}' 不存在")
    return [_request(row)]


def comma_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def parse_datetime(name: str, value: str) -> dt.datetime:
    """w3c datetime, e.g. 2026-11-01T00:00:00Z or ...+08:00; without an offset, Beijing time."""
    # An unencoded "+08:00" in a query string arrives as " 08:00".
    text = re.sub(r" (\d\d:?\d\d)$", r"+\1", value.strip())
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error(400, f"{name} 不是有效的时间: '{value}' "
                                "(应为 w3c 格式, 如 2026-11-01T00:00:00+08:00)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=BEIJING)
    if not 1900 <= parsed.year <= 2999:
        raise Open311Error(400, f"{name} 超出范围: '{value}'")
    return parsed


def _positive(name: str, value: str | None, default: int, high: int) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit() or not 1 <= int(value) <= high:
        raise Open311Error(400, f"{name} 应为 1 到 {high} 之间的整数")
    return int(value)


def find_requests(session: Session, *, service_request_id: str | None = None,
                  service_code: str | None = None, start_date: str | None = None,
                  end_date: str | None = None, status: str | None = None,
                  page: str | None = None, page_size: str | None = None) -> list[dict[str, Any]]:
    """GET requests: newest first, at most 90 days and 1000 requests (page/page_size page
    further, an extension many Open311 servers offer)."""
    size = _positive("page_size", page_size, MAX_REQUESTS, MAX_REQUESTS)
    offset = (_positive("page", page, 1, 10**6) - 1) * size
    ids = comma_list(service_request_id)
    if ids:  # "This overrides all other arguments."
        if len(ids) > MAX_REQUESTS:
            raise Open311Error(400, f"service_request_id 最多 {MAX_REQUESTS} 个")
        conditions = [Case.code.in_(ids)]
    else:
        conditions = _window(start_date, end_date)
        codes = comma_list(service_code)
        if codes:
            conditions.append(Case.category_code.in_(codes))
        wanted = comma_list(status)
        unknown = sorted(set(wanted) - {"open", "closed"})
        if unknown:
            raise Open311Error(400, f"status 只能是 open 或 closed, 而非 {', '.join(unknown)}")
        if wanted and set(wanted) != {"open", "closed"}:
            statuses = OPEN_STATUSES if "open" in wanted else CLOSED_STATUSES
            conditions.append(Case.status.in_(statuses))
    stmt = (_select_requests(*conditions).order_by(Case.reported_at.desc(), Case.id.desc())
            .limit(size).offset(offset))
    return [_request(row) for row in session.execute(stmt)]


def _window(start_date: str | None, end_date: str | None) -> list[Any]:
    """The requested_datetime range: the most recent 90 days unless the client says otherwise,
    and never more than 90 days."""
    start = parse_datetime("start_date", start_date) if start_date else None
    end = parse_datetime("end_date", end_date) if end_date else None
    if start is None:
        end = end if end is not None else utcnow()
        start = end - MAX_SPAN
    elif end is None:
        end = start + MAX_SPAN
    if start > end:
        raise Open311Error(400, "start_date 不能晚于 end_date")
    if end - start > MAX_SPAN:
        raise Open311Error(400, "start_date 与 end_date 相隔不能超过 90 天")
    return [Case.reported_at >= start, Case.reported_at <= end]


# --- creating a request ----------------------------------------------------------------------


def _number(name: str, value: str | None) -> float:
    try:
        number = float(value or "")
    except ValueError:
        raise Open311Error(400, f"{name} 应为数字 (WGS84 经纬度), 而非 '{value}'") from None
    if not math.isfinite(number):
        raise Open311Error(400, f"{name} 应为有限的数字")
    return number


def _reporter_name(first_name: str | None, last_name: str | None) -> str | None:
    first, last = (first_name or "").strip(), (last_name or "").strip()
    if first.isascii() and last.isascii():
        return " ".join(part for part in (first, last) if part) or None
    return f"{last}{first}" or None  # 姓在前


def _as_open311(exc: ProblemError) -> Open311Error:
    fields = [OPEN311_NAMES.get(e.field, e.field) for e in exc.errors]
    detail = "; ".join(f"{name}: {e.msg}"
                       for name, e in zip(fields, exc.errors, strict=True)) or exc.detail
    return Open311Error(exc.status if exc.status in (403, 404) else 400, detail)


def create_request(session: Session, caller: Caller, form: dict[str, str | None]
                   ) -> list[dict[str, Any]]:
    """POST requests: a `reported` case from source open311, written through the CRUD registry
    (validated, scoped and audited like any other). The grid comes from lat/long."""
    if caller.principal is not None and not caller.principal.can(CASES.name, "create"):
        raise Open311Error(403, "该 api_key 所属用户无权上报案卷 (cases: create)")
    category = active_category(session, form.get("service_code"))
    if not form.get("lat") or not form.get("long"):
        # The grid, and so who acts, follows from the point: an address alone places nothing.
        raise Open311Error(400, "缺少 lat 与 long: 本系统按坐标确定所属网格")
    lat, lng = _number("lat", form["lat"]), _number("long", form["long"])
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise Open311Error(400, f"坐标 ({lng}, {lat}) 超出经纬度范围")
    if grid_index(session).grid_at(lng, lat) is None:
        raise Open311Error(400, f"坐标 ({lng}, {lat}) 不在任何网格内")
    address = (form.get("address_string") or "").strip() or None
    description = (form.get("description") or "").strip()
    if media_url := form.get("media_url"):  # no media column: the link goes where staff read
        description = f"{description}\n图片: {media_url.strip()}".strip()
    name = _reporter_name(form.get("first_name"), form.get("last_name"))
    phone = (form.get("phone") or "").strip() or None
    body = {
        "source": CaseSource.open311, "category_code": category.code,
        "title": f"{address} {category.name}"[:200] if address else category.name,
        "description": description or None, "address": address, "lat": lat, "lng": lng,
        # No grid_code: the case service places the point, as for POST /api/v1/cases; a grid
        # the key's user does not keep is then refused as such (403), not as unknown.
        "reporter_name": name, "reporter_phone": phone,
        "is_anonymous": name is None and phone is None,
    }
    try:
        payload = CASES.create_schema.model_validate(body)
        case = create_row(session, CASES, payload, caller)
    except ValidationError as exc:
        raise Open311Error(400, "; ".join(
            f"{OPEN311_NAMES.get(str(e['loc'][0]), e['loc'][0]) if e['loc'] else 'body'}: "
            f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors())) from None
    except ProblemError as exc:
        session.rollback()
        raise _as_open311(exc) from None
    return [{"service_request_id": case.code,
             "service_notice": deadline_notice(category.deadline_value, category.deadline_unit),
             "account_id": None}]  # the public has no accounts here
