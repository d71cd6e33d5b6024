"""民情: what residents ask of their grid, each kept open until it is settled ("解决一件注销一件").

The plans sort a request: ordinary (一般), settled on the spot by the grid's staff; needing
coordination (需协调), taken to the community; urgent (紧急), reported at once, where it becomes a
case or a dispute: the request is then linked to it (not copied) and referred. Each kind has its
deadline to answer (backend/requests_desk/service.py), and a light as cases have.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import HIERARCHICAL, TableBase, UTCDateTime
from backend.core.labels import LabeledEnum, enum_column_type


class RequestKind(LabeledEnum):
    ordinary = ("ordinary", "一般事项 (现场解决)")
    coordination = ("coordination", "需协调事项 (报社区)")
    urgent = ("urgent", "紧急事项 (立即上报)")


class RequestStatus(LabeledEnum):
    open = ("open", "办理中")
    settled = ("settled", "已解决")
    referred = ("referred", "已转案卷/纠纷")


class ResidentRequest(TableBase):
    __tablename__ = "resident_request"
    __table_args__ = {"comment": "民情诉求"}

    grid_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("grid.code", ondelete="RESTRICT"), index=True, info=HIERARCHICAL,
        comment="网格编码")
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident.id", ondelete="SET NULL"), index=True, comment="居民")
    requester_name: Mapped[str] = mapped_column(String(50), comment="反映人")
    phone: Mapped[str | None] = mapped_column(String(30), comment="联系电话")
    content: Mapped[str] = mapped_column(Text, comment="诉求内容")
    kind: Mapped[RequestKind] = mapped_column(enum_column_type(RequestKind), comment="事项类别")
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True, comment="受理时间")
    recorded_by: Mapped[str] = mapped_column(String(50), comment="受理人")
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, comment="答复时限")
    status: Mapped[RequestStatus] = mapped_column(enum_column_type(RequestStatus), index=True,
                                                  comment="状态")
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="办结时间")
    result: Mapped[str | None] = mapped_column(Text, comment="办理结果")
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case.id", ondelete="SET NULL"), index=True, comment="转入案卷")
    dispute_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispute.id", ondelete="SET NULL"), index=True, comment="转入纠纷")


class ErrandKind(LabeledEnum):
    certificate = ("certificate", "证照办理")
    subsidy = ("subsidy", "补贴申领")
    pension = ("pension", "养老保险")
    medical = ("medical", "医疗保险")
    household = ("household", "户籍事务")
    other = ("other", "其他")


class ErrandStatus(LabeledEnum):
    accepted = ("accepted", "已受理")
    in_progress = ("in_progress", "办理中")
    done = ("done", "已办结")
    declined = ("declined", "不予代办")


class Errand(TableBase):
    """代办: an affair the grid's staff handle on a resident's behalf. The resident is answered
    (应答) within a working day of asking; then it is followed until done."""

    __tablename__ = "errand"
    __table_args__ = {"comment": "代办事项"}

    grid_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("grid.code", ondelete="RESTRICT"), index=True, info=HIERARCHICAL,
        comment="网格编码")
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident.id", ondelete="SET NULL"), index=True, comment="居民")
    requester_name: Mapped[str] = mapped_column(String(50), comment="委托人")
    phone: Mapped[str | None] = mapped_column(String(30), comment="联系电话")
    kind: Mapped[ErrandKind] = mapped_column(enum_column_type(ErrandKind), comment="代办类别")
    affair: Mapped[str] = mapped_column(String(200), comment="代办事项")
    office: Mapped[str | None] = mapped_column(String(100), comment="办理部门/窗口")
    accepted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True, comment="受理时间")
    handled_by: Mapped[str] = mapped_column(String(50), comment="代办人")
    answer_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, comment="应答时限")
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="应答时间")
    status: Mapped[ErrandStatus] = mapped_column(enum_column_type(ErrandStatus), index=True,
                                                 comment="状态")
    progress: Mapped[str | None] = mapped_column(Text, comment="办理进度")
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="办结时间")
