"""Notifications to users: dispatches, deadline lights, escalations, summons, alerts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import TableBase, UTCDateTime
from backend.core.labels import LabeledEnum, enum_column_type


class NotificationKind(LabeledEnum):
    dispatch = ("dispatch", "派遣")
    yellow = ("yellow", "黄灯预警")
    red = ("red", "红灯超期")
    escalation = ("escalation", "督办")
    summons = ("summons", "吹哨报到")
    grid_task = ("grid_task", "网格新任务")
    adjacent_alert = ("adjacent_alert", "相邻网格预警")
    hotspot = ("hotspot", "聚集性预警")
    rework = ("rework", "返工")
    extension = ("extension", "延期申请")
    dispute_sent = ("dispute_sent", "纠纷移交")
    dispute_raised = ("dispute_raised", "纠纷上报")
    meeting_task = ("meeting_task", "会议交办")


class Notification(TableBase):
    __tablename__ = "notification"
    __table_args__ = {"comment": "通知"}

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True, comment="接收人")
    kind: Mapped[NotificationKind] = mapped_column(enum_column_type(NotificationKind), index=True,
                                                   comment="类型")
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case.id", ondelete="CASCADE"), index=True, comment="案卷")
    title: Mapped[str] = mapped_column(String(200), comment="标题")
    body: Mapped[str | None] = mapped_column(Text, comment="内容")
    # One notice per (recipient, reason): a second tick or a retried request adds nothing.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True, comment="去重键")
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="已读时间")


# Newest first by when they happened: the ids follow the order they were written in, which for
# the demo's year (written dispute by dispute, grid by grid) is not the order of their times.
NEWEST_FIRST = (Notification.created_at.desc(), Notification.id.desc())
