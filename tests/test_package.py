"""Package-wide rules: NumPy-only import, no global random state, no stray writes."""

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np

import dlbook

SRC = Path(dlbook.__file__).parent
# Building a Generator is fine; anything else under np.random uses hidden global state.
ALLOWED_NP_RANDOM = {"Generator", "default_rng"}


def np_random_uses(path: Path) -> list[str]:
    """Every `np.random.<name>` / `numpy.random.<name>` attribute use in a source file."""
    uses = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "random"
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id in {"np", "numpy"}
        ):
            uses.append(f"{path.name}:{node.lineno}: np.random.{node.attr}")
        if isinstance(node, ast.ImportFrom) and node.module in {"numpy.random", "random"}:
            uses.append(f"{path.name}:{node.lineno}: from {node.module} import ...")
        if isinstance(node, ast.Import) and any(a.name == "random" for a in node.names):
            uses.append(f"{path.name}:{node.lineno}: import random")
    return uses


def test_no_code_in_src_uses_the_global_random_state():
    sources = sorted(SRC.glob("*.py"))
    assert len(sources) > 10
    offending = [
        use for path in sources for use in np_random_uses(path)
        if use.rsplit(".", 1)[-1] not in ALLOWED_NP_RANDOM
    ]
    assert not offending, "pass an rng instead of using global random state:\n" + "\n".join(offending)


def test_the_scanner_catches_global_random_calls(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import numpy as np\nx = np.random.randn(3)\nnp.random.seed(0)\nrng = np.random.default_rng(1)\n")
    uses = [u for u in np_random_uses(bad) if u.rsplit(".", 1)[-1] not in ALLOWED_NP_RANDOM]
    assert uses == ["bad.py:2: np.random.randn", "bad.py:3: np.random.seed"]


def test_training_leaves_the_global_random_state_untouched():
    from dlbook.data import load_digits, spiral
    from dlbook.layers import Dropout, Linear, ReLU
    from dlbook.losses import SoftmaxCrossEntropy
    from dlbook.model import Sequential
    from dlbook.optim import Adam
    from dlbook.train import train

    np.random.seed(1234)
    before = np.random.get_state()[1].copy()
    rng = np.random.default_rng(0)
    x, y = spiral(100, rng=rng)
    net = Sequential(Linear(2, 8, rng=rng), ReLU(), Dropout(0.2, rng=rng), Linear(8, 2, rng=rng))
    train(net, Adam(), (x, y), SoftmaxCrossEntropy(), epochs=2, batch_size=20, rng=rng)
    load_digits()
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_import_dlbook_loads_numpy_only():
    code = "import sys, dlbook; print(sorted(m for m in ('matplotlib', 'ipywidgets', 'IPython', 'sklearn') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_show_displays_the_real_source():
    from dlbook.layers import Linear

    shown = dlbook.show(Linear.backward)
    markdown = shown._repr_markdown_()
    assert markdown.startswith("`dlbook/layers.py: Linear.backward`")
    assert "def backward(self, dout" in markdown
    assert markdown.rstrip().endswith("```")
