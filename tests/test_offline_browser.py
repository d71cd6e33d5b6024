"""A newcomer on a machine with no internet opens the API docs and the admin panel.

A real uvicorn server and Debian's headless Chromium, with the network cut for everything but
127.0.0.1: names resolve to nothing, and every request that does not go to loopback goes to a
proxy port where nothing listens. Each page must render from what the server itself serves,
and the browser's own network log must show no request that left the machine. Screenshots go
to var/test-artifacts/ (or $GRIDLINK_TEST_ARTIFACTS) for a human to look at.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from tests.builders import DEMO_PASSWORD
from tests.servers import uvicorn_worker
from tests.test_admin_browser import ARTIFACTS, CHROMEDRIVER, CHROMIUM

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)")

API_TITLE = "GridLink 网格联动 API"
# Rendering the whole API's docs takes a few seconds on a busy machine: a ceiling, not a guess.
RENDERED_WITHIN = 120
# Schemes a page uses without the network.
LOCAL_SCHEMES = ("data", "blob", "about", "chrome", "chrome-extension", "devtools")


def offline_chrome(width: int, height: int):
    """Debian's headless Chromium as on a machine with no internet, its network log kept: no
    name resolves but the loopback address, and whatever is not loopback goes to a port with
    nothing behind it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", f"--window-size={width},{height}",
                 "--lang=zh-CN", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                 "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture
def offline_browser():
    driver = offline_chrome(1400, 1200)
    yield driver
    driver.quit()


def requested_urls(driver) -> list[str]:
    """Every URL the browser sent a request for since the last call (its DevTools network
    log), less those the browser itself blocked (by the page's Content-Security-Policy)."""
    asked, blocked = {}, set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message["params"]
        if message["method"] == "Network.requestWillBeSent":
            asked[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.loadingFailed" and params.get("blockedReason"):
            blocked.add(params["requestId"])
    return [url for request_id, url in asked.items() if request_id not in blocked]


def left_the_machine(urls: list[str], server: str) -> list[str]:
    host = urlsplit(server).netloc
    return [url for url in urls
            if urlsplit(url).scheme not in LOCAL_SCHEMES and urlsplit(url).netloc != host]


def shot(driver, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"offline-{name}.png"))


def test_swagger_ui_shows_every_operation_without_internet(settings, offline_browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(offline_browser, RENDERED_WITHIN)
    with uvicorn_worker(settings) as url:
        offline_browser.get(f"{url}/docs")
        try:
            wait.until(seen.presence_of_element_located((By.CSS_SELECTOR, ".opblock")))
        finally:
            shot(offline_browser, "docs")
        assert API_TITLE in offline_browser.find_element(By.CSS_SELECTOR, ".info .title").text
        operations = offline_browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
        assert "/api/v1/health" in {op.text.replace("\u200b", "") for op in operations}
        assert left_the_machine(requested_urls(offline_browser), url) == []

        # Where Swagger UI's "Authorize" dialog lands after an OAuth2 login: served as well.
        offline_browser.get(f"{url}/docs/oauth2-redirect")
        assert "oauth2" in offline_browser.page_source.lower()
        assert left_the_machine(requested_urls(offline_browser), url) == []


def test_redoc_renders_the_api_without_internet(settings, offline_browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(offline_browser, RENDERED_WITHIN)
    with uvicorn_worker(settings) as url:
        offline_browser.get(f"{url}/redoc")
        try:
            wait.until(seen.presence_of_element_located(
                (By.XPATH, f"//h1[contains(., '{API_TITLE}')]")))
            wait.until(seen.presence_of_element_located(
                (By.XPATH, "//h2[contains(., '健康检查 Health check')]")))
        finally:
            shot(offline_browser, "redoc")
        assert left_the_machine(requested_urls(offline_browser), url) == []


def test_the_admin_panel_needs_nothing_from_the_internet(settings, accounts, offline_browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(offline_browser, RENDERED_WITHIN)
    with uvicorn_worker(settings) as url:
        offline_browser.get(f"{url}/admin/login")
        offline_browser.find_element(By.NAME, "username").send_keys("admin")
        offline_browser.find_element(By.NAME, "password").send_keys(DEMO_PASSWORD, Keys.ENTER)
        wait.until(seen.presence_of_element_located((By.LINK_TEXT, "退出登录")))
        offline_browser.get(f"{url}/admin/residents/create")  # select2, flatpickr, icons
        wait.until(seen.presence_of_element_located((By.CSS_SELECTOR, ".select2")))
        shot(offline_browser, "admin-create-form")
        assert left_the_machine(requested_urls(offline_browser), url) == []
