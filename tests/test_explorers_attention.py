"""The attention chapter's explorers: scaling and masking, the Transformer trainer (lr hot), the heatmap."""

import numpy as np
import pytest

from dlbook.explorers import attention_heatmap as hm
from dlbook.explorers import attention_scaling as scaling
from dlbook.explorers import transformer_trainer as trainer
from dlbook.static import explorer_html


def test_without_the_scale_a_large_d_saturates_the_softmax():
    raw = scaling.run(1024, False, 1.0, False)
    scaled = scaling.run(1024, True, 1.0, False)
    assert raw.scores.std() > 20 and 0.7 < scaled.scores.std() < 1.3  # sqrt(1024) = 32 against 1
    assert raw.weights.max(axis=1).mean() > 0.95 > 0.6 > scaled.weights.max(axis=1).mean()
    hot = scaling.run(64, True, 0.5, False).weights.max(axis=1).mean()
    cold = scaling.run(64, True, 2.0, False).weights.max(axis=1).mean()
    assert hot > scaling.run(64, True, 1.0, False).weights.max(axis=1).mean() > cold  # τ sharpens or flattens
    masked = scaling.run(64, True, 1.0, True)
    assert np.all(np.triu(masked.weights, 1) == 0) and masked.weights[0, 0] == 1
    np.testing.assert_allclose(masked.output, masked.weights @ np.arange(scaling.T))
    with pytest.raises(ValueError, match="Invalid d"):
        scaling.run(0, True, 1.0, False)


def test_scaling_explorer_draws_and_fits_its_budget():
    explorer = scaling.scaling_explorer()
    png, readout = explorer.render(explorer.result(d=64, scaled=True, temperature=2.0, masked=True))
    assert png.startswith(b"\x89PNG") and readout.startswith("d = 64, scores / √d, temperature 2, causal mask")
    assert len(explorer_html(explorer)) < 2_000_000


def test_lm_arrays_count_only_the_answer():
    x, y = trainer.lm_arrays(["27.09.1994"], ["1994-09-27"])
    assert x.shape == y.shape == (1, 28)
    assert np.all(y[0, :18] == -100) and trainer.VOCAB.decode(y[0, 18:]) == "1994-09-27"
    assert trainer.VOCAB.decode(x[0, 18:]) == "^1994-09-2"
    splits = trainer.date_splits()
    assert [len(splits[k][0]) for k in ("train", "val", "test")] == [3000, 300, 500]


def test_trainer_steps_the_learning_rate_is_hot_and_runs_are_cached():
    explorer = trainer.transformer_explorer()
    assert explorer.hot == {"lr"}
    state = trainer.init(5e-3, 1, 1, seed=3)
    assert state.epoch == 0 and state.history["val_acc"] == [0.0]
    state = trainer.step(state, 1)
    assert state.epoch == 1 and np.isfinite(state.history["loss"][-1]) and len(state.samples) == 4
    again = trainer.step(trainer.init(5e-3, 1, 1, seed=3), 1)  # from the cache: the same record
    assert again.history == state.history
    state = explorer.adjust(state, lr=1e-3)
    assert state.optimizer.lr == 1e-3 and state.changes[0].label == "lr 0.005 → 0.001"
    png, readout = explorer.render(state)
    assert png.startswith(b"\x89PNG") and "1 head, 1 layer, lr 0.001, epoch 1" in readout


def test_answers_in_one_pass_agree_with_greedy_decoding():
    state = trainer.step(trainer.init(5e-3, 1, 1, seed=3), 1)
    sources, targets = trainer.date_splits()["val"]
    sources, targets = sources[:40], targets[:40]
    one_pass = trainer.answers(state.model, sources, targets)
    prompts = np.stack([trainer.VOCAB.encode(s.rjust(18, "_") + "^") for s in sources])
    greedy = [trainer.VOCAB.decode(r[19:]) for r in state.model.generate(prompts, 10)]
    assert [p == t for p, t in zip(one_pass, targets)] == [g == t for g, t in zip(greedy, targets)]


def test_heatmap_rows_and_columns_and_budget():
    a = hm.alignment("3 feb 2011", hm.MODELS[0])
    assert a.weights.shape == (10, len("3 feb 2011")) and a.columns == "3 feb 2011"
    np.testing.assert_allclose(a.weights.sum(axis=1), 1, rtol=1e-5)  # padding never gets weight
    t = hm.alignment("3 feb 2011", hm.MODELS[1], layer=2, head=4)
    assert t.weights.shape == (10, len("3 feb 2011") + 10) and t.columns.startswith("3 feb 2011^")
    assert np.all(np.triu(t.weights[:, len("3 feb 2011"):], 1) == 0)  # causal: no answer character ahead
    with pytest.raises(ValueError, match="Invalid model"):
        hm.alignment("3 feb 2011", "GRU")
    explorer = hm.heatmap_explorer()
    assert len(explorer_html(explorer)) < 2_000_000
    assert len(explorer_html(trainer.transformer_explorer())) < 2_000_000
