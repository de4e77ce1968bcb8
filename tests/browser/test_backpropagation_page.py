"""Browser test: the chapter "Backpropagation" as a website page — its two precomputed explorers respond."""

import pytest
from pages import image, readout

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_backpropagation_explorers_respond_to_their_controls(chapter_page):
    watched = chapter_page("backpropagation")
    page = watched.page
    blocks = page.locator("div.dlbx")
    assert blocks.count() == 2

    # 1. The digits trainer: a large learning rate diverges; the epoch slider replays training.
    digits = blocks.nth(0)
    assert readout(digits).startswith("Epoch 20: validation accuracy 98.0%")
    before = image(digits)
    lr = digits.get_by_label("learning rate")
    lr.focus()
    page.keyboard.press("End")  # 0.5, the largest precomputed learning rate
    assert image(digits) != before
    assert readout(digits).startswith("Diverged at epoch 1")
    digits.get_by_label("activation").select_option(label="sigmoid")
    assert readout(digits).startswith("Epoch 20: validation accuracy")  # sigmoid units survive 0.5
    epoch = digits.get_by_label("epoch")
    epoch.focus()
    page.keyboard.press("Home")  # before training
    assert readout(digits).startswith("Epoch 0: validation accuracy")

    # 2. Gradient size layer by layer: shortcuts stop the sigmoid network's gradient from vanishing.
    depth = blocks.nth(1)
    assert "(vanishing)" in readout(depth)
    before = image(depth)
    depth.get_by_label("shortcuts (residual)").check()
    assert image(depth) != before
    assert "(about steady)" in readout(depth)
    depth.get_by_label("activation").select_option(label="ReLU")
    assert "(exploding)" in readout(depth)

    watched.assert_clean()
