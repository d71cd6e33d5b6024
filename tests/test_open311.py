"""Open311 GeoReport v2: the specification's paths, fields, formats and errors, over our cases.

Field lists are spelled out here from the specification (http://wiki.open311.org/GeoReport_v2
and /Service_Discovery), not imported from the code under test.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import update

from backend.cases.models import Case
from backend.core.db import BEIJING
from tests.builders import GRID, OTHER_GRID, ok
from tests.world import make_world

V2 = "/open311/v2"
DISCOVERY_FIELDS = ["changeset", "contact", "key_service", "endpoints"]
ENDPOINT_FIELDS = ["specification", "url", "changeset", "type", "formats"]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords",
                  "group"]
DEFINITION_FIELDS = ["service_code", "attributes"]
REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code",
                  "description", "agency_responsible", "service_notice", "requested_datetime",
                  "updated_datetime", "expected_datetime", "address", "address_id", "zipcode",
                  "lat", "long", "media_url"]
CREATED_FIELDS = ["service_request_id", "service_notice", "account_id"]
ERROR_FIELDS = ["code", "description"]

IN_GRID = {"lat": "35.935", "long": "114.175"}  # inside GRID
IN_OTHER_GRID = {"lat": "35.935", "long": "114.185"}
OUTSIDE = {"lat": "36.5", "long": "114.175"}
REPORTER = {"first_name": "小明", "last_name": "王", "phone": "13700001111",
            "email": "wxm@example.com", "device_id": "device-1", "account_id": "acct-9"}


@pytest.fixture
def world(client):
    return make_world(client)


def key_for(client, accounts, username: str) -> str:
    return ok(client.post("/api/v1/api-keys", json={"user_id": accounts[username],
                                                     "name": "12345热线系统"}), 201)["key"]


@pytest.fixture
def api_key(client, accounts, world) -> str:
    """A key of the command centre's dispatcher: it may create cases in the whole county."""
    return key_for(client, accounts, "dispatcher")


def xml_of(response, status: int = 200) -> ET.Element:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    return ET.fromstring(response.content)  # well-formed, or this raises


def json_of(response, status: int = 200):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


def tags(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def assert_errors(response, status: int, words: str = "") -> str:
    """The spec's error list, in the format the path asked for; returns the description."""
    if response.request.url.path.endswith(".xml"):
        root = xml_of(response, status)
        assert root.tag == "errors" and tags(root) == ["error"]
        assert tags(root[0]) == ERROR_FIELDS
        code, description = root[0].findtext("code"), root[0].findtext("description")
        assert code == str(status)
    else:
        body = json_of(response, status)
        assert isinstance(body, list) and len(body) == 1 and list(body[0]) == ERROR_FIELDS
        code, description = body[0]["code"], body[0]["description"]
        assert code == status
    assert words in description, description
    return description


def post(anonymous, fmt: str = "json", **fields):
    return anonymous.post(f"{V2}/requests.{fmt}", data=fields)


def report(anonymous, api_key: str, **fields) -> str:
    body = json_of(post(anonymous, **{"api_key": api_key, "service_code": "07011"} | IN_GRID
                        | fields))
    return body[0]["service_request_id"]


def case_by_code(client, code: str) -> dict:
    (case,) = ok(client.get("/api/v1/cases", params={"code": code}))["items"]
    return case


def set_case(app, code: str, **values) -> None:
    """The workflow that moves cases is another issue's: set the columns directly."""
    with app.state.db.session() as session:
        session.execute(update(Case).where(Case.code == code).values(**values))
        session.commit()


# --- discovery and services ------------------------------------------------------------------


def test_discovery_in_json_and_xml(anonymous, world):
    body = json_of(anonymous.get(f"{V2}/discovery.json"))
    assert list(body) == DISCOVERY_FIELDS
    (endpoint,) = body["endpoints"]
    assert list(endpoint) == ENDPOINT_FIELDS
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["type"] == "production"
    assert endpoint["formats"] == ["text/xml", "application/json"]

    root = xml_of(anonymous.get(f"{V2}/discovery.xml"))
    assert root.tag == "discovery" and tags(root) == DISCOVERY_FIELDS
    (endpoint_xml,) = root.find("endpoints")
    assert endpoint_xml.tag == "endpoint" and tags(endpoint_xml) == ENDPOINT_FIELDS
    assert [f.text for f in endpoint_xml.find("formats")] == endpoint["formats"]
    assert tags(endpoint_xml.find("formats")) == ["format", "format"]
    assert root.findtext("changeset") == body["changeset"]


def test_services_are_the_active_case_categories(client, anonymous, world):
    ok(client.post("/api/v1/case-categories", json={
        "code": "04001", "kind": "component", "big_class_code": "04", "big_class_name": "园林绿化",
        "name": "行道树", "deadline_value": 3, "deadline_unit": "working_days",
        "is_active": False}), 201)
    (service,) = json_of(anonymous.get(f"{V2}/services.json"))
    assert list(service) == SERVICE_FIELDS
    assert service == service | {"service_code": "07011", "service_name": "积存垃圾渣土",
                                 "metadata": False, "type": "realtime", "group": "市容环境"}
    assert "市容环境" in service["keywords"] and "6 工作时" in service["description"]

    root = xml_of(anonymous.get(f"{V2}/services.xml"))
    assert root.tag == "services" and tags(root) == ["service"]
    assert tags(root[0]) == SERVICE_FIELDS
    assert {child.tag: child.text for child in root[0]} == {
        k: ("false" if v is False else v) for k, v in service.items()}


def test_a_service_definition_has_no_attributes(anonymous, world):
    body = json_of(anonymous.get(f"{V2}/services/07011.json"))
    assert list(body) == DEFINITION_FIELDS and body == {"service_code": "07011", "attributes": []}
    root = xml_of(anonymous.get(f"{V2}/services/07011.xml"))
    assert root.tag == "service_definition" and tags(root) == DEFINITION_FIELDS
    assert root.findtext("service_code") == "07011" and len(root.find("attributes")) == 0
    for fmt in ("json", "xml"):
        assert_errors(anonymous.get(f"{V2}/services/99999.{fmt}"), 404, "99999")


def test_an_unknown_format_is_an_open311_error(anonymous, world):
    assert_errors(anonymous.get(f"{V2}/services.csv"), 400, ".json")
    assert_errors(anonymous.get(f"{V2}/requests/1.html"), 400, ".xml")


# --- posting a request -----------------------------------------------------------------------


def test_a_posted_request_becomes_a_reported_open311_case(client, anonymous, api_key):
    created = json_of(post(anonymous, api_key=api_key, service_code="07011",
                           address_string="红旗街12号", description="路口堆了一车建筑垃圾",
                           media_url="https://img.example.com/1.jpg", **IN_OTHER_GRID | REPORTER))
    assert len(created) == 1 and list(created[0]) == CREATED_FIELDS
    assert "6 工作时" in created[0]["service_notice"] and created[0]["account_id"] is None

    case = case_by_code(client, created[0]["service_request_id"])
    assert case["source"] == "open311" and case["status"] == "reported"
    assert case["grid_code"] == OTHER_GRID  # from the point, by the locator
    assert case["category_code"] == "07011" and case["lat"] == 35.935 and case["lng"] == 114.185
    assert case["title"] == "红旗街12号 积存垃圾渣土" and case["address"] == "红旗街12号"
    assert case["description"] == "路口堆了一车建筑垃圾\n图片: https://img.example.com/1.jpg"
    assert case["reporter_name"] == "王小明" and case["reporter_phone"] == "13700001111"
    assert case["is_anonymous"] is False
    # Written through the registry: audited as the key's user.
    (entry,) = ok(client.get("/api/v1/audit-log", params={"entity": "cases",
                                                         "entity_id": case["id"]}))["items"]
    assert entry["actor"] == "dispatcher" and entry["action"] == "create"
    assert "wxm@example.com" not in str(case) + str(entry)  # email and device are not kept


def test_a_request_posted_for_xml_answers_in_xml(client, anonymous, api_key):
    root = xml_of(post(anonymous, "xml", api_key=api_key, service_code="07011", **IN_GRID))
    assert root.tag == "service_requests" and tags(root) == ["request"]
    assert tags(root[0]) == CREATED_FIELDS
    assert root[0].find("account_id").text is None
    case = case_by_code(client, root[0].findtext("service_request_id"))
    assert case["grid_code"] == GRID and case["is_anonymous"] is True
    assert case["reporter_name"] is None and case["title"] == "积存垃圾渣土"


def test_the_api_key_may_come_in_the_query_string(client, anonymous, api_key):
    response = anonymous.post(f"{V2}/requests.json", params={"api_key": api_key},
                              data={"service_code": "07011", **IN_GRID})
    assert case_by_code(client, json_of(response)[0]["service_request_id"])["source"] == "open311"


def test_a_key_scoped_to_a_grid_reports_only_there(client, anonymous, accounts, world):
    member_key = key_for(client, accounts, "member")  # 网格员 of GRID
    code = report(anonymous, member_key)
    assert case_by_code(client, code)["grid_code"] == GRID
    response = post(anonymous, api_key=member_key, service_code="07011", **IN_OTHER_GRID)
    assert_errors(response, 403, "管辖范围")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_errors_in_the_specs_format_and_nothing_written(client, anonymous, accounts,
                                                              api_key, fmt):
    department_key = key_for(client, accounts, "dept-sanitation")  # reads cases, never creates
    good = {"service_code": "07011", **IN_GRID}
    cases = [
        ({**good}, 403, "缺少 api_key"),
        ({"api_key": "gl_nothing_here", **good}, 403, "无效"),
        ({"api_key": department_key, **good}, 403, "cases: create"),
        ({"api_key": api_key, **IN_GRID}, 400, "service_code"),
        ({"api_key": api_key, **good, "service_code": "99999"}, 404, "99999"),
        ({"api_key": api_key, "service_code": "07011", "address_string": "新华街88号"}, 400,
         "lat"),
        ({"api_key": api_key, **good, "lat": "north"}, 400, "lat"),
        ({"api_key": api_key, **good, "long": "nan"}, 400, "long"),
        ({"api_key": api_key, **good, "lat": "95"}, 400, "范围"),
        ({"api_key": api_key, "service_code": "07011", **OUTSIDE}, 400, "不在任何网格内"),
        ({"api_key": api_key, **good, "phone": "12345"}, 400, "phone"),
        ({"api_key": api_key, **good, "address_string": "长" * 201}, 400, "address_string"),
    ]
    for fields, status, words in cases:
        assert_errors(post(anonymous, fmt, **fields), status, words)
    assert ok(client.get("/api/v1/cases"))["total"] == 0


def test_a_revoked_key_is_refused(client, anonymous, accounts, world):
    created = ok(client.post("/api/v1/api-keys", json={"user_id": accounts["dispatcher"],
                                                        "name": "旧系统"}), 201)
    report(anonymous, created["key"])
    ok(client.delete(f"/api/v1/api-keys/{created['id']}"))
    response = post(anonymous, api_key=created["key"], service_code="07011", **IN_GRID)
    assert_errors(response, 403, "无效")


# --- reading requests --------------------------------------------------------------------------


def test_requests_are_public_and_carry_no_personal_data(client, anonymous, api_key):
    code = report(anonymous, api_key, address_string="新华街88号", description="门口有垃圾",
                  **REPORTER)
    ok(client.post("/api/v1/cases", json={
        "source": "hotline_12345", "category_code": "07011", "title": "88号院门口积存垃圾",
        "grid_code": GRID, "reporter_name": "李秀英", "reporter_phone": "13987654321"}), 201)

    items = json_of(anonymous.get(f"{V2}/requests.json"))
    assert len(items) == 2 and all(list(item) == REQUEST_FIELDS for item in items)
    mine = next(item for item in items if item["service_request_id"] == code)
    assert mine == mine | {"status": "open", "status_notes": "已上报", "service_code": "07011",
                           "service_name": "积存垃圾渣土", "description": "门口有垃圾",
                           "address": "新华街88号", "lat": 35.935, "long": 114.175,
                           "agency_responsible": None, "expected_datetime": None}
    assert mine["requested_datetime"].endswith("+08:00")
    assert dt.datetime.fromisoformat(mine["requested_datetime"]).tzinfo is not None

    root = xml_of(anonymous.get(f"{V2}/requests.xml"))
    assert root.tag == "service_requests" and tags(root) == ["request", "request"]
    assert all(tags(request) == REQUEST_FIELDS for request in root)

    seen = (anonymous.get(f"{V2}/requests.json").text + anonymous.get(f"{V2}/requests.xml").text
            + anonymous.get(f"{V2}/requests/{code}.json").text)
    for private in ("王小明", "小明", "13700001111", "李秀英", "13987654321", "wxm@example.com",
                    "reporter", "is_anonymous"):
        assert private not in seen


def test_one_request_by_its_id(anonymous, api_key):
    code = report(anonymous, api_key)
    (item,) = json_of(anonymous.get(f"{V2}/requests/{code}.json"))
    assert list(item) == REQUEST_FIELDS and item["service_request_id"] == code
    root = xml_of(anonymous.get(f"{V2}/requests/{code}.xml"))
    assert tags(root) == ["request"] and root[0].findtext("service_request_id") == code
    assert root[0].findtext("lat") == "35.935" and root[0].findtext("long") == "114.175"
    assert root[0].find("address_id").text is None  # empty element for null
    for fmt in ("json", "xml"):
        assert_errors(anonymous.get(f"{V2}/requests/2026010100000000.{fmt}"), 404,
                      "2026010100000000")


def test_statuses_map_to_open_and_closed(app, client, anonymous, api_key, world):
    due = dt.datetime(2026, 11, 28, 6, 40, tzinfo=dt.UTC)
    closed_at = dt.datetime(2026, 11, 28, 5, 0, tzinfo=dt.UTC)
    codes = {}
    for status in ("reported", "filed", "dispatched", "processing", "handled", "closed",
                   "cancelled"):
        codes[status] = report(anonymous, api_key)
        set_case(app, codes[status], status=status, department_code=world.department["code"],
                 due_at=due, closed_at=closed_at if status == "closed" else None)
    items = {i["service_request_id"]: i for i in json_of(anonymous.get(f"{V2}/requests.json"))}
    for status, code in codes.items():
        expected = "closed" if status in ("closed", "cancelled") else "open"
        assert items[code]["status"] == expected, status
        assert items[code]["agency_responsible"] == "鹤山区环境卫生管理处"
        assert items[code]["expected_datetime"] == "2026-11-28T14:40:00+08:00"
    # For a closed request the spec's updated_datetime is when it was closed.
    assert items[codes["closed"]]["updated_datetime"] == "2026-11-28T13:00:00+08:00"
    assert items[codes["closed"]]["status_notes"] == "已结案"

    def statuses(query: str) -> set[str]:
        found = json_of(anonymous.get(f"{V2}/requests.json?{query}"))
        return {i["service_request_id"] for i in found}

    closed = {codes["closed"], codes["cancelled"]}
    assert statuses("status=closed") == closed
    assert statuses("status=open") == set(codes.values()) - closed
    assert statuses("status=open,closed") == set(codes.values())
    assert_errors(anonymous.get(f"{V2}/requests.json?status=pending"), 400, "pending")
    assert_errors(anonymous.get(f"{V2}/requests.xml?status=pending"), 400, "pending")


def test_filters_by_id_service_and_date(client, anonymous, api_key):
    ok(client.post("/api/v1/case-categories", json={
        "code": "04001", "kind": "component", "big_class_code": "04", "big_class_name": "园林绿化",
        "name": "行道树", "deadline_value": 3, "deadline_unit": "working_days"}), 201)
    garbage, tree = report(anonymous, api_key), report(anonymous, api_key, service_code="04001")
    old_at = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=120)
    old = ok(client.post("/api/v1/cases", json={
        "source": "app", "category_code": "07011", "title": "老案卷", "grid_code": GRID,
        "reported_at": old_at.isoformat()}), 201)["code"]

    def found(**params) -> list[str]:
        return [i["service_request_id"]
                for i in json_of(anonymous.get(f"{V2}/requests.json", params=params))]

    def w3c(moment: dt.datetime, sep: str = "+") -> str:
        return moment.astimezone(BEIJING).replace(tzinfo=None).isoformat() + f"{sep}08:00"

    before, after = old_at - dt.timedelta(days=10), old_at + dt.timedelta(days=10)
    assert set(found()) == {garbage, tree}  # the most recent 90 days by default
    assert found(service_code="04001") == [tree]
    assert set(found(service_code="04001,07011")) == {garbage, tree}
    # service_request_id overrides everything else, the 90 days included.
    assert set(found(service_request_id=f"{old},{tree}", service_code="07011")) == {old, tree}
    assert found(start_date=w3c(before), end_date=after.isoformat()) == [old]
    assert found(start_date=w3c(before, " ")) == [old]  # "+" unencoded: a space
    naive = after.astimezone(BEIJING).replace(tzinfo=None).isoformat()
    assert found(end_date=naive) == [old]  # no offset: Beijing time
    assert found(start_date=w3c(old_at + dt.timedelta(seconds=1)), end_date=w3c(after)) == []

    for params, words in [
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-01T00:00:00Z"}, "end_date"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90"),
        ({"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-05-01T00:00:00Z"}, "晚于"),
        ({"page_size": "0"}, "page_size"),
        ({"page": "x"}, "page"),
    ]:
        for fmt in ("json", "xml"):
            assert_errors(anonymous.get(f"{V2}/requests.{fmt}", params=params), 400, words)


def test_newest_first_at_most_a_page(anonymous, api_key):
    codes = [report(anonymous, api_key) for _ in range(3)]
    assert found_codes(anonymous) == codes[::-1]
    assert found_codes(anonymous, page_size="2") == codes[:0:-1]
    assert found_codes(anonymous, page_size="2", page="2") == codes[:1]


def found_codes(anonymous, **params) -> list[str]:
    return [i["service_request_id"]
            for i in json_of(anonymous.get(f"{V2}/requests.json", params=params))]


# --- the OpenAPI document ----------------------------------------------------------------------


def test_the_open311_paths_are_documented_with_their_errors(client):
    paths = client.get("/openapi.json").json()["paths"]
    documented = {path: set(ops) for path, ops in paths.items() if path.startswith(V2)}
    assert documented == {
        f"{V2}/discovery.{{format}}": {"get"}, f"{V2}/services.{{format}}": {"get"},
        f"{V2}/services/{{service_code}}.{{format}}": {"get"},
        f"{V2}/requests.{{format}}": {"get", "post"},
        f"{V2}/requests/{{service_request_id}}.{{format}}": {"get"},
    }
    create = paths[f"{V2}/requests.{{format}}"]["post"]
    assert {"400", "403", "404"} <= set(create["responses"])
    assert "Open311ErrorItem" in str(create["responses"]["403"])
    assert "text/xml" in create["responses"]["200"]["content"]


def test_answers_match_the_documented_schemas(app, anonymous, api_key):
    """Schemathesis over the Open311 operations (tests/test_openapi_fuzz.py covers /api/v1):
    no 5xx, documented statuses, content types and JSON shapes."""
    report(anonymous, api_key, **REPORTER)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance]
    operations = [result.ok() for result in schema.get_all_operations()
                  if result.ok().path.startswith(V2)]
    assert len(operations) == 6
    for operation in operations:

        @settings(max_examples=15, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case):
            case.call_and_validate(checks=checks)

        call()
