"""Field types shared by the schemas of every domain, with zh-CN error messages."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
_DIGITS = re.compile(r"^\d+$")


def _phone(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().replace(" ", "")
    if not _PHONE.match(value):
        raise ValueError("电话号码格式不正确: 应为11位手机号或带区号的固定电话")
    return value


def digits(length: int, what: str):
    def check(value: str | None) -> str | None:
        if value is None:  # the field may be optional: None is the type's business
            return None
        if len(value) != length or not _DIGITS.match(value):
            raise ValueError(f"{what}应为{length}位数字")
        return value

    return AfterValidator(check)


Phone = Annotated[str, Field(max_length=30, examples=["13812345678"]), AfterValidator(_phone)]
Name = Annotated[str, Field(min_length=1, max_length=50)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
Latitude = Annotated[float, Field(ge=-90, le=90, description="纬度 (WGS84)")]
Longitude = Annotated[float, Field(ge=-180, le=180, description="经度 (WGS84)")]
