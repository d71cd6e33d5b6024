"""How personal data looks to a role without `pii`: masked, never sent in the clear."""

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


def hide(_value: Any) -> None:
    """Key-group tags are not masked but withheld: null means "not shown to you"."""
    return None


MASKS = {"id_number": mask_id_number, "phone": mask_phone, "hide": hide}
