"""Import jobs: one row per uploaded ledger file, its progress and its per-row errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import TableBase, UTCDateTime
from backend.core.labels import LabeledEnum, enum_column_type


class ImportMode(LabeledEnum):
    dry_run = ("dry_run", "试运行 (只检查, 不写入)")
    all_or_nothing = ("all_or_nothing", "全部或全不 (有错则不写入)")
    valid_only = ("valid_only", "仅导入有效行")


class ImportStatus(LabeledEnum):
    queued = ("queued", "排队中")
    checking = ("checking", "校验中")
    writing = ("writing", "写入中")
    done = ("done", "已完成")
    failed = ("failed", "失败")


class ImportJob(TableBase):
    __tablename__ = "import_job"
    __table_args__ = {"comment": "导入任务"}

    entity: Mapped[str] = mapped_column(String(30), comment="对象类型")
    # Who imported: their id (whose jobs they may read) and name (as in the audit log).
    user_id: Mapped[int | None] = mapped_column(Integer, index=True, comment="用户")
    actor: Mapped[str] = mapped_column(String(50), comment="操作人")
    file_name: Mapped[str] = mapped_column(String(255), comment="文件名")
    mode: Mapped[ImportMode] = mapped_column(enum_column_type(ImportMode), comment="导入方式")
    status: Mapped[ImportStatus] = mapped_column(
        enum_column_type(ImportStatus), index=True, comment="状态"
    )
    total: Mapped[int] = mapped_column(Integer, default=0, comment="数据行数")
    checked: Mapped[int] = mapped_column(Integer, default=0, comment="已校验行数")
    written: Mapped[int] = mapped_column(Integer, default=0, comment="已写入行数")
    rejected: Mapped[int] = mapped_column(Integer, default=0, comment="有错误的行数")
    error_count: Mapped[int] = mapped_column(Integer, default=0, comment="错误数")
    # [{row, column, cell, field, reason}], the first MAX_STORED_ERRORS of them.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, comment="错误明细")
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list, comment="提示")
    detail: Mapped[str | None] = mapped_column(Text, comment="结果说明")
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="完成时间")
