"""The page in a real headless Chromium, on a live embedded run."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.dashboard.conftest import serve_run
from tests.dashboard.topologies import Numbers

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
DOCS_SCREENSHOT = ROOT / "docs" / "images" / "dashboard.png"
EXAMPLE = ROOT / "examples" / "wordcount.py"


@pytest.fixture
def page(browser, live_run):
    """The browser, started BEFORE the run: a Popen (chromedriver) racing the engine's forks
    waits until the forked tasks exit (they inherit its exec-status pipe)."""
    return browser, live_run


def _text(driver, css):
    """Read text in one script call: the page redraws its rows twice a second (no stale elements)."""
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';", css)


def _count(driver, css):
    return driver.execute_script("return document.querySelectorAll(arguments[0]).length;", css)


def _click(driver, css):
    driver.execute_script("document.querySelector(arguments[0]).dispatchEvent(new MouseEvent('click'));", css)


def _wait(driver, condition, timeout=30, what="the page"):
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: condition(d), message=what)


def test_the_graph_shows_every_component(page, screenshots):
    browser, live_run = page
    browser.get(live_run.base)
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#graph svg g.component"), what="the graph")
    drawn = {e.get_attribute("id") for e in browser.find_elements(By.CSS_SELECTOR, "#graph g.component")}
    assert drawn == {f"component-{name}" for name in Numbers.model.components}
    edges = browser.find_elements(By.CSS_SELECTOR, "#graph g.edge")
    assert {(e.get_attribute("data-source"), e.get_attribute("data-target")) for e in edges} == {
        ("ticker", "double"), ("double", "picky")}
    _wait(browser, lambda d: _count(d, "#components tbody tr") == 3, what="the component table")
    rows = browser.execute_script("return [...document.querySelectorAll('#components tbody tr')]"
                                  ".map(r => r.dataset.component);")
    assert rows == list(Numbers.model.components)
    assert _text(browser, "#name") == "Numbers" and _text(browser, "#status") == "ACTIVE"
    browser.save_screenshot(str(screenshots / "graph.png"))


def _emitted(driver):
    return _text(driver, '#components tr[data-component="ticker"] td.emitted')


def test_figures_change_while_the_topology_runs(page, screenshots):
    browser, live_run = page
    browser.get(live_run.base)
    first = _wait(browser, lambda d: _emitted(d) not in ("", "-", "0") and _emitted(d), what="a first figure")
    _wait(browser, lambda d: _emitted(d) != first, what="the emitted count to change")
    rate = _wait(browser, lambda d: (t := _text(d, "#graph g.edge .edge-rate")) not in ("", "0/s") and t,
                 what="a live rate on an edge")
    assert rate.endswith("/s")
    fill = browser.find_element(By.CSS_SELECTOR, "#component-double rect").get_attribute("fill")
    assert fill in ("#dcfce7", "#bbf7d0", "#fde68a", "#fdba74", "#fca5a5")  # capacity as colour
    _wait(browser, lambda d: _count(d, '#components tr[data-component="double"] svg.spark polyline'),
          what="a sparkline")
    _wait(browser, lambda d: "picky bolt refuses 50" in _text(d, "#errors"), what="the crash's text")
    assert _count(browser, "#tasks tbody tr") == 4
    _click(browser, '#components tr[data-component="double"]')
    _wait(browser, lambda d: _count(d, "#tasks tbody tr") == 2, what="the task table filtered to one component")
    _click(browser, '#components tr[data-component="double"]')
    path = screenshots / "embedded.png"
    browser.save_screenshot(str(path))
    print(f"screenshot: {path}")


def _wordcount():
    spec = importlib.util.spec_from_file_location("squall_example_wordcount", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.WordCount.model


def test_wordcount_screenshot_for_the_docs(browser, screenshots, tmp_path):
    """The README/docs screenshot: ``SQUALL_UPDATE_SCREENSHOT=1 pytest -k screenshot tests/dashboard``."""
    model = _wordcount()
    with serve_run(model, tmp_path / "run") as run:  # after the browser started: see `page`
        browser.get(run.base)
        _wait(browser, lambda d: _count(d, "#components tbody tr") == len(model.components), what="the table")
        _wait(browser, lambda d: _count(d, '#components tr[data-component="count"] svg.spark polyline')
              and run.source.view(model.name)["uptime_secs"] >= 6, what="six seconds of history")
        _wait(browser, lambda d: _text(d, '#components tr[data-component="count"] td.executed-rate')
              not in ("", "-", "0"), what="a rate")
        path = screenshots / "wordcount.png"
        browser.save_screenshot(str(path))
    print(f"screenshot: {path}")
    if os.environ.get("SQUALL_UPDATE_SCREENSHOT"):
        DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOT)


def test_stop_run_from_the_page(page):
    browser, live_run = page
    browser.get(live_run.base)
    button = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, 'button[data-action="kill"]'),
                   what="the stop button")[0]
    assert button.text == "Stop run"
    button.click()
    browser.switch_to.alert.accept()
    _wait(browser, lambda d: "stopping Numbers" in _text(d, "#message"), what="the action's answer")
    assert live_run.stop.is_set()
