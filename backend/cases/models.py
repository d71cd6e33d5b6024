"""Cases (案卷) and what they are routed by: departments and the category table.

The workflow that moves a case between statuses lives in cases/workflow (a later issue); here
are the tables and their reference data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import HIERARCHICAL, TableBase, UTCDateTime
from backend.core.labels import LabeledEnum, enum_column_type


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
    justice = ("justice", "司法")
    petitions = ("petitions", "信访")
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


class Light(LabeledEnum):
    """Deadline lights: green within the limit, yellow near it, red overdue."""

    green = ("green", "绿灯")
    yellow = ("yellow", "黄灯")
    red = ("red", "红灯")


class ApprovalStage(LabeledEnum):
    """审批类: community accepts → street reviews → district approves, result published."""

    pending = ("pending", "待社区受理")
    community_accepted = ("community_accepted", "社区已受理")
    street_reviewed = ("street_reviewed", "街道已审核")
    approved = ("approved", "区县已审批")


class TaskStatus(LabeledEnum):
    dispatched = ("dispatched", "已派遣")
    processing = ("processing", "处理中")
    handled = ("handled", "已处置")
    verified = ("verified", "已核查")
    returned = ("returned", "已回退")


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
# The statuses in the order a case goes through them (lists sort and offer them so).
STATUS_ORDER = (*OPEN_STATUSES, CaseStatus.closed, CaseStatus.cancelled)


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
        String(12), ForeignKey("area.code", ondelete="RESTRICT"), index=True, info=HIERARCHICAL,
        comment="所属区域代码"
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
    __table_args__ = (
        # A grid's newest cases.
        Index("ix_case__grid_code_reported_at", "grid_code", "reported_at"),
        # The KPI module's (backend/kpi), each leading with the column a figure picks cases by
        # and holding what it counts, so that the figure is read from the index alone
        # (benchmarks/RESULTS.md, "KPI endpoints"). Lists use them too: `kpi_open` is the
        # command center's page, open cases of an area by deadline (123 ms -> 2.4 ms on SQLite
        # at a million cases); `kpi_reported`, `kpi_due`, `kpi_closed` sort by their time.
        # The id last: a department's scope asks for its tasks by the case's id (PostgreSQL
        # reads no column from the table in an index-only scan; SQLite's rowid is in any index).
        Index("ix_case__kpi_open", "status", "grid_code", "due_at", "light", "department_code",
              "escalation_level", "id"),
        # The running cases whose stored light the clock has overtaken since the last tick
        # (backend/kpi/tally.py): a few ranges of a covering index, whatever the number of
        # open cases.
        Index("ix_case__status_light_due_at", "status", "light", "due_at", "department_code",
              "grid_code", "escalation_level"),
        Index("ix_case__kpi_reported", "reported_at", "grid_code", "department_code", "id"),
        Index("ix_case__kpi_filed", "filed_at", "grid_code", "department_code", "id"),
        Index("ix_case__kpi_dispatched", "dispatched_at", "grid_code", "department_code", "id"),
        Index("ix_case__kpi_due", "due_at", "status", "grid_code", "department_code",
              "closed_at", "handled_at", "rework_count", "extension_count", "id"),
        Index("ix_case__kpi_closed", "closed_at", "status", "grid_code", "department_code",
              "due_at", "reported_at", "handled_at", "satisfaction", "id"),
        # A class's recent reports: intake's likely duplicates and hot spots (cases/intake.py).
        Index("ix_case__category_code_reported_at", "category_code", "reported_at"),
        # The command center's open emergencies, newest first (backend/kpi/live.py).
        Index("ix_case__handling_type_reported_at", "handling_type", "reported_at", "id"),
        # A status's cases in id order: the panel's list sorted by status takes a status at a
        # time (PostgreSQL walked the primary key past 958,000 closed cases to find the
        # newest reports: 411 ms -> 0.2 ms).
        Index("ix_case__status_id", "status", "id"),
        # The command center's queues (backend/workbench): the few cases waiting in one status,
        # by the time they have waited. PostgreSQL took the time index and filtered 930,000
        # rows for the 11 approvals to review (416 ms -> 0.4 ms at a million cases).
        *(Index(f"ix_case__{status}_queue", column, "id",
                postgresql_where=text(f"status = '{status}'"),
                sqlite_where=text(f"status = '{status}'"))
          for status, column in (("reported", "reported_at"), ("filed", "filed_at"),
                                 ("handled", "handled_at"))),
        {"comment": "案卷"},
    )

    code: Mapped[str] = mapped_column(String(20), unique=True, comment="案卷编号")
    source: Mapped[CaseSource] = mapped_column(
        enum_column_type(CaseSource), index=True, comment="来源"
    )
    category_code: Mapped[str] = mapped_column(
        String(5), ForeignKey("case_category.code", ondelete="RESTRICT"), comment="分类"
    )
    title: Mapped[str] = mapped_column(String(200), comment="标题")
    description: Mapped[str | None] = mapped_column(Text, comment="问题描述")
    address: Mapped[str | None] = mapped_column(String(200), comment="地址")
    lat: Mapped[float | None] = mapped_column(Float, comment="纬度")
    lng: Mapped[float | None] = mapped_column(Float, comment="经度")
    grid_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("grid.code", ondelete="RESTRICT"), index=True, info=HIERARCHICAL,
        comment="网格编码"
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
        enum_column_type(CaseStatus), default=CaseStatus.reported, comment="状态"
    )
    department_code: Mapped[str | None] = mapped_column(
        String(20), ForeignKey("department.code", ondelete="RESTRICT"), index=True,
        comment="处置部门"
    )
    patrol_id: Mapped[int | None] = mapped_column(
        ForeignKey("patrol.id", ondelete="SET NULL"), index=True, comment="巡查记录"
    )
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, comment="上报时间")
    filed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="立案时间")
    dispatched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="派遣时间")
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="处置时限")
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="处置时间")
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="结案时间")
    rework_count: Mapped[int] = mapped_column(SmallInteger, default=0, comment="返工次数")
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger, comment="满意度(1-5)")
    # The SLA: when the clock started (dispatch), the light last set by the tick, escalation.
    sla_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="计时开始")
    light: Mapped[Light | None] = mapped_column(enum_column_type(Light), index=True, comment="亮灯")
    escalation_level: Mapped[int] = mapped_column(SmallInteger, default=0, comment="督办级别")
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="督办时间")
    extension_count: Mapped[int] = mapped_column(SmallInteger, default=0, comment="延期次数")
    # A pending extension request: the due time asked for, until the dispatcher decides.
    extension_requested_due_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime, comment="申请延期至")
    cancel_reason: Mapped[str | None] = mapped_column(Text, comment="作废原因")
    # Duplicates: a likely one is flagged on intake; a merged one points at the original.
    possible_duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("case.id", ondelete="SET NULL"), index=True, comment="疑似重复案卷")
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("case.id", ondelete="SET NULL"), index=True, comment="合并至案卷")
    approval_stage: Mapped[ApprovalStage | None] = mapped_column(
        enum_column_type(ApprovalStage), comment="审批环节")
    public_notice: Mapped[bool] = mapped_column(Boolean, default=False, comment="结果公示")


class CaseTask(TableBase):
    """One department's part of a case: the dispatch, and each department summoned (吹哨报到).

    The case closes when every task that was not returned is handled and verified.
    """

    __tablename__ = "case_task"
    __table_args__ = {"comment": "处置任务"}

    case_id: Mapped[int] = mapped_column(
        ForeignKey("case.id", ondelete="CASCADE"), index=True, comment="案卷")
    grid_code: Mapped[str] = mapped_column(String(15), index=True, info=HIERARCHICAL,
                                           comment="网格编码")
    department_code: Mapped[str] = mapped_column(
        String(20), ForeignKey("department.code", ondelete="RESTRICT"), index=True,
        comment="处置部门")
    is_primary: Mapped[bool] = mapped_column(Boolean, default=True, comment="主办")
    status: Mapped[TaskStatus] = mapped_column(enum_column_type(TaskStatus), index=True,
                                               comment="状态")
    instructions: Mapped[str | None] = mapped_column(Text, comment="任务要求")
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True, comment="处置时限")
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="受理时间")
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="处置时间")
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="核查时间")
    result: Mapped[str | None] = mapped_column(Text, comment="处置结果")


class RoutingRule(TableBase):
    """Which department a category goes to, optionally only within an area (longest prefix wins)."""

    __tablename__ = "routing_rule"
    __table_args__ = {"comment": "派遣规则"}

    category_code: Mapped[str] = mapped_column(
        String(5), ForeignKey("case_category.code", ondelete="CASCADE"), index=True,
        comment="案件分类")
    area_code: Mapped[str | None] = mapped_column(String(15), index=True, info=HIERARCHICAL,
                                                  comment="适用区域(前缀)")
    department_code: Mapped[str] = mapped_column(
        String(20), ForeignKey("department.code", ondelete="RESTRICT"), comment="处置部门")
    note: Mapped[str | None] = mapped_column(String(200), comment="说明")


class CalendarDay(TableBase):
    """A correction to the official calendar: a holiday, or a make-up working day (调休)."""

    __tablename__ = "calendar_day"
    __table_args__ = {"comment": "工作日历"}

    day: Mapped[dt.date] = mapped_column(Date, unique=True, comment="日期")
    is_working_day: Mapped[bool] = mapped_column(Boolean, comment="是否工作日")
    note: Mapped[str | None] = mapped_column(String(100), comment="说明")


class CaseStep(TableBase):
    __tablename__ = "case_step"
    __table_args__ = {"comment": "案卷流转记录"}

    case_id: Mapped[int] = mapped_column(
        ForeignKey("case.id", ondelete="CASCADE"), index=True, comment="案卷"
    )
    grid_code: Mapped[str] = mapped_column(
        String(15), index=True, info=HIERARCHICAL, comment="网格编码"
    )
    action: Mapped[str] = mapped_column(String(30), index=True, comment="动作")
    from_status: Mapped[CaseStatus | None] = mapped_column(
        enum_column_type(CaseStatus), comment="原状态"
    )
    to_status: Mapped[CaseStatus] = mapped_column(enum_column_type(CaseStatus), comment="新状态")
    actor: Mapped[str] = mapped_column(String(50), comment="操作人")
    department_code: Mapped[str | None] = mapped_column(String(20), comment="部门")
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_task.id", ondelete="SET NULL"), comment="任务")
    note: Mapped[str | None] = mapped_column(Text, comment="意见/备注")
    # What else the action carried: photo URLs, requested due time, satisfaction ...
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, comment="附加信息")


class WebhookEvent(LabeledEnum):
    dispatch = ("dispatch", "派遣")
    summon = ("summon", "吹哨报到")
    yellow = ("yellow", "黄灯预警")
    red = ("red", "红灯超期")
    rework = ("rework", "返工")


class DeliveryStatus(LabeledEnum):
    pending = ("pending", "待发送")
    succeeded = ("succeeded", "已送达")
    failed = ("failed", "失败(不再重试)")


class Webhook(TableBase):
    """Where a department's own system wants to hear about its cases; signed with `secret`."""

    __tablename__ = "webhook"
    __table_args__ = {"comment": "部门回调"}

    department_code: Mapped[str] = mapped_column(
        String(20), ForeignKey("department.code", ondelete="CASCADE"), index=True,
        comment="部门")
    url: Mapped[str] = mapped_column(String(500), comment="回调地址")
    secret: Mapped[str] = mapped_column(String(200), comment="签名密钥")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, comment="启用")


class WebhookDelivery(TableBase):
    """One event to one webhook, and every attempt to deliver it."""

    __tablename__ = "webhook_delivery"
    __table_args__ = {"comment": "回调投递记录"}

    webhook_id: Mapped[int] = mapped_column(
        ForeignKey("webhook.id", ondelete="CASCADE"), index=True, comment="回调")
    department_code: Mapped[str] = mapped_column(String(20), index=True, comment="部门")
    # The case's grid: dispatchers see the deliveries of their area's cases.
    grid_code: Mapped[str | None] = mapped_column(String(15), index=True, info=HIERARCHICAL,
                                                  comment="网格编码")
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case.id", ondelete="SET NULL"), index=True, comment="案卷")
    event: Mapped[WebhookEvent] = mapped_column(enum_column_type(WebhookEvent), comment="事件")
    delivery_key: Mapped[str] = mapped_column(String(64), unique=True, comment="投递编号")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, comment="内容")
    status: Mapped[DeliveryStatus] = mapped_column(enum_column_type(DeliveryStatus), index=True,
                                                   comment="状态")
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0, comment="尝试次数")
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True,
                                                                comment="下次尝试")
    last_status_code: Mapped[int | None] = mapped_column(SmallInteger, comment="最近响应码")
    last_error: Mapped[str | None] = mapped_column(Text, comment="最近错误")
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="送达时间")
