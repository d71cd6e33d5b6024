"""Every list filter on every column, as a partner system would send them: generated from the
registry, so a column added tomorrow is covered by itself.

For each entity a real row is made through the API; then each filterable column is asked about
with every operator its type takes, using the row's own value: the row must be in the answer
exactly when the condition holds for it. A value that does not parse, or an operator the type
does not take, answers 400 naming the parameter, never 500.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Boolean, Date, Float, Integer, Numeric
from sqlalchemy import Enum as SAEnum

from backend.core.db import TagList, UTCDateTime
from backend.entities import ENTITIES
from tests.builders import ok
from tests.world import DOMAIN_ENTITIES, make_world, new_row

ORDERING = ("gt", "gte", "lt", "lte")


def kind_of(column) -> str:
    """The filter kind of a column, from its SQL type (not its Python type: that is the bug
    this file was written for)."""
    col_type = column.type
    for sql_type, kind in ((TagList, "tags"), (SAEnum, "enum"), (UTCDateTime, "timestamp"),
                           (Boolean, "bool"), (Date, "date"), (Integer, "int"),
                           (Float, "float"), (Numeric, "float")):
        if isinstance(col_type, sql_type):
            return kind
    return "text"


# A value that parses as no value of the kind, per kind.
MALFORMED = {"timestamp": "not-a-date", "date": "2026-13-45", "int": "twelve",
             "float": "1.5.1", "bool": "maybe", "enum": "no-such-value"}
# Values the kind's parser must refuse as well: out of any column's range, or not a number.
ALSO_MALFORMED = {"timestamp": ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00",
                                "2026-11-30T25:00:00Z"],
                  "int": ["99999999999999999999", "1.5"], "float": ["nan", "inf", "1e999"],
                  "date": ["2026-02-30"]}


def expectations(kind: str, value) -> list[tuple[str, str, bool]]:
    """(operator, raw value, whether the row matches) for a row holding `value`."""
    if value is None or value == []:
        return [("isnull", "true", True), ("isnull", "false", False)]
    checks = [("isnull", "false", True), ("isnull", "true", False)]
    if kind == "tags":
        return [*checks, ("contains", value[0], True), ("contains", value[0] + "无此标签", False)]
    raw = {"bool": str(value).lower()}.get(kind, str(value))
    checks += [("eq", raw, True), ("ne", raw, False), ("in", raw, True)]
    if kind in ("bool", "enum"):
        return checks
    checks += [("gte", raw, True), ("lte", raw, True), ("gt", raw, False), ("lt", raw, False)]
    if kind == "text" and len(raw) >= 2:
        checks += [("contains", raw[1:], True), ("startswith", raw[:-1], True),
                   ("startswith", raw[1:] + "~", False)]
    return checks


def refusals(kind: str) -> list[tuple[str, str]]:
    """(operator, raw value) pairs the list must answer 400 to, for this kind of column."""
    refused = [("isnull", "maybe")]
    if kind == "tags":
        return refused + [(op, "低保") for op in ("eq", "ne", "in", *ORDERING, "startswith")]
    if kind == "text":
        return [*refused, ("in", ",")]
    bad = [MALFORMED[kind], *ALSO_MALFORMED.get(kind, [])]
    refused += [(op, value) for value in bad for op in ("eq", "ne", "gte", "lt")
                if kind not in ("bool", "enum") or op in ("eq", "ne")]
    refused += [("in", f"{bad[0]},{bad[0]}"), ("contains", "1"), ("startswith", "1")]
    if kind in ("bool", "enum"):
        refused += [(op, "1") for op in ORDERING]
    return refused


@pytest.fixture
def rows(client) -> dict[str, dict]:
    """One real row of every domain entity, as the API gives it back."""
    world = make_world(client)
    made = {"buildings": world.building, "households": world.household,
            "residents": world.resident, "departments": world.department,
            "case-categories": world.category, "patrols": world.patrol}
    for entity in DOMAIN_ENTITIES:
        if entity not in made:
            made[entity] = ok(client.post(f"/api/v1/{entity}", json=new_row(entity, world)[0]),
                              201)
    return made


@pytest.mark.parametrize("entity", DOMAIN_ENTITIES)
def test_every_filter_finds_the_row_exactly_when_its_condition_holds(client, rows, entity):
    spec = ENTITIES[entity]
    row = ok(client.get(f"/api/v1/{entity}/{rows[entity]['id']}"))
    wrong = []
    for name in sorted(spec.filterable):
        kind = kind_of(spec.columns[name])
        for op, raw, matches in expectations(kind, row[name]):
            key = name if op == "eq" else f"{name}__{op}"
            response = client.get(f"/api/v1/{entity}", params={"id": row["id"], key: raw})
            if response.status_code != 200:
                wrong.append(f"{key}={raw!r} ({kind}): {response.status_code} {response.text}")
            elif response.json()["total"] != int(matches):
                wrong.append(f"{key}={raw!r} ({kind}): matched {response.json()['total']} rows, "
                             f"expected {int(matches)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("entity", DOMAIN_ENTITIES)
def test_a_value_that_does_not_parse_answers_400_naming_the_parameter(client, entity):
    spec = ENTITIES[entity]
    wrong = []
    for name in sorted(spec.filterable):
        kind = kind_of(spec.columns[name])
        for op, raw in refusals(kind):
            key = name if op == "eq" else f"{name}__{op}"
            response = client.get(f"/api/v1/{entity}", params={key: raw})
            fields = [e.get("field") for e in response.json().get("errors", [])] \
                if response.headers.get("content-type", "").startswith("application/") else []
            if response.status_code != 400 or fields != [key]:
                wrong.append(f"{key}={raw!r} ({kind}): "
                             f"{response.status_code} {response.text[:200]}")
    assert not wrong, "\n".join(wrong)


def test_every_timestamp_operator_of_the_readme_answers_on_cases(client, rows):
    """The README's own example, and the other timestamp filters the hardening pass tried."""
    due = dt.datetime.now(dt.UTC) + dt.timedelta(days=3650)
    for query in ({"due_at__lt": due.strftime("%Y-%m-%dT%H:%M:%SZ")},
                  {"reported_at__gte": "2026-01-01T00:00:00+08:00"},
                  {"created_at__gt": "2000-01-01"},
                  {"due_at__in": "2026-12-01T00:00:00Z,2026-12-02T00:00:00Z"}):
        ok(client.get("/api/v1/cases", params=query))
    created = rows["cases"]["created_at"]
    assert ok(client.get("/api/v1/cases", params={"created_at": created}))["total"] == 1


def test_every_filterable_column_has_a_known_kind():
    """A column type the filters do not know would reach the database as raw text."""
    known = (TagList, SAEnum, UTCDateTime, Boolean, Date, Integer, Float, Numeric)
    for spec in ENTITIES.values():
        for name in spec.filterable:
            column = spec.columns[name]
            assert isinstance(column.type, known) or column.type.python_type is str, \
                f"{spec.name}.{name}: {column.type!r}"
