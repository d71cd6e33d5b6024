"""Each role's day in a real browser (headless Chromium), starting from its home page (工作台).

- the grid chief adds a resident to a household picked by its building and logs a patrol;
- the dispatcher files a new report and dispatches it to the sanitation office;
- the department accepts it and feeds back with a photo of the cleared street;
- the dispatcher verifies the work (the photo is on the case's page) and closes the case;
- the secretary reviews a work log waiting on her desk;
- the leader reads the month's figures;
- the grid chief finds whom 帮教 is overdue for and settles a resident's request from her desk.

Every page is screenshotted (var/test-artifacts/roles-*.png), and none may show an English
word: the browser's own language is English, the panel's is Chinese.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from PIL import Image

from backend.core.db import BEIJING
from tests.builders import DEMO_PASSWORD, GRID, id_number, make_household, ok
from tests.servers import uvicorn_worker
from tests.test_admin_browser import (  # noqa: F401
    ARTIFACTS,
    CHROMEDRIVER,
    CHROMIUM,
    browser,
    choose,
    click,
)
from tests.test_workflow import report, world  # noqa: F401  (the workflow tests' world)

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)")

# Words a Chinese page may hold in Latin letters: the product's name, file formats, units.
LATIN_ALLOWED = {"GridLink", "JPEG", "PNG", "WebP", "GeoJSON", "MB", "Excel", "CSV", "xlsx",
                 "csv", "ID", "API", "APP", "Open"}


class Desk:
    """One role at the panel in the browser: log in, look, click, submit."""

    def __init__(self, driver, url: str, role: str) -> None:
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver, self.url, self.role = driver, url, role
        self.wait = WebDriverWait(driver, 20)
        # Elements are waited for explicitly (`arrived`, `wait`): a missing one fails now.
        driver.implicitly_wait(0)
        self.pages = 0

    def find(self, css: str):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as seen

        return self.wait.until(seen.presence_of_element_located((By.CSS_SELECTOR, css)))

    def log_in(self, username: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        self.driver.delete_all_cookies()
        self.driver.get(f"{self.url}/admin/login")
        self.driver.find_element(By.NAME, "username").send_keys(username)
        self.driver.find_element(By.NAME, "password").send_keys(DEMO_PASSWORD + Keys.ENTER)
        self.arrived("#gridlink-home", "home")

    def arrived(self, css: str, name: str) -> None:
        """Wait for the page's mark, then keep its picture and check its words."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as seen

        self.wait.until(seen.presence_of_element_located((By.CSS_SELECTOR, css)))
        self.pages += 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(ARTIFACTS / f"roles-{self.role}-{self.pages}-{name}.png"))
        text = self.driver.execute_script("return document.body.innerText")
        latin = set(re.findall(r"(?<![A-Za-z0-9_.@/-])[A-Za-z]{2,}(?![A-Za-z0-9_.@/-])", text))
        assert latin <= LATIN_ALLOWED, f"English on {name}: {sorted(latin - LATIN_ALLOWED)}"
        assert self.driver.execute_script("return document.documentElement.lang") == "zh-CN"

    def click(self, css: str) -> None:
        click(self.driver, self.find(css))

    def menu(self, path: str) -> None:
        """A link of the side menu, whose groups are folded: followed as a click would."""
        self.driver.execute_script("arguments[0].click();",
                                   self.find(f"a[href$='{path}']"))

    def open_action(self, action: str) -> None:
        self.click("[data-top-action='workflow']")
        self.arrived(f"summary[data-action='{action}']", f"act-{action}")
        self.click(f"summary[data-action='{action}']")

    def submit_action(self, action: str, flash: str) -> None:
        self.click("details[open] form button[type=submit]")
        toast = self.toast()
        assert toast.startswith(flash), toast
        self.arrived("#gridlink-case-details, .card", f"done-{action}")

    def toast(self) -> str:
        """The message a write leaves (after a save: 已保存…; after an action: 已立案…)."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as seen

        try:
            return self.wait.until(seen.visibility_of_element_located(
                (By.CSS_SELECTOR, ".toast"))).text
        except TimeoutException:
            self.driver.save_screenshot(str(ARTIFACTS / f"roles-{self.role}-no-message.png"))
            raise

    def set_value(self, name: str, value: str) -> None:
        """Dates and times as the form's own inputs hold them (not as the OS's picker types)."""
        self.driver.execute_script("arguments[0].value = arguments[1];",
                                   self.find(f"[name='{name}']"), value)


@contextmanager
def desk(browser, settings, role: str) -> Iterator[Desk]:  # noqa: F811
    with uvicorn_worker(settings) as url:
        yield Desk(browser, url, role)


def test_the_grid_chief_adds_a_resident_and_logs_a_patrol(world, settings, browser,  # noqa: F811
                                                          client):
    with desk(browser, settings, "chief") as chief:
        chief.log_in("chief")
        chief.click("#gridlink-coverage-link")  # this month's coverage of the chief's grid
        chief.arrived("#gridlink-coverage [data-rate='patrol_rate']", "coverage")
        chief.menu("/admin/residents/list")
        chief.arrived("#filter-sidebar", "residents")
        chief.click("a[href$='/admin/residents/create']")
        chief.arrived("form", "new-resident")
        chief.find("[name='name']").send_keys("王秀兰")
        chief.find("[name='id_number']").send_keys(id_number(7, sex="female"))
        chief.click("select[name=household_id] + .select2 .select2-selection")
        chief.find(".select2-container--open .select2-search__field").send_keys("3号楼")
        choose(chief.wait, "3号楼")
        chief.click("input[type=submit][name=save]")
        assert chief.toast().startswith("已保存居民: 王秀兰")
        chief.arrived(".card-header", "resident-saved")
        (saved,) = ok(client.get("/api/v1/residents", params={"name": "王秀兰"}))["items"]
        assert saved["household_id"] == world.household["id"] and saved["grid_code"] == GRID

        chief.driver.get(f"{chief.url}/admin/")
        chief.arrived("#gridlink-home", "home-again")
        chief.menu("/admin/patrols/list")
        chief.arrived("#filter-sidebar", "patrols")
        chief.click("a[href$='/admin/patrols/create']")
        chief.arrived("form", "new-patrol")
        chief.find("[name='patroller_name']").send_keys("李秀英")
        chief.set_value("started_at", "2026-12-01T08:30")
        chief.set_value("ended_at", "2026-12-01T10:00")
        chief.find("[name='findings']").send_keys("88号院门口积存垃圾, 已上报")
        chief.click("input[type=submit][name=save]")
        assert chief.toast().startswith("已保存巡查")
        chief.arrived(".card-header", "patrol-saved")
    (patrol,) = [p for p in ok(client.get("/api/v1/patrols", params={"grid_code": GRID}))[
        "items"] if p["findings"] == "88号院门口积存垃圾, 已上报"]
    assert patrol["started_at"] == "2026-12-01T00:30:00Z"  # 08:30 typed, in Beijing


def photo_file(tmp_path) -> str:
    path = tmp_path / "清运后.png"
    image = Image.new("RGB", (120, 90), (40, 160, 60))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_a_report_is_filed_dispatched_handled_with_a_photo_verified_and_closed(
        world, settings, browser, client, as_user, tmp_path):  # noqa: F811
    case = report(as_user("member"), world, description="门口垃圾堆了三天")
    with desk(browser, settings, "dispatcher") as dispatcher:
        dispatcher.log_in("dispatcher")
        dispatcher.click(f"[data-queue='to_file'] a[href$='/admin/cases/details/{case['id']}']")
        dispatcher.arrived("[data-top-action='workflow']", "report")
        dispatcher.open_action("file")
        dispatcher.submit_action("file", f"已立案: {case['code']}")
        dispatcher.open_action("dispatch")
        dispatcher.click("details[open] select[name=department_code] + .select2 .select2-selection")
        dispatcher.find(".select2-container--open .select2-search__field").send_keys("环卫")
        choose(dispatcher.wait, "环境卫生")
        dispatcher.find("details[open] [name='instructions']").send_keys("今天清运")
        dispatcher.submit_action("dispatch", f"已派遣: {case['code']}")
    assert ok(client.get(f"/api/v1/cases/{case['id']}"))["status"] == "dispatched"

    with desk(browser, settings, "department") as department:
        department.log_in("dept-sanitation")
        department.click(f"[data-queue='my_tasks'] a[href$='/admin/cases/details/{case['id']}']")
        department.arrived("[data-top-action='workflow']", "task")
        department.open_action("accept")
        department.submit_action("accept", "已受理")
        department.open_action("feedback")
        department.find("details[open] [name='note']").send_keys("已清运完毕")
        department.find("details[open] input[type=file]").send_keys(photo_file(tmp_path))
        department.submit_action("feedback", "已处置反馈")
    assert ok(client.get(f"/api/v1/cases/{case['id']}"))["status"] == "handled"

    with desk(browser, settings, "verifier") as dispatcher:
        dispatcher.log_in("dispatcher")
        dispatcher.click(f"[data-queue='to_verify'] a[href$='/admin/cases/details/{case['id']}']")
        dispatcher.arrived("[data-top-action='workflow']", "handled")
        dispatcher.open_action("close")
        photo = dispatcher.find("#gridlink-timeline img[data-photo]")
        dispatcher.wait.until(lambda _: dispatcher.driver.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth", photo) == 120)
        dispatcher.submit_action("close", f"已核查结案: {case['code']}")
    assert ok(client.get(f"/api/v1/cases/{case['id']}"))["status"] == "closed"


def test_the_secretary_reviews_a_work_log_from_her_desk(world, settings, browser,  # noqa: F811
                                                       client):
    log = ok(client.post("/api/v1/work-logs", json={
        "grid_code": GRID, "author_name": "王建国", "log_date": "2026-11-30",
        "content": "上午巡查网格一次, 走访重点户3户"}), 201)
    with desk(browser, settings, "secretary") as secretary:
        secretary.log_in("secretary")
        secretary.click(f"[data-queue='logs_to_review'] a[href$='/admin/work-logs/details/"
                        f"{log['id']}']")
        secretary.arrived(".card-header", "log")
        secretary.click("[data-top-action='review']")
        secretary.arrived("#gridlink-review", "review")
        secretary.set_value("decision", "approve")
        secretary.find("[name='note']").send_keys("内容翔实")
        secretary.click("#gridlink-review button[type=submit]")
        assert secretary.toast().startswith("已审阅")
        secretary.arrived(".card-header", "reviewed")
        secretary.driver.get(f"{secretary.url}/admin/")
        secretary.arrived("[data-queue='logs_to_review'] [data-count='0']", "desk-clear")
    reviewed = ok(client.get(f"/api/v1/work-logs/{log['id']}"))
    assert (reviewed["status"], reviewed["review_note"]) == ("approved", "内容翔实")


def test_the_leader_reads_the_months_figures(world, settings, browser, as_user):  # noqa: F811
    report(as_user("member"), world)
    figures = ok(as_user("leader").get("/api/v1/workbench"))["figures"]
    with desk(browser, settings, "leader") as leader:
        leader.log_in("leader")
        shown = leader.find("[data-figure='1']").text
        assert shown == str(figures["counts"]["reported"]) == "1"
        assert "本月" in leader.find("#gridlink-home").text


def test_the_secretary_enters_a_deduction_with_its_photo(world, settings, browser,  # noqa: F811
                                                         client, tmp_path):
    # The world's grid scheme has one item scored by hand: 台账管理.
    (item,) = ok(client.get("/api/v1/assessment-items", params={"name": "台账管理"}))["items"]
    with desk(browser, settings, "secretary") as secretary:
        secretary.log_in("secretary")
        secretary.menu("/admin/assessment-entries/list")
        secretary.arrived("#filter-sidebar", "entries")
        secretary.click("a[href$='/admin/assessment-entries/create']")
        secretary.arrived("form", "new-entry")
        secretary.click("select[name=item_id] + .select2 .select2-selection")
        secretary.find(".select2-container--open .select2-search__field").send_keys("台账")
        choose(secretary.wait, "台账管理")
        secretary.set_value("period_kind", "quarter")
        secretary.set_value("period_first", "2026-08-15")
        secretary.find("[name='unit_code']").send_keys(GRID)
        secretary.find("[name='points']").send_keys("85")
        secretary.find("[name='reason']").send_keys("流动人口台账缺3项, 扣15分")
        secretary.find("input[type=file][name=evidence_file]").send_keys(photo_file(tmp_path))
        secretary.click("input[type=submit][name=save]")
        assert secretary.toast().startswith("已保存考核评分录入")
        secretary.arrived(".card-header", "entry-saved")
        page = secretary.driver.execute_script("return document.body.innerText")
        assert "台账管理" in page and "查看照片" in page  # the item by its name
    (entry,) = ok(client.get("/api/v1/assessment-entries"))["items"]
    assert (entry["item_id"], entry["points"], entry["period_first"]) == (
        item["id"], 85, "2026-07-01")
    assert entry["evidence"].endswith(".png")


def test_the_grid_chief_mediates_a_dispute_from_her_desk(world, settings, browser,  # noqa: F811
                                                          client):
    dispute = ok(client.post("/api/v1/disputes", json={
        "grid_code": GRID, "type_code": "01", "title": "楼上漏水引发邻里纠纷",
        "summary": "卫生间渗漏至楼下", "found_on": "2026-11-20"}), 201)
    with desk(browser, settings, "chief") as chief:
        chief.log_in("chief")
        chief.click(f"[data-queue='disputes_grid'] a[href$='/admin/disputes/details/"
                    f"{dispute['id']}']")
        chief.arrived(".card-header", "dispute")
        chief.open_action("mediate")
        chief.set_value("held_on", "2026-11-21")
        chief.find("[name='mediators']").send_keys("李秀英")
        chief.find("[name='agreed']").send_keys("楼上同意先行维修防水")
        chief.click("details[open] form button[type=submit]")
        assert chief.toast().startswith("已调解")
        chief.arrived(".card-header", "mediated")
        chief.click("[data-top-action='workflow']")
        chief.arrived("#gridlink-mediations", "dispute-timeline")
        page = chief.driver.execute_script("return document.body.innerText")
        assert "楼上同意先行维修防水" in page and "调解中" in page
    mediated = ok(client.get(f"/api/v1/disputes/{dispute['id']}"))
    assert mediated["status"] == "mediating"


def test_the_grid_chief_finds_whom_to_visit_and_settles_a_residents_request(
        world, settings, browser, client):  # noqa: F811
    household = make_household(client, GRID, room="2单元301")
    person = ok(client.post("/api/v1/residents", json={
        "household_id": household["id"], "name": "周建国", "key_groups": ["社区矫正"],
        "id_number": id_number(77)}), 201)
    long_ago = (dt.datetime.now(BEIJING).date() - dt.timedelta(days=45)).isoformat()
    ok(client.post("/api/v1/visits", json={
        "household_id": household["id"], "resident_id": person["id"], "kind": "supervision",
        "visit_date": long_ago, "purpose": "社区矫正对象月度帮教"}), 201)
    request = ok(client.post("/api/v1/resident-requests", json={
        "grid_code": GRID, "requester_name": "刘志强", "phone": "13512345678",
        "content": "楼道灯坏了三天", "kind": "ordinary"}), 201)
    with desk(browser, settings, "chief") as chief:
        chief.log_in("chief")
        home = chief.driver.execute_script("return document.body.innerText")
        assert "周建国" in home and "楼道灯坏了三天" in home  # both on her desk
        # 帮教: from the desk's queue to the coverage page's card, the name and 15 days late.
        chief.click("a[data-list='supervision_due']")
        chief.arrived("#supervision_due", "supervision-due")
        card = chief.find("#supervision_due").text
        assert "周建国" in card and "社区矫正" in card and long_ago in card and "15" in card
        # The request: from the desk to its 办理 page, settled there.
        chief.menu("/admin/")
        chief.arrived("#gridlink-home", "home-again")
        chief.click(f"[data-queue='requests_open'] a[href$='/admin/resident-requests/details/"
                    f"{request['id']}']")
        chief.arrived(".card-header", "request")
        chief.click("[data-top-action='steps']")
        chief.arrived("summary[data-action='settle']", "request-steps")
        chief.click("summary[data-action='settle']")
        chief.find("details[open] [name='result']").send_keys("已联系物业更换楼道灯")
        chief.click("details[open] form button[type=submit]")
        assert chief.toast().startswith("已办结")
        chief.arrived(".card-header", "request-settled")
    settled = ok(client.get(f"/api/v1/resident-requests/{request['id']}"))
    assert (settled["status"], settled["result"]) == ("settled", "已联系物业更换楼道灯")
