"""Take the screenshots in docs/_static/screenshots/ from the example project.

    .venv/bin/python docs/screenshots.py

It migrates a throwaway SQLite database, serves the example project on a free local port
and photographs the banner and the preferences dialog with Playwright in Debian's
Chromium (or CHROMIUM_PATH): desktop (1280 px), mobile (390 px) and dark. Run it again
after a change to the templates or the stylesheet, and commit the PNGs it rewrites.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from playwright.sync_api import Browser, FloatRect, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "example_project" / "manage.py"
OUT = Path(__file__).resolve().parent / "_static" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"

Scheme = Literal["light", "dark"]
# name: (viewport width, height, colour scheme, what to show)
SHOTS: dict[str, tuple[int, int, Scheme, str]] = {
    "banner-desktop": (1280, 720, "light", "banner"),
    "banner-mobile": (390, 844, "light", "banner"),
    "banner-dark": (1280, 720, "dark", "banner"),
    "dialog-desktop": (1280, 720, "light", "dialog"),
    "dialog-mobile": (390, 720, "light", "dialog"),
    "dialog-dark": (1280, 720, "dark", "dialog"),
}
# Below the banner, a strip of the page it sits on; the rest is left out, to keep it small.
PAGE_STRIP = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def example_site() -> Iterator[str]:
    """The example project on a fresh database, served until the block ends."""
    with tempfile.TemporaryDirectory() as directory:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "example_project.settings",
            "DATABASE_URL": f"sqlite:///{directory}/db.sqlite3",
            "CACHE_URL": "locmemcache://",
        }
        manage = [sys.executable, str(MANAGE)]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
        port = free_port()
        server = subprocess.Popen(
            [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for(url)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=10)


def wait_for(url: str) -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"The example project did not answer at {url}.")


def show(page: Page, url: str, what: str) -> None:
    page.goto(url + "/analytics/")
    if what == "dialog":
        page.get_by_role("link", name="Cookie settings").first.click()
        page.get_by_role("dialog").wait_for()
    # The dialog's entrance is over before the picture is taken.
    page.wait_for_function("() => document.getAnimations().every((a) => a.playState != 'running')")


def shoot(browser: Browser, url: str, name: str) -> Path:
    width, height, scheme, what = SHOTS[name]
    context = browser.new_context(
        viewport={"width": width, "height": height},
        color_scheme=scheme,
        reduced_motion="reduce",
    )
    page = context.new_page()
    show(page, url, what)
    clip: FloatRect | None = None
    if what == "banner":
        box = page.locator("#cc-banner").bounding_box()
        assert box is not None
        clip = {"x": 0, "y": 0, "width": width, "height": box["height"] + PAGE_STRIP}
    path = OUT / f"{name}.png"
    path.write_bytes(smaller_png(page.screenshot(clip=clip)))
    context.close()
    return path


def smaller_png(png: bytes) -> bytes:
    """The same image, its pixels recompressed at zlib's best level (Chromium is quicker)."""
    chunks, position = [], 8
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        chunks.append(
            (png[position + 4 : position + 8], png[position + 8 : position + 8 + length])
        )
        position += 12 + length
    pixels = zlib.decompress(b"".join(data for kind, data in chunks if kind == b"IDAT"))
    header = [(kind, data) for kind, data in chunks if kind not in (b"IDAT", b"IEND")]
    rebuilt = [*header, (b"IDAT", zlib.compress(pixels, 9)), (b"IEND", b"")]
    return png[:8] + b"".join(
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        for kind, data in rebuilt
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with example_site() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for name in SHOTS:
            path = shoot(browser, url, name)
            print(f"{path.relative_to(ROOT)}: {path.stat().st_size} bytes")
        browser.close()


if __name__ == "__main__":
    main()
