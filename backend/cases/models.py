"""Cases (案卷) and what they are routed by: departments and the category table.

The workflow that moves a case between statuses lives in cases/workflow (a later issue); here
are the tables and their reference data.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.db import HIERARCHICAL, TableBase, UTCDateTime
from backend.labels import LabeledEnum, enum_column_type


class DepartmentKind(LabeledEnum):
    sanitation = ("sanitation", "环卫")
    greening = ("greening", "园林绿化")
    municipal = ("municipal", "市政")
    enforcement = ("enforcement", "城管执法")
    lighting = ("lighting", "照明")
    police = ("police", "公安")
    civil_affairs = ("civil_affairs", "民政")
    work_safety = ("work_safety", "安监")
    fire = ("fire", "消防")
    housing = ("housing", "住建")
    market = ("market", "市场监管")
    other = ("other", "其他")


class CategoryKind(LabeledEnum):
    component = ("component", "部件")
    event = ("event", "事件")


class DeadlineUnit(LabeledEnum):
    working_days = ("working_days", "工作日")
    working_hours = ("working_hours", "工作时")
    hours = ("hours", "自然小时")


class CaseSource(LabeledEnum):
    patrol = ("patrol", "网格员巡查")
    hotline_12345 = ("hotline_12345", "12345热线")
    hotline_12319 = ("hotline_12319", "12319热线")
    app = ("app", "市民APP")
    department = ("department", "部门上报")
    video = ("video", "视频监控")
    open311 = ("open311", "Open311")


class CasePriority(LabeledEnum):
    normal = ("normal", "一般")
    urgent = ("urgent", "紧急")
    critical = ("critical", "特急")


class HandlingType(LabeledEnum):
    general = ("general", "一般类(网格员现场处理)")
    coordination = ("coordination", "协调类(社区商处)")
    emergency = ("emergency", "紧急类(立即上报)")
    approval = ("approval", "审批类(逐级审批)")


class CaseStatus(LabeledEnum):
    reported = ("reported", "已上报")
    filed = ("filed", "已立案")
    cancelled = ("cancelled", "已作废")
    dispatched = ("dispatched", "已派遣")
    processing = ("processing", "处理中")
    handled = ("handled", "已处置")
    closed = ("closed", "已结案")


OPEN_STATUSES = (
    CaseStatus.reported,
    CaseStatus.filed,
    CaseStatus.dispatched,
    CaseStatus.processing,
    CaseStatus.handled,
)


class Department(TableBase):
    __tablename__ = "department"
    __table_args__ = {"comment": "职能部门"}

    code: Mapped[str] = mapped_column(String(20), unique=True, comment="部门编码")
    name: Mapped[str] = mapped_column(String(100), comment="部门名称")
    kind: Mapped[DepartmentKind] = mapped_column(
        enum_column_type(DepartmentKind), index=True, comment="类别"
    )
    # The area the department serves (county, street ...): scope of its work.
    area_code: Mapped[str] = mapped_column(
        String(12), ForeignKey("area.code", ondelete="RESTRICT"), index=True, info=HIERARCHICAL, comment="所属区域代码"
    )
    phone: Mapped[str | None] = mapped_column(String(30), comment="联系电话")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, comment="启用")


class CaseCategory(TableBase):
    __tablename__ = "case_category"
    __table_args__ = {"comment": "案件分类"}

    # 2-digit big class + 3-digit small class, e.g. 07011 积存垃圾渣土.
    code: Mapped[str] = mapped_column(String(5), unique=True, comment="分类编码")
    kind: Mapped[CategoryKind] = mapped_column(
        enum_column_type(CategoryKind), index=True, comment="部件/事件"
    )
    big_class_code: Mapped[str] = mapped_column(String(2), index=True, comment="大类编码")
    big_class_name: Mapped[str] = mapped_column(String(50), comment="大类名称")
    name: Mapped[str] = mapped_column(String(100), comment="小类名称")
    default_department_code: Mapped[str | None] = mapped_column(
        String(20), ForeignKey("department.code", ondelete="SET NULL"), comment="默认处置部门"
    )
    deadline_value: Mapped[int] = mapped_column(Integer, comment="处置时限")
    deadline_unit: Mapped[DeadlineUnit] = mapped_column(
        enum_column_type(DeadlineUnit), comment="时限单位"
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, comment="启用")


class Case(TableBase):
    __tablename__ = "case"
    __table_args__ = {"comment": "案卷"}

    code: Mapped[str] = mapped_column(String(20), unique=True, comment="案卷编号")
    source: Mapped[CaseSource] = mapped_column(enum_column_type(CaseSource), index=True, comment="来源")
    category_code: Mapped[str] = mapped_column(
        String(5), ForeignKey("case_category.code", ondelete="RESTRICT"), index=True, comment="分类"
    )
    title: Mapped[str] = mapped_column(String(200), comment="标题")
    description: Mapped[str | None] = mapped_column(Text, comment="问题描述")
    address: Mapped[str | None] = mapped_column(String(200), comment="地址")
    lat: Mapped[float | None] = mapped_column(Float, comment="纬度")
    lng: Mapped[float | None] = mapped_column(Float, comment="经度")
    grid_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("grid.code", ondelete="RESTRICT"), index=True, info=HIERARCHICAL, comment="网格编码"
    )
    reporter_name: Mapped[str | None] = mapped_column(String(50), comment="上报人")
    reporter_phone: Mapped[str | None] = mapped_column(String(30), comment="上报人电话")
    is_anonymous: Mapped[bool] = mapped_column(Boolean, default=False, comment="匿名")
    priority: Mapped[CasePriority] = mapped_column(
        enum_column_type(CasePriority), default=CasePriority.normal, comment="优先级"
    )
    handling_type: Mapped[HandlingType] = mapped_column(
        enum_column_type(HandlingType), default=HandlingType.general, comment="处置类型"
    )
    status: Mapped[CaseStatus] = mapped_column(
        enum_column_type(CaseStatus), default=CaseStatus.reported, index=True, comment="状态"
    )
    department_code: Mapped[str | None] = mapped_column(
        String(20), ForeignKey("department.code", ondelete="RESTRICT"), index=True, comment="处置部门"
    )
    patrol_id: Mapped[int | None] = mapped_column(
        ForeignKey("patrol.id", ondelete="SET NULL"), index=True, comment="巡查记录"
    )
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True, comment="上报时间")
    filed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="立案时间")
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="派遣时间")
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True, comment="处置时限")
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="处置时间")
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True, comment="结案时间")
    rework_count: Mapped[int] = mapped_column(SmallInteger, default=0, comment="返工次数")
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger, comment="满意度(1-5)")


class CaseStep(TableBase):
    __tablename__ = "case_step"
    __table_args__ = {"comment": "案卷流转记录"}

    case_id: Mapped[int] = mapped_column(
        ForeignKey("case.id", ondelete="CASCADE"), index=True, comment="案卷"
    )
    grid_code: Mapped[str] = mapped_column(String(15), index=True, info=HIERARCHICAL, comment="网格编码")
    action: Mapped[str] = mapped_column(String(30), index=True, comment="动作")
    from_status: Mapped[CaseStatus | None] = mapped_column(
        enum_column_type(CaseStatus), comment="原状态"
    )
    to_status: Mapped[CaseStatus] = mapped_column(enum_column_type(CaseStatus), comment="新状态")
    actor: Mapped[str] = mapped_column(String(50), comment="操作人")
    department_code: Mapped[str | None] = mapped_column(String(20), comment="部门")
    note: Mapped[str | None] = mapped_column(Text, comment="意见/备注")
