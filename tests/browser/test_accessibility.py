"""The website for every reader: contrast, heading order, phones, print, search, the chapter downloads."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml  # installed with jupyter-book

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CONTRAST_JS = (Path(__file__).parent / "contrast.js").read_text()
PHONE = {"width": 390, "height": 844}  # a common phone's width in CSS pixels


def pages(html: Path) -> list[Path]:
    return sorted((html / "book").glob("*.html"))


def chapter_notebooks(html: Path) -> list[Path]:
    return [page for page in pages(html) if (html / "_sources" / "book" / f"{page.stem}.ipynb").is_file()]


def test_contrast_checker_finds_faint_text(browser):
    """The checker itself: gray on white and dark on dark fail, large gray text at 3.5:1 passes."""
    page = browser.new_page()
    page.set_content('<p style="color:#aaa">faint</p><p>plain</p>'
                     '<div style="background:#333"><span style="color:#555">dark on dark</span></div>'
                     '<h1 style="color:#888;font-size:30px">large gray</h1>')
    short = page.evaluate(CONTRAST_JS)
    page.close()
    assert [line.split('"')[3] for line in short] == ["faint", "dark on dark"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_meets_wcag_aa_contrast(page_site, serve, open_page, scheme):
    html = page_site("intro")
    base = serve(html)
    watched = open_page(base, color_scheme=scheme)
    for page in pages(html) + [html / "search.html"]:
        watched.page.goto(f"{base}/{page.relative_to(html).as_posix()}", wait_until="load")
        assert watched.page.evaluate("document.documentElement.dataset.theme") == scheme
        # The theme sets light or dark after loading, and its colors fade over: measure after the fade.
        watched.page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")
        short = watched.page.evaluate(CONTRAST_JS)
        assert short == [], f"{page.name} ({scheme}): text below WCAG AA contrast:\n" + "\n".join(short[:10])


class Headings(HTMLParser):
    """The levels of the headings inside the page's <article>, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.levels: list[int] = []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.depth += 1
        elif self.depth and len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.levels.append(int(tag[1]))

    def handle_endtag(self, tag):
        if tag == "article":
            self.depth -= 1


def test_heading_levels_never_skip(page_site):
    html = page_site("intro")
    for page in pages(html):
        headings = Headings()
        headings.feed(page.read_text(encoding="utf-8"))
        levels = headings.levels
        assert levels and levels[0] == 1 and levels.count(1) == 1, f"{page.name}: one <h1> first, got {levels[:5]}"
        for before, after in zip(levels, levels[1:]):
            assert after <= before + 1, f"{page.name}: <h{before}> followed by <h{after}>"


FIT_JS = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (m) => {  // inside a box that scrolls sideways, such as a wide table's
    for (let e = m.parentElement.parentElement; e; e = e.parentElement)
      if (["auto", "scroll"].includes(getComputedStyle(e).overflowX)) return true;
    return false;
  };
  const inline = [...document.querySelectorAll("article span.math > mjx-container")]
    .filter(m => m.getBoundingClientRect().right > width + 1 && !scrolls(m))
    .map(m => (m.querySelector("mjx-assistive-mml") || m).textContent.slice(0, 60));
  return {width, scroll: document.documentElement.scrollWidth, inline};
}"""


def test_every_page_fits_a_phone(page_site, serve, open_page):
    """At phone width nothing scrolls the page sideways, and no inline formula runs off the screen.

    Wide tables, code and display equations scroll inside their own boxes;
    a formula in running text would be cut off (the theme clips it; our
    stylesheet lets it scroll), so a long one belongs in display maths.
    """
    html = page_site("intro")
    base = serve(html)
    watched = open_page(base, viewport=PHONE)
    for page in pages(html):
        watched.page.goto(f"{base}/book/{page.name}", wait_until="load")
        if "\\(" in page.read_text(encoding="utf-8"):
            watched.page.wait_for_selector("mjx-container", state="attached", timeout=20_000)
        fit = watched.page.evaluate(FIT_JS)
        assert fit["scroll"] <= fit["width"], f"{page.name}: {fit['scroll']} px wide on a {fit['width']} px phone"
        assert fit["inline"] == [], f"{page.name}: inline formulas wider than a phone: {fit['inline']}"
        assert not watched.page.locator(".bd-sidebar-primary").is_visible(), f"{page.name}: sidebar open on a phone"


def test_print_layout_shows_the_text_without_navigation_or_controls(page_site, serve, open_page):
    html = page_site("optimizers")
    base = serve(html)
    watched = open_page(base)
    watched.page.emulate_media(media="print")
    watched.page.goto(f"{base}/book/optimizers.html", wait_until="load")
    page = watched.page
    assert page.locator("h1", has_text="Optimizers").first.is_visible(), "the chapter's title is printed"
    assert page.locator("article img.dlbx-img").first.is_visible(), "an explorer's current image is printed"
    for hidden in [".bd-sidebar-primary", ".bd-sidebar-secondary", ".bd-header-article", ".dlbx-controls"]:
        assert not page.locator(hidden).first.is_visible(), f"{hidden} would be printed"
    assert len(page.pdf()) > 10_000


def test_search_finds_the_chapter_that_teaches_a_term(page_site, serve, open_page):
    html = page_site("intro")
    base = serve(html)
    watched = open_page(base)
    watched.page.goto(f"{base}/search.html?q=nesterov", wait_until="load")
    results = watched.page.locator("#search-results li a")
    results.first.wait_for(timeout=20_000)
    targets = [results.nth(i).get_attribute("href") for i in range(results.count())]
    assert any("book/optimizers.html" in target for target in targets), targets
    assert watched.errors == [] and watched.foreign == []


def test_every_chapter_offers_its_notebook_for_download(page_site):
    html = page_site("intro")
    chapters = chapter_notebooks(html)
    assert len(chapters) >= 9
    for page in chapters:
        link = f'href="../_sources/book/{page.stem}.ipynb"'
        assert link in page.read_text(encoding="utf-8"), f"{page.name}: no download link to its notebook"


def test_logo_and_favicon_come_from_the_site(page_site):
    html = page_site("intro")
    intro = (html / "book" / "intro.html").read_text(encoding="utf-8")
    assert 'class="logo__image' in intro and (html / "_static" / "logo.svg").is_file()
    assert 'rel="icon"' in intro and (html / "_static" / "favicon.svg").is_file()


def test_every_explorer_control_has_a_label(page_site):
    """Each control of a static explorer is named by a <label for=…>, so screen readers announce it."""
    html = page_site("intro")
    seen = 0
    for page in pages(html):
        text = page.read_text(encoding="utf-8")
        controls = re.findall(r"<(?:input|select)[^>]*data-dlbx-(?:control|frame)[^>]*>", text)
        for control in controls:
            ident = re.search(r'\bid="([^"]+)"', control)
            assert ident, f"{page.name}: explorer control without an id: {control[:80]}"
            assert f'for="{ident.group(1)}"' in text, f"{page.name}: control {ident.group(1)} has no label"
            seen += 1
    assert seen >= 40, f"only {seen} explorer controls found"


def test_pages_link_to_their_neighbors_in_reading_order(page_site):
    html = page_site("intro")
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    order = [toc["root"]] + [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]
    for before, page, after in zip(order, order[1:], order[2:]):
        text = (html / f"{page}.html").read_text(encoding="utf-8")
        footer = text[text.index("prev-next-area"):]
        assert f'href="{Path(before).name}.html"' in footer, f"{page}: no link back to {before}"
        assert f'href="{Path(after).name}.html"' in footer, f"{page}: no link on to {after}"


def test_no_launch_buttons_without_a_repository(page_site):
    """Binder or Colab buttons need a real repository URL; until _config.yml has one, there are none."""
    html = page_site("intro")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    if config.get("repository", {}).get("url"):
        pytest.skip("a repository is configured")
    for page in pages(html):
        text = page.read_text(encoding="utf-8").lower()
        for host in ("mybinder.org", "colab.research.google.com", "launch-buttons"):
            assert host not in text, f"{page.name}: {host} without a configured repository"
