"""The grid's public notice (网格公示): who works the grid and how to reach them, for anyone.

`GET /public/grids/{code}` (a page in Chinese, printable as the 公示牌) and
`/public/grids/{code}.json`: the grid's name, its outline, the responsible unit and the
supervision phone, the household and resident counts, and the public team members' name,
photo, phone and duties. No login. Nothing else leaves: no resident, no internal note, no
account, no staff member marked not public or no longer at work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.api.deps import SessionDep, SettingsDep
from backend.api.routes import json_response
from backend.areas.maps import outline_svg
from backend.areas.models import Area, Grid
from backend.core import area_codes
from backend.core.errors import ProblemError
from backend.core.images import MEDIA_TYPES, stored_image
from backend.ledgers.models import Household, Resident
from backend.team.models import CONTACT_ROLES, GridStaff, PartyContact, TeamRole

PREFIX = "/public"
router = APIRouter(prefix=PREFIX, tags=["网格公示 public grid notice"])
GridCodeParam = Annotated[str, PathParam(pattern=r"^\d{15}$", description="网格编码 (15 位)")]
TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=select_autoescape(["html"]))
# Shown in this order: the chief first, then the full-time and part-time members, then the rest.
ROLE_ORDER = {role: n for n, role in enumerate(TeamRole)}
CACHE = {"Cache-Control": "public, max-age=300"}


def photo_folder(upload_dir: Path, staff_id: int) -> Path:
    return upload_dir / "staff" / str(staff_id)


def photo_url(staff: GridStaff) -> str | None:
    return f"{PREFIX}/staff/{staff.id}/photo/{staff.photo}" if staff.photo else None


def notice(session: Session, code: str) -> dict[str, Any]:
    grid = session.execute(select(Grid).where(Grid.code == code)).scalar_one_or_none()
    if grid is None:
        raise ProblemError(404, f"网格 {code} 不存在")
    areas = dict(session.execute(select(Area.code, Area).where(
        Area.code.in_(area_codes.lineage(grid.community_code)))).tuples().all())
    community, street = areas.get(grid.community_code), areas.get(code[:area_codes.STREET_LENGTH])
    staff = session.execute(select(GridStaff).where(
        GridStaff.grid_code == code, GridStaff.is_public, GridStaff.is_active)).scalars().all()
    staff = sorted(staff, key=lambda s: (ROLE_ORDER[s.team_role], s.id))
    households = session.execute(select(func.count()).select_from(Household).where(
        Household.grid_code == code)).scalar_one()
    residents = session.execute(select(func.count()).select_from(Resident).where(
        Resident.grid_code == code)).scalar_one()
    party_members = sum(1 for s in session.execute(select(GridStaff.team_role).where(
        GridStaff.grid_code == code, GridStaff.is_active)).scalars() if s in CONTACT_ROLES)
    party_contacts = session.execute(select(func.count(func.distinct(PartyContact.household_id)))
                                     .where(PartyContact.grid_code == code)).scalar_one()
    phone = (community.phone if community else None) or (street.phone if street else None)
    return {
        "code": grid.code, "name": grid.name,
        "community": community.name if community else None,
        "street": street.name if street else None,
        "responsible_unit": community.name if community else None,
        "supervision_phone": phone, "households": households, "residents": residents,
        "party_members": party_members, "party_contacts": party_contacts,
        "outline": grid.boundary,
        "staff": [{"name": s.name, "team_role": s.team_role.value,
                   "team_role_label": s.team_role.label, "phone": s.phone, "duties": s.duties,
                   "photo_url": photo_url(s)} for s in staff],
    }


@router.get("/grids/{code}.json", summary="网格公示 (JSON) Public grid notice",
            description="无需登录: 网格名称、边界、责任单位、监督电话、户数、人数、党员数、"
                        "党员联系户数, "
                        "及公示的网格工作人员的姓名、照片、电话和职责。")
def grid_notice_json(code: GridCodeParam, session: SessionDep) -> Any:
    return json_response(notice(session, code), headers=CACHE)


@router.get("/grids/{code}", response_class=HTMLResponse, summary="网格公示牌 Public grid notice",
            description="无需登录的公示页面 (中文, 可打印)。")
def grid_notice_page(code: GridCodeParam, session: SessionDep, request: Request) -> Response:
    shown = notice(session, code)
    page = TEMPLATES.get_template("grid_notice.html").render(
        notice=shown, map=outline_svg(shown["outline"], None, f"{shown['name']} 网格范围"))
    return HTMLResponse(page, headers=CACHE)


@router.get("/staff/{staff_id}/photo/{name}", summary="工作人员照片 Staff photo",
            response_class=FileResponse)
def staff_photo(staff_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)],
                name: Annotated[str, PathParam(max_length=40)], session: SessionDep,
                settings: SettingsDep) -> Response:
    """A public team member's current photo; 404 for anyone else's, or an old one."""
    staff = session.get(GridStaff, staff_id)
    path = None
    if staff is not None and staff.is_public and staff.is_active and staff.photo == name:
        path = stored_image(photo_folder(settings.upload_dir, staff_id), name)
    if path is None:
        raise ProblemError(404, "照片不存在")
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=CACHE)
