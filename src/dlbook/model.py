"""Sequential: a network as a list of layers, run forwards and then backwards.

    y = f_L( ... f_2(f_1(x)) ... )          (forward: first layer to last)
    dx = b_1( ... b_{L-1}(b_L(dout)) ... )  (backward: last layer to first)
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterator

import numpy as np

from .layers import Layer
from .validation import check_float_dtype

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
        """Inference-mode outputs (scores), computed ``batch_size`` rows at a time.

        An empty ``x: (0, ...)`` gives an empty result ``(0, ...)`` of the output's width.
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            raise ValueError(f"Invalid batch_size: {batch_size!r}")
        N = x.shape[0]
        if N == 0:
            return self.forward(x)  # every layer maps (0, ...) to (0, ...)
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

    def buffers(self) -> dict[str, np.ndarray]:
        """State that is not learned (BatchNorm's running statistics), by name: the layers' own arrays."""
        return dict(self._named("buffers"))

    def state_dict(self) -> dict[str, np.ndarray]:
        """Everything that makes this network predict what it predicts: parameters and buffers, by name.

        The values are the layers' own arrays (copy them to keep a snapshot).
        """
        state = {}
        for i, layer in enumerate(self.layers):
            clash = sorted(layer.params.keys() & layer.buffers.keys())
            if clash:
                raise ValueError(f"{layer!r}: {clash} name both a parameter and a buffer")
            state.update({f"{i}.{name}": array for name, array in {**layer.params, **layer.buffers}.items()})
        return state

    def num_params(self) -> int:
        """How many numbers the network learns."""
        return sum(p.size for p in self.params().values())

    def astype(self, dtype: np.dtype | type) -> Sequential:
        """Convert every parameter (and layer buffers such as running means) to ``dtype``, in place.

        ``dtype`` must be a floating-point dtype: whole numbers could not learn.
        """
        dtype = check_float_dtype(dtype, who="Sequential.astype")
        for layer in self.layers:
            for store in (layer.params, getattr(layer, "buffers", {})):
                for name, array in store.items():
                    store[name] = array.astype(dtype)
            if hasattr(layer, "dtype"):
                layer.dtype = np.dtype(dtype)
        return self

    def save(self, path: str | os.PathLike) -> None:
        """Write ``state_dict()``, parameters and buffers, to an ``.npz`` file (plain arrays, never pickle)."""
        np.savez(path, **self.state_dict())

    def load(self, path: str | os.PathLike) -> None:
        """Read parameters and buffers saved by ``save`` into this network, checking names and shapes.

        A file saved from another architecture raises a ValueError and changes nothing.
        """
        state = self.state_dict()
        with np.load(path, allow_pickle=False) as saved:
            arrays = {name: saved[name] for name in saved.files}
        missing = sorted(set(state) - set(arrays))
        unexpected = sorted(set(arrays) - set(state))
        if missing or unexpected:
            raise ValueError(f"{os.fspath(path)} was not saved from this network's architecture: "
                             f"missing {missing}, unexpected {unexpected}")
        for name, array in state.items():
            if arrays[name].shape != array.shape:
                raise ValueError(
                    f"{os.fspath(path)}: {name} has shape {arrays[name].shape}, "
                    f"the network expects {array.shape}"
                )
        for name, array in state.items():
            array[...] = arrays[name]  # in place: the layers keep their own arrays

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}) {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential({inner}\n)"
