"""The website as a reader meets it: every page loads offline, cleanly, with maths rendered and images described."""

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGE_BUDGET_BYTES = 3_000_000  # a chapter page with its images


def pages(html: Path) -> list[Path]:
    return sorted((html / "book").glob("*.html"))


class Links(HTMLParser):
    """Collects every href/src and every <img> of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []
        self.images: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("href", "src"):
            if attrs.get(key):
                self.targets.append(attrs[key])
        if tag == "img":
            self.images.append(attrs)


def parse(page: Path) -> Links:
    links = Links()
    links.feed(page.read_text(encoding="utf-8"))
    return links


def test_every_internal_link_resolves_and_every_image_is_described(page_site):
    html = page_site("intro")
    checked = 0
    for page in pages(html) + [html / "index.html"]:
        links = parse(page)
        for target in links.targets:
            parts = urlsplit(target)
            if parts.scheme or target.startswith(("#", "//", "mailto:")):
                continue  # external links are not fetched (no network); anchors are checked by Sphinx
            path = (page.parent / unquote(parts.path)).resolve()
            assert path.exists(), f"{page.name}: broken link {target}"
            checked += 1
        for image in links.images:
            assert (image.get("alt") or "").strip(), f"{page.name}: <img src={image.get('src', '')[:60]}> has no alt text"
    assert checked > 50


def test_every_page_fits_its_weight_budget(page_site):
    html = page_site("intro")
    for page in pages(html):
        weight = page.stat().st_size
        for target in parse(page).targets:
            path = (page.parent / unquote(urlsplit(target).path)).resolve()
            if "_images" in path.parts and path.is_file():
                weight += path.stat().st_size
        assert weight <= PAGE_BUDGET_BYTES, f"{page.name} weighs {weight / 1e6:.2f} MB"


def test_every_page_loads_offline_without_errors_and_renders_maths(page_site, serve, open_page):
    html = page_site("intro")
    base = serve(html)
    for page in pages(html):
        watched = open_page(base)
        watched.page.goto(f"{base}/book/{page.name}", wait_until="load")
        has_maths = "\\(" in page.read_text(encoding="utf-8") or "\\[" in page.read_text(encoding="utf-8")
        if has_maths:
            watched.page.wait_for_selector("mjx-container", state="attached", timeout=20_000)
            text = watched.page.locator("article").inner_text()
            assert "\\(" not in text and "$$" not in text, f"{page.name}: raw TeX left on the page"
        assert watched.errors == [], f"{page.name}: {watched.errors}"
        assert watched.foreign == [], f"{page.name}: requests left the local server: {watched.foreign}"


def change_something(page, block) -> bool:
    """Move each enabled control of a static explorer in turn; True once the shown image changes."""
    image = block.locator("img.dlbx-img")
    before = image.get_attribute("src")
    controls = block.locator("[data-dlbx-control]:enabled, [data-dlbx-frame]")
    for i in range(controls.count()):
        control = controls.nth(i)
        kind = control.evaluate("e => e.tagName + ':' + (e.type || '')")
        if kind.startswith("SELECT"):
            options = control.locator("option")
            if options.count() < 2:
                continue
            current = control.input_value()
            other = next(options.nth(j).get_attribute("value") for j in range(options.count())
                         if options.nth(j).get_attribute("value") != current)
            control.select_option(other)
        elif kind == "INPUT:checkbox":
            control.click()
        else:
            control.focus()
            at_max = control.input_value() == control.get_attribute("max")
            page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
        if image.get_attribute("src") != before:
            return True
    return False


def test_every_static_explorer_on_every_page_responds(page_site, serve, open_page):
    html = page_site("intro")
    base = serve(html)
    seen = 0
    for page in pages(html):
        watched = open_page(base)
        watched.page.goto(f"{base}/book/{page.name}", wait_until="load")
        blocks = watched.page.locator("div.dlbx")
        for i in range(blocks.count()):
            block = blocks.nth(i)
            block.scroll_into_view_if_needed()
            title = block.locator(".dlbx-title").inner_text() if block.locator(".dlbx-title").count() else str(i)
            assert change_something(watched.page, block), f"{page.name}: explorer '{title}' shows no change"
            seen += 1
        assert watched.errors == [], f"{page.name}: {watched.errors}"
    assert seen >= 16, f"only {seen} static explorers found on the website"
