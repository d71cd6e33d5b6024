"""What the import routes answer: an import job, its progress and its per-row errors."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from backend.imports.models import ImportMode, ImportStatus


class RowError(BaseModel):
    row: int = Field(description="行号, 与 Excel 中看到的一致 (表头为第 1 行)")
    column: str | None = Field(description="列名 (文件中的表头, 如 公民身份号码)")
    cell: str | None = Field(description="单元格, 如 D5 (该字段不在文件中时为 null)")
    field: str | None = Field(description="字段名, 如 id_number")
    reason: str = Field(description="原因")


class ImportJobRead(BaseModel):
    model_config = ConfigDict(title="ImportJob", json_schema_extra={"examples": [{
        "id": 7, "entity": "residents", "entity_label": "居民", "file_name": "七网格居民.xlsx",
        "mode": "all_or_nothing", "mode_label": "全部或全不 (有错则不写入)", "status": "done",
        "status_label": "已完成", "finished": True, "percent": 100, "total": 3, "checked": 3,
        "written": 0, "rejected": 1, "error_count": 1,
        "errors": [{"row": 4, "column": "公民身份号码", "cell": "D4", "field": "id_number",
                    "reason": "身份证号校验码错误: 应为 8"}],
        "errors_truncated": False, "warnings": [],
        "detail": "共 3 行, 1 行有错误 (共 1 处); 按「全部或全不」未写入任何数据, 请改正后重新导入",
        "actor": "chief", "created_at": "2026-11-29T08:30:00Z",
        "updated_at": "2026-11-29T08:30:01Z", "finished_at": "2026-11-29T08:30:01Z"}]})

    id: int
    entity: str = Field(description="对象类型, 如 residents")
    entity_label: str = Field(description="对象名称, 如 居民")
    file_name: str = Field(description="上传的文件名")
    mode: ImportMode = Field(description="导入方式 (" + ImportMode.describe() + ")")
    mode_label: str
    status: ImportStatus = Field(description="状态 (" + ImportStatus.describe() + ")")
    status_label: str
    finished: bool = Field(description="是否已结束 (done 或 failed); 未结束时请继续轮询")
    percent: int = Field(ge=0, le=100, description="进度百分比")
    total: int = Field(description="数据行数 (不含表头、空行与原样保留的示例行)")
    checked: int = Field(description="已校验行数")
    written: int = Field(description="已写入行数")
    rejected: int = Field(description="有错误的行数")
    error_count: int = Field(description="错误总数")
    errors: list[RowError] = Field(description="错误明细 (最多 1000 条)")
    errors_truncated: bool = Field(description="错误明细是否被截断")
    warnings: list[str] = Field(description="提示 (被忽略的列、跳过的示例行等)")
    detail: str | None = Field(description="结果说明")
    actor: str = Field(description="导入人")
    created_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None
