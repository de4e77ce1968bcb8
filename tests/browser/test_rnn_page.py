"""Browser test: the chapter "Recurrent neural networks" as a website page: its three explorers respond."""

import pytest
from pages import image, readout

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_rnn_explorers_respond_to_their_controls(chapter_page):
    watched = chapter_page("rnn")
    page = watched.page
    blocks = page.locator("div.dlbx")
    assert blocks.count() == 3

    # 1. Gradient flow: a shorter sequence and the LSTM with an open forget gate change the profile.
    flow = blocks.nth(0)
    assert readout(flow).startswith("RNN, 50 steps, weight scale 1: step 1 gets")
    assert "(vanishing)" in readout(flow)
    before = image(flow)
    length = flow.get_by_label("sequence length T")
    length.focus()
    page.keyboard.press("Home")  # 20 steps
    assert image(flow) != before and readout(flow).startswith("RNN, 20 steps")
    gate = flow.get_by_label("forget/update gate bias")
    assert gate.is_disabled()  # the RNN has no gate
    flow.get_by_label("cell").select_option(label="LSTM")
    assert gate.is_enabled()
    gate.focus()
    page.keyboard.press("End")  # bias 5
    assert readout(flow).startswith("LSTM, 20 steps") and "(about steady)" in readout(flow)

    # 2. The memory task: the page opens on the defaults (RNN, delay 25); the delay and the cell change it.
    memory = blocks.nth(1)
    assert readout(memory).startswith("RNN, delay 25, epoch 8")
    delay = memory.get_by_label("delay T")
    delay.focus()
    page.keyboard.press("End")  # delay 50
    assert readout(memory).startswith("RNN, delay 50, epoch 8")
    rnn_image = image(memory)
    memory.get_by_label("cell").select_option(label="LSTM")
    assert image(memory) != rnn_image
    assert readout(memory).startswith("LSTM, delay 50, epoch 8")
    assert "validation accuracy 100%" in readout(memory)
    epoch = memory.get_by_label("epoch")
    epoch.focus()
    page.keyboard.press("Home")  # before training
    assert readout(memory).startswith("LSTM, delay 50, epoch 0")

    # 3. The text sampler: the epoch and the temperature change the sampled text.
    sampler = blocks.nth(2)
    assert readout(sampler).startswith("Epoch 12, temperature 1:")
    before = image(sampler)
    temperature = sampler.get_by_label("temperature")
    temperature.focus()
    page.keyboard.press("End")  # 5
    assert image(sampler) != before and readout(sampler).startswith("Epoch 12, temperature 5:")
    trained = sampler.get_by_label("training epochs")
    trained.focus()
    page.keyboard.press("Home")  # untrained
    assert readout(sampler).startswith("Epoch 0, temperature 5:")

    watched.assert_clean()
