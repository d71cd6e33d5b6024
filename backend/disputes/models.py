"""Disputes between people (矛盾纠纷): the register of what each grid finds, with the parties.

"小事不出社区, 大事不出街道, 矛盾不上交": a dispute is registered where it is found, mediated,
and settled at the lowest level that can settle it, or handed to the office whose business it
is (司法所, 派出所, 信访办) with a deadline. Its life is the workflow service's
(backend/disputes/workflow.py); each step leaves a DisputeStep, each mediation session a
DisputeMediation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import HIERARCHICAL, TableBase, UTCDateTime
from backend.core.labels import LabeledEnum, enum_column_type


class DisputeStatus(LabeledEnum):
    registered = ("registered", "已登记")
    mediating = ("mediating", "调解中")
    settled = ("settled", "已化解")
    handed_over = ("handed_over", "已移交")


class DisputeLevel(LabeledEnum):
    """Where a dispute is being settled: it goes up only when the level below cannot."""

    grid = ("grid", "网格")
    community = ("community", "社区")
    street = ("street", "街道")


class RiskLevel(LabeledEnum):
    low = ("low", "低")
    medium = ("medium", "中")
    high = ("high", "高")


class FoundHow(LabeledEnum):
    screening = ("screening", "排查发现")
    visit = ("visit", "走访发现")
    report = ("report", "群众反映")
    petition = ("petition", "信访转办")


# The kinds the plans name (矛盾纠纷排查化解), installed by migration 0018_dispute_register.
DEFAULT_TYPES = [("01", "邻里纠纷"), ("02", "婚姻家庭纠纷"), ("03", "物业纠纷"),
                 ("04", "征地拆迁纠纷"), ("05", "劳资纠纷"), ("06", "企业改制纠纷"),
                 ("07", "教育医疗纠纷"), ("08", "环境污染纠纷"), ("99", "其他纠纷")]


class DisputeType(TableBase):
    """The kinds of dispute the plans name (邻里, 婚姻家庭, 物业 …): reference data."""

    __tablename__ = "dispute_type"
    __table_args__ = {"comment": "纠纷类型"}

    code: Mapped[str] = mapped_column(String(10), unique=True, comment="类型编码")
    name: Mapped[str] = mapped_column(String(50), comment="类型名称")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, comment="启用")


class Dispute(TableBase):
    __tablename__ = "dispute"
    __table_args__ = {"comment": "矛盾纠纷"}

    grid_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("grid.code", ondelete="RESTRICT"), index=True, info=HIERARCHICAL,
        comment="网格编码")
    type_code: Mapped[str] = mapped_column(
        String(10), ForeignKey("dispute_type.code", ondelete="RESTRICT"), comment="纠纷类型")
    title: Mapped[str] = mapped_column(String(200), comment="纠纷简述")
    summary: Mapped[str | None] = mapped_column(Text, comment="纠纷情况")
    place: Mapped[str | None] = mapped_column(String(200), comment="发生地点")
    risk_level: Mapped[RiskLevel] = mapped_column(enum_column_type(RiskLevel), comment="风险等级")
    found_how: Mapped[FoundHow] = mapped_column(enum_column_type(FoundHow), comment="发现方式")
    found_by: Mapped[str] = mapped_column(String(50), comment="发现人")
    found_on: Mapped[dt.date] = mapped_column(Date, index=True, comment="发现日期")
    status: Mapped[DisputeStatus] = mapped_column(enum_column_type(DisputeStatus), index=True,
                                                  comment="状态")
    level: Mapped[DisputeLevel] = mapped_column(enum_column_type(DisputeLevel),
                                                comment="化解层级")
    # Handed over (移交): to which office, when, and by when it must answer.
    department_code: Mapped[str | None] = mapped_column(
        String(20), ForeignKey("department.code", ondelete="RESTRICT"), index=True,
        comment="移交部门")
    handed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="移交时间")
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="办理时限")
    # Settled (化解): when, at which level (None: by the office it was handed to), and how.
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True,
                                                           comment="化解时间")
    settled_level: Mapped[DisputeLevel | None] = mapped_column(
        enum_column_type(DisputeLevel), comment="化解层级(结案时)")
    agreement: Mapped[str | None] = mapped_column(Text, comment="调解协议/办理结果")
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, comment="重新启动次数")


class DisputeParty(TableBase):
    """One party to a dispute: a resident of the ledger, or someone from outside it."""

    __tablename__ = "dispute_party"
    __table_args__ = {"comment": "纠纷当事人"}

    dispute_id: Mapped[int] = mapped_column(
        ForeignKey("dispute.id", ondelete="CASCADE"), index=True, comment="纠纷")
    grid_code: Mapped[str] = mapped_column(String(15), index=True, info=HIERARCHICAL,
                                           comment="网格编码")
    name: Mapped[str] = mapped_column(String(50), comment="姓名")
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident.id", ondelete="SET NULL"), index=True, comment="居民")
    phone: Mapped[str | None] = mapped_column(String(30), comment="联系电话")
    side: Mapped[str | None] = mapped_column(String(20), comment="当事方")


class DisputeStep(TableBase):
    """One step of a dispute's life: who did what, from which status and level to which."""

    __tablename__ = "dispute_step"
    __table_args__ = {"comment": "纠纷流转记录"}

    dispute_id: Mapped[int] = mapped_column(
        ForeignKey("dispute.id", ondelete="CASCADE"), index=True, comment="纠纷")
    grid_code: Mapped[str] = mapped_column(String(15), index=True, info=HIERARCHICAL,
                                           comment="网格编码")
    action: Mapped[str] = mapped_column(String(30), comment="动作")
    from_status: Mapped[DisputeStatus] = mapped_column(enum_column_type(DisputeStatus),
                                                       comment="原状态")
    to_status: Mapped[DisputeStatus] = mapped_column(enum_column_type(DisputeStatus),
                                                     comment="新状态")
    level: Mapped[DisputeLevel] = mapped_column(enum_column_type(DisputeLevel),
                                                comment="层级(操作后)")
    actor: Mapped[str] = mapped_column(String(50), comment="操作人")
    department_code: Mapped[str | None] = mapped_column(String(20), comment="部门")
    note: Mapped[str | None] = mapped_column(Text, comment="意见/备注")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, comment="附加信息")


class DisputeMediation(TableBase):
    """One mediation session (调解): when, where, who mediated, what was agreed."""

    __tablename__ = "dispute_mediation"
    __table_args__ = {"comment": "调解记录"}

    dispute_id: Mapped[int] = mapped_column(
        ForeignKey("dispute.id", ondelete="CASCADE"), index=True, comment="纠纷")
    grid_code: Mapped[str] = mapped_column(String(15), index=True, info=HIERARCHICAL,
                                           comment="网格编码")
    held_on: Mapped[dt.date] = mapped_column(Date, index=True, comment="调解日期")
    level: Mapped[DisputeLevel] = mapped_column(enum_column_type(DisputeLevel),
                                                comment="调解层级")
    place: Mapped[str | None] = mapped_column(String(200), comment="调解地点")
    mediators: Mapped[str] = mapped_column(String(200), comment="调解人")
    agreed: Mapped[str | None] = mapped_column(Text, comment="调解情况/达成意见")
    recorded_by: Mapped[str] = mapped_column(String(50), comment="记录人")


class DisputeScreening(TableBase):
    """A grid's report of a half month's screening (半月一排查一上报): the disputes it found, or
    none (零报告). Due on the first working day after the half month; later is late."""

    __tablename__ = "dispute_screening"
    __table_args__ = (UniqueConstraint("grid_code", "period_first"),
                      {"comment": "矛盾纠纷排查报告"})

    grid_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("grid.code", ondelete="RESTRICT"), index=True, info=HIERARCHICAL,
        comment="网格编码")
    period_first: Mapped[dt.date] = mapped_column(Date, index=True, comment="半月起 (1日或16日)")
    period_last: Mapped[dt.date] = mapped_column(Date, comment="半月止")
    due_on: Mapped[dt.date] = mapped_column(Date, comment="应报日期")
    filed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, comment="上报时间")
    filed_by: Mapped[str] = mapped_column(String(50), comment="上报人")
    nil_report: Mapped[bool] = mapped_column(Boolean, default=False, comment="零报告")
    # The grid's disputes found in the half month when the report was filed (or last changed).
    dispute_count: Mapped[int] = mapped_column(Integer, default=0, comment="排查发现纠纷数")
    late: Mapped[bool] = mapped_column(Boolean, default=False, comment="逾期上报")
    note: Mapped[str | None] = mapped_column(Text, comment="排查情况")
