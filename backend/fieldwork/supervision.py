"""帮教 schedules: every how many days the residents of each special group are visited.

The setting's rows (`supervision-schedules`) over the plans' DEFAULT_SCHEDULE; a row that is
not `active` takes its group off. Read by the visits' check (a 帮教 visit is of someone on a
schedule) and the KPI module (backend/kpi/supervision.py: who is overdue)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.fieldwork.models import SupervisionSchedule
from backend.ledgers.models import KeyGroup

# The plans' rhythm where the setting says nothing: the groups under correction or treatment,
# the left-behind children and the old living alone every month; the released and idle
# youth every quarter.
DEFAULT_SCHEDULE: dict[KeyGroup, int] = {
    KeyGroup.community_correction: 30,
    KeyGroup.drug_user: 30,
    KeyGroup.mental_disorder: 30,
    KeyGroup.left_behind_child: 30,
    KeyGroup.elderly_alone: 30,
    KeyGroup.released_prisoner: 90,
    KeyGroup.idle_youth: 90,
}


def schedules(session: Session) -> dict[KeyGroup, int]:
    """Group -> every how many days, as in force."""
    days = dict(DEFAULT_SCHEDULE)
    for row in session.execute(select(SupervisionSchedule)).scalars():
        if row.active:
            days[KeyGroup(row.key_group)] = row.every_days
        else:
            days.pop(KeyGroup(row.key_group), None)
    return days
