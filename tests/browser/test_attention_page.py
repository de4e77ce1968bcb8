"""Browser test: the chapter "Attention and Transformers" as a website page: its three explorers respond."""

import pytest
from pages import image, readout

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_attention_explorers_respond_to_their_controls(chapter_page):
    watched = chapter_page("attention")
    page = watched.page
    blocks = page.locator("div.dlbx")
    assert blocks.count() == 3

    # 1. Scaling and masking: the scale, the dimension and the mask change the weights.
    scaling = blocks.nth(0)
    assert readout(scaling).startswith("d = 256, unscaled scores, temperature 1:")
    before = image(scaling)
    scaling.get_by_label("divide by √d").check()
    assert image(scaling) != before and "scores / √d" in readout(scaling)
    scaling.get_by_label("dimension d").select_option(label="4")
    assert readout(scaling).startswith("d = 4, scores / √d")
    before = image(scaling)
    scaling.get_by_label("causal mask").check()
    assert image(scaling) != before and "causal mask" in readout(scaling)
    temperature = scaling.get_by_label("temperature τ")
    temperature.focus()
    page.keyboard.press("Home")  # 0.5
    assert "temperature 0.5" in readout(scaling)

    # 2. The Transformer trainer: the epoch slider replays the precomputed run.
    trainer = blocks.nth(1)
    assert readout(trainer).startswith("4 heads, 2 layers, lr 0.005, epoch 6: training loss")
    before = image(trainer)
    epoch = trainer.get_by_label("epoch")
    epoch.focus()
    page.keyboard.press("Home")  # before training
    assert image(trainer) != before
    assert readout(trainer).startswith("4 heads, 2 layers, lr 0.005, epoch 0: validation exact match 0%")
    scenario = trainer.get_by_label("mid-run change")
    before = image(trainer)
    scenario.select_option(label="lr 0.005 for 3 epochs, then 0.05")
    epoch.focus()
    page.keyboard.press("End")  # the end of the run
    assert image(trainer) != before
    assert "Changed while training: lr 0.005 → 0.05 at epoch 3." in readout(trainer)

    # 3. The heatmap: the model, the head and the date change the weights shown.
    heatmap = blocks.nth(2)
    assert readout(heatmap).startswith("LSTM encoder–decoder + attention: 'september 27, 1994' → '1994-09-27'")
    before = image(heatmap)
    heatmap.get_by_label("model").select_option(label="Transformer")
    assert image(heatmap) != before and readout(heatmap).startswith("Transformer, layer 2, head 1:")
    before = image(heatmap)
    heatmap.get_by_label("head").select_option(label="3")
    assert image(heatmap) != before and readout(heatmap).startswith("Transformer, layer 2, head 3:")
    heatmap.get_by_label("date as written").select_option(label="17.06.1968")
    assert "'17.06.1968' → '1968-06-17'" in readout(heatmap)

    watched.assert_clean()
