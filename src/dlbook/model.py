"""Sequential: a network as a list of layers, run forwards and then backwards.

    y = f_L( ... f_2(f_1(x)) ... )          (forward: first layer to last)
    dx = b_1( ... b_{L-1}(b_L(dout)) ... )  (backward: last layer to first)
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np

from .layers import Layer

__all__ = ["Sequential"]


class Sequential:
    """Layers applied one after another.

    Parameters and gradients are exposed as flat dicts named
    ``"<layer index>.<name>"`` (``"0.W"``, ``"0.b"``, ``"2.W"``, …) whose
    values are the layers' own arrays, so an optimizer that updates
    ``model.params()`` in place updates the layers.

    Args:
        *layers: the layers, first to last.
    """

    def __init__(self, *layers: Layer) -> None:
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential: item {i} is {layer!r}, not a dlbook Layer")
        self.layers = list(layers)

    def forward(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        """Run every layer on ``x`` in order; ``train`` switches Dropout/BatchNorm."""
        for layer in self.layers:
            x = layer.forward(x, train=train)
        return x

    def backward(self, dout: np.ndarray, *, input_grad: bool = True) -> np.ndarray | None:
        """Run every layer's backward in reverse order; fills each layer's grads and returns dL/dx.

        Training never uses dL/dx (x is data), so `train` passes ``input_grad=False``:
        the first layer then computes its parameter gradients only (for a first
        Linear that saves one matrix product in three) and None is returned.
        PyTorch skips the same work for inputs that do not require grad.
        """
        for i in reversed(range(len(self.layers))):
            layer = self.layers[i]
            if i == 0 and not input_grad:
                if layer.params:  # a first layer without parameters would compute nothing but dx
                    layer.backward(dout, input_grad=False)
                return None
            dout = layer.backward(dout)
        return dout

    __call__ = forward

    def predict(self, x: np.ndarray, *, batch_size: int = 1000) -> np.ndarray:
        """Inference-mode outputs (scores), computed ``batch_size`` rows at a time."""
        if batch_size < 1:
            raise ValueError(f"Invalid batch_size: {batch_size}")
        N = x.shape[0]
        return np.concatenate([self.forward(x[i : i + batch_size]) for i in range(0, N, batch_size)])

    def _named(self, attr: str) -> Iterator[tuple[str, np.ndarray]]:
        for i, layer in enumerate(self.layers):
            for name, array in getattr(layer, attr).items():
                yield f"{i}.{name}", array

    def params(self) -> dict[str, np.ndarray]:
        """Every parameter, by name; the values are the layers' own arrays."""
        return dict(self._named("params"))

    def grads(self) -> dict[str, np.ndarray]:
        """Every gradient from the last ``backward``, by the same names as ``params()``."""
        return dict(self._named("grads"))

    def num_params(self) -> int:
        """How many numbers the network learns."""
        return sum(p.size for p in self.params().values())

    def astype(self, dtype: np.dtype | type) -> Sequential:
        """Convert every parameter (and layer buffers such as running means) to ``dtype``, in place."""
        for layer in self.layers:
            for store in (layer.params, getattr(layer, "buffers", {})):
                for name, array in store.items():
                    store[name] = array.astype(dtype)
            if hasattr(layer, "dtype"):
                layer.dtype = np.dtype(dtype)
        return self

    def save(self, path: str | os.PathLike) -> None:
        """Write the parameters to an ``.npz`` file (plain arrays, never pickle)."""
        np.savez(path, **self.params())

    def load(self, path: str | os.PathLike) -> None:
        """Read parameters saved by ``save`` into this network, checking names and shapes."""
        params = self.params()
        with np.load(path, allow_pickle=False) as saved:
            missing = sorted(set(params) - set(saved.files))
            unexpected = sorted(set(saved.files) - set(params))
            if missing or unexpected:
                raise ValueError(f"{os.fspath(path)}: missing parameters {missing}, unexpected {unexpected}")
            for name, array in params.items():
                if saved[name].shape != array.shape:
                    raise ValueError(
                        f"{os.fspath(path)}: parameter {name} has shape {saved[name].shape}, "
                        f"the network expects {array.shape}"
                    )
            for name, array in params.items():
                array[...] = saved[name]  # in place: the layers keep their own arrays

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}) {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"
