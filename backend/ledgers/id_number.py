"""Citizen ID numbers (公民身份号码, GB 11643-1999).

18 characters: 6-digit region code, 8-digit birth date, 3-digit sequence (odd for men, even for
women) and an ISO 7064 MOD 11-2 check character (0-9 or X).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class InvalidIdNumber(ValueError):
    pass


@dataclass(frozen=True)
class IdNumberInfo:
    number: str
    region_code: str
    birth_date: dt.date
    sex: str  # "male" | "female"


def check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def parse_id_number(raw: str, today: dt.date | None = None) -> IdNumberInfo:
    """Validate and decode; a lowercase x is accepted and normalised to X (people type it)."""
    number = raw.strip().upper()
    if not _SHAPE.match(number):
        raise InvalidIdNumber("身份证号应为18位: 17位数字加1位校验码(数字或X)")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber(f"身份证号中的出生日期 {number[6:14]} 不是有效日期") from None
    today = today or dt.date.today()
    if birth > today or birth.year < 1880:
        raise InvalidIdNumber(f"身份证号中的出生日期 {birth.isoformat()} 不在合理范围内")
    expected = check_character(number[:17])
    if number[17] != expected:
        raise InvalidIdNumber(f"身份证号校验码错误: 应为 {expected}")
    sex = "male" if int(number[16]) % 2 == 1 else "female"
    return IdNumberInfo(number=number, region_code=number[:6], birth_date=birth, sex=sex)


def make_id_number(region_code: str, birth_date: dt.date, sequence: int, sex: str) -> str:
    """Build a valid number (used by the demo seed and tests)."""
    # 001-999, odd for men and even for women (000 is not issued).
    order = (sequence % 499 + 1) * 2 + (1 if sex == "male" else 0)
    first17 = f"{region_code}{birth_date:%Y%m%d}{order:03d}"
    return first17 + check_character(first17)
