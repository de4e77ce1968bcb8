"""Browser test: the chapter "Data and normalization" as a website page: its batch-norm explorer responds."""

import pytest
from pages import image, readout

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_batchnorm_explorer_responds_to_its_controls(chapter_page):
    watched = chapter_page("normalization")
    page = watched.page
    blocks = page.locator("div.dlbx")
    assert blocks.count() == 1
    explorer = blocks.nth(0)
    assert explorer.locator(".dlbx-title").inner_text() == "Batch normalization and the initial weight scale"

    # The page opens on the default: scale 0.01 with batch normalization, which trains.
    assert readout(explorer).startswith("Weight scale 0.01, with batch normalization: training accuracy 98%")
    before = image(explorer)
    scale = explorer.get_by_label("initial weight scale")
    scale.focus()
    page.keyboard.press("End")  # the largest precomputed scale, 3
    assert image(explorer) != before
    assert readout(explorer).startswith("Weight scale 3, with batch normalization")

    # Without batch normalization the same scale does not train.
    at_three = image(explorer)
    explorer.get_by_label("batch normalization").click()
    assert image(explorer) != at_three
    assert readout(explorer).startswith("Weight scale 3, without batch normalization")

    watched.assert_clean()
