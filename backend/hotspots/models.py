"""Hot spots (聚集性预警): the same small class reported again and again in one place.

An alert is raised by intake (backend/hotspots/service.py) and links the reports that made
it, one row per report in `hotspot_alert_case`: a report belongs to at most one alert.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import HIERARCHICAL, TableBase, UTCDateTime
from backend.core.labels import LabeledEnum, enum_column_type


class HotspotStatus(LabeledEnum):
    open = ("open", "预警中")
    acknowledged = ("acknowledged", "已确认")
    expired = ("expired", "已过期")


class HotspotAlert(TableBase):
    """One hot spot; `created_at` is when it was raised."""

    __tablename__ = "hotspot_alert"
    __table_args__ = {"comment": "聚集性预警"}

    category_code: Mapped[str] = mapped_column(
        String(5), ForeignKey("case_category.code", ondelete="RESTRICT"), index=True,
        comment="案件小类")
    # The smallest area holding every linked report (a grid, or the community or street two
    # grids share): whoever reads the alert may read all of its reports, and no one else.
    area_code: Mapped[str] = mapped_column(String(15), index=True, info=HIERARCHICAL,
                                           comment="所在区域")
    # Where the report that raised it was made: the centre of the first circle.
    lat: Mapped[float] = mapped_column(Float, comment="纬度")
    lng: Mapped[float] = mapped_column(Float, comment="经度")
    status: Mapped[HotspotStatus] = mapped_column(enum_column_type(HotspotStatus), index=True,
                                                  comment="状态")
    raised_by_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case.id", ondelete="SET NULL"), index=True, comment="触发案卷")
    case_count: Mapped[int] = mapped_column(Integer, comment="关联案卷数")
    first_reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, comment="首次上报")
    last_reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True,
                                                          comment="最近上报")
    # last_reported_at + window_days: with no new report by then the alert ends by itself.
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True, comment="到期时间")
    # The rule in force when it was raised, so that the alert explains itself after a change.
    threshold: Mapped[int] = mapped_column(SmallInteger, comment="阈值(起)")
    radius_m: Mapped[int] = mapped_column(Integer, comment="半径(米)")
    window_days: Mapped[int] = mapped_column(SmallInteger, comment="时间窗(天)")
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="结束时间")
    acknowledged_by: Mapped[str | None] = mapped_column(String(50), comment="确认人")
    note: Mapped[str | None] = mapped_column(Text, comment="确认意见")


class HotspotAlertCase(TableBase):
    """A report linked to an alert; `created_at` is when it joined."""

    __tablename__ = "hotspot_alert_case"
    __table_args__ = {"comment": "聚集性预警关联案卷"}

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("hotspot_alert.id", ondelete="CASCADE"), index=True, comment="预警")
    case_id: Mapped[int] = mapped_column(
        ForeignKey("case.id", ondelete="CASCADE"), unique=True, comment="案卷")
