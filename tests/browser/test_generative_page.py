"""Browser test: the chapter "Generative models" as a website page: its two explorers respond."""

import pytest
from pages import image, readout

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_generative_explorers_respond_to_their_controls(chapter_page):
    watched = chapter_page("generative")
    page = watched.page
    blocks = page.locator("div.dlbx")
    assert blocks.count() == 2

    # 1. The ring GAN: the epoch slider replays training; D's learning rate and beta1 change the run.
    ring = blocks.nth(0)
    assert readout(ring).startswith("Epoch 20 (2000 generator steps): ")
    assert "of 8 modes covered" in readout(ring)
    before = image(ring)
    lr_d = ring.get_by_label("D learning rate")
    lr_d.focus()
    page.keyboard.press("Home")  # 0.0003: the discriminator too slow
    assert image(ring) != before
    assert readout(ring).startswith("Epoch 20 (2000 generator steps): ")
    before = image(ring)
    beta1 = ring.get_by_label("Adam β₁")
    beta1.focus()
    page.keyboard.press("End")  # 0.9
    assert image(ring) != before
    epoch = ring.get_by_label("epoch")
    epoch.focus()
    page.keyboard.press("Home")  # before training
    assert readout(ring).startswith("Epoch 0 (0 generator steps): 0 of 8 modes covered")
    page.keyboard.press("End")
    before = image(ring)
    ring.get_by_label("mid-run change").select_option(index=1)  # the collapse scenario
    assert image(ring) != before
    assert "Changed while training: G learning rate 0.0003 → 0.001 at epoch 10" in readout(ring)

    # 2. The digits GAN playback: the epoch and the interpolation t change the picture and the readout.
    digits = blocks.nth(1)
    assert readout(digits).startswith("Epoch 100: the generator's images of 16 fixed latent vectors")
    assert "t = 0 on the line" in readout(digits)
    before = image(digits)
    t = digits.get_by_label("interpolation t")
    t.focus()
    page.keyboard.press("End")  # t = 1
    assert image(digits) != before and "t = 1 on the line" in readout(digits)
    before = image(digits)
    digits.get_by_label("epoch").select_option(label="0")
    assert image(digits) != before and readout(digits).startswith("Epoch 0: ")

    watched.assert_clean()
