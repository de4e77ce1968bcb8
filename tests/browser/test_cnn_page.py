"""Browser test: the chapter "Convolutional neural networks" as a website page: its two explorers respond."""

import pytest
from pages import image, readout

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_cnn_explorers_respond_to_their_controls(chapter_page):
    watched = chapter_page("cnn")
    page = watched.page
    blocks = page.locator("div.dlbx")
    assert blocks.count() == 2

    # 1. The convolution explorer: stride and padding change the output size; the kernel changes the map.
    convolution = blocks.nth(0)
    assert readout(convolution).startswith("Vertical edge kernel, stride 1, padding 0: input 8×8; output 6×6")
    before = image(convolution)
    padding = convolution.get_by_label("padding")
    padding.focus()
    page.keyboard.press("ArrowRight")
    assert image(convolution) != before
    assert "padded to 10×10; output 8×8" in readout(convolution)
    stride = convolution.get_by_label("stride")
    stride.focus()
    page.keyboard.press("End")  # stride 3
    assert "stride 3, padding 1" in readout(convolution) and "output 3×3" in readout(convolution)
    before = image(convolution)
    convolution.get_by_label("kernel").select_option(label="learned")
    assert image(convolution) != before and readout(convolution).startswith("Learned kernel")

    # 2. The CNN trainer: a large learning rate diverges; the epoch slider replays training.
    cnn = blocks.nth(1)
    assert readout(cnn).startswith("Epoch 15: validation accuracy")
    before = image(cnn)
    lr = cnn.get_by_label("learning rate")
    lr.focus()
    page.keyboard.press("End")  # 0.5, the largest precomputed learning rate
    assert image(cnn) != before
    assert readout(cnn).startswith("Diverged at epoch 1")
    page.keyboard.press("Home")  # 0.005
    dropout = cnn.get_by_label("dropout rate")
    before = image(cnn)
    dropout.focus()
    page.keyboard.press("Home")  # no dropout
    assert image(cnn) != before and readout(cnn).startswith("Epoch 15: validation accuracy")
    epoch = cnn.get_by_label("epoch")
    epoch.focus()
    page.keyboard.press("Home")  # before training
    assert readout(cnn).startswith("Epoch 0: validation accuracy")

    watched.assert_clean()
