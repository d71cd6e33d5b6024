"""Accounts and who they are: logins, tokens, API keys, and the principal behind a request."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from backend.areas.models import Area, Grid
from backend.cases.models import Department
from backend.core.db import affected_rows, utcnow
from backend.core.errors import ProblemError, field_error
from backend.identity import security
from backend.identity.models import ApiKey, RefreshFamily, Role, RoleAssignment, User
from backend.identity.throttle import Throttle
from rbac.enforcer import PolicyEngine, bump_generation
from rbac.scope import Grant, Principal

log = logging.getLogger(__name__)


def authenticate(session: Session, throttle: Throttle, username: str, password: str) -> User:
    """The user, or 401 without saying whether the name or the password was wrong.

    The attempt is counted before the password is checked (429 once the window is used up) and
    the count cleared when it was right: see backend/identity/throttle.py.
    """
    username = username.strip()[:100]
    throttle.take_attempt(session, username)
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    valid = security.verify_password(user.password_hash if user else None, password)
    if not valid or user is None or not user.is_active:
        raise ProblemError(401, "用户名或密码错误", headers={"WWW-Authenticate": "Bearer"})
    throttle.clear(session, username)
    return user


def access_token(secret: str, user: User) -> str:
    stamp = security.account_stamp(user.password_hash, user.is_active)
    return security.issue_token(secret, user.id, "access", stamp,
                                dt.timedelta(minutes=security.ACCESS_TOKEN_MINUTES))


REFRESH_LIFETIME = dt.timedelta(days=security.REFRESH_TOKEN_DAYS)


def _token_pair(secret: str, user: User, family_id: int, jti: str) -> dict[str, Any]:
    stamp = security.account_stamp(user.password_hash, user.is_active)
    return {
        "access_token": access_token(secret, user),
        "token_type": "bearer",
        "expires_in": security.ACCESS_TOKEN_MINUTES * 60,
        "refresh_token": security.issue_token(secret, user.id, "refresh", stamp, REFRESH_LIFETIME,
                                              jti=jti, family=family_id),
    }


def start_login(session: Session, secret: str, user: User) -> dict[str, Any]:
    """Tokens for a new login: a stateless access token and the first refresh token of a new
    family. The user's families that have expired go at the same time."""
    now = utcnow()
    session.execute(delete(RefreshFamily).where(RefreshFamily.user_id == user.id,
                                                RefreshFamily.expires_at <= now))
    family = RefreshFamily(user_id=user.id, current_jti=security.new_jti(),
                           expires_at=now + REFRESH_LIFETIME)
    session.add(family)
    session.commit()
    return _token_pair(secret, user, family.id, family.current_jti)


def refresh_login(session: Session, secret: str, token: str) -> dict[str, Any]:
    """New tokens for a refresh token, which is then spent.

    Only the newest refresh token of a login refreshes: the swap to its successor is one
    conditional UPDATE, so of two requests with the same token one wins. A token that was
    already spent (a copy, or the loser of that race) ends the login: every token of the
    family is refused from then on, the thief's and the owner's alike.
    """
    refused = ProblemError(401, "刷新令牌无效或已过期", headers={"WWW-Authenticate": "Bearer"})
    claims = security.read_token(secret, token, "refresh")
    if claims is None or claims.family is None or not claims.jti:
        raise refused
    user = _active_user(session, claims)
    if user is None:
        raise refused
    now = utcnow()
    successor = security.new_jti()
    family_of_user = (RefreshFamily.id == claims.family) & (RefreshFamily.user_id == claims.user_id)
    swapped = affected_rows(session.execute(
        update(RefreshFamily)
        .where(family_of_user, RefreshFamily.current_jti == claims.jti,
               RefreshFamily.revoked_at.is_(None), RefreshFamily.expires_at > now)
        .values(current_jti=successor, expires_at=now + REFRESH_LIFETIME)
    ))
    if swapped != 1:
        ended = affected_rows(session.execute(
            update(RefreshFamily)
            .where(family_of_user, RefreshFamily.revoked_at.is_(None),
                   RefreshFamily.current_jti != claims.jti)
            .values(revoked_at=now)
        ))
        session.commit()
        if ended:
            log.warning("refresh token of login %s (user %s) used twice: login ended",
                        claims.family, claims.user_id)
            raise ProblemError(401, "刷新令牌已被使用过, 该登录已注销, 请重新登录",
                               headers={"WWW-Authenticate": "Bearer"})
        raise refused
    session.commit()
    return _token_pair(secret, user, claims.family, successor)


def end_logins(session: Session, user_id: int) -> None:
    """Every refresh token of the user stops working (new password, disabled account)."""
    session.execute(update(RefreshFamily)
                    .where(RefreshFamily.user_id == user_id, RefreshFamily.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))


def _active_user(session: Session, claims: security.TokenClaims) -> User | None:
    user = session.get(User, claims.user_id)
    if user is None or not user.is_active:
        return None
    if security.account_stamp(user.password_hash, user.is_active) != claims.stamp:
        return None  # the password changed since: old tokens are void
    return user


def load_principal(session: Session, engine: PolicyEngine, user: User) -> Principal:
    grants = tuple(
        Grant(a.role.value, a.area_code, a.department_code)
        for a in session.execute(
            select(RoleAssignment).where(RoleAssignment.user_id == user.id)
            .order_by(RoleAssignment.id)
        ).scalars()
    )
    return Principal(user.id, user.username, user.display_name, grants, engine)


# --- API keys -----------------------------------------------------------------------------


def scope_names(session: Session, grants: Iterable[Grant]) -> dict[str, str]:
    """The names of the areas, grids and departments the grants are scoped to, by code: what
    a viewer reads for "whose figures are these" (鹤山区, not 410602)."""
    areas = {g.area_code for g in grants if g.area_code}
    departments = {g.department_code for g in grants if g.department_code}
    names: dict[str, str] = {}
    if areas:
        names |= dict(session.execute(select(Area.code, Area.name).where(Area.code.in_(areas)))
                      .tuples().all())
        names |= dict(session.execute(select(Grid.code, Grid.name).where(Grid.code.in_(areas)))
                      .tuples().all())
    if departments:
        names |= dict(session.execute(select(Department.code, Department.name)
                                      .where(Department.code.in_(departments))).tuples().all())
    return names


def create_api_key(session: Session, user_id: int, name: str) -> tuple[ApiKey, str]:
    if session.get(User, user_id) is None:
        raise field_error(422, "user_id", f"用户 '{user_id}' 不存在")
    key, prefix, secret_hash = security.new_api_key()
    api_key = ApiKey(user_id=user_id, name=name, prefix=prefix, secret_hash=secret_hash)
    session.add(api_key)
    session.flush()
    return api_key, key


def revoke_api_key(session: Session, key_id: int) -> ApiKey:
    api_key = session.get(ApiKey, key_id)
    if api_key is None:
        raise ProblemError(404, f"API密钥 {key_id} 不存在")
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
        bump_generation(session)  # cached keys in every worker go
        session.flush()
    return api_key


def count_users(session: Session) -> int:
    return session.execute(select(func.count()).select_from(User)).scalar_one()


# --- demo accounts --------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLayout:
    """Where the demo accounts work: codes from whatever world was seeded."""

    county: str
    community: str  # the first community
    grid: str  # the first grid of that community
    other_grid: str  # a grid in another community
    sanitation: str  # the sanitation (环卫) department's code
    justice: str  # the justice bureau's (司法局), which disputes are handed to
    petitions: str  # the petitions bureau's (信访局)


# username, display name, role, which scope of the layout ("" for the whole system)
DEMO_ACCOUNTS = (
    ("admin", "系统管理员", Role.admin, ""),
    ("leader", "领导小组", Role.leader, "county"),
    ("dispatcher", "指挥中心坐席", Role.dispatcher, "county"),
    ("secretary", "社区书记", Role.secretary, "community"),
    ("chief", "网格长", Role.grid_chief, "grid"),
    ("chief2", "网格长(另一社区)", Role.grid_chief, "other_grid"),
    ("member", "网格员", Role.grid_member, "grid"),
    ("dept-sanitation", "环卫处", Role.department, "sanitation"),
    ("dept-justice", "司法局", Role.department, "justice"),
    ("dept-petitions", "信访局", Role.department, "petitions"),
)


def create_demo_accounts(session: Session, password: str, layout: DemoLayout) -> list[User]:
    """The accounts the README lists, all with the demo password (hashed once: same secret).

    Names already taken are left alone, so a second run adds only what is missing.
    """
    password_hash = security.hash_password(password)
    taken = set(session.execute(select(User.username)).scalars())
    users = []
    for username, display_name, role, scope in DEMO_ACCOUNTS:
        if username in taken:
            continue
        user = User(username=username, password_hash=password_hash, display_name=display_name)
        session.add(user)
        session.flush()
        where = getattr(layout, scope) if scope else None
        session.add(RoleAssignment(
            user_id=user.id, role=role,
            area_code=where if role is not Role.department else None,
            department_code=where if role is Role.department else None,
        ))
        users.append(user)
    bump_generation(session)
    return users
