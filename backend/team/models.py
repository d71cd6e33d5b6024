"""The grid team (网格团队): the people who work a grid, with or without a login.

A person serving several grids has a row in each. The work logs, patrols and visits name the
team member who did them (`staff_id`), so that "every staff member logs every working day"
can be counted, and the A/B partner (AB岗) covers for one on leave.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import HIERARCHICAL, TableBase
from backend.core.labels import LabeledEnum, enum_column_type


class TeamRole(LabeledEnum):
    grid_chief = ("grid_chief", "网格长")
    full_time = ("full_time", "专职网格员")
    part_time = ("part_time", "兼职网格员")
    branch_secretary = ("branch_secretary", "网格党支部书记")
    police = ("police", "社区民警")
    party_member = ("party_member", "党员")
    volunteer = ("volunteer", "志愿者")
    building_head = ("building_head", "楼栋长")
    group_leader = ("group_leader", "居民小组长")
    informant = ("informant", "信息员")


# Who keeps a daily work log unless told otherwise (the plans: grid staff, "日清周结").
LOGGING_ROLES = frozenset({TeamRole.grid_chief, TeamRole.full_time})


class GridStaff(TableBase):
    __tablename__ = "grid_staff"
    __table_args__ = (UniqueConstraint("grid_code", "name"), {"comment": "网格工作人员"})

    grid_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("grid.code", ondelete="RESTRICT"), index=True, info=HIERARCHICAL,
        comment="网格编码"
    )
    name: Mapped[str] = mapped_column(String(50), comment="姓名")
    team_role: Mapped[TeamRole] = mapped_column(enum_column_type(TeamRole), comment="团队职务")
    phone: Mapped[str | None] = mapped_column(String(30), comment="联系电话")
    duties: Mapped[str | None] = mapped_column(Text, comment="工作职责")
    # The stored photo's file name (backend/team/photos), shown on the public notice.
    photo: Mapped[str | None] = mapped_column(String(40), comment="照片")
    # The login of this person, if they have one: the API knows them by it.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True, comment="登录账号"
    )
    # AB岗: the partner who covers while this one is away.
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("grid_staff.id", ondelete="SET NULL"), comment="AB岗搭档"
    )
    keeps_work_log: Mapped[bool] = mapped_column(Boolean, default=True, comment="须写工作日志")
    is_public: Mapped[bool] = mapped_column(Boolean, default=True, comment="对外公示")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, comment="在岗")


class StaffLeave(TableBase):
    """A period a team member is away (请假、培训、借调): their partner covers."""

    __tablename__ = "staff_leave"
    __table_args__ = {"comment": "请假记录"}

    staff_id: Mapped[int] = mapped_column(
        ForeignKey("grid_staff.id", ondelete="CASCADE"), index=True, comment="请假人"
    )
    grid_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("grid.code", ondelete="RESTRICT"), index=True, info=HIERARCHICAL,
        comment="网格编码"
    )
    first_day: Mapped[dt.date] = mapped_column(Date, comment="开始日期")
    last_day: Mapped[dt.date] = mapped_column(Date, comment="结束日期")
    reason: Mapped[str | None] = mapped_column(String(200), comment="事由")


# Who keeps in touch with households for the party (党员联系户).
CONTACT_ROLES = frozenset({TeamRole.party_member, TeamRole.branch_secretary})


class PartyContact(TableBase):
    """党员联系户: a party member of the grid's team keeps in touch with a household; the visits
    it produces are that member's visits to that household (fieldwork's `visits`)."""

    __tablename__ = "party_contact"
    __table_args__ = (UniqueConstraint("staff_id", "household_id"), {"comment": "党员联系户"})

    staff_id: Mapped[int] = mapped_column(
        ForeignKey("grid_staff.id", ondelete="CASCADE"), index=True, comment="联系党员")
    household_id: Mapped[int] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True, comment="联系户")
    grid_code: Mapped[str] = mapped_column(String(15), index=True, info=HIERARCHICAL,
                                           comment="网格编码")
    since: Mapped[dt.date] = mapped_column(Date, comment="联系起始日期")
    note: Mapped[str | None] = mapped_column(Text, comment="备注")
