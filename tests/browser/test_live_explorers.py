"""Browser test 1: in a real JupyterLab, the explorers page runs, a slider redraws, Play trains."""

import re
import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RUN_ALL_TIMEOUT_S = 300


def image(block) -> str:
    return block.locator("img.dlbx-image").get_attribute("src")


def wait_for_change(page, block, selector: str, old: str, timeout: int = 20_000) -> None:
    """Wait until the attribute `src` (images) or the text (others) under `block` differs from `old`."""
    handle = block.locator(selector).element_handle()
    page.wait_for_function(
        "([el, old]) => (el.tagName === 'IMG' ? el.getAttribute('src') : el.textContent) !== old",
        arg=[handle, old], timeout=timeout)


def menu(page, title: str, command: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=title).first.click()
    page.locator(f".lm-Menu-item[data-command='{command}']").click()


PROMPTS = "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent.trim())"


def accept_kernel_dialog(page) -> None:
    """A first open may ask "Select Kernel": accept the notebook's own, python3."""
    accept = page.locator(".jp-Dialog button.jp-mod-accept")
    if accept.count():
        accept.first.click()


def wait_until(page, done, what: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        accept_kernel_dialog(page)
        if done():
            return
        page.wait_for_timeout(250)
    pytest.fail(f"timed out waiting for {what}; prompts: {page.evaluate(PROMPTS)}")


def run_all(page) -> None:
    """Clear the committed outputs, run every cell in the kernel, and wait until each has run."""
    numbered = lambda: (lambda ps: bool(ps) and all(re.fullmatch(r"\[\d+\]:", p) for p in ps))(page.evaluate(PROMPTS))
    idle = page.locator(".jp-StatusBar-TextItem", has_text="Python 3 | Idle")
    wait_until(page, lambda: numbered() and idle.count() > 0, "the notebook and its kernel", 120)
    page.locator(".jp-Notebook .jp-Cell").first.click()
    menu(page, "Edit", "editmenu:clear-all")
    wait_until(page, lambda: all(p == "[ ]:" for p in page.evaluate(PROMPTS)), "cleared outputs", 30)
    menu(page, "Run", "runmenu:run-all")
    wait_until(page, numbered, "every cell to run", RUN_ALL_TIMEOUT_S)


def test_explorers_run_live_in_jupyterlab(jupyterlab, open_page):
    base, token = jupyterlab
    watched = open_page(base)
    page = watched.page
    page.goto(f"{base}/lab/tree/explorers.ipynb?token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    run_all(page)
    explorers = page.locator(".dlbx-live")
    explorers.first.wait_for(timeout=30_000)
    assert explorers.count() == 3

    # The optimizer: one step of the learning-rate slider, from the keyboard, redraws the figure.
    optimizer = explorers.nth(0)
    optimizer.scroll_into_view_if_needed()
    before = image(optimizer)
    assert before
    lr = optimizer.locator(".widget-slider", has=page.locator("label", has_text="learning rate"))
    lr.locator(".noUi-handle").focus()
    page.keyboard.press("ArrowRight")
    wait_for_change(page, optimizer, "img.dlbx-image", before)
    optimizer.locator(".dlbx-readout", has_text="lr 0.125").wait_for(timeout=10_000)

    # The playground: Play trains and redraws; Pause stops.
    playground = explorers.nth(1)
    playground.scroll_into_view_if_needed()
    before = image(playground)
    readout = playground.locator(".dlbx-readout").element_handle()
    epoch_js = "el => +((el.textContent.match(/^Epoch (\\d+)/) || [0, -1])[1])"
    playground.locator("button.dlbx-play").click()
    page.wait_for_function(f"el => ({epoch_js})(el) >= 6", arg=readout, timeout=30_000)
    playground.locator("button.dlbx-play").click()  # now labelled Pause
    at_click = readout.evaluate(epoch_js)
    playground.locator("button.dlbx-play", has_text="Play").wait_for(timeout=10_000)
    assert image(playground) != before
    # Frames the kernel finished before Pause may still be on their way to the page
    # (under load the display lags); after that the epoch must stand still.
    page.wait_for_timeout(1000)
    paused = readout.evaluate(epoch_js)
    assert paused - at_click <= 5 * 2, "training went on after Pause (2 epochs a frame)"
    page.wait_for_timeout(1500)
    assert readout.evaluate(epoch_js) == paused

    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.all_inner_texts()
    assert watched.foreign == [], f"requests left the local server: {watched.foreign}"


# ------------------------------------------------------------------ hot controls --

EPOCH_JS = "el => +((el.textContent.match(/^Epoch (\\d+)/) || [0, -1])[1])"
# Records, while the explorer plays, the epoch of every readout and the time of every new image.
WATCH_JS = """([readout, img]) => {
  const epochs = [], frames = [];
  const epoch = () => +((readout.textContent.match(/^Epoch (\\d+)/) || [0, -1])[1]);
  new MutationObserver(() => epochs.push(epoch())).observe(readout, {subtree: true, childList: true,
                                                                      characterData: true});
  new MutationObserver(() => frames.push(performance.now())).observe(img, {attributes: true,
                                                                           attributeFilter: ["src"]});
  window.__dlbx = {epochs, frames};
}"""


def live_explorer(page, lab: tuple[str, str], notebook: str, title: str):
    """Open a chapter in JupyterLab (`lab`: base URL, token), run it in the kernel, return the explorer titled `title`."""
    base, token = lab
    page.goto(f"{base}/lab/tree/{notebook}?reset&token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    run_all(page)
    block = page.locator(".dlbx-live", has_text=title)
    block.wait_for(timeout=30_000)
    block.scroll_into_view_if_needed()
    return block


def slider_key(page, block, label: str, key: str) -> None:
    """Press `key` on the handle of the slider labelled `label` (one step of the slider)."""
    slider = block.locator(".widget-slider", has=page.locator("label", has_text=label))
    slider.locator(".noUi-handle").focus()
    page.keyboard.press(key)


def play_and_adjust(page, block, changes: list[tuple[str, str, str]], *, to_end: bool = False) -> dict:
    """Press Play; once training runs, make each change ``(slider label, key, expected marker)``.

    Then let it train 3 more epochs and pause, or (`to_end`) play until Play stops at the last epoch.
    Returns what the page recorded: the epoch of every readout and the time of every frame.
    """
    readout = block.locator(".dlbx-readout").element_handle()
    img = block.locator("img.dlbx-image").element_handle()
    page.evaluate(WATCH_JS, [readout, img])
    block.locator("button.dlbx-play").click()
    page.wait_for_function(f"el => ({EPOCH_JS})(el) >= 2", arg=readout, timeout=30_000)
    for label, key, marker in changes:
        slider_key(page, block, label, key)
        block.locator(".dlbx-readout", has_text=marker).wait_for(timeout=10_000)
    changed_at = readout.evaluate(EPOCH_JS)
    # Training goes on after the changes: the epoch keeps rising.
    page.wait_for_function(f"el => ({EPOCH_JS})(el) >= {changed_at + 3}", arg=readout, timeout=30_000)
    if to_end:
        block.locator("button.dlbx-play", has_text="Play").wait_for(timeout=120_000)
    elif block.locator("button.dlbx-play", has_text="Pause").count():
        block.locator("button.dlbx-play").click()
    block.locator("button.dlbx-play", has_text="Play").wait_for(timeout=10_000)
    return page.evaluate("window.__dlbx")


def assert_kept_training(record: dict) -> None:
    epochs = [e for e in record["epochs"] if e >= 0]
    assert epochs, "no readout was recorded"
    drops = [(a, b) for a, b in zip(epochs, epochs[1:]) if b < a]
    assert not drops, f"the epoch counter dropped (a restart?): {drops} in {epochs}"
    assert epochs[-1] >= epochs[0] + 5, epochs


@pytest.fixture
def lab_page(jupyterlab, open_page):
    """A page on the JupyterLab server; after the test, no error output and no request elsewhere."""
    watched = open_page(jupyterlab[0])
    yield watched
    errors = watched.page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.all_inner_texts()
    assert watched.foreign == [], f"requests left the local server: {watched.foreign}"


def test_momentum_explorer_takes_lr_and_alpha_while_it_plays(jupyterlab, lab_page):
    page = lab_page.page
    block = live_explorer(page, jupyterlab, "optimizers.ipynb", "Optimizers training a network on the digits")
    record = play_and_adjust(page, block, [
        ("learning rate", "ArrowLeft", "Changed while training: lr 0.01 → 0.005 at epoch"),
        ("momentum α", "ArrowRight", "α 0.9 → 0.91 at epoch"),
    ], to_end=True)
    assert_kept_training(record)
    frames = record["frames"]
    rate = (len(frames) - 1) / ((frames[-1] - frames[0]) / 1000)
    print(f"momentum explorer, live redraw rate while playing in JupyterLab: {rate:.1f} frames/s "
          f"({len(frames)} frames)")


def test_overfitting_explorer_takes_the_dropout_rate_while_it_plays(jupyterlab, lab_page):
    page = lab_page.page
    block = live_explorer(page, jupyterlab, "regularization.ipynb", "Overfitting, dropout and weight decay")
    record = play_and_adjust(page, block, [
        ("dropout rate", "ArrowRight", "Changed while training: dropout 0 → 0.1 at epoch"),
    ])
    assert_kept_training(record)
