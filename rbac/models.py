"""The policy's tables: Casbin rules, a version counter that tells workers to reload, and the
default policy as last applied (what a release's changes are merged against)."""

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
    `default_version` is the version of the default policy last applied (rbac/policy.csv's
    `version` line; its rules are in policy_default_rule), None before the first.
    """

    __tablename__ = "policy_version"
    __table_args__ = {"comment": "权限版本"}

    generation: Mapped[int] = mapped_column(Integer, default=0, comment="版本号")
    default_version: Mapped[int | None] = mapped_column(Integer, comment="默认权限版本")


class PolicyDefaultRule(TableBase):
    """A rule of the default policy as last applied to this database.

    The common ancestor of a three-way merge: what a release's default adds or drops since
    then is applied; what differs between it and policy_rule is an operator's hand edit, kept.
    """

    __tablename__ = "policy_default_rule"
    __table_args__ = {"comment": "默认权限规则(上次应用)"}

    role: Mapped[str] = mapped_column(String(30), comment="角色")
    obj: Mapped[str] = mapped_column(String(500), comment="对象")
    act: Mapped[str] = mapped_column(String(500), comment="动作")
