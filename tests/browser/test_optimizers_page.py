"""Browser test: the chapter "Optimizers" as a website page — its three precomputed explorers respond."""

import pytest
from pages import image, readout

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_optimizers_explorers_respond_to_their_controls(chapter_page):
    watched = chapter_page("optimizers")
    page = watched.page
    blocks = page.locator("div.dlbx")
    assert blocks.count() == 3

    # 1. An optimizer on a surface: momentum α changes the path; it matters for Momentum only.
    surface = blocks.nth(0)
    assert readout(surface).startswith("Momentum (lr 0.1, α 0.9) on the elongated bowl")
    before = image(surface)
    alpha = surface.get_by_label("momentum α")
    alpha.focus()
    page.keyboard.press("Home")  # α = 0
    assert image(surface) != before
    assert readout(surface).startswith("Momentum (lr 0.1, α 0) on the elongated bowl")
    surface.get_by_label("optimizer").select_option(label="SGD")
    assert alpha.is_disabled()
    assert readout(surface).startswith("SGD (lr 0.1) on the elongated bowl")

    # 2. Optimizers training on the digits: the optimizer and α change the curves (scenarios: test_hot_scenarios).
    trainer = blocks.nth(1)
    assert readout(trainer).startswith("Epoch 30: training loss")
    before = image(trainer)
    trainer.get_by_label("momentum α").focus()
    page.keyboard.press("Home")  # α = 0.5
    assert image(trainer) != before
    trainer.get_by_label("optimizer").select_option(label="Adam")
    assert trainer.get_by_label("momentum α").is_disabled()

    # 3. Initialization: the weight scale and the activation change the five histograms.
    init = blocks.nth(2)
    assert readout(init).startswith("sigmoid, weights Xavier (std 0.1)")
    std = init.get_by_label("std", exact=True)
    assert std.is_disabled()  # only "custom std" uses it
    before = image(init)
    init.get_by_label("weights").select_option(label="std 1")
    assert image(init) != before
    assert "Layer 5: 53% at a flat end" in readout(init)
    init.get_by_label("weights").select_option(label="custom std")
    assert not std.is_disabled()
    assert readout(init).startswith("sigmoid, weights std 0.2")
    init.get_by_label("weights").select_option(label="He")
    init.get_by_label("activation").select_option(label="ReLU")
    assert readout(init).startswith("ReLU, weights He (std 0.141)") and "exactly 0" in readout(init)

    watched.assert_clean()
