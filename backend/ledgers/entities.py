"""Entity declarations of the ledgers: buildings, households, residents, organisations."""

from __future__ import annotations

from backend.core.crud import EntitySpec, ParentLink, register
from backend.ledgers.models import Building, Household, Organization, Resident
from backend.ledgers.schemas import (
    BuildingCreate,
    HouseholdCreate,
    OrganizationCreate,
    ResidentCreate,
)

BUILDINGS = register(EntitySpec(
    name="buildings", model=Building, create_schema=BuildingCreate, label="楼栋",
    label_en="buildings", children=(("households", "building_id"),),
))
HOUSEHOLDS = register(EntitySpec(
    name="households", model=Household, create_schema=HouseholdCreate, label="户",
    label_en="households", parent=ParentLink("building_id", Building),
    pii={"landlord_phone": "phone"},
    children=(("residents", "household_id"), ("visits", "household_id")),
))
RESIDENTS = register(EntitySpec(
    name="residents", model=Resident, create_schema=ResidentCreate, label="居民",
    label_en="residents", parent=ParentLink("household_id", Household),
    # The birth date with the masked ID number is the whole number: withheld (birth_year stays).
    # Sex is shown: the masked number keeps its 17th digit, which already says it.
    pii={"id_number": "id_number", "phone": "phone", "birth_date": "hide", "key_groups": "hide"},
    derived={"sex": "id_number", "birth_date": "id_number"},
    read_example={"sex": "male", "birth_date": "1980-05-17", "birth_year": 1980},
))
ORGANIZATIONS = register(EntitySpec(
    name="organizations", model=Organization, create_schema=OrganizationCreate,
    label="组织/单位", label_en="organizations",
))
