"""Browser test 2: the website's precomputed explorers respond to their controls, offline and without errors."""

import pytest
from pages import image, nudge, readout

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_static_explorers_respond_to_their_controls(page_site, serve, open_page):
    base = serve(page_site("explorers"))
    watched = open_page(base)
    page = watched.page
    page.goto(f"{base}/book/explorers.html", wait_until="load")
    blocks = page.locator("div.dlbx")
    assert blocks.count() == 3
    titles = [blocks.nth(i).locator(".dlbx-title").inner_text() for i in range(3)]
    assert titles == ["An optimizer on a surface", "A neural network playground",
                      "Overfitting, dropout and weight decay"]

    # 1. The optimizer: a slider, a drop-down, and a control grayed out when it does not matter.
    optimizer = blocks.nth(0)
    assert image(optimizer).startswith("data:image/png;base64,")
    assert readout(optimizer).startswith("Momentum (lr 0.1, α 0.9) on the elongated bowl")
    before = image(optimizer)
    lr = optimizer.get_by_label("learning rate")
    nudge(page, lr)
    assert image(optimizer) != before
    assert readout(optimizer).startswith("Momentum (lr 0.5, α 0.9)")
    assert optimizer.locator(f"output[for='{lr.get_attribute('id')}']").inner_text() == "0.5"
    assert lr.get_attribute("aria-valuetext") == "0.5"
    momentum = optimizer.get_by_label("momentum α")
    assert momentum.is_enabled()
    optimizer.get_by_label("optimizer").select_option(label="Adam")
    assert momentum.is_disabled() and readout(optimizer).startswith("Adam (lr 0.5)")
    optimizer.get_by_label("surface").select_option(label="saddle")
    assert "saddle" in readout(optimizer)
    assert "saddle" in optimizer.locator("img.dlbx-img").get_attribute("alt")

    # 2. The playground: change the data set, scrub the epochs, play.
    playground = blocks.nth(1)
    epoch = playground.get_by_label("epoch")
    assert readout(playground).startswith("Epoch 200:")
    before = image(playground)
    playground.get_by_label("data set").select_option(label="xor")
    assert image(playground) != before
    epoch.focus()
    page.keyboard.press("Home")
    assert readout(playground).startswith("Epoch 0:")
    playground.locator("button.dlbx-play").click()
    page.wait_for_function(f"document.getElementById('{epoch.get_attribute('id')}').value >= 2", timeout=10_000)
    playground.locator("button.dlbx-play").click()  # Pause
    stopped = epoch.input_value()
    page.wait_for_timeout(1000)
    assert epoch.input_value() == stopped
    nudge(page, playground.get_by_label("learning rate"))
    assert "Diverged" in readout(playground) or readout(playground).startswith("Epoch")

    # 3. Overfitting: dropout changes the curves.
    overfitting = blocks.nth(2)
    before = image(overfitting)
    nudge(page, overfitting.get_by_label("dropout rate"))
    assert image(overfitting) != before and "dropout" not in readout(overfitting).lower()
    # The number of training examples is on the website too: 1,000 of them close most of the gap.
    examples = overfitting.get_by_label("training examples")
    assert not examples.is_disabled()
    before, said = image(overfitting), readout(overfitting)
    nudge(page, examples)
    assert image(overfitting) != before and readout(overfitting) != said

    watched.assert_clean()
