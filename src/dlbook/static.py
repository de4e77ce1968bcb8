"""Static explorers: precompute an explorer over a grid of settings and write one self-contained HTML block.

The website has no Python behind it, so the book build evaluates the explorer
at every combination of each control's ``static_values()`` (and, for a
training explorer, at each of its ``frames``), and writes:

* real form controls (``<input type="range">``, ``<select>``, checkboxes) with
  ``<label>``s, and an ``aria-live`` readout;
* every distinct image once, as an inline ``data:`` URI (identical images, e.g.
  where a control has no effect, are stored once);
* a few lines of plain JavaScript that look up the image for the chosen
  settings. Nothing is fetched from anywhere: the page works offline.

A training explorer with mid-run scenarios (``scenarios=``, see `dlbook.hot`)
gets one more control, "mid-run change": "none" shows the grid above; a
scenario shows its precomputed run, with its change marked on the curves, and
grays out the other controls (its settings are its own).

All element ids start with the block's unique id, so two explorers on one page
never interfere.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json
import math
from dataclasses import replace
from typing import Any

from dlbook.controls import Choice, Toggle

SCENARIO, NO_SCENARIO = "scenario", "none"

__all__ = ["explorer_html", "StaticBudgetError", "BUDGET_BYTES"]

BUDGET_BYTES = 2_000_000
_counter = itertools.count(1)

_CSS = """
#{uid} {{ font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1em 0; max-width: 760px; }}
#{uid} .dlbx-controls {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr));
  gap: .35em 1.4em; align-items: center; margin-bottom: .5em; }}
#{uid} .dlbx-control {{ display: flex; gap: .5em; align-items: center; }}
#{uid} .dlbx-control input[type=range] {{ flex: 1; min-width: 6em; }}
#{uid} output {{ min-width: 3.2em; font-variant-numeric: tabular-nums; }}
#{uid} .dlbx-frames {{ display: flex; gap: .6em; align-items: center; margin: .3em 0; }}
#{uid} .dlbx-frames input[type=range] {{ flex: 1; max-width: 24em; }}
#{uid} button {{ font: inherit; padding: .15em .8em; cursor: pointer; }}
#{uid} img {{ display: block; max-width: 100%; height: auto; }}
#{uid} .dlbx-readout {{ font-weight: 600; margin: .3em 0; }}
#{uid} .dlbx-note {{ font-size: 85%; opacity: .75; margin: 0; }}
"""

# Plain ES5: no build step, no library. `data.map[k * frames + f]` is the image
# for settings index k (mixed radix over the controls, last control fastest).
# The block is found from the script itself: JupyterLab runs a trusted output's
# scripts before the output is attached to the page, where getElementById fails.
_JS = """
(function (root) {
  "use strict";
  var data = JSON.parse(root.querySelector("script[type='application/json']").textContent);
  var controls = root.querySelectorAll("[data-dlbx-control]");
  var frame = root.querySelector("[data-dlbx-frame]");
  var play = root.querySelector(".dlbx-play");
  var img = root.querySelector(".dlbx-img");
  var readout = root.querySelector(".dlbx-readout");
  var timer = null;
  function pick(el) { return parseInt(el.type === "checkbox" ? (el.checked ? el.dataset.on : el.dataset.off) : el.value, 10); }
  function label(el, text) {
    var out = root.querySelector("output[for='" + el.id + "']");
    if (out) { out.textContent = text; }
    if (el.type === "range") { el.setAttribute("aria-valuetext", text); }
  }
  function show() {
    var k = 0, f = 0;
    var at = [];
    for (var i = 0; i < controls.length; i++) {
      at.push(pick(controls[i]));
      k = k * data.sizes[i] + at[i];
      label(controls[i], data.labels[i][at[i]]);
    }
    for (i = 0; i < controls.length; i++) {
      var on = data.sizes[i] > 1;
      (data.when[i] || []).forEach(function (w) { on = on && w[1].indexOf(at[w[0]]) >= 0; });
      controls[i].disabled = !on;
    }
    if (frame) { f = pick(frame); label(frame, String(data.frames[f])); }
    var j = k * data.frames.length + f;
    img.src = data.images[data.map[j]];
    readout.textContent = data.texts[data.tmap[j]];
    img.alt = data.alt + " " + readout.textContent;
  }
  function stop() {
    clearInterval(timer); timer = null;
    play.textContent = "\\u25B6 Play"; play.setAttribute("aria-pressed", "false");
  }
  if (play) {
    play.addEventListener("click", function () {
      if (timer) { stop(); return; }
      if (pick(frame) >= data.frames.length - 1) { frame.value = 0; show(); }
      play.textContent = "\\u23F8 Pause"; play.setAttribute("aria-pressed", "true");
      timer = setInterval(function () {
        var f = pick(frame) + 1;
        if (f >= data.frames.length) { stop(); return; }
        frame.value = f; show();
      }, 450);
    });
  }
  root.addEventListener("input", show);
  root.addEventListener("change", show);
  show();
})(document.currentScript ? document.currentScript.parentNode : document.getElementById("{uid}"));
"""


class StaticBudgetError(ValueError):
    """The precomputed explorer would be larger than its byte budget."""


def _default_index(control: Any, values: list) -> int:
    """Where the control's default sits among the precomputed values (the nearest, if absent)."""
    default = control.snap(control.default)
    if default in values:
        return values.index(default)
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        return min(range(len(values)), key=lambda i: abs(math.log(values[i]) - math.log(default))
                   if default > 0 and values[i] > 0 else abs(values[i] - default))
    return 0


def _control_html(uid: str, i: int, control: Any, values: list, index: int) -> str:
    """One labelled form control; it selects an index into `values` (its precomputed values)."""
    cid = f"{uid}-c{i}"
    label = html.escape(control.label)
    fixed = ' disabled title="Fixed on the website: run the notebook to change it"' if len(values) == 1 else ""
    if isinstance(control, Toggle):
        checked = " checked" if values[index] else ""
        # Which precomputed value each state selects: a toggle fixed at True has only index 0.
        on, off = (values.index(v) if v in values else index for v in (True, False))
        return (f'<div class="dlbx-control"><input type="checkbox" id="{cid}" data-dlbx-control'
                f' data-on="{on}" data-off="{off}"{checked}{fixed}><label for="{cid}">{label}</label></div>')
    if isinstance(control, Choice):
        options = "".join(f'<option value="{j}"{" selected" if j == index else ""}>'
                          f"{html.escape(control.format(v))}</option>" for j, v in enumerate(values))
        return (f'<div class="dlbx-control"><label for="{cid}">{label}</label>'
                f'<select id="{cid}" data-dlbx-control{fixed}>{options}</select></div>')
    shown = html.escape(control.format(values[index]))
    return (f'<div class="dlbx-control"><label for="{cid}">{label}</label>'
            f'<input type="range" id="{cid}" data-dlbx-control min="0" max="{len(values) - 1}" step="1" '
            f'value="{index}" aria-valuetext="{shown}"{fixed}>'
            f'<output id="{cid}-out" for="{cid}">{shown}</output></div>')


def _static_controls(explorer: Any) -> dict:
    """The explorer's controls, plus "mid-run change" if it has scenarios (which then gray the others out)."""
    scenarios = list(getattr(explorer, "scenarios", None) or ())
    if not scenarios:
        return dict(explorer.controls)
    controls = {name: replace(c, when={**(c.when or {}), SCENARIO: (NO_SCENARIO,)})
                for name, c in explorer.controls.items()}
    controls[SCENARIO] = Choice("mid-run change", (NO_SCENARIO, *scenarios), NO_SCENARIO)
    return controls


def _states(explorer: Any, settings: dict, frames: list[int]):
    """The training states at each frame: a scenario's run, or a plain run at these settings."""
    scenario = settings.get(SCENARIO, NO_SCENARIO)
    if scenario != NO_SCENARIO:
        yield from explorer.play_scenario(scenario, frames)
        return
    state = explorer.start(**settings)
    for epoch in frames:
        state = explorer.advance(state, epoch - state.epoch)
        yield state
    explorer.remember(settings, frames[-1], state)  # the chapter's readouts reuse the finished run


def _evaluate(explorer: Any, settings: dict, frames: list[int], colors: int) -> list[tuple[bytes, str]]:
    """``(png, readout)`` at these settings: one for a result explorer, one per frame for a training one."""
    if not explorer.training:
        return [explorer.render(explorer.result(**settings), dpi=explorer.static_dpi, colors=colors)]
    shown, out = None, []
    for state in _states(explorer, settings, frames):
        if shown is None or state.epoch != shown[0]:  # a diverged run stops: its last image repeats
            shown = (state.epoch, explorer.render(state, dpi=explorer.static_dpi, colors=colors))
        out.append(shown[1])
    return out


def _precompute(explorer: Any, names: list[str], grids: list[list], frames: list[int], colors: int) -> dict:
    """Evaluate every combination of the grids (and every frame), storing each distinct image once.

    Returns the data the page's script reads: ``images`` (data URIs), ``texts``
    (readouts), and ``map`` / ``tmap``: for combination k and frame f, entry
    ``k * len(frames) + f`` is the index of its image / readout. Also
    ``settings``: how many distinct settings were computed.
    """
    images: dict[bytes, int] = {}
    texts: dict[str, int] = {}
    image_map: list[int] = []
    text_map: list[int] = []
    # Settings that differ only in a control that does not matter (see `when`) are computed once.
    done: dict[tuple, list[tuple[bytes, str]]] = {}
    for combo in itertools.product(*grids):  # the last control varies fastest
        values = dict(zip(names, combo))
        scenario = values.pop(SCENARIO, NO_SCENARIO)
        settings = {SCENARIO: scenario} if scenario != NO_SCENARIO else explorer.settings(**values)
        key = tuple(settings.items())
        if key not in done:
            done[key] = _evaluate(explorer, settings, frames, colors)
        for png, text in done[key]:
            image_map.append(images.setdefault(png, len(images)))
            text_map.append(texts.setdefault(text, len(texts)))
    uris = ["data:image/png;base64," + base64.b64encode(png).decode("ascii") for png in images]
    return {"images": uris, "map": image_map, "texts": list(texts), "tmap": text_map, "settings": len(done)}


def _when(controls: list, names: list[str], grids: list[list]) -> list:
    """For each control: None, or ``[[j, [indices of control j's values for which it matters]], ...]``."""
    out = []
    for control in controls:
        conditions = [[names.index(other), [k for k, v in enumerate(grids[names.index(other)]) if v in allowed]]
                      for other, allowed in (control.when or {}).items()]
        out.append(conditions or None)
    return out


def explorer_html(explorer: Any, *, budget: int = BUDGET_BYTES, colors: int = 64,
                  uid: str | None = None) -> str:
    """Precompute `explorer` over its static grid and return the HTML block.

    Args:
        explorer: an `Explorer` or `TrainingExplorer` from `dlbook.widgets`.
        budget: the largest allowed size in bytes (default 2 MB).
        colors: colors per image (fewer -> smaller files).
        uid: the block's element id; default: derived from its content.

    Returns:
        One ``<div>`` with inline styles, images, data and script.

    Raises:
        StaticBudgetError: if the block would exceed `budget`; it names the
            controls to precompute fewer values of.
    """
    static_controls = _static_controls(explorer)
    names = list(static_controls)
    controls = list(static_controls.values())
    grids = [c.static_values() for c in controls]
    frames = list(explorer.frames) if explorer.training else [0]
    data = _precompute(explorer, names, grids, frames, colors)
    count = data.pop("settings")
    data.update(sizes=[len(g) for g in grids], labels=[[c.format(v) for v in g] for c, g in zip(controls, grids)],
                when=_when(controls, names, grids), frames=frames, alt=explorer.alt)
    # "<" escaped so no string in the data can close the <script> element.
    payload = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
    if uid is None:
        uid = f"dlbx-{hashlib.sha1(payload.encode()).hexdigest()[:8]}-{next(_counter)}"

    # What the page shows before any script runs: the defaults, fully trained.
    defaults = [_default_index(c, g) for c, g in zip(controls, grids)]
    start = 0
    for size, index in zip(data["sizes"], defaults):
        start = start * size + index
    start = start * len(frames) + len(frames) - 1
    first_text = data["texts"][data["tmap"][start]]

    parts = [f'<div class="dlbx" id="{uid}">', f"<style>{_CSS.format(uid=uid)}</style>"]
    if explorer.title:
        parts.append(f'<p class="dlbx-title"><b>{html.escape(explorer.title)}</b></p>')
    parts.append('<div class="dlbx-controls">')
    parts += [_control_html(uid, i, c, g, d) for i, (c, g, d) in enumerate(zip(controls, grids, defaults))]
    parts.append("</div>")
    if explorer.training:
        fid = f"{uid}-f"
        parts.append(
            f'<div class="dlbx-frames"><button type="button" class="dlbx-play" aria-pressed="false">'
            f'&#9654; Play</button><label for="{fid}">epoch</label>'
            f'<input type="range" id="{fid}" data-dlbx-frame min="0" max="{len(frames) - 1}" step="1" '
            f'value="{len(frames) - 1}" aria-valuetext="{frames[-1]}">'
            f'<output id="{fid}-out" for="{fid}">{frames[-1]}</output></div>')
    each = f", each at {len(frames)} epochs" if explorer.training else ""
    parts += [
        f'<img class="dlbx-img" src="{data["images"][data["map"][start]]}" '
        f'alt="{html.escape(explorer.alt + " " + first_text)}">',
        f'<p class="dlbx-readout" role="status" aria-live="polite">{html.escape(first_text)}</p>',
        f'<p class="dlbx-note">Precomputed for {count} setting{"s" if count != 1 else ""}{each}. '
        "Run this page as a notebook to explore any value live.</p>",
        f'<script type="application/json" id="{uid}-data">{payload}</script>',
        f"<script>{_JS.replace('{uid}', uid)}</script>",
        "</div>",
    ]
    block = "\n".join(parts)
    size = len(block.encode("utf-8"))
    if size > budget:
        counts = ", ".join(f"{n}: {len(g)}" for n, g in zip(names, grids))
        raise StaticBudgetError(
            f"Static explorer {explorer.title or uid!r} is {size / 1e6:.2f} MB, over its "
            f"{budget / 1e6:.2f} MB budget ({len(data['images'])} distinct images; values per control: {counts}"
            f"{'; frames: ' + str(len(frames)) if explorer.training else ''}). Precompute fewer values "
            "with a control's static=[...], fewer frames, or a smaller figure.")
    return block
