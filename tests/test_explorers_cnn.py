"""The explorers of the CNN chapter: the convolution explorer and the CNN trainer."""

import numpy as np
import pytest

from dlbook.conv import conv_output_size
from dlbook.explorers import cnn_trainer as trainer
from dlbook.explorers import convolution as convx


def slow_convolution(image, kernel, stride, padding):
    """The definition, with loops: y[i, j] = sum of x_pad[i*s + u, j*s + v] * w[u, v]."""
    x = np.pad(image, padding)
    K = kernel.shape[0]
    O = (x.shape[0] - K) // stride + 1
    return np.array([[np.sum(x[i * stride : i * stride + K, j * stride : j * stride + K] * kernel)
                      for j in range(O)] for i in range(O)])


@pytest.mark.parametrize("kernel", ["vertical edge", "horizontal edge", "blur", "sharpen"])
def test_convolution_result_is_the_definition(kernel):
    for stride in (1, 2, 3):
        for padding in (0, 1, 2):
            result = convx.run(kernel, stride, padding)
            assert result.padded.shape == (8 + 2 * padding,) * 2
            assert result.output.shape == (conv_output_size(8, 3, stride, padding),) * 2
            np.testing.assert_allclose(result.output, slow_convolution(result.image, result.kernel,
                                                                       stride, padding))


def test_the_digit_and_the_kernels():
    image = convx.digit()
    assert image.shape == (8, 8) and 0 <= image.min() and image.max() <= 1
    # Edge kernels give 0 on a flat patch; the blur keeps the mean.
    assert np.isclose(np.sum(convx.KERNELS["vertical edge"]), 0)
    assert np.isclose(np.sum(convx.KERNELS["blur"]), 1)
    learned = convx.learned_kernel()
    assert learned.shape == (3, 3) and np.all(np.isfinite(learned)) and np.abs(learned).max() > 0.1
    np.testing.assert_array_equal(learned, convx.learned_kernel())  # computed once, the same every time
    with pytest.raises(ValueError, match="Invalid kernel"):
        convx.run("emboss", 1, 0)


def test_convolution_explorer_reads_out_the_formula_and_draws():
    explorer = convx.convolution_explorer()
    text = explorer.text(kernel="blur", stride=1, padding=2)
    assert text == ("Blur kernel, stride 1, padding 2: input 8×8, padded to 12×12; output 10×10, "
                    "because (8 + 2·2 − 3) // 1 + 1 = 10.")
    assert "output 2×2, because (8 + 2·0 − 3) // 3 + 1 = 2." in explorer.text(stride=3, padding=0)
    first = explorer.render(explorer.result())[0]
    second = explorer.render(explorer.result(kernel="learned", stride=2, padding=1))[0]
    assert first.startswith(b"\x89PNG") and second.startswith(b"\x89PNG") and first != second


def test_cnn_shapes_and_data():
    model = trainer.cnn(0.25, np.random.default_rng(0))
    assert model.num_params() == 16 * 9 + 16 + 256 * 256 + 256 + 256 * 10 + 10
    d = trainer.cnn_digits()
    assert d.x_train.shape[1:] == (1, 8, 8) and d.x_train.dtype == np.float32
    assert abs(float(d.x_train.mean())) < 1e-4 and abs(float(d.x_train.std()) - 1) < 1e-4
    assert model.forward(d.x_test[:5]).shape == (5, 10)


def test_cnn_trainer_trains_records_and_stops_when_it_blows_up():
    state = trainer.init(0.05, 0.25, epochs=2)
    assert state.epoch == 0 and len(state.history["val_acc"]) == 1
    trainer.step(state, 2)
    assert state.epoch == 2 and len(state.history["val_acc"]) == 3
    assert state.history["val_acc"][-1] > 0.8 and state.diverged_at is None
    assert trainer.readout(state).startswith("Epoch 2: validation accuracy")
    with np.errstate(over="ignore", invalid="ignore"):  # blowing up overflows, by design
        blown = trainer.step(trainer.init(0.5, 0.0, epochs=2), 2)
    assert blown.diverged_at == 1 and trainer.readout(blown).startswith("Diverged at epoch 1")


def test_cnn_trainer_explorer_draws():
    explorer = trainer.cnn_trainer_explorer(max_epochs=2)
    assert explorer.frames == [0, 1, 2]
    png, text = explorer.render(explorer.trained(1))
    assert png.startswith(b"\x89PNG") and text.startswith("Epoch 1: validation accuracy")
