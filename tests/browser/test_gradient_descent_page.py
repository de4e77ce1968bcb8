"""Browser test: the chapter "Gradient descent" as a website page — its two precomputed explorers respond."""

import pytest
from pages import image, readout

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_gradient_descent_explorers_respond_to_their_controls(chapter_page):
    watched = chapter_page("gradient-descent")
    page = watched.page
    blocks = page.locator("div.dlbx")
    assert blocks.count() == 2

    # 1. The bowl: the learning rate moves the path; the divergent case is stated, not crashed.
    bowl = blocks.nth(0)
    assert readout(bowl).startswith("η = 0.1 on the round bowl")
    before = image(bowl)
    lr = bowl.get_by_label("learning rate η")
    lr.focus()
    page.keyboard.press("End")  # the largest precomputed learning rate, 1.2
    assert image(bowl) != before
    assert "diverged at step 11" in readout(bowl)
    bowl.get_by_label("surface").select_option(label="elongated bowl")
    assert "elongated bowl" in readout(bowl) and "diverged at step" in readout(bowl)
    assert bowl.get_by_label("steps").is_disabled()  # fixed on the website

    # 2. Logistic regression: the batch size changes the updates per epoch.
    logistic = blocks.nth(1)
    assert readout(logistic).startswith("Batch size 10, η = 0.1: 20 updates per epoch")
    before = image(logistic)
    size = logistic.get_by_label("batch size")
    size.focus()
    page.keyboard.press("End")  # 200: the whole training set
    assert image(logistic) != before
    assert readout(logistic).startswith("Batch size 200, η = 0.1: 1 update per epoch")

    watched.assert_clean()
