"""Meetings (会议): the grid's and the community's work meetings (例会) and the linkage joint
meeting of departments (联席会议) for hard cases, with who attended, what was discussed and
decided.

A decision may open a task (交办事项) on a case or a dispute for a department, with a date by
which it is done: the department sees it on its desk, with a light, and reports it done with
its result (backend/meetings/service.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import HIERARCHICAL, TableBase, TagList, UTCDateTime
from backend.core.labels import LabeledEnum, enum_column_type


class MeetingKind(LabeledEnum):
    grid = ("grid", "网格例会")
    community = ("community", "社区例会")
    joint = ("joint", "联席会议")


class ItemStatus(LabeledEnum):
    recorded = ("recorded", "已记录")  # discussed, nobody tasked
    assigned = ("assigned", "待办理")  # a department tasked, by a date
    done = ("done", "已办结")


class Meeting(TableBase):
    __tablename__ = "meeting"
    __table_args__ = {"comment": "会议"}

    # A grid's meeting at its grid, the community's at the community, a joint meeting at the
    # community or the street that convened it.
    area_code: Mapped[str] = mapped_column(String(15), index=True, info=HIERARCHICAL,
                                           comment="召开单位区域代码")
    kind: Mapped[MeetingKind] = mapped_column(enum_column_type(MeetingKind), comment="会议类型")
    title: Mapped[str] = mapped_column(String(200), comment="会议名称")
    held_on: Mapped[dt.date] = mapped_column(Date, index=True, comment="召开日期")
    place: Mapped[str | None] = mapped_column(String(200), comment="地点")
    chair: Mapped[str] = mapped_column(String(50), comment="主持人")
    attendees: Mapped[list[str]] = mapped_column(TagList, default=list, comment="参会人员")
    department_codes: Mapped[list[str]] = mapped_column(TagList, default=list,
                                                        comment="参会部门")
    minutes: Mapped[str | None] = mapped_column(Text, comment="会议纪要")


class MeetingItem(TableBase):
    """One subject of a meeting: a case, a dispute or a matter of its own, what was said and
    decided, and the task the decision opened, if any."""

    __tablename__ = "meeting_item"
    __table_args__ = {"comment": "会议议题"}

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="RESTRICT"),
                                            index=True, comment="会议")
    area_code: Mapped[str] = mapped_column(String(15), index=True, info=HIERARCHICAL,
                                           comment="召开单位区域代码")
    subject: Mapped[str] = mapped_column(String(200), comment="议题")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id", ondelete="RESTRICT"),
                                                index=True, comment="案卷")
    dispute_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispute.id", ondelete="RESTRICT"), index=True, comment="矛盾纠纷")
    discussion: Mapped[str | None] = mapped_column(Text, comment="讨论情况")
    decision: Mapped[str | None] = mapped_column(Text, comment="会议决定")
    # The task: which department, done by the end of which day (Beijing).
    department_code: Mapped[str | None] = mapped_column(
        String(20), ForeignKey("department.code", ondelete="RESTRICT"), index=True,
        comment="承办部门")
    due_on: Mapped[dt.date | None] = mapped_column(Date, comment="办结期限")
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="交办时间")
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="办结时限")
    status: Mapped[ItemStatus] = mapped_column(enum_column_type(ItemStatus), index=True,
                                               default=ItemStatus.recorded, comment="状态")
    result: Mapped[str | None] = mapped_column(Text, comment="办理结果")
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="办结时间")
