"""Live explorers: ipywidgets controls that rerun and redraw while the reader moves them.

How it stays responsive:

* A control's observer only *records* the newest settings and wakes one worker
  thread. The worker always renders the newest request, so quick slider moves
  never queue up: the latest value wins and the ones in between are skipped.
* The figure is rendered to PNG and put into an ``ipywidgets.Image``; nothing
  is captured through ``Output``, which flickers and leaks into nbval.
* Play runs frames on the same worker; Pause clears one flag that the worker
  reads before every frame, so training stops at once.
* In a training explorer, a change of hot controls only (learning rate,
  momentum α, dropout rate, λ; see `dlbook.hot`) is applied to the running
  training, which goes on from the same epoch; any other change, or one
  before the first epoch or after the run has ended, starts training again.
* An error in `run`/`step`/`draw` becomes a line of text in the readout,
  never a traceback in the middle of the page.

With ``threaded=False`` every request is handled synchronously in the calling
thread (and Play advances one frame per `tick()`), which is how the tests
drive a view deterministically.
"""

from __future__ import annotations

import html
import threading
import time
from typing import Any

from dlbook.controls import Choice, LogSlider, Slider, Toggle, active

__all__ = ["LiveView", "control_widget"]

FRAME_INTERVAL = 1 / 25  # seconds; Play never sends more than 25 images a second


def control_widget(control: Any):
    """The ipywidgets control for one control description, labelled and keyboard-operable."""
    import ipywidgets as W

    common = {"description": control.label, "style": {"description_width": "initial"},
              "layout": W.Layout(width="auto", min_width="260px")}
    if isinstance(control, Slider):
        kind = W.IntSlider if control.integer else W.FloatSlider
        # `step` set explicitly: without it a float slider snaps to 0.1 from `min`.
        return kind(min=control.min, max=control.max, step=control.step,
                    value=control.snap(control.default), continuous_update=True, **common)
    if isinstance(control, LogSlider):
        # Round stops (0.001, 0.002, 0.005, ...) read better than 10**-2.67.
        options = [(control.format(v), v) for v in control.options()]
        return W.SelectionSlider(options=options, value=control.snap(control.default),
                                 continuous_update=True, **common)
    if isinstance(control, Choice):
        options = [(control.format(v), v) for v in control.options()]
        return W.Dropdown(options=options, value=control.default, **common)
    if isinstance(control, Toggle):
        return W.Checkbox(value=control.default, indent=False, **common)
    raise TypeError(f"Unknown control type: {type(control).__name__}")


class LiveView:
    """The live widget for one explorer.

    Args:
        explorer: an `Explorer` or `TrainingExplorer`.
        threaded: render on a worker thread (in a kernel); ``False`` renders
            synchronously in the caller (tests).

    Attributes:
        widget: the ipywidgets box to display.
        controls: ``{name: ipywidget}``, one per control.
        image: the ``ipywidgets.Image`` showing the figure.
        text: the current readout, as plain text.
        runs, draws: how many times `run`/`init` and `draw` were called.
        adjustments: how many hot changes were applied to a running training.
        error: the last exception a render raised, or ``None``.
        worker: the rendering thread (``None`` in synchronous mode).
    """

    def __init__(self, explorer: Any, *, threaded: bool = True) -> None:
        import ipywidgets as W

        self.explorer = explorer
        self.threaded = threaded
        self.controls = {name: control_widget(c) for name, c in explorer.controls.items()}
        self.image = W.Image(format="png")
        self.image.add_class("dlbx-image")
        self.readout = W.HTML()
        self.readout.add_class("dlbx-readout")
        self.text = ""
        self.runs = self.draws = self.adjustments = 0
        self.error: BaseException | None = None
        self.state: Any = None

        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._busy = False
        self._closed = False
        self._playing = False
        self._reset_requested = False
        self._steps_requested = 0
        self._requested = self._values()
        self._shown: dict | None = None

        rows = [W.HTML(f"<b>{html.escape(explorer.title)}</b>")] if explorer.title else []
        rows.append(W.GridBox(list(self.controls.values()),
                              layout=W.Layout(grid_template_columns="repeat(auto-fill, minmax(280px, 1fr))")))
        if explorer.training:
            self.play_button = W.Button(description="Play", icon="play", tooltip="Play / Pause training")
            self.step_button = W.Button(description="Step", icon="step-forward",
                                        tooltip=f"Train {explorer.epochs_per_frame} more epoch(s)")
            self.reset_button = W.Button(description="Reset", icon="undo", tooltip="Start training again")
            self.epoch_label = W.HTML("epoch 0")
            for button, name in ((self.play_button, "play"), (self.step_button, "step"),
                                 (self.reset_button, "reset")):
                button.add_class(f"dlbx-{name}")
            self.play_button.on_click(lambda _: self.pause() if self._playing else self.play())
            self.step_button.on_click(lambda _: self.step())
            self.reset_button.on_click(lambda _: self.reset())
            rows.append(W.HBox([self.play_button, self.step_button, self.reset_button, self.epoch_label]))
        rows += [self.image, self.readout]
        self.widget = W.VBox(rows)
        self.widget.add_class("dlbx-live")

        for control in self.controls.values():
            control.observe(self._on_control, names="value")
        try:
            self._process()  # the first image is ready when the widget appears
        except Exception as err:
            if not threaded:
                raise
            self._fail(err)
        self.worker: threading.Thread | None = None
        if threaded:
            self.worker = threading.Thread(target=self._loop, name="dlbook-explorer", daemon=True)
            self.worker.start()

    # ----------------------------------------------------------- requests --
    def _values(self) -> dict:
        """The settings the controls show, as the explorer will use them (see `Explorer.settings`)."""
        shown = {name: w.value for name, w in self.controls.items()}
        for name, control in self.explorer.controls.items():
            if control.when:
                self.controls[name].disabled = not active(control, shown)
        return self.explorer.settings(**shown)

    def _on_control(self, change: dict) -> None:
        self._submit(requested=self._values())

    def play(self) -> None:
        """Start training frame after frame (from the beginning if it had finished)."""
        if self.state is not None and self.explorer.finished(self.state):
            self._submit(reset=True)
        self._set_playing(True)
        self._submit()

    def pause(self) -> None:
        """Stop before the next frame."""
        self._set_playing(False)

    def step(self) -> None:
        """Train one frame's worth of epochs."""
        self._submit(steps=1)

    def reset(self) -> None:
        """Start training again from a fresh `init`."""
        self._submit(reset=True)

    def tick(self) -> None:
        """Synchronous mode: handle pending requests and, while playing, one frame."""
        self._process()

    def _submit(self, *, requested: dict | None = None, steps: int = 0, reset: bool = False) -> None:
        with self._lock:
            if requested is not None:
                self._requested = requested
            self._steps_requested += steps
            self._reset_requested |= reset
        if self.threaded:
            self._wake.set()
        else:
            self._process()

    def _set_playing(self, playing: bool) -> None:
        with self._lock:
            self._playing = playing
        if self.explorer.training:
            self.play_button.description = "Pause" if playing else "Play"
            self.play_button.icon = "pause" if playing else "play"

    # -------------------------------------------------------------- worker --
    def _loop(self) -> None:
        next_frame = 0.0
        while True:
            self._wake.wait()
            with self._lock:
                if self._closed:
                    return
                self._wake.clear()
                self._busy = True
            if self._playing:
                time.sleep(max(0.0, next_frame - time.perf_counter()))
                next_frame = time.perf_counter() + FRAME_INTERVAL
            try:
                self._process()
            except Exception as err:  # a bug in an explorer must not kill the worker or print a traceback
                self._fail(err)
            with self._lock:
                self._busy = False
                if self._playing:
                    self._wake.set()

    def _process(self) -> None:
        """Handle the newest request: new settings or reset first, else one training frame."""
        explorer = self.explorer
        with self._lock:
            requested = self._requested
            reset, self._reset_requested = self._reset_requested, False
            steps, self._steps_requested = self._steps_requested, 0
            playing = self._playing
        if requested != self._shown or reset:
            shown, self._shown = self._shown, requested
            if not reset and self._hot(shown, requested):
                self.adjustments += 1
                changed = {name: value for name, value in requested.items() if value != shown[name]}
                self.state = explorer.adjust(self.state, **changed)
            else:
                self.runs += 1
                self.state = explorer.start(**requested) if explorer.training else explorer.result(**requested)
            self._publish()
            return
        if not explorer.training or not (steps or playing):
            return
        if explorer.finished(self.state):
            self._set_playing(False)
            return
        self.state = explorer.advance(self.state, explorer.epochs_per_frame * max(steps, 1))
        self._publish()
        if explorer.finished(self.state):
            self._set_playing(False)

    def _hot(self, shown: dict | None, requested: dict) -> bool:
        """Can the change from `shown` to `requested` be applied to the running training?"""
        explorer = self.explorer
        if not explorer.training or shown is None or self.state is None:
            return False
        changed = {name for name, value in requested.items() if value != shown[name]}
        return (changed <= explorer.hot and self.state.epoch > 0 and not explorer.finished(self.state))

    def _publish(self) -> None:
        png, text = self.explorer.render(self.state)
        self.draws += 1
        self.error = None
        self.image.value = png
        self._say(text)
        if self.explorer.training:
            self.epoch_label.value = f"epoch {self.state.epoch}"

    def _say(self, text: str) -> None:
        self.text = text
        self.readout.value = f'<div role="status" aria-live="polite">{html.escape(text)}</div>'

    def _fail(self, err: BaseException) -> None:
        self.error = err
        self._set_playing(False)
        self._say(f"Could not draw this setting ({type(err).__name__}: {err}).")

    # ---------------------------------------------------------- for tests --
    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Threaded mode: wait until no request is pending and nothing is playing."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self._lock:
                if not self._busy and not self._wake.is_set() and not self._playing:
                    return True
            time.sleep(0.002)
        return False

    def close(self) -> None:
        """Stop the worker thread and close the widgets."""
        with self._lock:
            self._closed = True
            self._playing = False
        self._wake.set()
        _close_all(self.widget)


def _close_all(widget: Any) -> None:
    """Close a widget and, first, every widget inside it."""
    for child in getattr(widget, "children", ()):
        _close_all(child)
    widget.close()
