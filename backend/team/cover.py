"""AB岗: while a grid chief is on leave, the grid's notices and new tasks go to the partner.

The chiefs of a grid are the logins holding the grid-chief role there. One whose roster entry
(backend/team/models.py) is on leave that day is left out and the entry's A/B partner told
instead; a partner on leave too, without a login or not set leaves the grid uncovered, and
then the community's secretaries are told, who arrange cover. Each substitution is returned
as a `Handover`, for the case's step log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from backend.core import area_codes
from backend.core.db import BEIJING, once_per_session
from backend.identity.models import Role, RoleAssignment, User
from backend.team.models import GridStaff, StaffLeave, TeamRole


@dataclass(frozen=True)
class Handover:
    """One absent chief of a grid and who is told in their place."""

    grid_code: str
    absent_id: int
    absent_name: str
    last_day: dt.date
    partner_id: int | None  # None: nobody on the roster covers, the secretaries are told
    partner_name: str | None

    def note(self) -> str:
        until = f"{self.last_day.month}月{self.last_day.day}日"
        if self.partner_name is None:
            return (f"网格长 {self.absent_name} 请假至{until}, 未设在岗的AB岗搭档, "
                    f"已通知社区书记安排代班")
        return f"网格长 {self.absent_name} 请假至{until}, 由AB岗搭档 {self.partner_name} 代班"

    def details(self) -> dict[str, object]:
        return {"grid_code": self.grid_code, "absent_staff_id": self.absent_id,
                "partner_staff_id": self.partner_id, "last_day": self.last_day.isoformat()}


@dataclass
class OnDuty:
    """Whom to tell of the business of some grids on a day, and the substitutions made."""

    user_ids: list[int]
    handovers: list[Handover]


def beijing_day(at: dt.datetime) -> dt.date:
    return at.astimezone(BEIJING).date()


def _role_holders(session: Session, role: Role, codes: list[str]
                  ) -> list[tuple[str | None, int]]:
    return list(session.execute(
        select(RoleAssignment.area_code, RoleAssignment.user_id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(User.is_active.is_(True), RoleAssignment.role == role,
               RoleAssignment.area_code.in_(codes))
        .distinct().order_by(RoleAssignment.area_code, RoleAssignment.user_id)).tuples())


def _away(session: Session, grid_codes: list[str], day: dt.date) -> dict[int, dt.date]:
    """Roster entries of these grids on leave on `day`, with their leave's last day."""
    away: dict[int, dt.date] = {}
    for staff_id, last_day in session.execute(
            select(StaffLeave.staff_id, StaffLeave.last_day)
            .where(StaffLeave.grid_code.in_(grid_codes), StaffLeave.first_day <= day,
                   StaffLeave.last_day >= day)):
        away[staff_id] = max(last_day, away.get(staff_id, last_day))
    return away


def _load_on_duty(session: Session, grid_codes: tuple[str, ...], day: dt.date) -> OnDuty:
    codes = list(grid_codes)
    chiefs: dict[str, list[int]] = {code: [] for code in codes}
    for code, user_id in _role_holders(session, Role.grid_chief, codes):
        chiefs[str(code)].append(user_id)
    away = _away(session, codes, day)
    handovers: list[Handover] = []
    if away:
        partner = aliased(GridStaff)
        absent_chiefs = session.execute(
            select(GridStaff.id, GridStaff.grid_code, GridStaff.name, GridStaff.user_id,
                   partner.id, partner.name, partner.user_id, partner.is_active)
            .outerjoin(partner, partner.id == GridStaff.partner_id)
            .where(GridStaff.id.in_(list(away)), GridStaff.team_role == TeamRole.grid_chief,
                   GridStaff.is_active.is_(True))
            .order_by(GridStaff.grid_code, GridStaff.id)).tuples()
        for (staff_id, code, name, chief_user, partner_id, partner_name, partner_user,
             partner_active) in absent_chiefs:
            told = chiefs[code]
            if chief_user in told:
                told.remove(chief_user)
            if (partner_id is not None and partner_user is not None and partner_active
                    and partner_id not in away):
                told.append(partner_user)
                handovers.append(Handover(code, staff_id, name, away[staff_id], partner_id,
                                          partner_name))
            else:
                community = code[:area_codes.COMMUNITY_LENGTH]
                told.extend(user for _, user in _role_holders(session, Role.secretary,
                                                               [community]))
                handovers.append(Handover(code, staff_id, name, away[staff_id], None, None))
    users = [user for code in codes for user in chiefs[code]]
    return OnDuty(list(dict.fromkeys(users)), handovers)


def on_duty(session: Session, grid_codes: list[str], at: dt.datetime) -> OnDuty:
    """The logins to tell of these grids' business at `at` (A/B substitution applied)."""
    day = beijing_day(at)
    key = tuple(sorted(set(grid_codes)))
    return once_per_session(session, ("grid_on_duty", key, day),
                            lambda: _load_on_duty(session, key, day))
