"""`make screenshots` works from scratch: the demo history, an incident, the pages as PNGs."""

from PIL import Image

from statuspage import screenshots
from tests.e2e.conftest import CHROMIUM


def test_screenshots_of_the_main_pages(tmp_path):
    written = screenshots.take(tmp_path, CHROMIUM)
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
