"""What clients send to create ledger rows (the read schemas come from the models)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, ValidationInfo, field_validator

from backend.core.db import MAX_ID
from backend.core.schemas import CreateSchema
from backend.core.validation import Latitude, Longitude, Name, Phone, ShortText, digits
from backend.ledgers.id_number import InvalidIdNumber, parse_id_number
from backend.ledgers.models import KeyGroup, OrganizationKind, ResidenceType, RiskGrade, Sex

GridCode = Annotated[str, Field(title="网格编码", examples=["410602001002007"]),
                     digits(15, "网格编码")]


def _id_number(value: str) -> str:
    try:
        return parse_id_number(value).number
    except InvalidIdNumber as exc:
        raise ValueError(str(exc)) from None


def _unique_tags(tags: list[KeyGroup]) -> list[KeyGroup]:
    return list(dict.fromkeys(tags))


IdNumber = Annotated[
    str,
    Field(min_length=18, max_length=18, title="公民身份号码",
          description="18位, 末位为校验码 (0-9 或 X; 小写 x 自动转为大写)"),
    AfterValidator(_id_number),
]


class BuildingCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "grid_code": "410602001002007", "name": "3号楼", "address": "鹤山区新华街88号院3号楼",
        "floors": 6, "units": 3, "head_name": "张桂兰", "head_phone": "13698765432",
        "lat": 35.935, "lng": 114.175}]})

    grid_code: GridCode
    name: Annotated[str, Field(min_length=1, max_length=100, title="楼栋名称")]
    address: Annotated[ShortText, Field(title="地址")]
    floors: Annotated[int | None, Field(ge=1, le=200, title="层数")] = None
    units: Annotated[int | None, Field(ge=1, le=100, title="单元数")] = None
    head_name: Name | None = None
    head_phone: Phone | None = None
    lat: Latitude | None = None
    lng: Longitude | None = None


class HouseholdCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "building_id": 1, "grid_code": "410602001002007", "room": "2单元301", "head_name": "刘志强",
        "is_rental": True, "landlord_name": "刘志强", "landlord_phone": "13512345678",
        "note": "租户为外地务工人员"}]})

    building_id: Annotated[int, Field(ge=1, le=MAX_ID, title="楼栋")]
    grid_code: Annotated[GridCode | None, Field(description="可省略: 取所属楼栋的网格")] = None
    room: Annotated[str, Field(min_length=1, max_length=30, title="房号")]
    head_name: Name | None = None
    is_rental: bool = False
    landlord_name: Name | None = None
    landlord_phone: Phone | None = None
    note: Annotated[str | None, Field(max_length=2000)] = None

    @field_validator("landlord_name", "landlord_phone", mode="after")
    @classmethod
    def _landlord_only_for_rentals(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value and not info.data.get("is_rental", True):
            raise ValueError("只有出租房屋 (is_rental=true) 才登记房东信息")
        return value


class ResidentCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "household_id": 1, "grid_code": "410602001002007", "name": "刘志强",
        "id_number": "410602198005170278", "phone": "13512345678",
        "residence_type": "registered", "relation_to_head": "户主",
        "key_groups": ["低保"], "note": None}]})

    household_id: Annotated[int | None, Field(ge=1, le=MAX_ID, title="户")] = None
    grid_code: Annotated[GridCode | None, Field(description="有户时可省略: 取户所在网格",
                                                validate_default=True)] = None
    name: Annotated[Name, Field(title="姓名")]
    id_number: IdNumber
    sex: Annotated[Sex | None, Field(description="可省略: 由身份证号推出; 给出时须一致",
                                     validate_default=True)] = None
    birth_date: Annotated[dt.date | None, Field(description="可省略: 由身份证号推出; 给出时须一致",
                                                validate_default=True)] = None
    phone: Phone | None = None
    residence_type: Annotated[ResidenceType, Field(title="居住类型")] = ResidenceType.registered
    relation_to_head: Annotated[str | None, Field(max_length=20)] = None
    key_groups: Annotated[list[KeyGroup], Field(max_length=len(KeyGroup), title="重点人群标签"),
                          AfterValidator(_unique_tags)] = []
    note: Annotated[str | None, Field(max_length=2000)] = None

    @field_validator("grid_code", mode="after")
    @classmethod
    def _grid_or_household(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("household_id") is None and "household_id" in info.data:
            raise ValueError("不属于任何户的居民必须指定网格编码")
        return value

    @field_validator("sex", mode="after")
    @classmethod
    def _sex_from_id_number(cls, value: Sex | None, info: ValidationInfo) -> Sex | None:
        if "id_number" not in info.data:  # the ID number itself was invalid: reported there
            return value
        derived = Sex(parse_id_number(info.data["id_number"]).sex)
        if value is not None and value is not derived:
            raise ValueError(f"与身份证号不符: 身份证号表明为{derived.label}")
        return derived

    @field_validator("birth_date", mode="after")
    @classmethod
    def _birth_date_from_id_number(cls, value: dt.date | None, info: ValidationInfo):
        if "id_number" not in info.data:
            return value
        derived = parse_id_number(info.data["id_number"]).birth_date
        if value is not None and value != derived:
            raise ValueError(f"与身份证号不符: 应为 {derived.isoformat()}")
        return derived


class OrganizationCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "grid_code": "410602001002007", "name": "鹤壁市新华五金建材有限公司", "kind": "enterprise",
        "credit_code": "91410600MA44ABCD1X", "legal_person": "赵铁柱", "phone": "0392-3345678",
        "address": "鹤山区新华街102号", "employees": 28, "risk_grade": "general",
        "is_key_supervised": False, "lat": 35.936, "lng": 114.176}]})

    grid_code: GridCode
    name: Annotated[str, Field(min_length=1, max_length=200, title="名称")]
    kind: Annotated[OrganizationKind, Field(title="类型")]
    credit_code: Annotated[str | None, Field(
        pattern=r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$", title="统一社会信用代码")
    ] = None
    legal_person: Name | None = None
    phone: Phone | None = None
    address: Annotated[str | None, Field(max_length=200)] = None
    employees: Annotated[int | None, Field(ge=0, le=1_000_000)] = None
    risk_grade: RiskGrade | None = None
    is_key_supervised: bool = False
    lat: Latitude | None = None
    lng: Longitude | None = None
