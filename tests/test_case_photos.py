"""Photos of a case: the department photographs the cleared street and feeds back with it; the
dispatcher sees it on the case's page; nobody outside the case's scope gets it, and only real
pictures are kept, without the camera's GPS position."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.builders import SANITATION, dispatch_case, ok
from tests.test_admin_cases import current
from tests.test_admin_panel import page_token, panel_login
from tests.test_workflow import report, world  # noqa: F401  (the workflow tests' world)

GPS = 0x8825  # the EXIF GPS IFD tag


def picture(kind: str = "JPEG", size: tuple[int, int] = (64, 48), gps: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 120, 40))
    buffer = io.BytesIO()
    exif = Image.Exif()
    if gps:
        exif[GPS] = {1: "N", 2: (35.0, 56.0, 6.0), 3: "E", 4: (114.0, 10.0, 30.0)}
    image.save(buffer, format=kind, **({"exif": exif} if gps else {}))
    return buffer.getvalue()


@pytest.fixture
def dispatched(world, as_user):  # noqa: F811
    return dispatch_case(as_user("dispatcher"), report(as_user("member"), world))


def upload(user, case: dict, content: bytes, name: str = "现场.jpg"):
    return user.post(f"/api/v1/cases/{case['id']}/photos", files={"file": (name, content)})


def test_the_department_uploads_a_photo_and_feeds_back_with_it(dispatched, as_user):
    department = as_user("dept-sanitation")
    answer = upload(department, dispatched, picture(gps=True))
    assert answer.status_code == 201, answer.text
    url = answer.json()["url"]
    assert url.startswith(f"/api/v1/cases/{dispatched['id']}/photos/")
    ok(department.post(f"/api/v1/cases/{dispatched['id']}/actions/accept", json={}))
    ok(department.post(f"/api/v1/cases/{dispatched['id']}/actions/feedback",
                       json={"note": "已清运", "photo_urls": [url]}))
    served = as_user("dispatcher").get(url)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    kept = Image.open(io.BytesIO(served.content))
    assert kept.size == (64, 48) and GPS not in kept.getexif()  # the position is not kept


def test_nobody_outside_the_case_gets_its_photo(dispatched, as_user):
    url = upload(as_user("dept-sanitation"), dispatched, picture("PNG")).json()["url"]
    assert as_user("chief2").get(url).status_code == 404  # another community's grid chief
    assert upload(as_user("chief2"), dispatched, picture()).status_code == 404
    assert as_user("chief").get(url).status_code == 200  # the case's own grid
    assert as_user("chief").get(url.replace(url[-36:-4], "0" * 32)).status_code == 404
    assert as_user("chief").get(f"/api/v1/cases/{dispatched['id']}/photos/..%2F..%2Fsecret"
                                ).status_code in (404, 422)


@pytest.mark.parametrize(("content", "status", "reason"), [
    (b"", 422, "文件为空"),
    (b"GIF89a" + b"\0" * 100, 422, "不是可识别"),
    (b"<script>alert(1)</script>", 422, "不是可识别"),
    (picture("GIF"), 422, "只接受 JPEG、PNG 或 WebP"),
    (picture("PNG", size=(8000, 6000)), 422, "像素过大"),
    (picture()[:200], 422, "不是可识别"),
])
def test_only_real_pictures_of_sensible_size_are_kept(dispatched, as_user, content, status,
                                                     reason):
    answer = upload(as_user("dept-sanitation"), dispatched, content)
    assert answer.status_code == status, answer.text
    assert reason in answer.json()["detail"] and answer.json()["errors"][0]["field"] == "file"


def test_the_department_feeds_back_with_a_photo_in_the_panel(dispatched, app, as_user, client):
    ok(as_user("dept-sanitation").post(f"/api/v1/cases/{dispatched['id']}/actions/accept",
                                       json={}))
    department = panel_login(app, "dept-sanitation", send_token=False)
    page = department.get(f"/admin/cases/{dispatched['id']}/workflow").text
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    sent = department.post(f"/admin/cases/{dispatched['id']}/workflow", data={
        "action": "feedback", "version": str(current(client, dispatched)["version"]),
        "note": "已清运完毕", "csrf_token": page_token(page)},
        files=[("photo_urls", ("清运后.png", picture("PNG"), "image/png"))])
    assert sent.status_code == 302, sent.text[-1500:]
    steps = ok(client.get(f"/api/v1/cases/{dispatched['id']}/steps"))
    (url,) = [s for s in steps if s["action"] == "feedback"][-1]["details"]["photo_urls"]
    dispatcher = panel_login(app, "dispatcher")
    shown = dispatcher.get(f"/admin/cases/{dispatched['id']}/workflow").text
    name = url.rsplit("/", 1)[1]
    assert f'data-photo="{name}"' in shown
    photo = dispatcher.get(f"/admin/cases/{dispatched['id']}/photos/{name}")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
    assert panel_login(app, "chief2").get(
        f"/admin/cases/{dispatched['id']}/photos/{name}").status_code == 404
    assert current(client, dispatched)["department_code"] == SANITATION


def test_a_file_that_is_no_picture_stops_the_panels_feedback(dispatched, app, as_user, client):
    ok(as_user("dept-sanitation").post(f"/api/v1/cases/{dispatched['id']}/actions/accept",
                                       json={}))
    department = panel_login(app, "dept-sanitation", send_token=False)
    page = department.get(f"/admin/cases/{dispatched['id']}/workflow").text
    sent = department.post(f"/admin/cases/{dispatched['id']}/workflow", data={
        "action": "feedback", "version": str(current(client, dispatched)["version"]),
        "note": "已清运完毕", "csrf_token": page_token(page)},
        files=[("photo_urls", ("报告.pdf", b"%PDF-1.4 not a picture", "application/pdf"))])
    assert sent.status_code == 400 and "报告.pdf" in sent.text
    assert current(client, dispatched)["status"] == "processing"
