"""`kpi report` in a real browser: Debian's Chromium, driven by Playwright (never a downloaded
browser). Each example's page loads without a console error and without any request but its own
file; its tree's nodes, statuses and scores are `kpi eval --format json`'s; a hostile label is text
that runs nothing; a subtree opens and closes from the keyboard; the ranking sorts; a screenshot at
1280×800 and a print to PDF succeed. ``KPI_UPDATE_SCREENSHOTS=1`` writes the screenshots to
docs/report-NAME.png."""

from __future__ import annotations

import os
import shutil

import pytest

from conftest import ROOT
from report_helpers import EVIL, EXAMPLES, expected, hostile_files, report, run, same

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the `test` extra installs it
    sync_playwright = None

REASON = ("Playwright's Python package is not installed (pip install -e '.[test]')" if sync_playwright is None
          else None if os.path.exists(CHROMIUM) or shutil.which("chromium")
          else f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
                              args=ARGS)
        yield b
        b.close()


class Watched:
    """A page that records console errors, uncaught errors, dialogs and every request but its file's
    (each aborted)."""

    def __init__(self, browser, path):
        self.url = path.as_uri()
        self.context = browser.new_context(viewport={"width": 1280, "height": 800})
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.errors, self.requests, self.dialogs = [], [], []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.context.route("**/*", self._route)
        self.page.goto(self.url)
        self.page.wait_for_load_state("load")

    def _route(self, route):
        if route.request.url == self.url:
            route.continue_()
        else:
            self.requests.append(route.request.url)
            route.abort()

    def clean(self) -> None:
        assert self.errors == [] and self.requests == [] and self.dialogs == []


@pytest.fixture
def watched(browser):
    made = []

    def open_(path):
        made.append(Watched(browser, path))
        return made[-1]

    yield open_
    for w in made:
        w.context.close()


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_page_in_the_browser(name, watched, tmp_path):
    report(name, tmp_path / "r.html")
    w = watched(tmp_path / "r.html")
    page = w.page
    nodes = page.eval_on_selector_all(
        "[data-node]", "els => els.map(e => [e.closest('[data-view]').dataset.view, e.dataset.name,"
        " e.dataset.status, e.dataset.score === '' ? null : Number(e.dataset.score), e.offsetHeight > 0])")
    want = expected(name)
    got: dict[str, list] = {}
    for view, n, status, score, shown in nodes:
        assert shown, n  # every node is drawn
        got.setdefault(view, []).append((n, status, score))
    assert sorted(got) == sorted(want)
    for view, ns in got.items():
        assert same(ns, want[view]), view
    # each status reads without colour: a word beside it
    for text, status in page.eval_on_selector_all(".node .status", "els => els.map(e => [e.innerText, "
                                                  "e.closest('[data-node]').dataset.status])"):
        assert status in text
    shot = page.screenshot()
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("KPI_UPDATE_SCREENSHOTS"):
        (ROOT / "docs" / f"report-{name}.png").write_bytes(shot)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    w.clean()


def test_hostile_text_shows_as_text_and_runs_nothing(watched, tmp_path):
    model, data = hostile_files(tmp_path)
    for args in ([str(model)], [str(model), "--data", str(data)]):
        out = tmp_path / "r.html"
        assert run("report", *args, "-o", str(out))[0] == 0
        w = watched(out)
        page = w.page
        page.wait_for_timeout(200)  # an onerror would have fired by now
        assert page.locator("img, iframe, script:not(body > script)").count() == 0
        assert page.locator("[data-name=goal] .label").first.inner_text() == EVIL
        assert EVIL in page.title()
        w.clean()


def test_keyboard_toggles_a_subtree(watched, tmp_path):
    report("ecommerce", tmp_path / "r.html")
    w = watched(tmp_path / "r.html")
    page = w.page
    details = page.locator("details").first
    assert details.evaluate("d => d.open")
    for _ in range(40):  # Tab from the top of the page reaches the first summary
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "SUMMARY":
            break
    assert page.evaluate("document.activeElement === document.querySelector('details > summary')")
    page.keyboard.press("Enter")
    assert not details.evaluate("d => d.open")
    assert not page.locator("details").first.locator(".kids [data-node]").first.is_visible()
    page.keyboard.press(" ")
    assert details.evaluate("d => d.open")
    w.clean()


def test_ranking_sorts_by_pointer_and_keyboard(watched, tmp_path):
    report("monthly", tmp_path / "r.html")
    w = watched(tmp_path / "r.html")
    page = w.page
    entities = "els => els.map(e => e.innerText)"
    first = page.eval_on_selector_all("#ranking tbody td:nth-child(2)", entities)
    assert first == ["sato", "okafor", "garcia", "chen"]
    page.locator("#ranking th button", has_text="entity").click()
    assert page.eval_on_selector_all("#ranking tbody td:nth-child(2)", entities) == sorted(first)
    page.locator("#ranking th button", has_text="score").press("Enter")  # a button: the keyboard sorts too
    page.locator("#ranking th button", has_text="score").press("Enter")
    assert page.eval_on_selector_all("#ranking tbody td:nth-child(2)", entities) == first
    w.clean()


def test_a_drag_links_to_its_node(watched, tmp_path):
    report("ecommerce", tmp_path / "r.html")
    w = watched(tmp_path / "r.html")
    page = w.page
    # a drag's link leads to its node, opening a closed subtree on the way
    link = page.locator(".drags a").first
    target = link.get_attribute("href")
    page.locator("details").first.evaluate("d => d.open = false")
    link.click()
    assert page.locator(target).is_visible()
    w.clean()
