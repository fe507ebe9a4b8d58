"""Make docs/img/dashboard.png: the dashboard after a lever move and a few simulated years.

Run from the repository with the viz and browser extras and a Chromium installed:
``python docs/img/dashboard_screenshot.py [--steps 16] [--out docs/img/dashboard.png]``.
It starts ``connsim dashboard --port 0``, sets the EU toolbox strength to 0.8, presses Reset,
steps the model, and saves the top of the page as a palette PNG (under 200 KB)."""

from __future__ import annotations

import argparse
import io
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("dashboard.png"))
    ap.add_argument("--scroll", type=int, default=0, help="pixels to scroll the main area down first")
    args = ap.parse_args()
    server = subprocess.Popen([sys.executable, "-m", "connsim", "dashboard", "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        url = re.search(r"http://\S+/", server.stdout.readline()).group(0)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.wait_for_selector(".connsim-now", timeout=60_000)
            slider = page.locator(".v-input", has=page.locator("label", has_text="EU 5G toolbox strength")).locator(
                "[role=slider]"
            )
            slider.focus()
            for _ in range(10):  # 0.3 -> 0.8 in steps of 0.05
                slider.press("ArrowRight")
            page.get_by_role("button", name="Reset").click()
            page.wait_for_function("() => document.querySelector('td[data-lever=eu_toolbox_strength]').innerText === '0.8'")
            for k in range(1, args.steps + 1):
                page.get_by_role("button", name="Step").click()
                page.wait_for_function(f"() => document.querySelector('.connsim-now').innerText.includes('step {k} of')")
            page.wait_for_timeout(1500)
            if args.scroll:
                page.mouse.move(800, 500)
                page.mouse.wheel(0, args.scroll)
                page.wait_for_timeout(800)
            png = page.screenshot()
            browser.close()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    image = (
        Image.open(io.BytesIO(png))
        .convert("RGB")
        .quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    )
    image.save(args.out, optimize=True)
    print(f"{args.out}: {args.out.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
