"""The entity declaration of hot-spot alerts: read-only, listed and filtered like every other,
each row with the reports it links."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.cases.entities import case_clock
from backend.cases.models import Case
from backend.core.crud import EntitySpec, register
from backend.hotspots.models import HotspotAlert, HotspotAlertCase
from backend.hotspots.schemas import HotspotAlertShape, LinkedCase
from backend.hotspots.service import ENTITY

LINKED_FIELDS = tuple(LinkedCase.model_fields)


def linked_cases(session: Session, rows: list[dict[str, Any]]) -> None:
    """Each alert of a page with its reports (oldest first), their lights live as on every
    case read: one query for the whole page. An alert's area holds all of its reports, so
    whoever reads the alert may read them (backend/hotspots/models.py)."""
    by_alert: dict[int, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
    if not by_alert:
        return
    result = session.execute(
        select(HotspotAlertCase.alert_id, *(getattr(Case, name) for name in LINKED_FIELDS),
               Case.due_at, Case.sla_started_at, Case.category_code)
        .join(Case, Case.id == HotspotAlertCase.case_id)
        .where(HotspotAlertCase.alert_id.in_(list(by_alert)))
        .order_by(Case.reported_at, Case.id))
    cases = [dict(row._mapping) for row in result]
    case_clock(session, cases)
    for case in cases:
        by_alert[case["alert_id"]].append({name: case[name] for name in LINKED_FIELDS})
    for row in rows:
        row["cases"] = by_alert[row["id"]]


HOTSPOT_ALERTS = register(EntitySpec(
    name=ENTITY, model=HotspotAlert, create_schema=HotspotAlertShape, label="聚集性预警",
    label_en="hotspot alerts", scope_column="area_code", read_only=True,
    default_sort="-last_reported_at",
    computed_fields={"cases": (list[LinkedCase], "关联案卷")}, compute=linked_cases,
    actions=("acknowledge",),
))
