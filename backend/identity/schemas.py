"""Accounts, role assignments, policy rules and API keys as clients send them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from backend.core.db import MAX_ID
from backend.core.schemas import CreateSchema
from backend.core.validation import Name, Phone
from backend.identity.models import Role

Username = Annotated[str, Field(pattern=r"^[a-zA-Z0-9_.-]{2,50}$", title="用户名")]


class UserCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "username": "wangjg", "password": "换成至少10位的口令", "display_name": "王建国",
        "phone": "13812345678", "is_active": True}]})

    username: Username
    password: Annotated[str | None, Field(min_length=10, max_length=200, title="密码",
                                          description="只写: 新建时必填, 修改时给出即更换")] = None
    display_name: Annotated[Name, Field(title="姓名")]
    phone: Phone | None = None
    is_active: bool = True


class RoleAssignmentCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "user_id": 2, "role": "grid_chief", "area_code": "410602001002007",
        "department_code": None}]})

    user_id: Annotated[int, Field(ge=1, le=MAX_ID, title="用户")]
    role: Annotated[Role, Field(title="角色")]
    area_code: Annotated[str | None, Field(pattern=r"^\d{6}(\d{3}){0,3}$", title="区域/网格代码",
                                           description="其下全部区域与网格")] = None
    department_code: Annotated[str | None, Field(max_length=20, title="部门编码",
                                                 description="职能部门角色必填")] = None


class PolicyRuleCreate(CreateSchema):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "role": "grid_member", "obj": "residents|households", "act": "read|export"}]})

    role: Annotated[Role, Field(title="角色")]
    obj: Annotated[str, Field(min_length=1, max_length=500, title="对象",
                              description="* 或以 | 分隔的对象名")]
    act: Annotated[str, Field(min_length=1, max_length=500, title="动作",
                              description="* 或以 | 分隔的动作")]
    ptype: Annotated[str, Field(pattern="^p$")] = "p"


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    user_id: Annotated[int, Field(ge=1, le=MAX_ID, title="所属用户")]
    name: Annotated[str, Field(min_length=1, max_length=100, title="名称",
                               examples=["环卫处业务系统"])]


class ApiKeyRead(BaseModel):
    id: int
    user_id: int
    name: str
    prefix: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="完整密钥, 只在创建时显示一次")


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="访问令牌有效秒数")
    refresh_token: str


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: Annotated[str, Field(min_length=1, max_length=4000)]


class GrantRead(BaseModel):
    role: Role
    role_label: str
    area_code: str | None
    department_code: str | None
    scope_name: str | None = Field(
        default=None, description="辖区或部门名称 (如 鹤山区、环卫处); 全域为空")


class Me(BaseModel):
    id: int
    username: str
    display_name: str
    roles: list[GrantRead]
    permissions: dict[str, list[str]] = Field(description="对象 → 允许的动作")
