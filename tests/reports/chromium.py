"""Render pages in headless Chromium: a screenshot, and the DOM after the page's scripts ran (the
report has none; the section pages built here add one that records each image's decoded width)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
MEASURE = (
    "<script>for (const i of document.images) i.dataset.width = i.naturalWidth;"
    "document.body.dataset.height = document.body.scrollHeight;</script>"
)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:  # a failure, not a skip: every test runs (`make test` installs it where apt-get can)
        pytest.fail("Chromium is not installed: install Debian's chromium (apt-get install chromium)")
    return found


def _run(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [chromium(), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def screenshot(page: Path, png: Path, size: tuple[int, int] = (1200, 3000)):
    """The page rendered at `size`, as a greyscale PIL image."""
    from PIL import Image

    _run([f"--screenshot={png}", f"--window-size={size[0]},{size[1]}", page.as_uri()], png.parent / "profile")
    return Image.open(png).convert("L")


def dom(page: Path) -> str:
    """The page's DOM as Chromium serializes it after loading it."""
    return _run(["--dump-dom", page.as_uri()], page.parent / "profile").stdout


def has_ink(image, share: float = 0.01) -> bool:
    """Text or figures, not a blank page: a real contrast and `share` of the pixels dark."""
    low, high = image.getextrema()
    return high - low > 100 and sum(image.histogram()[:200]) > share * image.size[0] * image.size[1]


def section_page(report: str, start: str, end: str | None, folder: Path) -> Path:
    """A page holding the report's style and its HTML from `start` up to `end` (exclusive), with
    a script that records each image's decoded width (data-width) and the page's height."""
    style = re.search(r"<style>(.*?)</style>", report, re.S).group(1)
    begin = report.index(start)
    stop = report.index(end, begin + len(start)) if end else report.index("</body>")
    path = folder / f"section-{abs(hash(start))}.html"
    path.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><style>{style}</style></head>'
        f"<body>{report[begin:stop]}{MEASURE}</body></html>"
    )
    return path
