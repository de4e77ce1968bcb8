"""Issue 18: explorers refuse control values that are not values (NaN, inf, text) with a clear error."""

import json
import math

import numpy as np
import pytest

from dlbook.explorers.optimizer import optimizer_explorer
from dlbook.widgets import Choice, Explorer, LogSlider, Slider, Toggle, TrainingExplorer

pytestmark = pytest.mark.filterwarnings("error")

BAD_NUMBERS = [math.nan, math.inf, -math.inf, np.float32("nan"), "0.1", None, [0.1], True]


def small_explorer():
    controls = {
        "lr": LogSlider("learning rate", 1e-3, 1.0, default=0.1),
        "momentum": Slider("momentum α", 0.0, 0.99, 0.01, default=0.9),
        "kind": Choice("kind", ("SGD", "Momentum"), "Momentum"),
        "shuffle": Toggle("shuffle", default=True),
    }
    return Explorer(controls, lambda **v: v, draw=lambda r: None, readout=str)


@pytest.mark.parametrize("name", ["lr", "momentum"])
@pytest.mark.parametrize("value", BAD_NUMBERS, ids=repr)
def test_sliders_refuse_values_that_are_not_finite_numbers(name, value):
    explorer = small_explorer()
    label = explorer.controls[name].label
    with pytest.raises(ValueError, match=f"Invalid value for '{label}'"):
        explorer.result(**{name: value})
    with pytest.raises(ValueError, match=f"Invalid value for '{label}'"):
        explorer.settings(**{name: value})


@pytest.mark.parametrize("value", [math.nan, "no", "off", 2, 0.5, None])
def test_toggle_refuses_values_that_are_not_on_or_off(value):
    with pytest.raises(ValueError, match="Invalid value for 'shuffle'"):
        small_explorer().result(shuffle=value)


def test_valid_extreme_values_still_snap_onto_the_grid():
    explorer = small_explorer()
    settings = explorer.settings(lr=1e9, momentum=-5, shuffle=np.bool_(False))
    assert settings["lr"] == 1.0 and settings["momentum"] == 0.0 and settings["shuffle"] is False
    assert explorer.settings(lr=np.float32(0.1), momentum=np.int64(0), shuffle=1)["shuffle"] is True


def test_a_real_explorer_refuses_nan_learning_rate_and_momentum():
    explorer = optimizer_explorer()
    with pytest.raises(ValueError, match="Invalid value for 'learning rate'.*nan"):
        explorer.result(lr=math.nan)
    with pytest.raises(ValueError, match="Invalid value for 'momentum α'.*nan"):
        explorer.result(momentum=math.nan)


class Count:
    def __init__(self):
        self.epoch, self.diverged_at = 0, None


def counting_explorer():
    def step(state, n):
        state.epoch += n
        return state

    return TrainingExplorer({"lr": LogSlider("learning rate", 1e-3, 1.0, default=0.1)}, lambda lr: Count(),
                            step, draw=lambda s: None, readout=str, max_epochs=10)


@pytest.mark.parametrize("n", [math.nan, 1.5, "3", None, True, -1])
def test_training_explorers_refuse_epoch_counts_that_are_not_counts(n):
    explorer = counting_explorer()
    with pytest.raises(ValueError, match="Invalid number of epochs"):
        explorer.advance(explorer.start(), n)
    if n is not None:  # trained(None) means max_epochs
        with pytest.raises(ValueError, match="Invalid number of epochs"):
            explorer.trained(n)
    with pytest.raises(ValueError, match="Invalid value for 'learning rate'"):
        explorer.start(lr=math.nan)


def test_training_explorers_still_count_epochs():
    explorer = counting_explorer()
    assert explorer.trained(np.int64(4)).epoch == 4
    assert explorer.trained().epoch == 10
    assert explorer.advance(explorer.start(), 0).epoch == 0


# ------------------------------------------------- the readers' zip never follows a symlink --

def reader_download():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "book" / "_ext" / "reader_download.py"
    spec = importlib.util.spec_from_file_location("reader_download", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_project(root):
    (root / "book").mkdir(parents=True)
    (root / "book" / "intro.ipynb").write_text(json.dumps({"cells": [], "metadata": {}}))
    (root / "src" / "dlbook" / "sub").mkdir(parents=True)
    (root / "src" / "dlbook" / "__init__.py").write_text("")
    (root / "src" / "dlbook" / "sub" / "mod.py").write_text("x = 1\n")
    for name in ("pyproject.toml", "requirements.txt"):
        (root / name).write_text(name)
    return root


def test_the_readers_zip_holds_the_project_files(tmp_path):
    members = reader_download().archive_members(fake_project(tmp_path / "project"))
    assert sorted(members) == ["book/intro.ipynb", "pyproject.toml", "requirements.txt",
                               "src/dlbook/__init__.py", "src/dlbook/sub/mod.py"]


@pytest.mark.parametrize("link", ["src/dlbook/secret.py", "book/secret.ipynb", "src/dlbook/linked"])
def test_the_readers_zip_skips_symlinked_files_and_folders(tmp_path, link):
    root = fake_project(tmp_path / "project")
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    secret = outside / "secret.txt"
    secret.write_text("API_KEY = 'not for readers'")
    (outside / "deep" / "leak.py").write_text("API_KEY = 'not for readers'")
    target = outside if link.endswith("linked") else secret
    (root / link).symlink_to(target, target_is_directory=target.is_dir())
    members = reader_download().archive_members(root)
    assert not any("secret" in name or "leak" in name or "linked" in name for name in members), sorted(members)
    assert not any(b"not for readers" in (v if isinstance(v, bytes) else v.encode()) for v in members.values())
    assert "src/dlbook/sub/mod.py" in members


def test_the_readers_zip_refuses_a_symlinked_install_file(tmp_path):
    root = fake_project(tmp_path / "project")
    (tmp_path / "elsewhere.toml").write_text("[project]")
    (root / "pyproject.toml").unlink()
    (root / "pyproject.toml").symlink_to(tmp_path / "elsewhere.toml")
    with pytest.raises(ValueError, match="pyproject.toml is a symbolic link"):
        reader_download().archive_members(root)
