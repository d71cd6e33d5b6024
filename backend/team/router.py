"""Grid-team routes beyond CRUD: a team member's photo for the public notice."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Path, UploadFile

from backend.api.deps import CurrentCaller, SessionDep, SettingsDep
from backend.api.problems import problem_docs
from backend.api.routes import etag, json_response
from backend.audit import writer as audit
from backend.core import crud
from backend.core.db import MAX_ID
from backend.core.images import MAX_PHOTO_BYTES, MAX_PHOTO_MB, store_image, stored_image
from backend.team.entities import GRID_STAFF
from backend.team.public import photo_folder

router = APIRouter(tags=["网格团队 grid team"], responses=problem_docs(401, 403, 404))


@router.post("/grid-staff/{staff_id}/photo", response_model=GRID_STAFF.read_schema,
             summary="上传公示照片 Upload a staff photo",
             description=f"JPEG、PNG 或 WebP, 最大 {MAX_PHOTO_MB} MB; 存储时去除 EXIF。"
                         "替换原有照片, 公示页面即显示新照片。需要修改该工作人员的权限。",
             responses=problem_docs(413, 422))
def upload_staff_photo(staff_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep,
                       caller: CurrentCaller, settings: SettingsDep,
                       file: Annotated[UploadFile, File(description="照片文件")]) -> Any:
    staff = crud.get_row(session, GRID_STAFF, staff_id, caller, "update")
    folder = photo_folder(settings.upload_dir, staff.id)
    name = store_image(folder, file.file.read(MAX_PHOTO_BYTES + 1))
    old = stored_image(folder, staff.photo) if staff.photo else None
    audit.record(session, caller.actor, "photo", GRID_STAFF.name, staff.id, staff.grid_code,
                 {"photo": (staff.photo, name)})
    staff.photo = name
    session.commit()
    if old is not None:
        old.unlink(missing_ok=True)  # the notice shows the new one only
    return json_response(crud.show(caller, GRID_STAFF, staff), headers=etag(staff))
