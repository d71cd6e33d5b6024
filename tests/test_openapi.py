"""The OpenAPI document partner departments build against."""

from __future__ import annotations

import re

import pytest

from backend.entities import ENTITIES
from tests.world import DOMAIN_ENTITIES

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def openapi(client):
    return client.get("/openapi.json").json()


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_every_entity_has_five_documented_operations(openapi, entity):
    collection = openapi["paths"][f"/api/v1/{entity}"]
    item = openapi["paths"][f"/api/v1/{entity}/{{item_id}}"]
    if ENTITIES[entity].read_only:  # the audit log is append-only: no write route at all
        assert set(collection) == {"get"} and set(item) == {"get"}
    else:
        assert set(collection) == {"get", "post"} and set(item) == {"get", "patch", "delete"}
    for operation in [*collection.values(), *item.values()]:
        assert CHINESE.search(operation["summary"]), operation["summary"]
        assert "Problem" in str(operation["responses"])


@pytest.mark.parametrize("entity", DOMAIN_ENTITIES)
def test_schemas_carry_chinese_examples_and_labels(openapi, entity):
    spec = ENTITIES[entity]
    schemas = openapi["components"]["schemas"]
    create = schemas[spec.create_schema.__name__]
    read = schemas[spec.read_schema.__name__]
    for schema in (create, read):
        (example,) = schema["examples"]
        assert CHINESE.search(str(example)), example
    # Null example values are dropped from the published document; every other field is shown.
    not_null = {c.name for c in spec.model.__table__.columns if not c.nullable}
    assert not_null <= set(read["examples"][0]) <= set(read["properties"])
    assert all(CHINESE.search(prop.get("title", "")) for prop in read["properties"].values())


def test_the_list_query_language_is_documented_on_every_list(openapi):
    for entity in ENTITIES:
        description = openapi["paths"][f"/api/v1/{entity}"]["get"]["description"]
        assert "__startswith" in description and "format=csv" in description
