"""`make screenshots` works from scratch: the demo history, an incident, the pages as PNGs.

Run as `make screenshots` runs it, in a process of its own (the suite's browser already holds
Playwright's event loop in this one)."""

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.conftest import CHROMIUM

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def test_screenshots_of_the_main_pages(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "statuspage.screenshots", str(tmp_path), "--chromium", CHROMIUM],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    written = sorted(tmp_path.glob("*.png"))
    assert written
    assert all(str(path) in result.stdout for path in written)  # each one listed
    names = {path.stem for path in written}
    assert {"home-en-desktop", "home-fr-phone", "incident-fr-phone", "console-fr-phone"} <= names
    for path in written:
        with Image.open(path) as image:
            width = image.width
            assert image.format == "PNG"
        if "desktop" in path.stem:
            assert width == 1280
        elif "phone" in path.stem:
            assert width == 390
        else:
            assert (width, image.height) == (1200, 630)
        assert path.stat().st_size < 150_000
