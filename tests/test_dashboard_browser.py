"""The dashboard in a real browser: ``connsim dashboard`` in a subprocess, opened in headless Chromium
(the system's, e.g. Debian's ``chromium`` package, driven by Playwright), offline.

The test starts the server on a free port of 127.0.0.1, checks that the plots render, moves a lever,
resets and steps the model, checks that the page shows the numbers of a model built and stepped the
same way in this process (and not those of the unmoved lever), picks a country and reads its
choices, checks that a second tab has a model of its own, records every request the page makes and
asserts that none leaves 127.0.0.1 and none fails, and saves screenshots into the test's folder.

Skipped, with the reason, where Playwright, the viz extra or a Chromium is missing (``.ci/run``
installs them: the browser extra and ``apt-get install chromium``).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

pytest.importorskip("solara", reason="the dashboard needs the viz extra: pip install 'connsim[viz]'")
playwright = pytest.importorskip(
    "playwright.sync_api", reason="the browser test needs Playwright: pip install 'connsim[browser]'"
)

STEPS = 4
LEVER, LEVER_LABEL = "us_pressure", "US pressure on partners"


def _chromium() -> str | None:
    """A Chromium (or Chrome) executable: $CONNSIM_CHROMIUM, else the first on PATH."""
    given = os.environ.get("CONNSIM_CHROMIUM")
    if given:
        return given
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM = _chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium on this machine (Playwright's own browser download is not used): install Debian's chromium "
    "package (apt-get install chromium; .ci/run does) or set CONNSIM_CHROMIUM to a Chromium executable",
)


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    """``connsim dashboard --port 0`` in a subprocess: (url, process, its stderr file)."""
    home = tmp_path_factory.mktemp("solara-home")
    err_path = home / "stderr.txt"
    env = {**os.environ, "SOLARA_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    env.pop("CONNSIM_DASHBOARD_SCENARIO", None)
    with open(err_path, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "connsim", "dashboard", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
            start_new_session=True,
        )
    line = proc.stdout.readline()  # the address, once the socket listens
    match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
    if not match:
        proc.kill()
        pytest.fail(f"the dashboard did not start: {line!r}\n{err_path.read_text()}")
    yield match.group(1), proc, err_path
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _now(page) -> tuple[str, dict[str, str]]:
    """The Now panel as shown: its heading line and {outcome label: value}."""
    panel = page.locator(".connsim-now").locator("xpath=..")
    head = page.locator(".connsim-now").inner_text()
    rows = panel.locator("tr").all_inner_texts()
    table = dict(r.split("\t", 1) for r in rows[1:])
    return head, {k.strip(): v.strip() for k, v in table.items()}


def _expected_now(steps: int, **levers) -> dict[str, str]:
    """The Now panel of a model built and stepped in this process, as the page formats it."""
    from connsim.dashboard.levers import DashboardModel, now_rows

    model = DashboardModel("baseline", seed=0, **levers)
    for _ in range(steps):
        model.step()
    return dict(now_rows(model))


def _wait_for_step(page, step: int, timeout: float = 60.0) -> None:
    page.wait_for_function(
        f"() => {{ const e = document.querySelector('.connsim-now'); return e && e.innerText.includes('step {step} of'); }}",
        timeout=timeout * 1000,
    )


def _plots_rendered(page) -> int:
    """How many figures show as images with real content (width and height in pixels)."""
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('.connsim-panel img'))"
        ".filter(i => i.complete && i.naturalWidth > 200 && i.naturalHeight > 150).length"
    )


def test_the_dashboard_in_headless_chromium(dashboard, tmp_path):
    url, proc, err_path = dashboard
    requests, failures, sockets = [], [], []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1500, "height": 1100})
        context.on("request", lambda r: requests.append(r.url))
        context.on("requestfailed", lambda r: failures.append(f"{r.url}: {r.failure}"))
        context.on("response", lambda r: failures.append(f"{r.url}: HTTP {r.status}") if r.status >= 400 else None)
        page = context.new_page()
        page.on("websocket", lambda ws: sockets.append(ws.url))
        page.goto(url)
        _wait_for_step(page, 0)
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.connsim-panel img')).filter(i => i.naturalWidth > 200).length >= 5",
            timeout=60_000,
        )
        assert _plots_rendered(page) >= 5  # four live plots and the map
        titles = page.locator(".connsim-panel .v-card__title").all_inner_texts()
        for title in ("Now", "World map", "Norm convergence of data-protection laws", "World radio network by vendor"):
            assert title in titles
        head, start = _now(page)
        assert "2019 Q1" in head and "step 0 of 48" in head
        assert start == _expected_now(0)
        assert page.locator(f"td[data-lever={LEVER}]").inner_text() == "0.5"
        page.screenshot(path=tmp_path / "dashboard-start.png")

        # move a lever: the slider's thumb to its end (1.0), then Reset builds the model with it
        slider = page.locator(".v-input", has=page.locator("label", has_text=LEVER_LABEL)).locator("[role=slider]")
        slider.focus()
        slider.press("End")
        assert slider.get_attribute("aria-valuenow") == "1"
        page.get_by_role("button", name="Reset").click()
        page.wait_for_function(f"() => document.querySelector('td[data-lever={LEVER}]').innerText === '1'", timeout=30_000)
        for k in range(1, STEPS + 1):
            page.get_by_role("button", name="Step").click()
            _wait_for_step(page, k)
        head, shown = _now(page)
        assert "2020 Q1" in head and f"step {STEPS} of 48" in head
        moved = _expected_now(STEPS, **{LEVER: 1.0})
        assert shown == moved  # the numbers of the model with the lever moved ...
        assert shown != _expected_now(STEPS)  # ... which differ from those of the lever left alone
        assert shown != start
        page.wait_for_function(  # the plots are drawn again (an image after each step)
            "() => Array.from(document.querySelectorAll('.connsim-panel img')).filter(i => i.naturalWidth > 200).length >= 5"
        )

        # a country's choices and their reasons
        box = page.locator(".connsim-country input[type=text]")
        box.click()
        box.fill("Germ")
        page.locator(".v-list-item", has_text="Germany (DEU)").first.click()
        page.wait_for_function("() => document.body.innerText.includes('Germany (DEU), MemberState')", timeout=30_000)
        reasons = page.locator(".connsim-reason").all_inner_texts()
        assert reasons and reasons[0].startswith("holds ")
        country = page.locator(".connsim-panel", has_text="Germany (DEU), MemberState")
        assert "5G security policy" in country.inner_text()
        country.scroll_into_view_if_needed()
        page.screenshot(path=tmp_path / "dashboard-country.png")
        page.locator(".connsim-now").scroll_into_view_if_needed()
        page.screenshot(path=tmp_path / "dashboard-stepped.png")

        # a second tab has a model of its own, at the start
        other = context.new_page()
        other.goto(url)
        _wait_for_step(other, 0)
        assert other.locator(f"td[data-lever={LEVER}]").inner_text() == "0.5"
        other.get_by_role("button", name="Step").click()
        _wait_for_step(other, 1)
        assert f"step {STEPS} of 48" in _now(page)[0]  # the first tab did not move
        browser.close()

    print(f"screenshots: {tmp_path}")
    assert requests and sockets
    hosts = {urlsplit(u).hostname for u in requests + sockets if urlsplit(u).scheme in ("http", "https", "ws", "wss")}
    assert hosts == {"127.0.0.1"}, f"requests left the machine: {sorted(hosts)}"
    assert not [u for u in requests if urlsplit(u).scheme not in ("http", "https", "ws", "wss", "blob", "data")]
    assert not failures, failures
    assert any("/_solara/cdn/" in u for u in requests)  # the CDN files were asked for, and came from the machine
    assert proc.poll() is None, "the server stopped"
    proc.send_signal(signal.SIGINT)  # Ctrl-C stops it, quietly
    assert proc.wait(timeout=30) == 0
    err = err_path.read_text()
    assert "stopped" in err and "Traceback" not in err, err
    assert "Could not load URL" not in err  # the server never tried a CDN either
