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
# a lever whose effect shows in the Now panel within STEPS steps (free flows follow the DFFT push at once)
LEVER, LEVER_LABEL, LEVER_START = "dfft_multilateral_push", "Japan's DFFT push (G20, WTO)", "0.3"


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


def _serve(tmp_path_factory, *options: str):
    """``connsim dashboard --port 0 [options]`` in a subprocess: yields (url, process, its stderr file)."""
    home = tmp_path_factory.mktemp("solara-home")
    err_path = home / "stderr.txt"
    env = {**os.environ, "SOLARA_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    env.pop("CONNSIM_DASHBOARD_SCENARIO", None)
    with open(err_path, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "connsim", "dashboard", "--port", "0", *options],
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


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    """``connsim dashboard --port 0`` in a subprocess: (url, process, its stderr file)."""
    yield from _serve(tmp_path_factory)


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    """``connsim dashboard --classroom --port 0`` in a subprocess: (url, process, its stderr file)."""
    yield from _serve(tmp_path_factory, "--classroom")


def _screenshot(page, tmp_path, name: str, **kw) -> None:
    """Save a screenshot into the test's folder (and into $CONNSIM_SCREENSHOTS, for docs/img/make_screenshots.py)."""
    page.screenshot(path=tmp_path / name, **kw)
    folder = os.environ.get("CONNSIM_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, name), **kw)


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
        assert page.locator(f"td[data-lever={LEVER}]").inner_text() == LEVER_START
        _screenshot(page, tmp_path, "dashboard-start.png")

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
        _screenshot(page, tmp_path, "dashboard-country.png")
        page.locator(".connsim-now").scroll_into_view_if_needed()
        _screenshot(page, tmp_path, "dashboard-stepped.png")

        # a second tab has a model of its own, at the start
        other = context.new_page()
        other.goto(url)
        _wait_for_step(other, 0)
        assert other.locator(f"td[data-lever={LEVER}]").inner_text() == LEVER_START
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


# --- classroom mode --------------------------------------------------------------------------------------


def _cells(page, cls: str) -> dict[str, str]:
    """The classroom panel's cells of one column, by their lever or measure."""
    return page.evaluate(
        f"() => Object.fromEntries(Array.from(document.querySelectorAll('.connsim-classroom td.{cls}'))"
        ".map(td => [td.dataset.lever ?? td.dataset.measure, td.innerText.trim()]))"
    )


def _layout(page) -> dict:
    """Where the classroom panel's parts are in the viewport: the boxes (x, y, width, height) of its
    sliders' tracks, its tables and the play-the-year button, and the viewport's height."""
    return page.evaluate(
        """() => {
        const box = e => { const b = e.getBoundingClientRect(); return [b.x, b.y, b.width, b.height]; };
        return {
          tracks: Array.from(document.querySelectorAll('.connsim-player-controls .v-slider')).map(box),
          tables: Array.from(document.querySelectorAll('.connsim-classroom table')).map(box),
          button: box(document.querySelector('.connsim-play-year')),
          height: window.innerHeight,
        };
        }"""
    )


def _expected_session():
    """The session the browser test plays, played in this process: the EU's toolbox and ODA staffing at 1 from 2019,
    a conflict shock of +0.3 injected at the start of 2020, two years played."""
    from connsim.dashboard.classroom import ClassroomModel

    m = ClassroomModel("baseline", seed=0, player="EUU", others="scripted")
    m.choose("eu_toolbox_strength", 1.0)
    m.choose("oda_staffing.EUU", 1.0)
    m.play_year()
    m.inject_event("conflict_shock", 0.3)
    m.play_year()
    return m


def test_a_classroom_decision_in_headless_chromium(classroom, tmp_path):
    """The player sets the EU's toolbox on the page, plays the year, sees its decision in force and its
    scorecard move away from the model's; the teacher injects a shock; the saved session replays."""
    import tomllib

    import connsim
    from connsim.dashboard.levers import now_rows

    url, proc, err_path = classroom
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1500, "height": 1300}, accept_downloads=True)
        page = context.new_page()
        page.goto(url)
        _wait_for_step(page, 0)
        page.wait_for_selector(".connsim-classroom", timeout=60_000)
        assert page.locator(".connsim-classroom").get_attribute("data-player") == "EUU"
        start_player, start_model = _cells(page, "connsim-score-player"), _cells(page, "connsim-score-model")
        assert len(start_player) == 6 and start_player == start_model  # nothing decided yet: one world
        assert _cells(page, "connsim-player-held")["eu_toolbox_strength"] == "0.3"

        # the player's decision: the toolbox slider of the classroom panel to its end (1.0)
        slider = page.locator(".v-input", has=page.locator("label", has_text="your decision: EU 5G toolbox strength"))
        thumb = slider.locator("[role=slider]")
        thumb.focus()
        thumb.press("End")
        page.wait_for_function(
            "() => document.querySelector('.connsim-classroom td.connsim-chosen[data-lever=eu_toolbox_strength]').innerText === '1'",
            timeout=30_000,
        )
        assert _cells(page, "connsim-player-held")["eu_toolbox_strength"] == "0.3"  # set, not yet in force
        # and the EU's ODA staffing to its most (a toolbox alone moves the scorecard too little to show
        # in one year: member states revise about one year in six; staffing reaches more partners at once)
        staffing = page.locator(".v-input", has=page.locator("label", has_text="your decision: EU digital-ODA staffing"))
        staffing.locator("[role=slider]").focus()
        staffing.locator("[role=slider]").press("End")
        page.wait_for_function(
            "() => document.querySelector('.connsim-classroom td.connsim-chosen[data-lever=\"oda_staffing.EUU\"]').innerText === '1'",
            timeout=30_000,
        )
        page.locator(".connsim-classroom").scroll_into_view_if_needed()
        _screenshot(page, tmp_path, "classroom-start.png")
        page.get_by_role("button", name="Decide and play the year").click()
        _wait_for_step(page, 4)
        held, model_held = _cells(page, "connsim-player-held"), _cells(page, "connsim-model-held")
        assert held["eu_toolbox_strength"] == "1" and model_held["eu_toolbox_strength"] == "0.3"
        year_player, year_model = _cells(page, "connsim-score-player"), _cells(page, "connsim-score-model")
        assert year_player != start_player  # the shown scorecard changed ...
        assert year_player != year_model  # ... and the player's differs from the model's

        # the teacher injects a conflict shock (the default event), then the second year is played
        page.get_by_role("button", name="Inject at the next step").click()
        page.wait_for_function("() => document.body.innerText.includes('US-China conflict +0.3, from 2020 Q1')", timeout=30_000)
        page.get_by_role("button", name="Decide and play the year").click()
        _wait_for_step(page, 8)
        expected = _expected_session()
        head, shown = _now(page)
        assert "2021 Q1" in head and shown == dict(now_rows(expected))  # the numbers of the same session played here
        from connsim.dashboard.classroom import scorecard_rows

        assert list(_cells(page, "connsim-score-player").values()) == [r[1] for r in scorecard_rows(expected)]
        assert list(_cells(page, "connsim-score-model").values()) == [r[2] for r in scorecard_rows(expected)]
        page.locator(".connsim-classroom").scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        layout = _layout(page)  # what the screenshot shows: every slider with room to move, both tables in view
        assert len(layout["tracks"]) == 6 and min(w for _, _, w, _ in layout["tracks"]) > 300
        assert len(layout["tables"]) == 2 and all(0 <= y and y + h <= layout["height"] for _, y, _, h in layout["tables"])
        _screenshot(page, tmp_path, "classroom-decided.png")

        # the saved session, downloaded, replays to the session's numbers
        with page.expect_download(timeout=30_000) as download:
            page.get_by_text("Save the session as a scenario (TOML)").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        browser.close()

    data = tomllib.loads(saved.read_text())
    assert data["powers"]["EUU"]["strategy"] == "replay"
    assert [data["powers"]["EUU"]["decisions"][y]["eu_toolbox_strength"] for y in ("2019", "2020")] == [1.0, 1.0]
    assert data["events"] == [{"year": 2020.0, "kind": "conflict_shock", "value": 0.3}]
    assert "--until 2021" in saved.read_text().splitlines()[0]
    replay = connsim.run(saved, seed=0, until=2021)
    assert replay.model_vars.equals(expected.recorder.model_frame())
    print(f"screenshots: {tmp_path}")
    assert proc.poll() is None, "the server stopped"
    assert "Traceback" not in err_path.read_text(), err_path.read_text()
