"""Optimizers: three steps on a small quadratic, checked against arithmetic done by hand.

The quadratic is f(w) = 0.5 * (1 * w1**2 + 4 * w2**2), so the gradient is g = a * w with
a = [1, 4], and every test starts from w = [2, 1]. Each expected value below is the update
rule worked through with the numbers written out in the comments.
"""

import copy
import math
import re

import numpy as np
import pytest

from dlbook.optim import SGD, AdaGrad, Adam, AdamW, Momentum, Nesterov, RMSProp
from dlbook.schedules import CosineAnnealingLR, StepLR

pytestmark = pytest.mark.filterwarnings("error")

A = np.array([1.0, 4.0])


def three_steps(opt, dtype=np.float64):
    """Run three steps of `opt` on the quadratic; return the three iterates w1, w2, w3."""
    params = {"w": np.array([2.0, 1.0], dtype=dtype)}
    iterates = []
    for _ in range(3):
        opt.step(params, {"w": A.astype(dtype) * params["w"]})
        iterates.append(params["w"].copy())
    return iterates


def assert_iterates(opt, expected):
    for got, want in zip(three_steps(opt), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_sgd_by_hand():
    # w <- w - 0.1 * a * w, i.e. w1 *= 0.9 and w2 *= 0.6 each step.
    assert_iterates(SGD(lr=0.1), [
        [1.8, 0.6],       # 2 * 0.9,    1 * 0.6
        [1.62, 0.36],     # 1.8 * 0.9,  0.6 * 0.6
        [1.458, 0.216],   # 1.62 * 0.9, 0.36 * 0.6
    ])


def test_momentum_by_hand():
    # v <- 0.9 v - 0.1 g ; w <- w + v
    opt = Momentum(lr=0.1, momentum=0.9)
    assert_iterates(opt, [
        # g = [2, 4];      v = [-0.2, -0.4];                        w = [1.8, 0.6]
        [1.8, 0.6],
        # g = [1.8, 2.4];  v = [-0.18 - 0.18, -0.36 - 0.24] = [-0.36, -0.6];  w = [1.44, 0]
        [1.44, 0.0],
        # g = [1.44, 0];   v = [-0.324 - 0.144, -0.54] = [-0.468, -0.54];     w = [0.972, -0.54]
        [0.972, -0.54],
    ])
    np.testing.assert_allclose(opt.v["w"], [-0.468, -0.54], rtol=1e-12)


def test_nesterov_by_hand():
    # v <- 0.9 v - 0.1 g ; w <- w + 0.9 v - 0.1 g
    opt = Nesterov(lr=0.1, momentum=0.9)
    assert_iterates(opt, [
        # g = [2, 4]; v = [-0.2, -0.4]
        # w = [2 - 0.18 - 0.2, 1 - 0.36 - 0.4] = [1.62, 0.24]
        [1.62, 0.24],
        # g = [1.62, 0.96]; v = [-0.18 - 0.162, -0.36 - 0.096] = [-0.342, -0.456]
        # w = [1.62 - 0.3078 - 0.162, 0.24 - 0.4104 - 0.096] = [1.1502, -0.2664]
        [1.1502, -0.2664],
        # g = [1.1502, -1.0656]; v = [-0.3078 - 0.11502, -0.4104 + 0.10656] = [-0.42282, -0.30384]
        # w = [1.1502 - 0.380538 - 0.11502, -0.2664 - 0.273456 + 0.10656] = [0.654642, -0.433296]
        [0.654642, -0.433296],
    ])
    np.testing.assert_allclose(opt.v["w"], [-0.42282, -0.30384], rtol=1e-12)


def test_nesterov_differs_from_momentum_and_equals_pytorch_form_on_one_step():
    # PyTorch's form: b = 0.9 * 0 + g = g ; w <- w - lr * (g + 0.9 * b) = 2 - 0.1 * (2 + 1.8) = 1.62,
    # the same as above; classical momentum gives 1.8.
    assert three_steps(Nesterov(lr=0.1, momentum=0.9))[0][0] == pytest.approx(1.62, rel=1e-15)
    assert three_steps(Momentum(lr=0.1, momentum=0.9))[0][0] == pytest.approx(1.8, rel=1e-15)


def test_adagrad_by_hand():
    # h <- h + g * g ; w <- w - 0.5 * g / sqrt(h)   (eps = 0 keeps the numbers exact)
    opt = AdaGrad(lr=0.5, eps=0.0)
    assert_iterates(opt, [
        # g = [2, 4]; h = [4, 16]; w = [2 - 0.5 * 2 / 2, 1 - 0.5 * 4 / 4] = [1.5, 0.5]
        [1.5, 0.5],
        # g = [1.5, 2]; h = [6.25, 20]; w = [1.5 - 0.5 * 1.5 / 2.5, 0.5 - 0.5 * 2 / sqrt(20)]
        #   = [1.2, 0.5 - 0.2236067977499790] = [1.2, 0.2763932022500210]
        [1.2, 0.2763932022500210],
        # g = [1.2, 1.105572809000084]; h = [7.69, 20 + 1.222291236000337 = 21.22229123600034]
        # w = [1.2 - 0.5 * 1.2 / 2.773084924772410, 0.27639320225 - 0.5 * 1.105572809 / 4.606765810848]
        #   = [1.2 - 0.2163655337923856, 0.2763932022500210 - 0.1199944662258090]
        [0.9836344662076143, 0.1563987360242120],
    ])
    np.testing.assert_allclose(opt.h["w"], [7.69, 21.22229123600034], rtol=1e-12)


def test_adagrad_adds_eps_to_the_square_root():
    # h = 4 ; w = 2 - 1 * 2 / (sqrt(4) + 1) = 2 - 2/3
    params = {"w": np.array([2.0])}
    AdaGrad(lr=1.0, eps=1.0).step(params, {"w": np.array([2.0])})
    np.testing.assert_allclose(params["w"], [4 / 3], rtol=1e-15)


def test_rmsprop_by_hand():
    # h <- 0.9 h + 0.1 g * g ; w <- w - 0.1 * g / sqrt(h)   (eps = 0)
    opt = RMSProp(lr=0.1, alpha=0.9, eps=0.0)
    assert_iterates(opt, [
        # g = [2, 4]; h = [0.4, 1.6]; g / sqrt(h) = [2 / 0.632455532, 4 / 1.264911064] = [3.16227766] * 2
        # w = [2 - 0.316227766016838, 1 - 0.316227766016838]
        [1.683772233983162, 0.683772233983162],
        # g = [1.683772233983162, 2.735088935932648]
        # h = [0.36 + 0.283508893593265, 1.44 + 0.748071148746118] = [0.643508893593265, 2.188071148746118]
        # w = [1.683772233983162 - 0.209896920484577, 0.683772233983162 - 0.184901627086292]
        [1.473875313498585, 0.49887060689687024],
        # g = [1.473875313498585, 1.995482427587481]
        # h = [0.579158004233939 + 0.217230843974055, 1.969264033871507 + 0.398195011881043]
        #   = [0.796388848207994, 2.367459045752549]
        # w = [1.473875313498585 - 0.165157446548660, 0.498870606896870 - 0.129690053741545]
        [1.308717866949925, 0.36918055315532505],
    ])
    np.testing.assert_allclose(opt.h["w"], [0.7963888482079937, 2.367459045752549], rtol=1e-12)


def test_adam_by_hand():
    # m <- 0.9 m + 0.1 g ; v <- 0.999 v + 0.001 g*g ; m_hat = m / (1 - 0.9**t) ; v_hat = v / (1 - 0.999**t)
    # w <- w - 0.1 * m_hat / sqrt(v_hat)   (eps = 0)
    opt = Adam(lr=0.1, betas=(0.9, 0.999), eps=0.0)
    assert_iterates(opt, [
        # t = 1: m_hat = g, v_hat = g*g, so the step is lr * sign(g): w = [2 - 0.1, 1 - 0.1]
        [1.9, 0.9],
        # t = 2: g = [1.9, 3.6]; m = [0.18 + 0.19, 0.36 + 0.36] = [0.37, 0.72]
        # v = [0.003996 + 0.00361, 0.015984 + 0.01296] = [0.007606, 0.028944]
        # m_hat = m / 0.19 = [1.947368421052632, 3.789473684210526]
        # v_hat = v / 0.001999 = [3.804902451225664, 14.479239619810102]
        # w = [1.9 - 0.1 * 1.947368421 / 1.950615916, 0.9 - 0.1 * 3.789473684 / 3.805159605]
        #   = [1.9 - 0.099833514389691, 0.9 - 0.099587772328753]
        [1.8001664856103092, 0.8004122276712474],
        # t = 3: g = [1.8001664856103092, 3.2016489106849896]
        # m = [0.333 + 0.18001664856103, 0.648 + 0.32016489106850] = [0.51301664856103, 0.96816489106850]
        # v = [0.007598394 + 0.003240599375915, 0.028915056 + 0.010250555747290]
        #   = [0.010838993375915, 0.039165611747290]
        # m_hat = m / 0.271 ; v_hat = v / 0.002997001
        # w = [1.8001664856103 - 0.099543094329493, 0.8004122276712 - 0.098825956283602]
        [1.7006233912808162, 0.7015862713876454],
    ])
    np.testing.assert_allclose(opt.m["w"], [0.513016648561031, 0.968164891068499], rtol=1e-12)
    assert opt.t["w"] == 3


def test_adam_adds_eps_to_sqrt_of_v_hat():
    # t = 1: m_hat = 2, v_hat = 4 ; w = 0 - 1 * 2 / (2 + 2) = -0.5
    params = {"w": np.array([0.0])}
    Adam(lr=1.0, eps=2.0).step(params, {"w": np.array([2.0])})
    np.testing.assert_allclose(params["w"], [-0.5], rtol=1e-15)


def test_sgd_weight_decay_is_coupled_l2():
    # g' = g + 0.5 * w = [1 + 1, 1 - 2] = [2, -1] ; w = [2 - 0.2, -4 + 0.1]
    params = {"w": np.array([2.0, -4.0])}
    grads = {"w": np.array([1.0, 1.0])}
    SGD(lr=0.1, weight_decay=0.5).step(params, grads)
    np.testing.assert_allclose(params["w"], [1.8, -3.9], rtol=1e-15)
    np.testing.assert_array_equal(grads["w"], [1.0, 1.0])


def test_adam_weight_decay_enters_the_gradient_not_the_weights():
    # g' = [-0.5 + 1, 1 - 2] = [0.5, -1]; Adam's first step is lr * sign(g') = [0.1, -0.1]
    # -> w = [1.9, -3.9]. (Decoupled decay, AdamW, would give [2 + 0.1 - 0.1, -4 - 0.1 + 0.2] = [2.0, -3.9].)
    params = {"w": np.array([2.0, -4.0])}
    Adam(lr=0.1, eps=0.0, weight_decay=0.5).step(params, {"w": np.array([-0.5, 1.0])})
    np.testing.assert_allclose(params["w"], [1.9, -3.9], rtol=1e-15)


def test_adamw_by_hand():
    # Each step: g is computed at the current w; then w <- w * (1 - 0.1 * 0.1) = 0.99 w (the decay),
    # then Adam's step with the plain g (eps = 0): m, v, m_hat, v_hat exactly as in test_adam_by_hand.
    opt = AdamW(lr=0.1, betas=(0.9, 0.999), eps=0.0, weight_decay=0.1)
    assert_iterates(opt, [
        # t = 1: g = [2, 4]; decay -> [1.98, 0.99]; Adam's first step is lr * sign(g) = 0.1
        [1.88, 0.89],
        # t = 2: g = [1.88, 3.56]; decay -> [1.8612, 0.8811]
        # m = [0.18 + 0.188, 0.36 + 0.356] = [0.368, 0.716]
        # v = [0.003996 + 0.0035344, 0.015984 + 0.0126736] = [0.0075304, 0.0286576]
        # step = 0.1 * (m / 0.19) / sqrt(v / 0.001999) = [0.0997910499194644, 0.0995281450811515]
        [1.7614089500805357, 0.7815718549188484],
        # t = 3: g = [1.7614089500805357, 3.1262874196753936]; decay -> [1.74379486057973, 0.77375613636966]
        # m = [0.3312 + 0.17614089500805, 0.6444 + 0.31262874196754] = [0.50734089500805, 0.95702874196754]
        # v = [0.0075228696 + 0.0031025614897, 0.0286289424 + 0.0097736730027] = [0.01062543109, 0.03840261543]
        # step = 0.1 * (m / 0.271) / sqrt(v / 0.002997001) = [0.0994261777805607, 0.0986549162787214]
        [1.6443686827991695, 0.6751012200909384],
    ])
    np.testing.assert_allclose(opt.m["w"], [0.5073408950080536, 0.9570287419675394], rtol=1e-12)
    np.testing.assert_allclose(opt.v["w"], [0.010625431089423817, 0.03840261543042063], rtol=1e-12)


def test_adamw_decays_the_weights_not_the_gradient():
    # Same numbers as test_adam_weight_decay_enters_the_gradient_not_the_weights:
    # decay w * (1 - 0.1 * 0.5) = [1.9, -3.8]; Adam's first step with the plain g = [-0.5, 1] is
    # lr * sign(g) = [-0.1, 0.1] -> w = [2.0, -3.9]. Coupled L2 (Adam) gave [1.9, -3.9].
    params = {"w": np.array([2.0, -4.0])}
    AdamW(lr=0.1, eps=0.0, weight_decay=0.5).step(params, {"w": np.array([-0.5, 1.0])})
    np.testing.assert_allclose(params["w"], [2.0, -3.9], rtol=1e-15)


def test_adamw_has_pytorchs_defaults_and_equals_adam_without_decay():
    opt = AdamW()
    assert (opt.lr, opt.betas, opt.eps, opt.weight_decay) == (1e-3, (0.9, 0.999), 1e-8, 1e-2)
    assert repr(opt) == "AdamW(lr=0.001)"
    for got, want in zip(three_steps(AdamW(lr=0.1, weight_decay=0.0)), three_steps(Adam(lr=0.1))):
        np.testing.assert_array_equal(got, want)


def test_adamw_with_a_zero_gradient_only_decays():
    # With g = 0 the Adam part is 0 (m = 0), so only the decay acts: w * (1 - lr * wd) exactly.
    params = {"w": np.array([3.0, -3.0])}
    opt = AdamW(lr=0.01, weight_decay=0.5)
    opt.step(params, {"w": np.array([0.0, 0.0])})
    np.testing.assert_allclose(params["w"], [3.0 * 0.995, -3.0 * 0.995], rtol=1e-15)


def test_max_norm_rescales_columns_of_a_matrix_and_skips_biases():
    # Column norms of W: (in=2, out=3) are [5, 0.5, 0]; only the first exceeds 1 and becomes [0.6, 0.8].
    params = {"W": np.array([[3.0, 0.3, 0.0], [4.0, 0.4, 0.0]]), "b": np.array([10.0, 0.0, 0.0])}
    grads = {"W": np.zeros((2, 3)), "b": np.zeros(3)}
    SGD(lr=0.1, max_norm=1.0).step(params, grads)
    np.testing.assert_allclose(params["W"], [[0.6, 0.3, 0.0], [0.8, 0.4, 0.0]], rtol=1e-15)
    np.testing.assert_array_equal(params["b"], [10.0, 0.0, 0.0])


def test_max_norm_is_applied_after_the_update():
    # W = [0.6, 0.8] (norm 1) ; SGD lr 1 with g = [-0.6, -0.8] -> [1.2, 1.6] (norm 2) -> back to [0.6, 0.8].
    # Clipping before the update would have left [1.2, 1.6].
    params = {"W": np.array([[0.6], [0.8]])}
    SGD(lr=1.0, max_norm=1.0).step(params, {"W": np.array([[-0.6], [-0.8]])})
    np.testing.assert_allclose(params["W"], [[0.6], [0.8]], rtol=1e-15)


def test_max_norm_on_conv_filters_bounds_each_filter():
    # W: (F=2, C=1, kh=1, kw=2); filter 0 = [3, 4] (norm 5) -> [0.6, 0.8]; filter 1 = [0.3, 0.4] stays.
    params = {"W": np.array([[[[3.0, 4.0]]], [[[0.3, 0.4]]]])}
    SGD(lr=0.1, max_norm=1.0).step(params, {"W": np.zeros((2, 1, 1, 2))})
    np.testing.assert_allclose(params["W"], [[[[0.6, 0.8]]], [[[0.3, 0.4]]]], rtol=1e-15)


# Each optimizer and the names of its state dicts.
ALL = [(SGD, []), (Momentum, ["v"]), (Nesterov, ["v"]), (AdaGrad, ["h"]), (RMSProp, ["h"]), (Adam, ["m", "v"]),
       (AdamW, ["m", "v"])]


@pytest.mark.parametrize(("cls", "state"), ALL)
def test_params_updated_in_place_and_grads_untouched(cls, state):
    W, b = np.array([[1.0, -2.0], [0.5, 3.0]]), np.array([0.1, -0.1])
    params = {"W": W, "b": b}
    grads = {"W": np.array([[0.3, -0.2], [0.1, 0.4]]), "b": np.array([1.0, -1.0])}
    grads_before = {k: v.copy() for k, v in grads.items()}
    cls(lr=0.1, weight_decay=0.01, max_norm=2.0).step(params, grads)
    assert params["W"] is W and params["b"] is b
    assert not np.array_equal(W, [[1.0, -2.0], [0.5, 3.0]])
    assert not np.array_equal(b, [0.1, -0.1])
    for k in grads:
        np.testing.assert_array_equal(grads[k], grads_before[k])


@pytest.mark.parametrize(("cls", "state"), ALL)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_preserved_in_params_and_state(cls, state, dtype):
    opt = cls(lr=0.1, weight_decay=0.01, max_norm=1.0)
    params = {"W": np.full((2, 2), 0.5, dtype=dtype), "x": np.array(-7.0, dtype=dtype)}
    for _ in range(3):
        grads = {"W": params["W"] * dtype(2), "x": params["x"] / dtype(10)}
        opt.step(params, grads)
    for name in state:
        for arr in getattr(opt, name).values():
            assert arr.dtype == dtype
    assert params["W"].dtype == dtype and params["x"].dtype == dtype and params["x"].shape == ()


@pytest.mark.parametrize(("cls", "state"), ALL)
def test_float32_follows_float64(cls, state):
    w32 = three_steps(cls(lr=0.1), dtype=np.float32)
    w64 = three_steps(cls(lr=0.1), dtype=np.float64)
    for a32, a64 in zip(w32, w64):
        assert a32.dtype == np.float32
        np.testing.assert_allclose(a32, a64, rtol=1e-5, atol=1e-5)  # iterates are O(1)


def test_float64_grads_do_not_upcast_float32_params():
    params = {"w": np.ones(3, dtype=np.float32)}
    opt = Momentum(lr=0.1)
    opt.step(params, {"w": np.ones(3, dtype=np.float64)})
    assert params["w"].dtype == np.float32 and opt.v["w"].dtype == np.float32


@pytest.mark.parametrize(("make", "message"), [
    (lambda: SGD(lr=math.nan), "Invalid learning rate: nan"),
    (lambda: SGD(lr=math.inf), "Invalid learning rate: inf"),
    (lambda: Adam(lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda: Momentum(momentum=1.0), "Invalid momentum value: 1.0"),
    (lambda: Nesterov(momentum=-0.1), "Invalid momentum value: -0.1"),
    (lambda: Momentum(momentum=math.nan), "Invalid momentum value: nan"),
    (lambda: Adam(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (lambda: Adam(betas=(0.9, -0.5)), "Invalid beta parameter at index 1: -0.5"),
    (lambda: Adam(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    (lambda: AdaGrad(eps=math.nan), "Invalid epsilon value: nan"),
    (lambda: RMSProp(alpha=1.0), "Invalid alpha value: 1.0"),
    (lambda: SGD(weight_decay=-0.01), "Invalid weight_decay value: -0.01"),
    (lambda: SGD(max_norm=0.0), "Invalid max_norm value: 0.0"),
    (lambda: Momentum(max_norm=-1.0), "Invalid max_norm value: -1.0"),
    (lambda: StepLR(SGD(), step_size=0), "Invalid step_size value: 0"),
    (lambda: CosineAnnealingLR(SGD(), T_max=0), "Invalid T_max value: 0"),
])
def test_invalid_hyperparameters(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


def test_lr_is_checked_on_assignment_too():
    opt = SGD(lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: nan"):
        opt.lr = math.nan
    assert opt.lr == 0.1


def test_mismatched_keys_or_shapes_raise_and_change_nothing():
    params = {"a": np.array([1.0, 2.0]), "b": np.zeros(3)}
    message = "grads['b'] has shape (2,), but params['b'] has shape (3,)"
    with pytest.raises(ValueError, match=re.escape(message)):
        SGD(lr=0.1).step(params, {"a": np.ones(2), "b": np.ones(2)})
    np.testing.assert_array_equal(params["a"], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"only in params: \['b'\], only in grads: \['c'\]"):
        SGD(lr=0.1).step(params, {"a": np.ones(2), "c": np.ones(3)})
    with pytest.raises(TypeError, match=r"params\['x'\] must be a floating-point np.ndarray"):
        SGD(lr=0.1).step({"x": 1.0}, {"x": 1.0})


def test_state_is_per_key_and_lazy():
    opt = Adam(lr=0.1)
    assert opt.m == {} and opt.t == {}
    opt.step({"a": np.ones(2)}, {"a": np.ones(2)})
    opt.step({"a": np.ones(2), "b": np.ones((3, 1))}, {"a": np.ones(2), "b": np.ones((3, 1))})
    assert opt.t == {"a": 2, "b": 1}
    assert opt.m["b"].shape == (3, 1)


def test_step_lr():
    opt = SGD(lr=0.1)
    sched = StepLR(opt, step_size=3, gamma=0.1)
    assert [sched.lr_at(e) for e in (0, 2, 3, 5, 6)] == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001])
    lrs = [sched.step() for _ in range(6)]  # the lr for epochs 1..6
    assert lrs == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.01, 0.001])
    assert opt.lr == pytest.approx(0.001)


def test_cosine_annealing_lr():
    opt = Momentum(lr=0.1)
    sched = CosineAnnealingLR(opt, T_max=10)
    # 0.1 * (1 + cos(pi * e / 10)) / 2 : e = 0 -> 0.1, e = 5 -> 0.05, e = 10 -> 0, e = 20 -> 0.1 again
    assert [sched.lr_at(e) for e in (0, 5, 10, 20)] == pytest.approx([0.1, 0.05, 0.0, 0.1], abs=1e-15)
    # eta_min 0.01, T_max 3, e = 1: 0.01 + 0.09 * (1 + cos(pi / 3)) / 2 = 0.01 + 0.09 * 0.75 = 0.0775
    assert CosineAnnealingLR(SGD(lr=0.1), T_max=3, eta_min=0.01).lr_at(1) == pytest.approx(0.0775)
    for _ in range(5):
        sched.step()
    assert opt.lr == pytest.approx(0.05) and sched.epoch == 5


# ---------------------------------------------- issue 18: hostile and clumsy use --

ALL_OPTIMIZERS = [SGD, Momentum, Nesterov, AdaGrad, RMSProp, Adam, AdamW]


@pytest.mark.parametrize("make", ALL_OPTIMIZERS)
@pytest.mark.parametrize("bad_grads", [
    {"a": np.ones(2), "b": np.array(["x", "y"])},  # text
    {"a": np.ones(2), "b": np.array([1 + 1j, 2])},  # complex: the imaginary part would be dropped
    {"a": np.ones(2), "b": np.array([None, None])},  # objects
], ids=["text", "complex", "object"])
def test_a_failed_step_changes_nothing(make, bad_grads):
    opt = make(lr=0.1, weight_decay=0.1, max_norm=1.0)
    params = {"a": np.ones(2), "b": np.ones(2)}
    opt.step(params, {"a": np.ones(2), "b": np.ones(2)})  # some state to keep
    before = {k: v.copy() for k, v in params.items()}
    state = {k: copy.deepcopy(v) for k, v in vars(opt).items()}
    with pytest.raises(ValueError, match=r"grads\['b'\] must hold real numbers"):
        opt.step(params, bad_grads)
    for key in params:
        np.testing.assert_array_equal(params[key], before[key])
    for name, value in vars(opt).items():
        if isinstance(value, dict):
            assert value.keys() == state[name].keys()
            for key in value:
                np.testing.assert_array_equal(value[key], state[name][key])
        else:
            assert value == state[name]


@pytest.mark.parametrize("make", ALL_OPTIMIZERS)
def test_a_read_only_parameter_is_refused_before_any_update(make):
    params = {"a": np.ones(2), "b": np.ones(2)}
    params["b"].flags.writeable = False
    with pytest.raises(ValueError, match=r"params\['b'\] is read-only"):
        make(lr=0.1).step(params, {"a": np.ones(2), "b": np.ones(2)})
    np.testing.assert_array_equal(params["a"], [1.0, 1.0])


ASSIGNMENTS = [
    (SGD, "weight_decay", math.nan, "Invalid weight_decay value: nan"),
    (Adam, "weight_decay", -1.0, "Invalid weight_decay value: -1.0"),
    (AdamW, "weight_decay", math.nan, "Invalid weight_decay value: nan"),
    (AdamW, "betas", (1.0, 0.999), "Invalid beta parameter at index 0: 1.0"),
    (SGD, "max_norm", 0.0, "Invalid max_norm value: 0.0"),
    (SGD, "max_norm", math.inf, "Invalid max_norm value: inf"),
    (SGD, "lr", "0.1", "Invalid learning rate: '0.1'"),
    (Momentum, "momentum", 5, "Invalid momentum value: 5"),
    (Nesterov, "momentum", math.nan, "Invalid momentum value: nan"),
    (Momentum, "momentum", None, "Invalid momentum value: None"),
    (RMSProp, "alpha", 1.0, "Invalid alpha value: 1.0"),
    (AdaGrad, "eps", -1.0, "Invalid epsilon value: -1.0"),
    (RMSProp, "eps", math.inf, "Invalid epsilon value: inf"),
    (Adam, "eps", math.nan, "Invalid epsilon value: nan"),
    (Adam, "betas", (0.9, 1.5), "Invalid beta parameter at index 1: 1.5"),
    (Adam, "betas", (0.9,), "Invalid betas value: (0.9,)"),
    (Adam, "betas", 0.9, "Invalid betas value: 0.9"),
]


@pytest.mark.parametrize(("make", "name", "value", "message"), ASSIGNMENTS,
                         ids=[f"{m.__name__}.{n}={v!r}" for m, n, v, _ in ASSIGNMENTS])
def test_every_hyperparameter_is_checked_on_assignment(make, name, value, message):
    opt = make(lr=0.1)
    before = getattr(opt, name)
    with pytest.raises(ValueError, match=re.escape(message)):
        setattr(opt, name, value)
    assert getattr(opt, name) == before
    with pytest.raises(ValueError, match=re.escape(message)):
        make(**{name: value})


def test_valid_assignments_take_effect():
    opt = Adam(lr=0.1)
    opt.betas, opt.eps, opt.weight_decay, opt.max_norm = [0.5, 0.25], 1e-6, 0.01, None
    assert opt.betas == (0.5, 0.25) and opt.eps == 1e-6 and opt.weight_decay == 0.01 and opt.max_norm is None
    momentum = Momentum(lr=0.1)
    momentum.momentum = np.float32(0.5)
    assert momentum.momentum == 0.5 and type(momentum.momentum) is float
