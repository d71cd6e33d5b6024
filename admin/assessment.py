"""Hand scores and vetoes entered in the panel, with the evidence photo attached in the same
form: the row through the CRUD service, the picture through backend/assessment/evidence.py,
in one transaction (a refused picture writes nothing)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from sqladmin import expose
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from wtforms import fields

from admin import forms
from admin.auth import current_user
from admin.i18n import Text, say
from admin.ledgers import ExportingView
from admin.views import parse_row_id, validated
from backend.assessment import evidence
from backend.cases.router import photo_response
from backend.core import crud
from backend.core.errors import ProblemError
from backend.core.images import MAX_PHOTO_BYTES, MAX_PHOTO_MB

UPLOAD = "evidence_file"


def _evidence_link(model: Any, _attribute: Any) -> Markup | str:
    if not model.evidence:
        return ""
    return Markup('<a href="{}/evidence" target="_blank" rel="noopener">{}</a>').format(
        model.id, say("查看照片", "View the photo"))


class AssessmentEntryView(ExportingView):
    column_formatters_detail = {"evidence": _evidence_link}

    async def scaffold_form(self, rules: list[str] | None = None):
        form_class = await super().scaffold_form(rules)
        form_class.evidence_file = fields.FileField(
            Text("佐证材料 (照片)", "Evidence (photo)"),
            description=say(f"JPEG、PNG 或 WebP, 不超过 {MAX_PHOTO_MB} MB; 编辑时不选则保留原照片",
                            f"JPEG, PNG or WebP, up to {MAX_PHOTO_MB} MB; left empty when "
                            "editing, the photo stays"))
        return form_class

    @staticmethod
    async def _picture(data: dict) -> bytes | None:
        upload = data.pop(UPLOAD, None)
        if not isinstance(upload, UploadFile) or not upload.filename:
            return None
        return await upload.read(MAX_PHOTO_BYTES + 1)

    def _attach_or_commit(self, session, caller, entry, picture: bytes | None) -> None:
        if picture is None:
            session.commit()
        else:
            evidence.attach(session, entry, picture, self.api_state.settings.upload_dir,
                            caller, field=UPLOAD)

    async def insert_model(self, request: Request, data: dict) -> Any:
        picture = await self._picture(data)
        payload = forms.to_payload(data, self._form_names(False))

        def create(session, caller):
            entry = crud.create_row(session, self.spec, validated(self.spec, payload), caller,
                                    commit=False)
            self._attach_or_commit(session, caller, entry, picture)
            session.expunge(entry)
            return entry

        return await run_in_threadpool(self._write, create)

    async def update_model(self, request: Request, pk: str, data: dict) -> Any:
        picture = await self._picture(data)
        entry = await super().update_model(request, pk, data)
        if picture is not None:
            def attach(session, caller):
                row = crud.get_row(session, self.spec, entry.id, caller, "update")
                evidence.attach(session, row, picture, self.api_state.settings.upload_dir,
                                caller, field=UPLOAD)
                session.expunge(row)
                return row

            entry = await run_in_threadpool(self._write, attach)
        return entry

    @expose("/{pk}/evidence", methods=["GET"])
    async def evidence_photo(self, request: Request) -> Response:
        """The entry's evidence, to those who may read the entry (404 to everyone else)."""
        entry_id = parse_row_id(request.path_params["pk"])
        caller = current_user().caller

        def find():
            with self.database.session() as session:
                entry = crud.get_row(session, self.spec, entry_id, caller)
                return evidence.stored(self.api_state.settings.upload_dir, entry)

        try:
            path = await run_in_threadpool(find)
        except ProblemError:
            path = None
        if path is None:
            raise HTTPException(status_code=404)
        return photo_response(path)
