"""dlbook.dates, dlbook.seq2seq, dlbook.language_model: the generated dates, their encoding, and the
gradients of the encoder–decoder (with and without attention, padding masked) and of the two
next-token models (float64), which never look ahead."""

import datetime

import numpy as np
import pytest

from dlbook.dates import (FORMATS, PAD, SOURCE_LENGTH, SOURCE_VOCAB, TARGET_VOCAB, date_pairs, encode_dates,
                          format_date)
from dlbook.gradcheck import numerical_gradient, relative_error
from dlbook.seq2seq import Seq2Seq
from dlbook.time_layers import TimeSoftmaxCrossEntropy


def test_every_format_writes_the_same_date():
    d = datetime.date(1994, 9, 27)
    assert [format_date(d, f) for f in FORMATS] == list(FORMATS)
    assert format_date(datetime.date(2003, 1, 5), "27.09.1994") == "05.01.2003"
    with pytest.raises(ValueError, match="Invalid date format"):
        format_date(d, "1994/09/27")


def test_date_pairs_are_consistent_and_seeded():
    sources, targets = date_pairs(300, rng=np.random.default_rng(0))
    assert (sources, targets) == date_pairs(300, rng=np.random.default_rng(0))
    for s, t in zip(sources, targets):
        date = datetime.date.fromisoformat(t)
        assert s in {format_date(date, f) for f in FORMATS}
        assert 1950 <= date.year <= 2049
    assert len({s.split()[0] for s in sources}) > 20  # many different days and months
    with pytest.raises(ValueError, match="ambiguous"):
        date_pairs(3, rng=np.random.default_rng(0), years=(1900, 2049))


def test_encode_dates_pads_on_the_left():
    src, tgt = encode_dates(["27.09.1994"], ["1994-09-27"])
    assert src.shape == (1, SOURCE_LENGTH) and tgt.shape == (1, 10)
    assert SOURCE_VOCAB.decode(src[0]) == PAD * (SOURCE_LENGTH - 10) + "27.09.1994"
    assert TARGET_VOCAB.decode(tgt[0]) == "1994-09-27"
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        encode_dates(["27.09.1994"], ["1994-9-27"])


@pytest.mark.parametrize("attention", [True, False])
def test_seq2seq_gradient_check(attention):
    rng = np.random.default_rng(1)
    model = Seq2Seq(6, 5, 3, 4, attention=attention, pad_id=0, rng=rng)
    src = np.array([[0, 0, 3, 4, 5], [0, 1, 2, 3, 4]])  # the first source is padded
    tgt_in, y = np.array([[4, 1, 2], [4, 3, 0]]), np.array([[1, 2, 3], [3, 0, 1]])
    loss_fn = TimeSoftmaxCrossEntropy()
    loss_fn.forward(model.forward(src, tgt_in), y)
    model.backward(loss_fn.backward())
    analytic = {k: g.copy() for k, g in model.grads().items()}

    def loss():
        return loss_fn.forward(model.forward(src, tgt_in), y)

    for name, p in model.params().items():
        assert relative_error(analytic[name], numerical_gradient(loss, p)) < 1e-7, name
    if attention:
        A = model.attn_weights
        assert A.shape == (2, 3, 5) and np.all(A[0, :, :2] == 0)  # padding never attended


def test_generate_is_greedy_decoding():
    model = Seq2Seq(6, 5, 3, 4, rng=np.random.default_rng(2))
    src = np.array([[1, 2, 3, 4, 5]])
    out = model.generate(src, start_id=4, length=3)
    tgt_in = np.concatenate([[[4]], out[:, :2]], axis=1)
    np.testing.assert_array_equal(model.forward(src, tgt_in).argmax(-1), out)
    assert model.attn_weights.shape == (1, 3, 5)


@pytest.mark.parametrize("kind", ["transformer", "lstm"])
def test_language_models_gradient_check_and_causality(kind):
    from dlbook.language_model import LSTMLM, TransformerLM

    rng = np.random.default_rng(3)
    if kind == "transformer":
        model = TransformerLM(7, 4, 2, 2, max_len=8, learned_positions=True, rng=rng)
    else:
        model = LSTMLM(7, 3, 4, rng=rng)
    x = np.array([[1, 2, 3, 4, 5], [6, 5, 4, 3, 2]])
    y = np.array([[2, 3, -100, 5, 6], [5, 4, 3, -100, 1]])
    loss_fn = TimeSoftmaxCrossEntropy()
    loss_fn.forward(model.forward(x), y)
    model.backward(loss_fn.backward())
    analytic = {k: g.copy() for k, g in model.grads().items()}
    for name, p in model.params().items():
        num = numerical_gradient(lambda: loss_fn.forward(model.forward(x), y), p)
        assert relative_error(analytic[name], num) < 1e-7, name
    scores = model.forward(x)
    x2 = x.copy()
    x2[:, 3:] = 0  # the future does not change earlier predictions
    np.testing.assert_allclose(model.forward(x2)[:, :3], scores[:, :3])
    out = model.generate(x[:, :2], 3)
    assert out.shape == (2, 5) and np.array_equal(out[:, :2], x[:, :2])
    np.testing.assert_array_equal(model.forward(out[:, :4]).argmax(-1)[:, 1:], out[:, 2:])
