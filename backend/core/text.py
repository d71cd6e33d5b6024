"""What text may hold: no NUL or other control character (tab, LF and CR are text).

The one rule for every way text comes in: the request guard (backend/api/input_guard.py)
applies it to URLs, forms and JSON; the registry (crud) to imported cells.
"""

from __future__ import annotations

import re

# Control characters refused in values (tab, LF and CR are text) and in names (none is).
REFUSED_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
REFUSED_IN_NAMES = re.compile("[\x00-\x1f\x7f-\x9f]")


def reason(character: str) -> str:
    code = f"\\x{ord(character):02x}"
    return f"不能包含空字符 ({code})" if character == "\x00" else f"不能包含控制字符 ({code})"


def printable(name: str) -> str:
    """A name as a field to report: its control characters written as escapes."""
    return REFUSED_IN_NAMES.sub(lambda match: f"\\x{ord(match[0]):02x}", name)


def text_problem(value: str) -> str | None:
    """Why `value` may not be stored as text (None: it may): the one rule, also crud's."""
    found = REFUSED_IN_TEXT.search(value)
    return reason(found[0]) if found else None
