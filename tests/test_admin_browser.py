"""A grid chief at work in a real browser (Debian's headless Chromium, driven over WebDriver).

Logs in, creates a resident through the form (picking the household in the search box), finds
them in the list, fails to open another grid's resident by URL, logs out. An administrator
creates, edits and deletes an account and files a case, while a page on another port fails to
post a form to the panel. Screenshots of each stage go to var/test-artifacts/ (or
$GRIDLINK_TEST_ARTIFACTS) for a human to look at.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.builders import (
    DEMO_PASSWORD,
    GRID,
    OTHER_GRID,
    id_number,
    make_areas,
    make_household,
    make_resident,
    ok,
)
from tests.servers import CEILING, ROOT, uvicorn_worker

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(os.environ.get("GRIDLINK_TEST_ARTIFACTS", ROOT / "var" / "test-artifacts"))

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)")


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--window-size=1400,1200", "--lang=en-US"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(CEILING)  # elements appear when they do; this only ends a stuck run
    yield driver
    driver.quit()


def click(driver, element) -> None:
    """Bring the element to the middle of the window, then click it as a person would.

    The panel's stylesheet scrolls smoothly (Bootstrap's `scroll-behavior: smooth`), so a
    plain `scrollIntoView` is still under way when the click is aimed, and on a loaded machine
    the click lands where the element was: below the window. The jump here is instant."""
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
    element.click()


def choose(wait, text: str) -> None:
    """Click the picker's option holding `text`: its list is redrawn as the answers for what
    was typed arrive, so an option found a moment ago may be gone; look again until it holds."""
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
    )
    from selenium.webdriver.common.by import By

    def clicked(driver) -> bool:
        try:
            driver.find_element(By.XPATH, "//li[contains(@class,'select2-results__option')"
                                          f" and contains(., '{text}')]").click()
        except (NoSuchElementException, StaleElementReferenceException):
            return False
        return True

    wait.until(clicked)


def shot(driver, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"admin-{name}.png"))


def test_a_grid_chief_enters_a_resident_in_the_browser(client, settings, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import Select, WebDriverWait

    make_areas(client)
    household = make_household(client, GRID, room="3单元301")
    theirs = make_resident(client, make_household(client, OTHER_GRID, room="9单元909"), seq=2)
    wait = WebDriverWait(browser, CEILING)

    with uvicorn_worker(settings) as url:
        browser.get(f"{url}/admin/login")
        browser.find_element(By.NAME, "username").send_keys("chief")
        browser.find_element(By.NAME, "password").send_keys(DEMO_PASSWORD)
        shot(browser, "1-login")
        browser.find_element(By.NAME, "password").send_keys(Keys.ENTER)
        wait.until(seen.presence_of_element_located((By.LINK_TEXT, "退出登录")))

        browser.get(f"{url}/admin/residents/create")
        browser.find_element(By.NAME, "name").send_keys("王秀兰")
        browser.find_element(By.NAME, "id_number").send_keys(id_number(7, sex="female"))
        Select(browser.find_element(By.NAME, "residence_type")).select_by_value("registered")
        # The household picker searches as one types, within the chief's grid only.
        household_box = browser.find_element(
            By.CSS_SELECTOR, "select[name=household_id] + .select2 .select2-selection")
        household_box.click()
        search = wait.until(seen.visibility_of_element_located(
            (By.CSS_SELECTOR, ".select2-container--open .select2-search__field")))
        search.send_keys("3单元")
        choose(wait, "3单元301")
        shot(browser, "2-create-form")
        save = browser.find_element(By.CSS_SELECTOR, "input[type=submit][name=save]")
        click(browser, save)

        created = ok(client.get("/api/v1/residents", params={"name": "王秀兰"}))["items"][0]
        wait.until(seen.url_contains(f"/admin/residents/details/{created['id']}"))
        toast = wait.until(seen.visibility_of_element_located((By.CSS_SELECTOR, ".toast")))
        assert toast.text.startswith("已保存居民: 王秀兰") and "王秀兰" in browser.page_source
        shot(browser, "3-saved")
        assert created["household_id"] == household["id"] and created["grid_code"] == GRID

        browser.get(f"{url}/admin/residents/details/{theirs['id']}")
        assert theirs["id_number"] not in browser.page_source
        assert "404" in browser.page_source or "403" in browser.page_source
        shot(browser, "4-other-grid-refused")

        browser.get(f"{url}/admin/")
        browser.find_element(By.LINK_TEXT, "退出登录").click()
        wait.until(seen.element_to_be_clickable((By.ID, "gridlink-logout"))).click()
        wait.until(seen.url_contains("/admin/login"))
        shot(browser, "5-logged-out")
        browser.get(f"{url}/admin/residents/list")
        assert "/admin/login" in browser.current_url


@contextmanager
def page_elsewhere(html: str) -> Iterator[str]:
    """A page served from another port of the same host, as the dashboards are."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def test_an_administrator_works_the_panel_and_a_page_on_another_port_cannot(
        client, settings, browser, as_user):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.test_workflow import report
    from tests.world import make_world

    case = report(as_user("member"), make_world(client))
    wait = WebDriverWait(browser, 15)

    def submit(selector: str) -> None:
        click(browser, browser.find_element(By.CSS_SELECTOR, selector))

    def users_named(username: str) -> list[dict]:
        return ok(client.get("/api/v1/users", params={"username": username}))["items"]

    with uvicorn_worker(settings) as url:
        browser.get(f"{url}/admin/login")
        browser.find_element(By.NAME, "username").send_keys("admin")
        browser.find_element(By.NAME, "password").send_keys(DEMO_PASSWORD)
        submit("button[type=submit]")
        wait.until(seen.presence_of_element_located((By.LINK_TEXT, "退出登录")))

        # Create, edit and delete an account through SQLAdmin's own forms and its AJAX delete.
        browser.get(f"{url}/admin/users/create")
        browser.find_element(By.NAME, "username").send_keys("zhao-clerk")
        browser.find_element(By.NAME, "password").send_keys("a-long-password-1")
        browser.find_element(By.NAME, "display_name").send_keys("赵文书")
        submit("input[type=submit][name=save]")
        wait.until(seen.url_contains("/admin/users/details/"))
        (user,) = users_named("zhao-clerk")
        assert browser.current_url.endswith(f"/admin/users/details/{user['id']}")

        browser.get(f"{url}/admin/users/edit/{user['id']}")
        name = browser.find_element(By.NAME, "display_name")
        name.clear()
        name.send_keys("赵秘书")
        submit("input[type=submit][name=save]")
        wait.until(seen.url_contains(f"/admin/users/details/{user['id']}"))
        assert users_named("zhao-clerk")[0]["display_name"] == "赵秘书"

        browser.get(f"{url}/admin/users/details/{user['id']}")
        submit("a[data-bs-target='#modal-delete']")
        wait.until(seen.element_to_be_clickable((By.ID, "modal-delete-button"))).click()
        wait.until(seen.url_contains("/admin/users/list"))
        assert users_named("zhao-clerk") == []
        toast = wait.until(seen.visibility_of_element_located((By.CSS_SELECTOR, ".toast")))
        assert toast.text.startswith("已删除 1 条")

        # Act on a case from its 办理 page.
        browser.get(f"{url}/admin/cases/{case['id']}/workflow")
        browser.find_element(By.CSS_SELECTOR, "summary[data-action=file]").click()
        submit("details[open] button[type=submit]")
        wait.until(seen.url_contains(f"/admin/cases/details/{case['id']}"))
        assert ok(client.get(f"/api/v1/cases/{case['id']}"))["status"] == "filed"
        toast = wait.until(seen.visibility_of_element_located((By.CSS_SELECTOR, ".toast")))
        assert toast.text.startswith(f"已立案: {case['code']}")
        shot(browser, "6-case-filed")

        # A page on another port posts a form to the panel as soon as it opens. The browser
        # sends the session cookie along (same site), which the refusal page proves: without a
        # session the panel would answer with its login page instead.
        forged = f"""<form method="POST" action="{url}/admin/users/create">
          <input name="username" value="intruder"><input name="password" value="a-long-password-1">
          <input name="display_name" value="冒名"><input name="is_active" value="y">
          <input name="save" value="保存"></form>
          <script>document.forms[0].submit()</script>"""
        with page_elsewhere(forged) as elsewhere:
            browser.get(elsewhere)
            wait.until(lambda _: browser.current_url.startswith(url))
            wait.until(lambda _: browser.execute_script("return document.readyState") == "complete")
            shot(browser, "7-forged-form-refused")
        assert users_named("intruder") == []
        assert browser.current_url == f"{url}/admin/users/create"
        assert "已拒绝" in browser.page_source and "403" in browser.page_source


def test_the_department_starts_the_day_on_its_workbench(app, client, settings, browser):
    """Logging in lands on the workbench: the cases to handle, the overdue one first in red,
    and the unread notifications, which a click marks read."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.test_workbench import Week

    Week(app, client).build_week()
    wait = WebDriverWait(browser, CEILING)
    with uvicorn_worker(settings) as url:
        browser.get(f"{url}/admin/login")
        browser.find_element(By.NAME, "username").send_keys("dept-sanitation")
        browser.find_element(By.NAME, "password").send_keys(DEMO_PASSWORD + Keys.ENTER)
        queue = wait.until(seen.presence_of_element_located(
            (By.CSS_SELECTOR, "[data-queue=my_tasks]")))
        rows = queue.find_elements(By.CSS_SELECTOR, "tbody tr")
        assert [r.find_element(By.TAG_NAME, "a").text for r in rows] == ["案卷E", "本周M"]
        assert rows[0].find_element(By.CSS_SELECTOR, ".badge").text == "红灯"
        unread = browser.find_element(By.CSS_SELECTOR, "[data-unread]")
        before = int(unread.get_attribute("data-unread"))
        assert before >= 2
        shot(browser, "8-department-workbench")
        browser.find_element(By.CSS_SELECTOR, "[data-notification] button").click()
        wait.until(seen.presence_of_element_located(
            (By.CSS_SELECTOR, f"[data-unread='{before - 1}']")))
        browser.find_element(By.ID, "gridlink-read-all").click()
        wait.until(seen.presence_of_element_located((By.CSS_SELECTOR, "[data-unread='0']")))
        shot(browser, "9-department-all-read")


def test_the_panel_speaks_chinese_down_to_its_pickers_and_required_fields(client, settings,
                                                                          browser):
    """Not only the labels: the page's lang, Select2's prompts and the browser's "please fill
    this in" are Chinese, in a browser whose own language is English."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    make_areas(client)
    wait = WebDriverWait(browser, CEILING)
    with uvicorn_worker(settings) as url:
        browser.get(f"{url}/admin/login")
        browser.find_element(By.NAME, "username").send_keys("chief")
        browser.find_element(By.NAME, "password").send_keys(DEMO_PASSWORD + Keys.ENTER)
        wait.until(seen.presence_of_element_located((By.ID, "gridlink-home")))
        browser.get(f"{url}/admin/residents/create")
        assert browser.execute_script("return document.documentElement.lang") == "zh-CN"
        browser.find_element(
            By.CSS_SELECTOR, "select[name=household_id] + .select2 .select2-selection").click()
        prompt = wait.until(seen.visibility_of_element_located(
            (By.CSS_SELECTOR, ".select2-results__message")))
        # It opens on its first page, without typing: this chief has no household yet.
        assert prompt.text == "未找到结果"
        search = browser.find_element(By.CSS_SELECTOR,
                                      ".select2-container--open .select2-search__field")
        search.send_keys("不存在的房号")
        wait.until(seen.text_to_be_present_in_element(
            (By.CSS_SELECTOR, ".select2-results__message"), "未找到结果"))
        shot(browser, "10-picker-in-chinese")
        search.send_keys(Keys.ESCAPE)
        name = browser.find_element(By.NAME, "name")
        browser.execute_script("arguments[0].form.requestSubmit()", name)
        assert name.get_property("validationMessage") == "请填写此项"
        browser.get(f"{url}/admin/residents/create?lang=en")
        assert browser.execute_script("return document.documentElement.lang") == "en"
