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
