"""Browser test: the website's mid-run scenarios (hot controls, issue 19) are selectable, offline, without errors.

A static page cannot train, so each hot training explorer precomputes one or
two runs in which a hot control changes mid-run ("lr 0.05 for 10 epochs, then
0.005"). Each is a choice of the "mid-run change" control: choosing it shows
its own curves, with the change marked and read out, and grays out the other
controls (a scenario's settings are its own).
"""

import pytest
from pages import image, readout

from dlbook.explorers.momentum import momentum_explorer
from dlbook.explorers.overfitting import overfitting_explorer
from dlbook.static import explorer_html

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Pages of the book with hot training explorers: how many of their explorers offer scenarios.
PAGES = {"perceptrons": 1, "backpropagation": 1, "optimizers": 1, "regularization": 1, "cnn": 1, "explorers": 2}


def check_scenarios(page, block) -> int:
    """Select each scenario of a static explorer block; return how many it has."""
    select = block.get_by_label("mid-run change")
    options = select.locator("option").all_inner_texts()
    assert options[0] == "none" and len(options) >= 2, options
    plain = image(block)
    others = block.locator("[data-dlbx-control]:not(select)")
    epoch = block.get_by_label("epoch")
    for option in options[1:]:
        select.select_option(label=option)
        assert image(block) != plain, f"scenario {option!r} shows the same image as none"
        text = readout(block)
        assert "Changed while training:" in text, text
        assert all(others.nth(i).is_disabled() for i in range(others.count())), "a scenario fixes the other controls"
        epoch.focus()
        page.keyboard.press("Home")  # before training: nothing has changed yet
        assert readout(block).startswith("Epoch 0:") and "Changed" not in readout(block)
        page.keyboard.press("End")
        assert readout(block) == text
    select.select_option(label="none")
    assert image(block) == plain
    return len(options) - 1


def test_scenarios_respond_on_a_page_of_explorers(tmp_path, serve, open_page):
    """Independent of the book build: two hot explorers written into a page of their own."""
    blocks = [explorer_html(momentum_explorer(max_epochs=20)), explorer_html(overfitting_explorer(max_epochs=25))]
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>hot</title></head><body>'
        + "\n".join(blocks) + "</body></html>", encoding="utf-8")
    base = serve(tmp_path)
    watched = open_page(base)
    page = watched.page
    page.goto(f"{base}/index.html", wait_until="load")
    found = page.locator("div.dlbx")
    assert found.count() == 2
    assert [check_scenarios(page, found.nth(i)) for i in range(2)] == [2, 2]
    watched.assert_clean()


@pytest.mark.parametrize("name", list(PAGES))
def test_every_scenario_of_the_book_is_selectable(name, chapter_page):
    watched = chapter_page(name)
    page = watched.page
    blocks = page.locator("div.dlbx", has=page.get_by_label("mid-run change"))
    assert blocks.count() == PAGES[name]
    for i in range(blocks.count()):
        blocks.nth(i).scroll_into_view_if_needed()
        check_scenarios(page, blocks.nth(i))
    watched.assert_clean()
