"""The county's leader and a grid chief open the dashboards in a real browser.

The dashboards as `gridlink dashboards` launches them (its own command line: a viewer's
toolbar, no error details), over a seeded county behind a live API, in Debian's headless
Chromium with the network cut for everything but 127.0.0.1. The leader looks at the command
center, the leader view and the wall screen, each opened at its own address; a grid chief at
their grid. Every page must show the API's figures, in Chinese, the map drawn with no basemap,
no error box and no developer chrome, and load nothing from outside the machine. Full-page
screenshots go to var/test-artifacts/ (or $GRIDLINK_TEST_ARTIFACTS) for a human to look at.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from backend.cli import _streamlit_command
from backend.kpi.rates import FIGURE_LABELS
from dashboards.requests import HEADLINE as REQUEST_HEADLINE
from tests.builders import DEMO_PASSWORD
from tests.live_county import LiveCounty
from tests.servers import CEILING, ROOT, free_port, server_process
from tests.test_admin_browser import ARTIFACTS, CHROMEDRIVER, CHROMIUM
from tests.test_offline_browser import left_the_machine, offline_chrome, requested_urls

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)")

READY_LINE = "You can now view your Streamlit app"  # printed once Streamlit listens
DESK, WALL = (1600, 1000), (1920, 1080)
BEIJING = dt.timezone(dt.timedelta(hours=8))
# Words of the code, not of the viewer: field names, raw values, Python's words, English dates
# (as a date axis or a timestamp would print them) and Streamlit's developer chrome.
NOT_FOR_VIEWERS = re.compile(
    r"\b(code|due_at|grid_code|area_code|category_code|department_code|status|light|source|"
    r"priority|reported|filed|dispatched|processing|closed|red|yellow|green|open|None|none|"
    r"null|NaN|nan|undefined|Traceback|Error|Exception|True|False|January|February|March|"
    r"April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|"
    r"Aug|Sep|Sept|Oct|Nov|Dec|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|"
    r"Tue|Wed|Thu|Fri|Sat|Sun|AM|PM|Deploy|Rerun|Clear cache|Settings)\b")


@pytest.fixture(scope="module")
def dashboards(live_county) -> Iterator[str]:
    """The dashboards, started as `gridlink dashboards` starts them, on the county's API."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDLINK_")} | {
        "PYTHONPATH": str(ROOT),
        "GRIDLINK_API_URL": live_county.api_url,
        # Still pages to photograph: no refresh in the middle of a look, and the wall screen's
        # first turn (the map) lasting longer than the test.
        "GRIDLINK_DASHBOARD_REFRESH_SECONDS": "3600",
        "GRIDLINK_DASHBOARD_ROTATE_SECONDS": str(10**12),
    }
    command = _streamlit_command(port, "127.0.0.1")
    with server_process(command, env, f"http://127.0.0.1:{port}", READY_LINE) as server:
        yield server.url


@pytest.fixture(scope="module")
def browser():
    driver = offline_chrome(*DESK)
    yield driver
    driver.quit()


def screen(driver, size: tuple[int, int], height: int | None = None) -> None:
    """The page's viewport, exactly (a window's size would include the browser's own UI)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": size[0], "height": height or size[1], "deviceScaleFactor": 1,
        "mobile": False})


def full_page_shot(driver, name: str, size: tuple[int, int]) -> None:
    """The whole page, not only the screen: Streamlit scrolls inside its main section, so the
    screen is made as tall as that section's content for the picture (charts, drawn when they
    come into view, are waited for), then put back."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script(
        "return document.querySelector('[data-testid=stMain]').scrollHeight")
    screen(driver, size, max(height, size[1]))
    try:
        waiting(driver).until(lambda _: settled(driver) and charts_drawn(driver))
        driver.save_screenshot(str(ARTIFACTS / f"dashboards-{name}.png"))
    finally:
        screen(driver, size)


def waiting(driver):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, CEILING)


def settled(driver) -> bool:
    """Streamlit is done: no 'running' widget, no element left from the run before, no element
    still waiting for its code (a chart's library loads when first needed)."""
    return driver.execute_script(
        "return !document.querySelector("
        "'[data-testid=stStatusWidget], [data-stale=true], [data-testid=stSkeleton]');")


def charts_drawn(driver) -> bool:
    return driver.execute_script("""
        const charts = document.querySelectorAll('[data-testid=stVegaLiteChart]');
        return Array.from(charts).every(c => c.querySelector('canvas, svg.marks'));""")


def css(selector: str) -> tuple[str, str]:
    return ("css selector", selector)


def after_heading(heading: str) -> tuple[str, str]:
    """What follows a section's heading: its table, or its "nothing" line."""
    return ("xpath", f"//h3[normalize-space()='{heading}']/following::*["
                     "@data-testid='stDataFrame' or normalize-space()='暂无']")


def open_logged_in(driver, url: str, username: str, size: tuple[int, int],
                   *ready: tuple[str, str]) -> None:
    """Open `url` (a new session: the login form, at that address), log in as `username`,
    then wait for the page's `ready` elements (the last it draws) and the end of its run."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen

    requested_urls(driver)  # the network log from here on is this page's
    screen(driver, size)
    driver.get(url)
    wait = waiting(driver)
    username_box = wait.until(seen.visibility_of_element_located(
        (By.CSS_SELECTOR, "input[aria-label='用户名']")))
    username_box.send_keys(username)
    driver.find_element(By.CSS_SELECTOR, "input[aria-label='密码']").send_keys(DEMO_PASSWORD)
    driver.find_element(By.XPATH, "//button[normalize-space()='登录']").click()
    wait.until(seen.staleness_of(username_box))
    for locator in ready:
        wait.until(seen.visibility_of_element_located(locator))
    wait.until(settled)
    assert driver.current_url == url, "the page asked for, once logged in"


def text_on_screen(driver) -> str:
    """Every text the page shows, the tables' cells too (their accessible copy of the cells
    in view: the table itself is drawn on a canvas), less icons' names (Material Symbols are
    a font: 'grid_on' is drawn as an icon) and texts hidden from view."""
    return driver.execute_script("""
        const skip = '[data-testid=stIconMaterial], style, script, noscript';
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        const texts = [];
        while (walker.nextNode()) {
            const parent = walker.currentNode.parentElement;
            if (parent.closest(skip)) continue;
            if (parent.checkVisibility() || parent.closest('[data-testid=stDataFrame]'))
                texts.push(walker.currentNode.nodeValue);
        }
        return texts.join('\\n');""")


def metrics(driver) -> dict[str, str]:
    """The big figures on screen, by their label."""
    return dict(driver.execute_script("""
        return Array.from(document.querySelectorAll('[data-testid=stMetric]')).map(m => [
            m.querySelector('[data-testid=stMetricLabel]').innerText.trim(),
            m.querySelector('[data-testid=stMetricValue]').innerText.trim()]);"""))


def figures_while_shown(show: Callable[[], None], expected: Callable[[], dict[str, str]],
                        shown: Callable[[], dict[str, str]]) -> None:
    """The figures on screen are the API's: asked just before the page is shown and just
    after. A light turns red when a due time passes, so the page holds the one or the other."""
    before = expected()
    show()
    on_screen = shown()
    after = expected()
    assert on_screen in (before, after), (on_screen, before, after)


def map_colours(driver) -> dict[str, float]:
    """How much of the map (its picture, as drawn by deck.gl on its canvas) is overdue red,
    and idle green, as fractions of its pixels."""
    from PIL import Image
    from selenium.webdriver.common.by import By

    chart = driver.find_element(By.CSS_SELECTOR, "[data-testid=stDeckGlJsonChart]")
    picture = Image.open(io.BytesIO(chart.screenshot_as_png)).convert("RGB")
    pixels = list(picture.getdata())
    red = sum(1 for r, g, b in pixels if r - max(g, b) > 50)
    green = sum(1 for r, g, b in pixels if g - r > 15 and g - b > 3)
    return {"red": red / len(pixels), "green": green / len(pixels)}


def assert_map_drawn(driver, grids: list[dict[str, Any]], features: list[dict[str, Any]]
                     ) -> None:
    """A deck.gl canvas of real size, alone (no basemap's), painted in the API's colours: red
    where grids have overdue cases, green where grids have none open."""
    size = driver.execute_script("""
        const canvases = document.querySelectorAll('[data-testid=stDeckGlJsonChart] canvas');
        return Array.from(canvases).map(c => [c.width, c.height, c.clientWidth,
                                               c.clientHeight]);""")
    assert len(size) == 1 and min(size[0]) > 100, size
    colours = map_colours(driver)
    by_code = {g["code"]: g for g in grids}
    idle = [f for f in features if by_code.get(f["properties"]["code"], {"open": 0})["open"] == 0]
    assert (colours["red"] > 0.002) == any(g["red"] for g in grids), colours
    assert (colours["green"] > 0.02) == bool(idle), colours


def assert_for_viewers(driver, url: str) -> None:
    """No error box, no word of the code, no developer chrome, nothing from the internet."""
    from selenium.webdriver.common.by import By

    for error in ("[data-testid=stException]", "[data-testid=stAlertContentError]"):
        assert driver.find_elements(By.CSS_SELECTOR, error) == [], error
    text = text_on_screen(driver)
    assert NOT_FOR_VIEWERS.findall(text) == [], text
    for chrome in ("[data-testid=stMainMenu]", "[data-testid=stAppDeployButton]"):
        assert driver.find_elements(By.CSS_SELECTOR, chrome) == [], chrome
    assert "Deploy" not in driver.execute_script("return document.body.innerText")
    assert left_the_machine(requested_urls(driver), url) == []
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)")
    assert resources and all(r.startswith(url) for r in resources), resources


def command_center_figures(county: LiveCounty, username: str, area: str | None = None
                           ) -> dict[str, str]:
    """The headline as the command center must show it: the API's figures, in its words."""
    labels = county.get(username, "/labels")
    light = {e["value"]: e["zh"] for e in labels["enums"]["light"]}
    live = county.get(username, "/kpi/command-center", **({"area": area} if area else {}))
    hotspots = county.get(username, "/hotspot-alerts", status="open", limit=1,
                          **({"area_code__startswith": area} if area else {}))
    return {"未办结": f"{live['open']:,}",
            **{light[name]: f"{live['by_light'][name]:,}" for name in ("red", "yellow", "green")},
            "督办中": f"{live['escalated']:,}", "聚集性预警": f"{hotspots['total']:,}"}


MAP = css("[data-testid=stDeckGlJsonChart] canvas")
LEDGER_NAMES = {"网格", "楼栋", "户", "出租户", "居民", "组织", "重点监管组织"}
# The leader view's disputes headline (checked against the API in test_dashboards.py).
DISPUTE_NAMES = {"发现纠纷数", "化解数", "化解率", "基层化解占比", "高风险未化解数", "移交超期数",
                 "未报排查数", "排查按时上报率"}
# The leader view's 民情诉求与代办 figures, by the names the labels give them.
REQUEST_NAMES = {FIGURE_LABELS[name][0] for name in REQUEST_HEADLINE}


def test_the_leader_watches_the_command_center(live_county, dashboards, browser):
    figures_while_shown(
        lambda: open_logged_in(browser, f"{dashboards}/", "leader", DESK,
                               MAP, after_heading("相邻网格预警")),
        lambda: command_center_figures(live_county, "leader"), lambda: metrics(browser))
    full_page_shot(browser, "1-command-center", DESK)

    assert_for_viewers(browser, dashboards)
    live = live_county.get("leader", "/kpi/command-center")
    assert_map_drawn(browser, live["grids"], live_county.get("leader", "/kpi/map")["features"])
    # The lists name what they list: the newest report by its title, grid and category.
    newest = live["newest"][0]
    assert {newest["title"], newest["grid_name"], newest["category_name"]} <= set(
        text_on_screen(browser).splitlines()), newest


def leader_figures(county: LiveCounty, day: dt.date) -> dict[str, str]:
    """The leader view's headline for the month of `day`: its score and grade, the case
    flow and the rates, in the API's figures and names."""
    now = county.get("leader", "/kpi/summary", period="month", date=str(day))
    names = {name: entry["zh"]
             for name, entry in county.get("leader", "/labels")["figures"].items()}
    counts = {**now["counts"], **now["due"], **now["open"]}

    def percent(value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.1f}%"

    return {
        names["score"]: "—" if now["score"] is None else f"{now['score']:.1f}",
        names["grade"]: now["grade"] or "—",
        **{names[name]: f"{counts[name]:,}" for name in (
            "reported", "filed", "dispatched", "closed", "due", "open", "overdue")},
        **{names[name]: percent(value) for name, value in now["rates"].items()},
    }


def test_the_leader_compares_months_in_the_leader_view(live_county, dashboards, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen

    def headline() -> dict[str, str]:  # the cases' figures, not the others' below them
        return {label: value for label, value in metrics(browser).items()
                if label not in LEDGER_NAMES | DISPUTE_NAMES | REQUEST_NAMES}

    today = dt.datetime.now(BEIJING).date()
    figures_while_shown(
        lambda: open_logged_in(browser, f"{dashboards}/leader", "leader", DESK,
                               after_heading("街道排名"), after_heading("部门排名"),
                               ("xpath", "//p[normalize-space()='重点监管组织']")),
        lambda: leader_figures(live_county, today), headline)
    full_page_shot(browser, "2-leader-view-this-month", DESK)
    assert_for_viewers(browser, dashboards)
    county = live_county.get("leader", "/kpi/ledgers")
    shown = metrics(browser)
    assert {name: shown[name] for name in ("网格", "户", "居民")} == {
        "网格": f"{county['grids']:,}", "户": f"{county['households']:,}",
        "居民": f"{county['residents']:,}"}

    # Last month, a whole one (this one may have only begun), picked by its name.
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    label = live_county.get("leader", "/kpi/summary", period="month",
                            date=str(last_month))["period"]["label"]

    def pick_last_month() -> None:
        browser.find_element(By.CSS_SELECTOR, "input[aria-label='统计期']").click()
        waiting(browser).until(seen.element_to_be_clickable(
            ("xpath", f"//*[@role='option' and normalize-space()='{label}']"))).click()
        waiting(browser).until(seen.visibility_of_element_located(
            ("xpath", f"//h3[starts-with(normalize-space(), '{label} · ')]")))
        waiting(browser).until(settled)

    figures_while_shown(pick_last_month, lambda: leader_figures(live_county, last_month),
                        headline)
    full_page_shot(browser, "3-leader-view-last-month", DESK)
    assert_for_viewers(browser, dashboards)
    assert len(browser.find_elements(By.CSS_SELECTOR, "[data-testid=stVegaLiteChart]")) == 2
    text = text_on_screen(browser)
    streets = live_county.get("leader", "/kpi/rankings", by="street", period="month",
                              date=str(last_month))["items"]
    assert streets and all(street["name"] in text for street in streets)


def test_the_wall_screen_is_dark_large_and_bare(live_county, dashboards, browser):
    from selenium.webdriver.common.by import By

    figures_while_shown(
        lambda: open_logged_in(browser, f"{dashboards}/big-screen", "leader", WALL, MAP),
        lambda: command_center_figures(live_county, "leader"), lambda: metrics(browser))
    full_page_shot(browser, "4-big-screen", WALL)

    assert_for_viewers(browser, dashboards)
    sidebar = browser.find_elements(By.CSS_SELECTOR, "[data-testid=stSidebar]")
    assert not any(element.is_displayed() for element in sidebar)
    background = browser.execute_script(
        "return getComputedStyle(document.querySelector('.stApp')).backgroundColor")
    assert max(map(int, re.findall(r"\d+", background)[:3])) < 50, background
    figure_size = browser.execute_script(
        "return parseFloat(getComputedStyle("
        "document.querySelector('[data-testid=stMetricValue]')).fontSize)")
    assert figure_size >= 60, "figures to read from across the room"
    live = live_county.get("leader", "/kpi/command-center")
    assert_map_drawn(browser, live["grids"], live_county.get("leader", "/kpi/map")["features"])


def test_a_grid_chief_looks_at_their_grid(live_county, dashboards, browser):
    (role,) = live_county.get("chief", "/auth/me")["roles"]
    code = role["area_code"]
    grid = live_county.get("chief", "/grids", code=code)["items"][0]

    figures_while_shown(
        lambda: open_logged_in(browser, f"{dashboards}/grid", "chief", DESK,
                               MAP, after_heading("最新上报")),
        lambda: command_center_figures(live_county, "chief", code),
        lambda: {label: value for label, value in metrics(browser).items()
                 if label not in LEDGER_NAMES})
    full_page_shot(browser, "5-grid", DESK)

    assert_for_viewers(browser, dashboards)
    text = text_on_screen(browser)
    chief = live_county.get("chief", "/grid-staff", grid_code=code, team_role="grid_chief")
    assert grid["name"] in text and chief["items"][0]["name"] in text
    ledgers = live_county.get("chief", "/kpi/ledgers", area=code)
    shown = metrics(browser)
    assert {name: shown[name] for name in ("楼栋", "户", "出租户", "居民", "组织")} == {
        "楼栋": f"{ledgers['buildings']:,}", "户": f"{ledgers['households']:,}",
        "出租户": f"{ledgers['rental_households']:,}", "居民": f"{ledgers['residents']:,}",
        "组织": f"{ledgers['organizations']:,}"}
    live = live_county.get("chief", "/kpi/command-center", area=code)
    outline = [f for f in live_county.get("chief", "/kpi/map")["features"]
               if f["properties"]["code"] == code]
    assert_map_drawn(browser, live["grids"], outline)


def test_the_leader_reads_the_assessment_ranking(live_county, dashboards, browser):
    runs = live_county.get("leader", "/assessment-runs", limit=200,
                           sort="-period_first,-id")["items"]
    newest = next(r for r in runs if r["level"] == "grid")
    run = live_county.get("leader", f"/assessments/runs/{newest['id']}")
    open_logged_in(browser, f"{dashboards}/assessment", "leader", DESK,
                   css("[data-testid=stDataFrame]"))
    full_page_shot(browser, "6-assessment", DESK)
    assert_for_viewers(browser, dashboards)
    shown = metrics(browser)
    assert shown["考核对象数"] == str(run["units"])
    grades = {"优秀": "excellent", "合格": "qualified", "基本合格": "basic",
              "不合格": "unqualified"}
    assert {label: shown[label] for label in grades} == {
        label: str(sum(s["grade"] == grade for s in run["scores"]))
        for label, grade in grades.items()}
    chosen = browser.execute_script(  # the chosen option: the box's input holds it
        "return Array.from(document.querySelectorAll('[data-testid=stSelectbox] input'))"
        ".map(box => box.value).join(' / ')")
    assert f"{run['period_label']} · 网格千分制考核 · 已定稿" in chosen
