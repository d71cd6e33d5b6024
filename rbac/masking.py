"""How personal data looks to a role without `pii`: masked, never sent in the clear.

A mask must not leave what rebuilds the value elsewhere: the ID number hides the birth date, so
the birth date itself is withheld too (only its year, `birth_year`, is shown to everyone).
"""

from __future__ import annotations

from typing import Any


def mask_id_number(value: str | None) -> str | None:
    """410602198005170032 -> 410602********0032 (region kept, birth date hidden)."""
    if not value:
        return value
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def mask_phone(value: str | None) -> str | None:
    """13812345678 -> 138****5678; 0392-2345678 -> 0392-***5678."""
    if not value:
        return value
    front = 3 if value.isdigit() else value.find("-") + 1  # keep the operator or area code
    if len(value) - front <= 4:
        return "*" * len(value)
    return value[:front] + "*" * (len(value) - front - 4) + value[-4:]


def mask_name(value: str | None) -> str | None:
    """王建国 -> 王**: a reporter is addressed, not identified (the length is not kept either)."""
    if not value:
        return value
    return value[0] + "**"


def hide(_value: Any) -> None:
    """Key-group tags and birth dates are not masked but withheld: null means "not shown to
    you"."""
    return None


MASKS = {"id_number": mask_id_number, "phone": mask_phone, "name": mask_name, "hide": hide}
# What a role without `pii` reads, as the API documentation says it (read schemas).
SHOWN_MASKED = {
    "id_number": "脱敏值, 如 410602********1234", "phone": "脱敏值, 如 138****5678",
    "name": "姓, 如 王**", "hide": "null (不提供)",
}


def mask_note(mask: str) -> str:
    return f"个人信息: 无 pii 权限的角色读到{SHOWN_MASKED[mask]}, 也不能按它筛选或排序"
