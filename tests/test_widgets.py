"""The explorer framework: controls, live views (rerun, latest wins, Play/Pause) and static HTML."""

import json
import re
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import pytest

from dlbook import viz
from dlbook.live import LiveView
from dlbook.static import StaticBudgetError, explorer_html
from dlbook.widgets import Choice, Explorer, LogSlider, Slider, Toggle, TrainingExplorer, computing, static_mode

pytestmark = pytest.mark.filterwarnings("error")


# ------------------------------------------------------------ test explorers --

def line_explorer(calls=None, delay=0.0, slopes=None):
    """y = slope * x + offset (+ x**2 if `curved`); `calls` records every run's settings."""
    calls = [] if calls is None else calls

    def run(slope, offset, kind, curved):
        calls.append((slope, offset, kind, curved))
        time.sleep(delay)
        x = np.linspace(0, 1, 20)
        y = slope * x + offset + (x**2 if curved else 0)
        if kind == "inf":
            y = y * np.float64(1e308) * 10  # overflows: an explorer must not warn about it
        return x, y

    fig, ax = viz.new_figure(3, 2)
    line, = ax.plot([], [])
    ax.set_xlim(0, 1)
    ax.set_ylim(-1, 11)
    viz.freeze_layout(fig)
    viz.animate(line)

    def draw(result):
        x, y = result
        line.set_data(x, np.clip(y, -1, 11))
        return fig

    controls = {
        "slope": Slider("slope", 0.0, 2.0, 0.1, default=1.0, static=slopes),
        "offset": LogSlider("offset", 1e-3, 1.0, default=0.1, when={"kind": ("line",)}),
        "kind": Choice("kind", ("line", "inf"), "line"),
        "curved": Toggle("curved"),
    }
    return Explorer(controls, run, draw, readout=lambda r: f"max {np.max(r[1]):.3f}", title="Line",
                    alt="A line.", dpi=40)


@dataclass
class Counter:
    """A training state: counts epochs; 'diverges' at `blowup` (None: never)."""

    rate: float
    blowup: int | None
    epoch: int = 0
    diverged_at: int | None = None
    values: list = field(default_factory=list)


def counter_explorer(step_delay=0.0, max_epochs=20):
    def init(rate):
        return Counter(rate, blowup=5 if rate >= 10 else None)

    def step(state, n):
        for _ in range(n):
            time.sleep(step_delay)
            state.epoch += 1
            state.values.append(state.rate * state.epoch)
            if state.blowup is not None and state.epoch >= state.blowup:
                state.diverged_at = state.epoch
                break
        return state

    def draw(state):
        fig, ax = viz.new_figure(3, 2)
        ax.plot(state.values)
        if state.diverged_at is not None:
            viz.annotate_diverged(ax, state.diverged_at, what="epoch")
        return fig

    def readout(state):
        if state.diverged_at is not None:
            return f"diverged at epoch {state.diverged_at}"
        return f"epoch {state.epoch}"

    controls = {"rate": Slider("rate", 1, 10, 1, default=1, static=(1, 10))}
    return TrainingExplorer(controls, init, step, draw, readout=readout, max_epochs=max_epochs,
                            epochs_per_frame=2, frames=[f for f in (0, 4, 8) if f <= max_epochs], title="Counter", alt="A count.", dpi=40)


# ------------------------------------------------------------------ controls --

def test_slider_snaps_onto_its_grid_without_float_noise():
    s = Slider("a", 0.0, 1.0, 0.1, default=0.5)
    assert s.snap(0.30000000000000004) == 0.3
    assert s.snap(0.34) == 0.3 and s.snap(7) == 1.0 and s.snap(-1) == 0.0
    assert s.static_values() == [0.0, 0.2, 0.5, 0.8, 1.0]  # five evenly spaced; the default is one
    n = Slider("n", 1, 9, 2, default=5)
    assert n.snap(4.2) == 5 and isinstance(n.snap(4.2), int)
    assert n.options() == [1, 3, 5, 7, 9]


def test_log_slider_has_round_stops_and_an_optional_zero():
    lr = LogSlider("lr", 1e-3, 1.0, default=0.03)
    assert lr.options() == [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
    assert lr.snap(0.03) == 0.02 and lr.snap(0.04) == 0.05  # nearest in log scale
    assert lr.static_values() == [0.001, 0.01, 0.02, 0.1, 1.0]  # decades plus the default
    wd = LogSlider("wd", 1e-4, 1e-2, default=0.0, zero=True)
    assert wd.options()[:3] == [0.0, 0.0001, 0.0002]
    assert wd.snap(0.0) == 0.0 and wd.snap(4e-5) == 0.0 and wd.snap(6e-5) == 0.0001
    assert wd.format(0.0) == "0" and wd.format(0.002) == "0.002"


def test_choice_and_toggle():
    c = Choice("opt", ("SGD", "Adam"), "Adam", static=("Adam",))
    assert c.static_values() == ["Adam"]
    with pytest.raises(ValueError, match="'Nadam' is not one of"):
        c.snap("Nadam")
    with pytest.raises(ValueError, match="Invalid default"):
        Choice("opt", ("SGD",), "Adam")
    assert Toggle("t").static_values() == [False, True] and Toggle("t").format(True) == "on"


def test_settings_fill_defaults_snap_and_reject_unknown_names():
    ex = line_explorer()
    assert ex.settings(slope=0.71) == {"slope": 0.7, "offset": 0.1, "kind": "line", "curved": False}
    with pytest.raises(ValueError, match=r"Unknown control\(s\) \['slop'\]"):
        ex.settings(slop=1)


def test_a_control_that_does_not_matter_takes_its_default():
    ex = line_explorer()
    assert ex.settings(kind="inf", offset=0.5)["offset"] == 0.1
    assert ex.settings(kind="line", offset=0.5)["offset"] == 0.5
    with pytest.raises(ValueError, match="depends on unknown control"):
        Explorer({"a": Slider("a", 0, 1, 1, default=0, when={"b": (1,)})}, None, None, readout=str)


def test_explorer_results_are_cached_and_rerun_only_for_new_settings():
    calls = []
    ex = line_explorer(calls)
    first = ex.result(slope=0.5)
    assert ex.result(slope=0.5) is first
    ex.result(slope=0.6)
    assert [c[0] for c in calls] == [0.5, 0.6]


# ---------------------------------------------------------------- live mode --

def test_setting_a_control_reruns_and_redraws_setting_the_same_value_does_not():
    calls = []
    view = LiveView(line_explorer(calls), threaded=False)
    assert (view.runs, view.draws) == (1, 1)
    first_image, first_text = bytes(view.image.value), view.text
    assert first_image.startswith(b"\x89PNG") and first_text == "max 1.100"

    view.controls["slope"].value = 2.0
    assert (view.runs, view.draws) == (2, 2)
    assert bytes(view.image.value) != first_image and view.text == "max 2.100"
    assert 'aria-live="polite"' in view.readout.value and "max 2.100" in view.readout.value

    view.controls["slope"].value = 2.0  # the same value: nothing happens
    view.tick()
    assert (view.runs, view.draws) == (2, 2) and len(calls) == 2


def test_a_control_that_does_not_matter_is_disabled_and_does_not_rerun():
    view = LiveView(line_explorer(), threaded=False)
    assert not view.controls["offset"].disabled
    view.controls["kind"].value = "inf"
    assert view.controls["offset"].disabled
    runs = view.runs
    view.controls["offset"].value = 0.5
    assert view.runs == runs


def test_live_controls_are_labelled_and_log_sliders_show_round_values():
    view = LiveView(line_explorer(), threaded=False)
    assert [w.description for w in view.controls.values()] == ["slope", "offset", "kind", "curved"]
    assert view.controls["slope"].step == 0.1  # set explicitly, never ipywidgets' default snapping
    assert [label for label, _ in view.controls["offset"].options[:3]] == ["0.001", "0.002", "0.005"]


def test_an_overflowing_run_shows_its_readout_without_any_warning():
    view = LiveView(line_explorer(), threaded=False)
    view.controls["kind"].value = "inf"  # the module is marked filterwarnings("error")
    assert view.text == "max inf" and view.error is None


def test_an_error_in_a_live_explorer_becomes_readout_text_not_a_traceback():
    ex = line_explorer()
    view = LiveView(ex, threaded=True)
    ex.run_fn = lambda **values: 1 / 0
    view.controls["slope"].value = 0.2
    assert view.wait_idle(5)
    assert isinstance(view.error, ZeroDivisionError)
    assert view.text.startswith("Could not draw this setting (ZeroDivisionError")
    view.close()


def test_rapid_slider_moves_do_not_queue_up_the_latest_value_wins():
    calls = []
    view = LiveView(line_explorer(calls, delay=0.05), threaded=True)
    for i in range(1, 21):
        view.controls["slope"].value = i / 10
    assert view.wait_idle(10)
    slopes = [c[0] for c in calls]
    assert slopes[-1] == 2.0 and view.text == "max 2.100"
    # 1 initial run, at most one already running when the moves began, and the last one.
    assert len(slopes) <= 3, slopes
    view.close()


def test_step_reset_and_play_in_synchronous_mode():
    view = LiveView(counter_explorer(), threaded=False)
    assert view.state.epoch == 0 and view.epoch_label.value == "epoch 0"
    view.step()
    assert view.state.epoch == 2 and view.text == "epoch 2"  # one frame = epochs_per_frame
    view.play()
    assert view.play_button.description == "Pause"
    view.tick()
    assert view.state.epoch == 6
    view.pause()
    view.tick()
    assert view.state.epoch == 6 and view.play_button.description == "Play"
    view.reset()
    assert view.state.epoch == 0 and view.runs == 2


def test_play_stops_at_max_epochs_and_play_again_restarts():
    view = LiveView(counter_explorer(max_epochs=6), threaded=False)
    view.play()
    for _ in range(5):
        view.tick()
    assert view.state.epoch == 6 and view.play_button.description == "Play"
    view.play()
    assert view.state.epoch == 2 and view.runs == 2  # a fresh init, then the first frame


def test_a_diverging_run_stops_playing_and_says_where():
    view = LiveView(counter_explorer(), threaded=False)
    view.controls["rate"].value = 10
    view.play()
    for _ in range(10):
        view.tick()
    assert view.state.diverged_at == 5 and view.state.epoch == 5
    assert view.text == "diverged at epoch 5" and view.play_button.description == "Play"
    assert view.error is None


def test_pause_stops_at_once_while_playing_on_the_worker_thread():
    view = LiveView(counter_explorer(step_delay=0.01, max_epochs=10_000), threaded=True)
    view.play()
    deadline = time.perf_counter() + 5
    while view.state.epoch < 10 and time.perf_counter() < deadline:
        time.sleep(0.005)
    view.pause()
    at_pause = view.state.epoch
    assert view.wait_idle(5)
    stopped = view.state.epoch
    time.sleep(0.2)
    assert view.state.epoch == stopped
    assert stopped - at_pause <= 2, "more than the frame in progress ran after Pause"
    assert view.play_button.description == "Play"
    view.close()


def test_closing_stops_the_worker_thread():
    view = LiveView(line_explorer(), threaded=True)
    assert view.worker.is_alive()
    view.close()
    view.worker.join(timeout=2)
    assert not view.worker.is_alive()


# -------------------------------------------------------------- static mode --

def _data(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="[^"]+">(.*?)</script>', html, re.S).group(1))


def test_static_html_has_labelled_controls_a_live_readout_and_no_external_url():
    html = explorer_html(line_explorer(), uid="dlbx-test")
    assert html.startswith('<div class="dlbx" id="dlbx-test">')
    for i in range(4):
        assert f'<label for="dlbx-test-c{i}">' in html
    assert html.count('type="range"') == 2 and "<select" in html and 'type="checkbox"' in html
    assert 'aria-live="polite"' in html and '<img class="dlbx-img" src="data:image/png;base64,' in html
    code = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)  # the rest is markup and script
    for external in ("http:", "https:", "//", "cdn", "fetch(", "import(", "XMLHttpRequest", "<link"):
        assert external not in code.lower().replace("http-equiv", ""), external


def test_static_grid_covers_every_combination_and_stores_each_distinct_image_once():
    calls = []
    ex = line_explorer(calls)
    data = _data(explorer_html(ex))
    sizes = data["sizes"]
    assert sizes == [5, 4, 2, 2]  # slope: 5 spaced values; offset: decades + default; kind; curved
    assert len(data["map"]) == np.prod(sizes) and data["frames"] == [0]
    # With kind="inf" the offset does not matter: 5 * 2 settings instead of 5 * 4 * 2.
    distinct = 5 * 4 * 2 + 5 * 2
    assert len(calls) == distinct
    assert len(data["images"]) <= distinct and len(set(data["images"])) == len(data["images"])
    # The first key (all indices 0) is slope 0, offset 0.001, line, straight: max = 0.001.
    assert data["texts"][data["tmap"][0]] == "max 0.001"
    # when: offset (control 1) matters only for kind (control 2) index 0 ("line").
    assert data["when"] == [None, [[2, [0]]], None, None]


def test_static_training_explorer_has_frames_and_repeats_the_image_after_divergence():
    html = explorer_html(counter_explorer())
    data = _data(html)
    assert data["frames"] == [0, 4, 8] and 'class="dlbx-play"' in html and "data-dlbx-frame" in html
    # rate 10 diverges at epoch 5: frames 4 and 8 differ, 8 shows the diverged state.
    texts = [data["texts"][j] for j in data["tmap"]]
    rate_1, rate_10 = texts[:3], texts[-3:]
    assert rate_1 == ["epoch 0", "epoch 4", "epoch 8"]
    assert rate_10 == ["epoch 0", "epoch 4", "diverged at epoch 5"]


def test_trained_reuses_a_run_the_website_precomputed_and_hands_out_copies():
    ex = counter_explorer(max_epochs=8)
    calls = []
    init = ex.init_fn
    ex.init_fn = lambda **settings: calls.append(settings) or init(**settings)
    explorer_html(ex)
    computed = len(calls)
    first = ex.trained(rate=1)  # epoch 8, the last frame: the precomputed run
    assert len(calls) == computed and first.values == [1, 2, 3, 4, 5, 6, 7, 8]
    first.values.clear()
    assert ex.trained(rate=1).values == [1, 2, 3, 4, 5, 6, 7, 8]  # the caller's changes stay its own
    assert ex.trained(rate=10).diverged_at == 5 and len(calls) == computed
    assert ex.trained(3, rate=1).values == [1, 2, 3] and len(calls) == computed + 1  # not precomputed


def test_two_static_explorers_never_share_an_element_id():
    a, b = explorer_html(line_explorer(slopes=[1])), explorer_html(line_explorer(slopes=[1]))
    ids_a = set(re.findall(r'id="([^"]+)"', a))
    ids_b = set(re.findall(r'id="([^"]+)"', b))
    assert ids_a and not ids_a & ids_b


def test_static_budget_is_enforced_with_a_clear_error():
    with pytest.raises(StaticBudgetError, match=r"over its 0.01 MB budget .*values per control: slope: 2, offset: 4"):
        explorer_html(line_explorer(slopes=[0, 1]), budget=10_000)


def test_mode_switch_reads_the_environment(monkeypatch):
    monkeypatch.setenv("DLBOOK_EXPLORERS", "static")
    assert static_mode()
    monkeypatch.setenv("DLBOOK_EXPLORERS", "live")
    assert not static_mode()
    monkeypatch.delenv("DLBOOK_EXPLORERS")
    assert not static_mode()


def test_show_displays_html_in_static_mode_and_widgets_otherwise(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    monkeypatch.setenv("DLBOOK_EXPLORERS", "static")
    counter_explorer().show()
    assert shown[-1]._repr_html_().startswith('<div class="dlbx"')
    monkeypatch.setenv("DLBOOK_EXPLORERS", "")
    counter_explorer().show()
    assert type(shown[-1]).__name__ == "VBox"
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # as if it were not installed
    counter_explorer().show()
    assert shown[-1]._repr_html_().startswith('<div class="dlbx"')


def test_computing_silences_overflow_and_uses_one_blas_thread_then_restores():
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads():
        return [lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]

    before = blas_threads()
    with computing():
        assert np.exp(np.float64(1000.0)) == np.inf  # no RuntimeWarning (this module turns them into errors)
        with computing():
            assert set(blas_threads()) <= {1}
        assert set(blas_threads()) <= {1}  # still limited: the outer one has not finished
    assert blas_threads() == before
