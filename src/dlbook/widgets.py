"""Explorers: describe the controls once, get live sliders in Jupyter and precomputed ones on the website.

An explorer is plain functions plus a description of its controls::

    controls = {"lr": LogSlider("learning rate", 1e-3, 1.0, default=0.1)}
    Explorer(controls, run, draw, readout=...)          # run(**values) -> result
    TrainingExplorer(controls, init, step, draw, ...)   # init(**values) -> state, step(state, n) -> state

``draw(result) -> Figure`` is the one drawing function both modes share, and
``readout(result) -> str`` states the key numbers in words.

``explorer.show()`` picks the mode: with the environment variable
``DLBOOK_EXPLORERS=static`` (set by the command that refreshes the book's
notebooks) it writes a self-contained HTML block of precomputed images
(`dlbook.static`); otherwise it shows live ipywidgets controls (`dlbook.live`).
"""

from __future__ import annotations

import copy
import numbers
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from dlbook.controls import Choice, Control, LogSlider, Slider, Toggle, active
from dlbook.hot import Scenario, changes_text, hot_names, make_change

__all__ = ["Slider", "LogSlider", "Choice", "Toggle", "Explorer", "TrainingExplorer", "static_mode", "computing"]

MODE_VARIABLE = "DLBOOK_EXPLORERS"


def static_mode() -> bool:
    """True when explorers should be written as precomputed HTML (``DLBOOK_EXPLORERS=static``)."""
    return os.environ.get(MODE_VARIABLE, "").strip().lower() == "static"


_blas_lock = threading.Lock()
_blas_users = 0
_blas_limiter: Any = None
_blas_controller: Any = None


@contextmanager
def computing() -> Iterator[None]:
    """Where an explorer computes: NumPy's overflow warnings off, BLAS on one thread.

    A diverging run overflows by design and says so in its readout, so the
    warnings would only repeat it. Explorer networks are small: a second BLAS
    thread cannot speed them up, and on a busy machine its spinning slows them
    down many times over. The BLAS limit is process-wide, so it is counted:
    the last explorer to finish restores the previous setting.
    """
    global _blas_users, _blas_limiter, _blas_controller
    with _blas_lock:
        if _blas_users == 0:
            if _blas_controller is None:
                try:
                    from threadpoolctl import ThreadpoolController  # installed with scikit-learn
                except ImportError:
                    _blas_controller = False
                else:
                    _blas_controller = ThreadpoolController()  # finds the loaded BLAS once (~1 ms)
            _blas_limiter = _blas_controller.limit(limits=1, user_api="blas") if _blas_controller else None
        _blas_users += 1
    try:
        with np.errstate(all="ignore"):
            yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0 and _blas_limiter is not None:
                _blas_limiter.restore_original_limits()


# --------------------------------------------------------------- explorers --

class _Base:
    """What both kinds of explorer share: controls, settings, rendering and `show`."""

    def __init__(self, controls: Mapping[str, Control], draw: Callable[[Any], Any],
                 readout: Callable[[Any], str], *, title: str, alt: str, dpi: float,
                 static_dpi: float | None) -> None:
        if not controls:
            raise ValueError("An explorer needs at least one control")
        for name, control in controls.items():
            unknown = set(control.when or {}) - set(controls)
            if unknown:
                raise ValueError(f"Control {name!r} depends on unknown control(s) {sorted(unknown)}")
        self.controls = dict(controls)
        self.draw_fn = draw
        self.readout_fn = readout
        self.title = title
        self.alt = alt
        self.dpi = dpi
        self.static_dpi = dpi if static_dpi is None else static_dpi
        # One figure may be reused between frames: draw and render one at a time.
        self.lock = threading.RLock()

    def settings(self, **values: Any) -> dict[str, Any]:
        """Every control's value: the defaults, overridden by `values`, snapped onto each control's grid.

        A control whose ``when`` condition is not met takes its default value.
        """
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"Unknown control(s) {sorted(unknown)}; this explorer has {list(self.controls)}")
        chosen = {name: control.snap(values.get(name, control.default)) for name, control in self.controls.items()}
        # A control that does not matter here takes its default: one result serves all its values.
        defaults = {name: control.snap(control.default) for name, control in self.controls.items()}
        return {name: value if active(self.controls[name], chosen) else defaults[name]
                for name, value in chosen.items()}

    def readout(self, result: Any) -> str:
        """The readout sentence for a result (or training state)."""
        return self.readout_fn(result)

    def render(self, result: Any, *, dpi: float | None = None, colors: int | None = None) -> tuple[bytes, str]:
        """Draw a result (or training state) to ``(png_bytes, readout_text)``."""
        from dlbook.viz import fig_to_png

        with self.lock, computing():
            fig = self.draw_fn(result)
            png = fig_to_png(fig, dpi=self.dpi if dpi is None else dpi, colors=colors)
            text = self.readout(result)
        return png, text

    def show(self) -> None:
        """Display the explorer: live controls in a kernel, precomputed HTML in website mode.

        Without ipywidgets installed, the precomputed form is shown in Jupyter too.
        """
        from IPython.display import HTML, display

        live = not static_mode()
        if live:
            try:
                import ipywidgets  # noqa: F401  (only asking whether it is installed)
            except ImportError:
                live = False
        if live:
            from dlbook.live import LiveView

            display(LiveView(self).widget)
        else:
            from dlbook.static import explorer_html

            display(HTML(explorer_html(self)))

    def _ipython_display_(self) -> None:
        self.show()


class Explorer(_Base):
    """A result explorer: each setting of the controls gives one result, drawn as one figure.

    Args:
        controls: ``{argument name: control}``; `run` receives these names.
        run: ``run(**values) -> result``; pure and seeded (same values, same result).
        draw: ``draw(result) -> Figure``.
        readout: ``readout(result) -> str``: the key numbers, in words.
        title: heading shown above the controls.
        alt: what the figure shows, for readers who cannot see it.
        dpi: resolution of live images; static_dpi: of the website's (default: the same).
        cache_size: how many recent results to keep, so going back is instant.
    """

    training = False

    def __init__(self, controls: Mapping[str, Control], run: Callable[..., Any],
                 draw: Callable[[Any], Any], *, readout: Callable[[Any], str], title: str = "",
                 alt: str = "", dpi: float = 100, static_dpi: float | None = None,
                 cache_size: int = 64) -> None:
        super().__init__(controls, draw, readout, title=title, alt=alt, dpi=dpi, static_dpi=static_dpi)
        self.run_fn = run
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple, Any] = OrderedDict()

    def result(self, **values: Any) -> Any:
        """``run`` at these settings (defaults for the rest); recent results come from a cache."""
        settings = self.settings(**values)
        key = tuple(settings.items())
        with self.lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        with computing():
            result = self.run_fn(**settings)
        with self.lock:
            self._cache[key] = result
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return result

    def text(self, **values: Any) -> str:
        """The readout at these settings, e.g. to print it where nbval checks it."""
        return self.readout_fn(self.result(**values))


class TrainingExplorer(_Base):
    """A training explorer: watch a model train, with Play / Pause / Step / Reset.

    The state returned by `init` and `step` must carry two attributes:
    ``epoch`` (how far training has gone) and ``diverged_at`` (``None``, or the
    epoch whose loss became NaN or infinite; training stops there).

    With `adjust`, the hot controls (see `dlbook.hot`) change a running
    training: ``adjust(state, **changed) -> state`` applies the new values from
    the next step on, keeping the optimizer and its state. The state then also
    carries ``settings`` (every control's value) and ``changes`` (a list of
    `dlbook.hot.Change`, which `adjust` appends to and the figure marks).

    Args:
        controls: ``{argument name: control}``; `init` receives these names.
        init: ``init(**values) -> state``, seeded.
        step: ``step(state, n) -> state``: train `n` more epochs.
        draw: ``draw(state) -> Figure``.
        readout: ``readout(state) -> str``.
        max_epochs: Play stops here.
        epochs_per_frame: epochs trained between two images while playing.
        frames: the epochs the website shows (its epoch slider); default:
            ten evenly spaced from 0 to `max_epochs`.
        adjust: ``adjust(state, **changed) -> state``, applies hot controls to a running state.
        scenarios: ``{name: Scenario}``, mid-run changes the website precomputes (needs `adjust`).
        title, alt, dpi, static_dpi: as for `Explorer`.
    """

    training = True

    def __init__(self, controls: Mapping[str, Control], init: Callable[..., Any],
                 step: Callable[[Any, int], Any], draw: Callable[[Any], Any], *,
                 readout: Callable[[Any], str], max_epochs: int, epochs_per_frame: int = 1,
                 frames: Sequence[int] | None = None, adjust: Callable[..., Any] | None = None,
                 scenarios: Mapping[str, Scenario] | None = None, title: str = "", alt: str = "",
                 dpi: float = 100, static_dpi: float | None = None) -> None:
        super().__init__(controls, draw, readout, title=title, alt=alt, dpi=dpi, static_dpi=static_dpi)
        if max_epochs < 1 or epochs_per_frame < 1:
            raise ValueError(f"Invalid max_epochs/epochs_per_frame: {max_epochs}/{epochs_per_frame}")
        self.init_fn = init
        self.step_fn = step
        self.max_epochs = max_epochs
        self.epochs_per_frame = epochs_per_frame
        if frames is None:
            frames = np.linspace(0, max_epochs, 11).round().astype(int).tolist()
        self.frames = sorted({int(f) for f in frames})
        if self.frames[0] < 0 or self.frames[-1] > max_epochs:
            raise ValueError(f"Invalid frames {self.frames}: must lie in 0..max_epochs={max_epochs}")
        self.adjust_fn = adjust
        self.hot = hot_names(self.controls, adjust is not None)
        self.scenarios = dict(scenarios or {})
        self._finished: dict[tuple, Any] = {}  # (epoch, settings) -> a run the website precomputed
        for name, scenario in self.scenarios.items():
            self.settings(**scenario.settings)  # unknown controls raise
            for epoch, changed in scenario.changes.items():
                if set(changed) - self.hot or not 0 < epoch < max_epochs:
                    raise ValueError(f"Invalid scenario {name!r}: at epoch {epoch} it changes {sorted(changed)}; "
                                     f"only hot controls {sorted(self.hot)} change, between epochs 1 and "
                                     f"{max_epochs - 1}")

    def start(self, **values: Any) -> Any:
        """A fresh state at these settings (defaults for the rest)."""
        with computing():
            return self.init_fn(**self.settings(**values))

    def advance(self, state: Any, n: int) -> Any:
        """Train `n` more epochs, stopping early at `max_epochs` or where the loss diverges."""
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"Invalid number of epochs: {n!r} (expected an integer >= 0)")
        n = min(n, self.max_epochs - state.epoch)
        if n <= 0 or state.diverged_at is not None:
            return state
        with computing():
            return self.step_fn(state, n)

    def adjust(self, state: Any, **changed: Any) -> Any:
        """Apply new values of hot controls to a running state: training goes on from ``state.epoch``.

        Each value that differs from the state's is recorded as a `dlbook.hot.Change`
        in ``state.changes``, and ``state.settings`` is updated.

        Raises:
            ValueError: a control is unknown or cold (a cold change needs `start`).
        """
        cold = sorted(set(changed) - self.hot)
        if cold:
            raise ValueError(f"Cannot change {cold} while training (hot controls: {sorted(self.hot)}); "
                             "start again with the new settings")
        new = self.settings(**{**state.settings, **changed})
        differ = {name: new[name] for name in changed if new[name] != state.settings[name]}
        if not differ:
            return state
        old = state.settings
        with computing():
            state = self.adjust_fn(state, **differ)
        state.settings = {**old, **differ}  # a new dict: earlier copies of the settings stay as they were
        state.changes = [*state.changes, *(make_change(state.epoch, name, self.controls[name], old[name], value)
                                           for name, value in differ.items())]
        return state

    def play_scenario(self, name: str, epochs: Sequence[int]) -> Iterator[Any]:
        """Run scenario `name`, yielding the state at each of `epochs` (ascending); it is updated in place."""
        scenario = self.scenarios[name]
        state = self.start(**scenario.settings)
        pending = sorted(scenario.changes.items())
        for epoch in epochs:
            while pending and pending[0][0] <= epoch:
                at, changed = pending.pop(0)
                state = self.advance(state, at - state.epoch)
                if state.epoch == at:  # not if it diverged before
                    state = self.adjust(state, **changed)
            yield self.advance(state, epoch - state.epoch)

    def readout(self, state: Any) -> str:
        """The readout sentence, followed by the hot changes made so far."""
        changes = changes_text(getattr(state, "changes", ()))
        text = self.readout_fn(state)
        return f"{text} {changes}" if changes else text

    def finished(self, state: Any) -> bool:
        """True once training has reached `max_epochs` or diverged: Play stops."""
        return state.diverged_at is not None or state.epoch >= self.max_epochs

    def trained(self, epoch: int | None = None, **values: Any) -> Any:
        """The state after training `epoch` epochs (default `max_epochs`) at these settings.

        A run the website's precomputation already made (see `remember`) is not
        trained again: the caller gets a copy of it, to change as it likes.
        """
        epoch = self.max_epochs if epoch is None else epoch
        kept = self._finished.get((epoch, tuple(self.settings(**values).items())))
        if kept is not None:
            return copy.deepcopy(kept)
        return self.advance(self.start(**values), epoch)

    def remember(self, settings: Mapping[str, Any], epoch: int, state: Any) -> None:
        """Keep a copy of `state`: `start(**settings)` trained `epoch` epochs, for `trained` to reuse."""
        self._finished[(epoch, tuple(self.settings(**settings).items()))] = copy.deepcopy(state)

    def text(self, epoch: int | None = None, **values: Any) -> str:
        """The readout after training `epoch` epochs (default `max_epochs`) at these settings."""
        return self.readout(self.trained(epoch, **values))
