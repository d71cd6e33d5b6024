"""The policy's tables: Casbin rules, and a version counter that tells workers to reload."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import TableBase


class PolicyRule(TableBase):
    """One Casbin `p` line: role, objects ("*" or "a|b"), actions ("*" or "a|b")."""

    __tablename__ = "policy_rule"
    __table_args__ = {"comment": "权限规则"}

    ptype: Mapped[str] = mapped_column(String(10), default="p", comment="规则类型")
    role: Mapped[str] = mapped_column(String(30), index=True, comment="角色")
    obj: Mapped[str] = mapped_column(String(500), comment="对象")
    act: Mapped[str] = mapped_column(String(500), comment="动作")


class PolicyVersion(TableBase):
    """A single row whose `generation` grows on every change of rules, roles or accounts.

    Workers compare it with what they loaded (the fallback when Redis is not configured).
    """

    __tablename__ = "policy_version"
    __table_args__ = {"comment": "权限版本"}

    generation: Mapped[int] = mapped_column(Integer, default=0, comment="版本号")
