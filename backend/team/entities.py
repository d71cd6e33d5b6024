"""Entity declarations of the grid team and its leave, and how a record finds its author."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from backend.core.crud import Caller, EntitySpec, ParentLink, register
from backend.core.errors import field_error
from backend.fieldwork.models import Visit
from backend.ledgers.models import Household
from backend.team.models import (
    CONTACT_ROLES,
    LOGGING_ROLES,
    GridStaff,
    PartyContact,
    StaffLeave,
    TeamRole,
)
from backend.team.schemas import GridStaffCreate, PartyContactCreate, StaffLeaveCreate

MAX_LEAVE_DAYS = 366


def prepare_staff(_session: Session, changed: dict[str, Any], existing: GridStaff | None,
                  _caller: Caller) -> None:
    if "keeps_work_log" in changed and changed["keeps_work_log"] is None:
        role = changed.get("team_role") or (existing.team_role if existing else None)
        changed["keeps_work_log"] = role is not None and TeamRole(role) in LOGGING_ROLES


def validate_staff(session: Session, data: dict[str, Any], existing: GridStaff | None) -> None:
    if data.get("partner_id") is not None:
        if existing is not None and data["partner_id"] == existing.id:
            raise field_error(422, "partner_id", "AB岗搭档不能是本人")
        partner_grid = session.execute(select(GridStaff.grid_code).where(
            GridStaff.id == data["partner_id"])).scalar_one_or_none()
        if partner_grid != data["grid_code"]:
            raise field_error(422, "partner_id", "AB岗搭档应是同一网格的工作人员")
    taken = select(GridStaff.id).where(GridStaff.grid_code == data["grid_code"],
                                       GridStaff.name == data["name"])
    if existing is not None:
        taken = taken.where(GridStaff.id != existing.id)
    if session.execute(taken).first() is not None:
        raise field_error(409, "name", f"本网格已有工作人员 '{data['name']}'")


def validate_leave(_session: Session, data: dict[str, Any], _existing: Any) -> None:
    if data["last_day"] < data["first_day"]:
        raise field_error(422, "last_day", "结束日期不能早于开始日期")
    if (data["last_day"] - data["first_day"]).days >= MAX_LEAVE_DAYS:
        raise field_error(422, "last_day", f"一次请假不超过 {MAX_LEAVE_DAYS} 天")


def staff_of(session: Session, caller: Caller, grid_code: str, name: str | None
             ) -> GridStaff | None:
    """The team member a record of `grid_code` is by: the one named (None for a name the
    roster does not hold), or with no name the caller's own roster entry in that grid (a login
    sending its own patrol or log)."""
    in_grid = select(GridStaff).where(GridStaff.grid_code == grid_code)
    if name:
        return session.execute(in_grid.where(GridStaff.name == name)).scalar_one_or_none()
    if caller.principal is None:
        return None
    return session.execute(in_grid.where(GridStaff.user_id == caller.principal.user_id)
                           ).scalars().first()


def fill_in_staff(session: Session, changed: dict[str, Any], existing: Any, caller: Caller,
                  name_field: str) -> None:
    """Sets `staff_id` (and the name, when none was given) of a field-work record from the
    grid's roster; left empty for a name the roster does not hold."""
    if existing is not None and not ({name_field, "grid_code"} & set(changed)):
        return
    grid_code = changed.get("grid_code") or getattr(existing, "grid_code", None)
    if grid_code is None:
        return
    name = changed.get(name_field) if name_field in changed else getattr(existing, name_field)
    staff = staff_of(session, caller, grid_code, name)
    changed["staff_id"] = staff.id if staff is not None else None
    if staff is not None and not name:
        changed[name_field] = staff.name


GRID_STAFF = register(EntitySpec(
    name="grid-staff", model=GridStaff, create_schema=GridStaffCreate, label="网格工作人员",
    label_en="grid staff", default_sort="grid_code", prepare_write=prepare_staff,
    read_example={"keeps_work_log": True},
    validate=validate_staff,
))
STAFF_LEAVES = register(EntitySpec(
    name="staff-leaves", model=StaffLeave, create_schema=StaffLeaveCreate, label="请假记录",
    label_en="leave", parent=ParentLink("staff_id", GridStaff), default_sort="-first_day",
    validate=validate_leave,
))


def validate_contact(session: Session, data: dict[str, Any], existing: Any) -> None:
    staff = session.execute(select(GridStaff.grid_code, GridStaff.team_role).where(
        GridStaff.id == data["staff_id"])).first()
    if staff is None or TeamRole(staff.team_role) not in CONTACT_ROLES:
        raise field_error(422, "staff_id", "联系户的应是本网格团队中的党员或党支部书记")
    if staff.grid_code != data["grid_code"]:
        raise field_error(422, "staff_id", "该党员不在联系户所在的网格团队中")
    taken = select(PartyContact.id).where(PartyContact.staff_id == data["staff_id"],
                                          PartyContact.household_id == data["household_id"])
    if existing is not None:
        taken = taken.where(PartyContact.id != existing.id)
    if session.execute(taken).first() is not None:
        raise field_error(409, "household_id", "该党员已联系此户")


def contact_visits(session: Session, rows: list[dict[str, Any]]) -> None:
    """Each link's visits: its party member's visits to its household (roster-linked)."""
    pairs = [(r["staff_id"], r["household_id"]) for r in rows if r.get("staff_id")]
    found: dict[tuple[Any, Any], tuple[int, Any]] = {}
    if pairs:
        for staff_id, household_id, count, last in session.execute(
                select(Visit.staff_id, Visit.household_id, func.count(),
                       func.max(Visit.visit_date))
                .where(tuple_(Visit.staff_id, Visit.household_id).in_(pairs))
                .group_by(Visit.staff_id, Visit.household_id)):
            found[(staff_id, household_id)] = (count, last)
    for row in rows:
        count, last = found.get((row.get("staff_id"), row.get("household_id")), (0, None))
        row["visits"], row["last_visit_date"] = count, last


PARTY_CONTACTS = register(EntitySpec(
    name="party-contacts", model=PartyContact, create_schema=PartyContactCreate,
    label="党员联系户", label_en="party members' households",
    parent=ParentLink("household_id", Household), default_sort="staff_id",
    validate=validate_contact, immutable=("staff_id", "household_id"),
    computed_fields={"visits": (int, "走访次数"), "last_visit_date": (Any, "最近走访")},
    compute=contact_visits,
))
