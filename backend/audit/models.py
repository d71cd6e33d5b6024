"""The audit log: append-only, one row per write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import HIERARCHICAL, TableBase


class AuditEntry(TableBase):
    __tablename__ = "audit_log"
    __table_args__ = {"comment": "审计日志"}

    actor: Mapped[str] = mapped_column(String(50), index=True, comment="操作人")
    action: Mapped[str] = mapped_column(String(30), index=True, comment="动作")
    entity: Mapped[str] = mapped_column(String(30), index=True, comment="对象类型")
    entity_id: Mapped[int | None] = mapped_column(Integer, index=True, comment="对象编号")
    # The area or grid code of the row written, so that leaders see their area's entries.
    scope_code: Mapped[str | None] = mapped_column(
        String(15), index=True, info=HIERARCHICAL, comment="区域/网格代码"
    )
    # {"field": [before, after]}, personal data masked.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, comment="变更内容")
    request_id: Mapped[str | None] = mapped_column(String(64), comment="请求编号")
    client: Mapped[str | None] = mapped_column(String(100), comment="客户端地址")
