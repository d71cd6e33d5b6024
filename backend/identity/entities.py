"""Accounts, role assignments and policy rules as entities: they go through the same CRUD
registry as every other row (validated, scoped, audited), with the guards that keep at least
one administrator and the full admin rule."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.areas.models import Area, Grid
from backend.cases.models import Department
from backend.core import area_codes
from backend.core.crud import Caller, EntitySpec, register
from backend.core.errors import FieldError, ProblemError, field_error
from backend.identity import security
from backend.identity.models import Role, RoleAssignment, User
from backend.identity.schemas import PolicyRuleCreate, RoleAssignmentCreate, UserCreate
from backend.identity.service import end_logins
from rbac.models import PolicyRule
from rbac.vocabulary import known_actions, known_objects


def prepare_user(session: Session, changed: dict[str, Any], existing: User | None,
                 _caller: Caller) -> None:
    password = changed.pop("password", None)
    if password is not None:
        changed["password_hash"] = security.hash_password(password)
    elif existing is None:
        raise field_error(422, "password", "新建用户必须设置密码")
    if existing is not None and (password is not None or changed.get("is_active") is False):
        # Old tokens already carry a stale account stamp; ending the logins as well keeps them
        # dead when the account is enabled again (the stamp would match again).
        end_logins(session, existing.id)


def validate_assignment(session: Session, data: dict[str, Any], existing: Any) -> None:
    role, area, department = Role(data["role"]), data.get("area_code"), data.get("department_code")
    stays_global_admin = role is Role.admin and area is None and department is None
    if existing is not None and _is_global_admin(existing) and not stays_global_admin:
        _keep_an_admin(session, assignment_id=existing.id)
    if role is Role.department:
        if department is None:
            raise field_error(422, "department_code", "职能部门角色必须指定部门")
        if area is not None:
            raise field_error(422, "area_code", "职能部门角色按部门授权, 不指定区域")
        known = select(Department.id).where(Department.code == department)
        if session.execute(known).first() is None:
            raise field_error(422, "department_code", f"部门 '{department}' 不存在")
        return
    if department is not None:
        raise field_error(422, "department_code", f"{role.label}角色按区域授权, 不指定部门")
    if area is None:
        if role is not Role.admin:
            raise field_error(422, "area_code", f"{role.label}角色必须指定区域或网格代码")
        return
    table = Grid if area_codes.is_grid_code(area) else Area
    if session.execute(select(table.id).where(table.code == area)).first() is None:
        raise field_error(422, "area_code", f"区域或网格 '{area}' 不存在")


# --- never lock everyone out ------------------------------------------------------------------


def _other_active_admins(session: Session, user_id: int | None, assignment_id: int | None) -> int:
    stmt = (
        select(func.count(func.distinct(User.id)))
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(User.is_active.is_(True), RoleAssignment.role == Role.admin,
               RoleAssignment.area_code.is_(None), RoleAssignment.department_code.is_(None))
    )
    if user_id is not None:
        stmt = stmt.where(User.id != user_id)
    if assignment_id is not None:
        stmt = stmt.where(RoleAssignment.id != assignment_id)
    return session.execute(stmt).scalar_one()


def _is_admin(session: Session, user_id: int) -> bool:
    return _other_active_admins(session, None, None) != _other_active_admins(session, user_id, None)


def _keep_an_admin(session: Session, user_id: int | None = None, assignment_id: int | None = None):
    if _other_active_admins(session, user_id, assignment_id) == 0:
        raise ProblemError(409, "这是最后一个有效的系统管理员, 不能停用、删除或降级")


def validate_user(session: Session, data: dict[str, Any], existing: User | None) -> None:
    if existing is not None and not data["is_active"] and _is_admin(session, existing.id):
        _keep_an_admin(session, user_id=existing.id)


def guard_user_delete(session: Session, user: User) -> None:
    if _is_admin(session, user.id):
        _keep_an_admin(session, user_id=user.id)


def _is_global_admin(assignment: RoleAssignment) -> bool:
    return (assignment.role is Role.admin and assignment.area_code is None
            and assignment.department_code is None)


def guard_assignment_delete(session: Session, assignment: RoleAssignment) -> None:
    if _is_global_admin(assignment):
        _keep_an_admin(session, assignment_id=assignment.id)


FULL_ADMIN_RULE = (Role.admin.value, "*", "*")


def _is_full_admin_rule(rule: PolicyRule) -> bool:
    return (rule.role, rule.obj, rule.act) == FULL_ADMIN_RULE


def validate_rule(_session: Session, data: dict[str, Any], existing: PolicyRule | None) -> None:
    if existing is not None and _is_full_admin_rule(existing):
        raise ProblemError(409, "管理员的全部权限规则 (admin, *, *) 不能修改")
    errors = []
    for field_name, what, known in (("obj", "对象", known_objects()),
                                    ("act", "动作", known_actions())):
        value = data.get(field_name)
        unknown = [w for w in value.split("|") if w not in known] if value and value != "*" else []
        if unknown:
            errors.append(FieldError(field_name, f"未知的{what}: {', '.join(unknown)}; "
                                                 f"可用: {', '.join(known)}"))
    if errors:
        raise ProblemError(422, "; ".join(f"{e.field}: {e.msg}" for e in errors), errors)


def guard_rule_delete(_session: Session, rule: PolicyRule) -> None:
    if _is_full_admin_rule(rule):
        raise ProblemError(409, "管理员的全部权限规则 (admin, *, *) 不能删除")


USERS = register(EntitySpec(
    name="users", model=User, create_schema=UserCreate, label="用户", label_en="users",
    scope_column=None, hidden=("password_hash",), immutable=("username",),
    default_sort="username", changes_policy=True, prepare_write=prepare_user,
    validate=validate_user, before_delete=guard_user_delete,
))
ROLE_ASSIGNMENTS = register(EntitySpec(
    name="role-assignments", model=RoleAssignment, create_schema=RoleAssignmentCreate,
    label="角色授权", label_en="role assignments", scope_column=None, changes_policy=True,
    immutable=("user_id",),
    validate=validate_assignment, before_delete=guard_assignment_delete,
))
POLICY_RULES = register(EntitySpec(
    name="policy-rules", model=PolicyRule, create_schema=PolicyRuleCreate, label="权限规则",
    label_en="policy rules", scope_column=None, changes_policy=True, default_sort="role",
    validate=validate_rule, before_delete=guard_rule_delete,
))


# --- logging in -----------------------------------------------------------------------------
