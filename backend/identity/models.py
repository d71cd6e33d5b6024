"""Accounts, their roles (each with a scope), API keys, failed logins and refresh tokens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import HIERARCHICAL, TableBase, UTCDateTime
from backend.core.labels import LabeledEnum, enum_column_type


class Role(LabeledEnum):
    admin = ("admin", "系统管理员")
    leader = ("leader", "领导小组")
    dispatcher = ("dispatcher", "指挥中心")
    secretary = ("secretary", "社区书记")
    grid_chief = ("grid_chief", "网格长")
    grid_member = ("grid_member", "网格员")
    department = ("department", "职能部门")


class User(TableBase):
    __tablename__ = "user_account"
    __table_args__ = {"comment": "用户"}

    username: Mapped[str] = mapped_column(String(50), unique=True, comment="用户名")
    password_hash: Mapped[str] = mapped_column(String(200), comment="密码哈希")
    display_name: Mapped[str] = mapped_column(String(50), comment="姓名")
    phone: Mapped[str | None] = mapped_column(String(30), comment="电话")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, comment="启用")


class RoleAssignment(TableBase):
    """A role held within a scope: an area code (its whole subtree) or a department."""

    __tablename__ = "role_assignment"
    __table_args__ = {"comment": "角色授权"}

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True, comment="用户"
    )
    role: Mapped[Role] = mapped_column(enum_column_type(Role), comment="角色")
    # NULL area and department: the whole system (admins).
    area_code: Mapped[str | None] = mapped_column(
        String(15), index=True, info=HIERARCHICAL, comment="区域/网格代码"
    )
    # Codes, not foreign keys, like area_code: checked when written (validate_assignment).
    department_code: Mapped[str | None] = mapped_column(String(20), index=True, comment="部门编码")


class ApiKey(TableBase):
    """A key for a partner system, acting as its user. Only a hash of the secret is kept."""

    __tablename__ = "api_key"
    __table_args__ = {"comment": "API密钥"}

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True, comment="用户"
    )
    name: Mapped[str] = mapped_column(String(100), comment="名称")
    prefix: Mapped[str] = mapped_column(String(16), unique=True, comment="前缀")
    secret_hash: Mapped[str] = mapped_column(String(64), comment="密钥哈希")
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="吊销时间")
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="最近使用")


class LoginThrottle(TableBase):
    """Failed logins of one username (whether or not such a user exists) in the current window.

    An attempt is counted before its password is checked and the count is cleared by a
    success, so the 5 places of a window go to the first 5 attempts however many are in
    flight (backend/identity/throttle.py). Used when Redis is not configured.
    """

    __tablename__ = "login_throttle"
    __table_args__ = {"comment": "登录失败计数"}

    username: Mapped[str] = mapped_column(String(100), unique=True, comment="用户名")
    failures: Mapped[int] = mapped_column(Integer, comment="失败次数")
    window_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, comment="计数窗口开始")


class RefreshFamily(TableBase):
    """One login and the chain of refresh tokens rotated from it.

    Only the newest token of the chain (`current_jti`) refreshes; presenting an older one means
    it was copied, and ends the whole login (`revoked_at`) for whoever holds any of them.
    """

    __tablename__ = "refresh_family"
    __table_args__ = {"comment": "刷新令牌(登录会话)"}

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True, comment="用户"
    )
    current_jti: Mapped[str] = mapped_column(String(32), comment="当前刷新令牌编号")
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, comment="过期时间")
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, comment="注销时间")
