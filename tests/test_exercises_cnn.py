"""The checkers of the CNN chapter: right answers pass, the usual mistakes fail helpfully."""

import numpy as np

from dlbook.exercises.cnn import check_conv2d, check_maxpool_backward, check_output_size


def text_of(result) -> str:
    return " ".join(str(result).split())  # undo the line wrapping


# ------------------------------------------------------------ output size --

def test_output_size_correct_passes():
    result = check_output_size(lambda n, k, s, p: (n + 2 * p - k) // s + 1)
    assert result.passed, str(result)


def test_output_size_usual_mistakes_are_named():
    assert "integer division //" in text_of(check_output_size(lambda n, k, s, p: (n + 2 * p - k) / s + 1))
    assert "forgot the + 1" in text_of(check_output_size(lambda n, k, s, p: (n + 2 * p - k) // s))
    assert "2 * padding" in text_of(check_output_size(lambda n, k, s, p: (n + p - k) // s + 1))
    assert "forgot the padding" in text_of(check_output_size(lambda n, k, s, p: (n - k) // s + 1))
    text = text_of(check_output_size(lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1))
    assert "rounded up" in text and "size 8, kernel 3, stride 2, padding 0: expected 3, got 4" in text


def test_output_size_reports_non_numbers_and_exceptions():
    assert "expected a whole number" in text_of(check_output_size(lambda n, k, s, p: "six"))
    result = check_output_size(lambda n, k, s, p: 1 / 0)
    assert not result.passed and "ZeroDivisionError" in str(result)


# ------------------------------------------------------------ convolution --

def conv2d_loops(x, W, b, stride, padding):
    N, C, H, Wd = x.shape
    F, _, kh, kw = W.shape
    OH, OW = (H + 2 * padding - kh) // stride + 1, (Wd + 2 * padding - kw) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    y = np.zeros((N, F, OH, OW))
    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    window = xp[n, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
                    y[n, f, i, j] = np.sum(window * W[f]) + b[f]
    return y


def test_conv2d_correct_passes():
    result = check_conv2d(conv2d_loops)
    assert result.passed, str(result)


def test_conv2d_flipped_kernel_and_missing_bias_are_named():
    text = text_of(check_conv2d(lambda x, W, b, s, p: conv2d_loops(x, W[:, :, ::-1, ::-1], b, s, p)))
    assert "flipped the kernel" in text and "cross-correlation" in text
    text = text_of(check_conv2d(lambda x, W, b, s, p: conv2d_loops(x, W, 0 * b, s, p)))
    assert "bias b[f] is missing" in text


def test_conv2d_one_channel_only_is_named():
    def first_channel(x, W, b, s, p):
        return conv2d_loops(x[:, :1], W[:, :1], b, s, p)

    result = check_conv2d(first_channel)
    text = text_of(result)
    assert "one image, one channel" not in text  # right for one channel
    assert "three input channels: only channel 0 is used" in text


def test_conv2d_ignoring_stride_or_padding_gives_the_shape():
    text = text_of(check_conv2d(lambda x, W, b, s, p: conv2d_loops(x, W, b, 1, p)))
    assert "stride 2: y should have shape (N, F, OH, OW) = (1, 2, 3, 3), got (1, 2, 5, 5)" in text
    text = text_of(check_conv2d(lambda x, W, b, s, p: conv2d_loops(x, W, b, s, 0)))
    assert "padding 1: y should have shape" in text


def test_conv2d_starting_point_and_exception_are_reported():
    result = check_conv2d(lambda x, W, b, s, p: x)
    assert not result.passed and "NOT YET" in str(result)
    text = text_of(check_conv2d(lambda x, W, b, s, p: x[9]))
    assert "your code raised IndexError" in text

    def mutates(x, W, b, s, p):
        x += 1
        return conv2d_loops(x - 1, W, b, s, p)

    assert "changed one of its input arrays" in text_of(check_conv2d(mutates))


# ------------------------------------------------------------ max-pool backward --

def maxpool_backward(x, dout, k):
    N, C, H, W = x.shape
    dx = np.zeros_like(x, dtype=float)
    for n in range(N):
        for c in range(C):
            for i in range(H // k):
                for j in range(W // k):
                    window = x[n, c, i * k : i * k + k, j * k : j * k + k]
                    u, v = np.unravel_index(np.argmax(window), window.shape)  # the first maximum
                    dx[n, c, i * k + u, j * k + v] = dout[n, c, i, j]
    return dx


def test_maxpool_backward_correct_passes():
    result = check_maxpool_backward(maxpool_backward)
    assert result.passed, str(result)


def test_maxpool_backward_last_maximum_on_ties_passes_too():
    def last_max(x, dout, k):
        flipped = maxpool_backward(x[..., ::-1, ::-1], dout[..., ::-1, ::-1], k)
        return flipped[..., ::-1, ::-1]

    result = check_maxpool_backward(last_max)
    assert result.passed, str(result)


def test_maxpool_backward_usual_mistakes_are_named():
    def average(x, dout, k):
        return np.repeat(np.repeat(dout, k, axis=2), k, axis=3) / k**2

    assert "average pooling" in text_of(check_maxpool_backward(average))

    def mask_only(x, dout, k):
        return (maxpool_backward(x, np.ones_like(dout), k) != 0).astype(float)

    assert "holds 1 there" in text_of(check_maxpool_backward(mask_only))

    def every_max(x, dout, k):  # sends dout to all tied maxima
        up = np.repeat(np.repeat(dout, k, axis=2), k, axis=3)
        pooled = x.reshape(*x.shape[:2], x.shape[2] // k, k, x.shape[3] // k, k).max(axis=(3, 5))
        at_max = x == np.repeat(np.repeat(pooled, k, axis=2), k, axis=3)
        return np.where(at_max, up, 0.0)

    result = check_maxpool_backward(every_max)
    text = text_of(result)
    assert len(result.failures) == 1 and "once, to one of them" in text


def test_maxpool_backward_shape_and_exception_are_reported():
    text = text_of(check_maxpool_backward(lambda x, dout, k: dout))
    assert "dx should have the shape of x, (1, 1, 4, 4), got (1, 1, 2, 2)" in text
    result = check_maxpool_backward(lambda x, dout, k: undefined_name)  # noqa: F821
    assert "your code raised NameError" in str(result)


def test_output_size_names_a_mistake_only_when_it_fits_every_case():
    result = check_output_size(lambda n, k, s, p: n)  # no usual mistake: no hint
    failures = [" ".join(f.split()) for f in result.failures]
    # n + 2p - k + 1 also gives 32 here, but "forgot to divide by the stride" does not fit the other cases
    assert "size 32, kernel 3, stride 2, padding 1: expected 16, got 32" in failures
    assert not any("forgot" in f or "rounded" in f for f in failures)
