"""The audit log as a read-only entity: listed, filtered and exported like every other."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from backend.audit.models import AuditEntry
from backend.core.crud import EntitySpec, register


class AuditEntryShape(BaseModel):
    """Never written through the API (append-only); describes the entries for the docs."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "actor": "secretary", "action": "update", "entity": "residents", "entity_id": 42,
        "scope_code": "410602001001001", "changes": {"phone": ["138****5678", "139****1111"]},
        "request_id": "5f1c2e9a", "client": "10.1.2.3"}]})

    actor: str
    action: str
    entity: str


AUDIT_LOG = register(EntitySpec(
    name="audit-log", model=AuditEntry, create_schema=AuditEntryShape, label="审计日志",
    label_en="audit log", scope_column="scope_code", read_only=True, default_sort="-id",
))
