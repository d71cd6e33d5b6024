"""Disputes between people (矛盾纠纷): the register of what each grid finds, with the parties.

"小事不出社区, 大事不出街道, 矛盾不上交": a dispute is registered where it is found, mediated,
and settled at the lowest level that can settle it. This is the register; the mediation,
hand-over and escalation steps come with the disputes' workflow service.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import HIERARCHICAL, TableBase
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
