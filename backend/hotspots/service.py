"""Hot spots (聚集性预警): raised at intake, extended by further reports, ended by a dispatcher
or by time.

The rule (settings GRIDLINK_HOTSPOT_THRESHOLD, _RADIUS_M, _WINDOW_DAYS; 3, 200 m, 7 days):
a report of a small class with a point raises an alert when, counting itself, `threshold`
reports of that class lie within `radius_m` metres of it, reported in the `window_days` days
before it (or since). Not counted: cancelled reports (invalid, or merged as duplicates), reports
intake flags as likely duplicates (the same problem called in again is the duplicate check's
business, not a pattern), and reports of an alert that has ended (they raised theirs).

A report whose neighbours include a report of an open alert joins that alert instead: the
alert's cases, span and area grow, its dispatchers are not told again. An alert is open until
a dispatcher acknowledges it (action `acknowledge`: "seen, in hand") or until `window_days`
pass with no new report (`expires_at`; the SLA tick then marks it expired).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case as sql_case
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from backend.areas.geometry import box_around, metres_between
from backend.audit import writer as audit
from backend.cases.models import Case, CaseCategory, CaseStatus
from backend.cases.sla import settings_of
from backend.core import area_codes
from backend.core.crud import Caller, check_if_match
from backend.core.db import affected_rows, utcnow
from backend.core.errors import FieldError, ProblemError
from backend.hotspots.models import HotspotAlert, HotspotAlertCase, HotspotStatus
from backend.notifications import service as notify
from backend.notifications.models import NotificationKind

ENTITY = "hotspot-alerts"  # the registry's name (backend/hotspots/entities.py), in the audit log


@dataclass(frozen=True)
class HotspotRule:
    threshold: int  # reports, the new one included
    radius_m: int
    window_days: int

    @property
    def window(self) -> dt.timedelta:
        return dt.timedelta(days=self.window_days)


def rule_in_force(session: Session) -> HotspotRule:
    settings = settings_of(session)
    return HotspotRule(settings.hotspot_threshold, settings.hotspot_radius_m,
                       settings.hotspot_window_days)


@dataclass(frozen=True)
class Nearby:
    """A report near the new one, and the alert it belongs to, if any."""

    case_id: int
    code: str
    grid_code: str
    reported_at: dt.datetime
    alert_id: int | None
    alert_open: bool


def common_area(codes: list[str]) -> str:
    """The smallest area holding every code (two grids of one community: the community's 12
    digits); "" for codes of two counties, an alert only the system-wide roles see."""
    shared = [area for area in area_codes.lineage(codes[0])
              if all(area_codes.within(code, area) for code in codes)]
    return shared[-1] if shared else ""


def nearby_reports(session: Session, case: Case, lat: float, lng: float, rule: HotspotRule,
                   at: dt.datetime) -> list[Nearby]:
    """Reports of the case's class within the rule's radius of its point (lat, lng) and within
    its window, other than itself, that may count, each with its alert and whether that is
    still open at `at`; in one query (the class, the window and a bounding box narrow it in
    SQL, the exact distance is checked on what is left, as the duplicate check does)."""
    alert_open = ((HotspotAlert.status == HotspotStatus.open)
                  & (HotspotAlert.expires_at > at))
    rows = session.execute(
        select(Case.id, Case.code, Case.grid_code, Case.reported_at, Case.lat, Case.lng,
               HotspotAlert.id, alert_open)
        .outerjoin(HotspotAlertCase, HotspotAlertCase.case_id == Case.id)
        .outerjoin(HotspotAlert, HotspotAlert.id == HotspotAlertCase.alert_id)
        .where(Case.id != case.id,
               Case.category_code == case.category_code,
               Case.status != CaseStatus.cancelled,
               Case.possible_duplicate_of_id.is_(None),
               Case.reported_at >= case.reported_at - rule.window,
               box_around(Case.lat, Case.lng, lat, lng, rule.radius_m))
        .order_by(Case.id)
    ).all()
    return [Nearby(case_id, code, grid_code, reported_at, alert_id, bool(is_open))
            for case_id, code, grid_code, reported_at, other_lat, other_lng, alert_id, is_open
            in rows if other_lat is not None and other_lng is not None  # (the box's BETWEEN)
            and metres_between(lat, lng, other_lat, other_lng) <= rule.radius_m]


def on_report(session: Session, case: Case, at: dt.datetime | None = None) -> int | None:
    """Intake's part: raise or extend an alert for a new report; the alert's id, or None.
    `at`: when the report came in (default now; the demo seed passes its year's clock)."""
    if case.lat is None or case.lng is None or case.possible_duplicate_of_id is not None:
        return None
    # Reports of one class are looked at one at a time: two coming in together in two
    # workers would each miss the other and raise two alerts over the same reports. A row
    # lock on the class (PostgreSQL; NO KEY UPDATE, which a case's foreign key check does
    # not wait for) makes the second wait for the first's commit, then see its alert.
    # SQLite writes one transaction at a time anyway (and renders no FOR UPDATE).
    session.execute(select(CaseCategory.id).where(CaseCategory.code == case.category_code)
                    .with_for_update(key_share=True))
    rule = rule_in_force(session)
    at = at or utcnow()
    near = nearby_reports(session, case, case.lat, case.lng, rule, at)
    open_alerts = sorted({n.alert_id for n in near if n.alert_open and n.alert_id is not None})
    if open_alerts:
        extend_alert(session, open_alerts[0], case, at)
        return open_alerts[0]
    fresh = [n for n in near if n.alert_id is None]
    if len(fresh) + 1 < rule.threshold:
        return None
    return raise_alert(session, case, fresh, rule, at)


def link(session: Session, alert_id: int, case_ids: list[int], at: dt.datetime) -> None:
    session.execute(insert(HotspotAlertCase.__table__), [
        {"alert_id": alert_id, "case_id": case_id, "created_at": at, "updated_at": at,
         "version": 1} for case_id in case_ids])


def raise_alert(session: Session, case: Case, fresh: list[Nearby], rule: HotspotRule,
                at: dt.datetime) -> int:
    """A new alert over the report and its uncounted neighbours; the dispatchers covering its
    area are told, once each (the notice's dedupe key is the alert's)."""
    times = [case.reported_at, *(n.reported_at for n in fresh)]
    area = common_area([case.grid_code, *(n.grid_code for n in fresh)])
    # Core statements, not ORM objects: the demo seed plays a year in one session, and an
    # alert object held there would go stale at its first extension (also a Core UPDATE).
    alert_id = session.execute(insert(HotspotAlert.__table__).values(
        category_code=case.category_code, area_code=area, lat=case.lat, lng=case.lng,
        status=HotspotStatus.open, raised_by_case_id=case.id, case_count=len(times),
        first_reported_at=min(times), last_reported_at=max(times),
        expires_at=max(times) + rule.window, threshold=rule.threshold,
        radius_m=rule.radius_m, window_days=rule.window_days, created_at=at, updated_at=at,
        version=1,
    ).returning(HotspotAlert.__table__.c.id)).scalar_one()
    link(session, alert_id, [n.case_id for n in fresh] + [case.id], at)
    name = session.execute(select(CaseCategory.name)
                           .where(CaseCategory.code == case.category_code)).scalar_one()
    codes = "、".join([*(n.code for n in fresh), case.code])
    notify.send(session, notify.covering_dispatchers(session, area), NotificationKind.hotspot,
                case, f"聚集性预警: {name} {len(times)}起 ({rule.radius_m}米、"
                      f"{rule.window_days}天内) {case.address or case.title}",
                body=f"预警 {alert_id}; 关联案卷: {codes}", dedupe=f"alert{alert_id}", at=at)
    return alert_id


def extend_alert(session: Session, alert_id: int, case: Case, at: dt.datetime) -> None:
    """The report joins an open alert; nobody is told again. One UPDATE of counters, so that
    two workers extending the same alert at once both count."""
    table = HotspotAlert.__table__
    alert = session.execute(select(table.c.area_code, table.c.window_days)
                            .where(table.c.id == alert_id)).one()
    later = sql_case((table.c.last_reported_at < case.reported_at, case.reported_at),
                 else_=table.c.last_reported_at)
    session.execute(update(table).where(table.c.id == alert_id).values(
        case_count=table.c.case_count + 1,
        last_reported_at=later,
        expires_at=sql_case(
            (table.c.last_reported_at < case.reported_at,
             case.reported_at + dt.timedelta(days=alert.window_days)),
            else_=table.c.expires_at),
        area_code=common_area([alert.area_code, case.grid_code]),
        version=table.c.version + 1, updated_at=at))
    link(session, alert_id, [case.id], at)


def expire_alerts(session: Session, now: dt.datetime) -> int:
    """Mark expired the open alerts with no new report within their window (the SLA tick
    calls this); how many. They ended at their `expires_at`, whenever the tick ran."""
    table = HotspotAlert.__table__
    return affected_rows(session.execute(update(table).where(
        table.c.status == HotspotStatus.open, table.c.expires_at <= now,
    ).values(status=HotspotStatus.expired, ended_at=table.c.expires_at,
             version=table.c.version + 1, updated_at=now)))


def acknowledge(session: Session, alert: HotspotAlert, caller: Caller, note: str | None,
                if_match: str | None, now: dt.datetime | None = None) -> HotspotAlert:
    """A dispatcher has seen the hot spot and takes it in hand: the alert ends. Its reports
    raise no new alert; further reports there count afresh. 409 if it has ended already."""
    now = now or utcnow()
    check_if_match(alert, if_match)
    if alert.status is HotspotStatus.acknowledged:
        why = f"已由 {alert.acknowledged_by} 确认"
    elif alert.status is HotspotStatus.expired or alert.expires_at <= now:
        why = f"{alert.window_days}天内无新报告, 已过期"
    else:
        why = None
    if why is not None:
        raise ProblemError(409, f"预警 {alert.id} 已结束: {why}",
                           [FieldError("status", f"allowed: {HotspotStatus.open.value}")])
    before = alert.status
    alert.status = HotspotStatus.acknowledged
    alert.ended_at = now
    alert.acknowledged_by = caller.actor.name
    alert.note = note
    alert.updated_at = now
    session.flush()
    audit.record(session, caller.actor, "acknowledge", ENTITY, alert.id,
                 alert.area_code, {"status": (before.value, alert.status.value),
                                   "note": (None, note)}, at=now)
    session.commit()
    return alert
