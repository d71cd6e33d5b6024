"""Logging in (/auth) and API keys: what the CRUD registry does not cover."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import select

from backend.api.deps import CurrentCaller, CurrentPrincipal, SessionDep, SettingsDep
from backend.api.problems import problem_docs
from backend.audit import writer as audit
from backend.core.crud import Caller
from backend.core.db import MAX_ID
from backend.identity import service
from backend.identity.models import ApiKey, Role
from backend.identity.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    GrantRead,
    Me,
    RefreshRequest,
    Token,
)
from rbac.vocabulary import known_actions, known_objects

router = APIRouter(tags=["认证 auth"])


@router.post("/auth/token", response_model=Token, summary="登录获取令牌 Log in",
             responses=problem_docs(401, 422, 429, 503))
def login(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> Any:
    user = service.authenticate(session, request.app.state.login_throttle, form.username,
                                form.password)
    return service.start_login(session, settings.secret_key, user)


@router.post("/auth/refresh", response_model=Token, summary="刷新令牌 Refresh",
             responses=problem_docs(401, 422),
             description="每次刷新返回新的刷新令牌, 旧的随即作废; "
                         "再次使用已用过的刷新令牌会注销整个登录。"
                         " Each refresh returns a new refresh token and spends the old one;"
                         " presenting a spent one ends the whole login.")
def refresh(body: RefreshRequest, session: SessionDep, settings: SettingsDep) -> Any:
    return service.refresh_login(session, settings.secret_key, body.refresh_token)


@router.get("/auth/me", response_model=Me, summary="当前用户 Who am I",
            responses=problem_docs(401))
def me(principal: CurrentPrincipal, session: SessionDep) -> Any:
    permissions = {
        obj: [act for act in known_actions() if principal.can(obj, act)] for obj in known_objects()
    }
    names = service.scope_names(session, principal.grants)
    return Me(
        id=principal.user_id, username=principal.username, display_name=principal.display_name,
        roles=[GrantRead(role=Role(g.role), role_label=Role(g.role).label, area_code=g.area_code,
                         department_code=g.department_code,
                         scope_name=names.get(g.area_code or g.department_code or ""))
               for g in principal.grants],
        permissions={obj: acts for obj, acts in permissions.items() if acts},
    )


keys = APIRouter(prefix="/api-keys", tags=["API密钥 api keys"],
                 responses=problem_docs(401, 403))


def _require(caller: Caller, action: str) -> None:
    if caller.principal is not None:  # as crud.require: the system itself may
        caller.principal.require("api-keys", action)


def _key_read(api_key: ApiKey) -> dict[str, Any]:
    return ApiKeyRead.model_validate(api_key, from_attributes=True).model_dump()


@keys.get("", response_model=list[ApiKeyRead], summary="API密钥列表 List API keys")
def list_keys(caller: CurrentCaller, session: SessionDep) -> Any:
    _require(caller, "read")
    return [_key_read(k) for k in session.execute(select(ApiKey).order_by(ApiKey.id)).scalars()]


@keys.post("", response_model=ApiKeyCreated, status_code=201,
           summary="新建API密钥 (只显示一次) Create an API key", responses=problem_docs(422))
def create_key(body: ApiKeyCreate, caller: CurrentCaller, session: SessionDep) -> Any:
    _require(caller, "create")
    api_key, key = service.create_api_key(session, body.user_id, body.name)
    audit.record(session, caller.actor, "create", "api-keys", api_key.id, None,
                 {"user_id": (None, body.user_id), "name": (None, body.name),
                  "prefix": (None, api_key.prefix)})
    session.commit()
    return _key_read(api_key) | {"key": key}


@keys.delete("/{key_id}", response_model=ApiKeyRead, summary="吊销API密钥 Revoke an API key",
             responses=problem_docs(404, 422))
def revoke_key(request: Request, key_id: Annotated[int, Path(ge=1, le=MAX_ID)],
               caller: CurrentCaller, session: SessionDep) -> Any:
    _require(caller, "delete")
    api_key = service.revoke_api_key(session, key_id)
    audit.record(session, caller.actor, "revoke", "api-keys", api_key.id, None,
                 {"revoked_at": (None, api_key.revoked_at)})
    session.commit()
    request.app.state.policy_sync.notify()
    return _key_read(api_key)
