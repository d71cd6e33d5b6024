"""The open cases' tally: what the command center counts, kept as the cases change.

A row is a change in the number of open cases with one key (status, light, department, grid,
escalated): +1 when a case takes the key, -1 when it leaves it. The database writes them
itself, by triggers on `case` (migration `0014_open_case_tally`), so every writer is counted:
the workflow, the SLA tick's bulk UPDATEs, imports, the demo's seed and raw SQL alike. The
SLA tick folds them into one row per key (backend/kpi/tally.py `compact`).

The light of the key is the light stored on the case, for running cases only (dispatched,
processing; none otherwise): "red" as of now needs the clock, so the reader corrects the few
cases whose stored light the clock has overtaken since the last tick.
"""

from __future__ import annotations

from sqlalchemy import Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import Base


class OpenCaseTally(Base):
    __tablename__ = "open_case_tally"
    __table_args__ = {"comment": "未结案件计数"}

    id: Mapped[int] = mapped_column(Integer, primary_key=True, comment="编号")
    status: Mapped[str] = mapped_column(String(20), comment="状态")
    light: Mapped[str | None] = mapped_column(String(10), comment="亮灯(上次计时)")
    department_code: Mapped[str | None] = mapped_column(String(20), comment="部门")
    grid_code: Mapped[str] = mapped_column(String(15), comment="网格")
    escalated: Mapped[int] = mapped_column(SmallInteger, comment="已督办")
    n: Mapped[int] = mapped_column(Integer, comment="增减")
