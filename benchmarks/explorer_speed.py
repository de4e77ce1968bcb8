"""How responsive the live explorers are, measured where a reader feels it.

    python benchmarks/explorer_speed.py            # both measurements, ~20 s
    python benchmarks/explorer_speed.py --static   # also: time and size of each website explorer

1. Optimizer explorer, slider to new image: a live view (worker thread, as in
   a kernel) is given a new learning rate; the clock stops when its
   ``ipywidgets.Image`` holds the new PNG. Every value is new, so no cached
   result helps. Target: median <= 150 ms.
2. Playground, redraws per second while playing: Play for a few seconds and
   count the images published. Target: >= 10 per second.

What the browser adds (the PNG's trip over the kernel's websocket, decoding
and painting) is not included; on one machine it is a few milliseconds.
The numbers depend on the machine and on its load: run it on an idle one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time

TARGET_MS = 150.0
TARGET_FPS = 10.0


def slider_to_image_ms(repeats: int) -> list[float]:
    """Milliseconds from setting the learning rate to the new image, for `repeats` new values."""
    from dlbook.explorers import optimizer_explorer
    from dlbook.live import LiveView

    explorer = optimizer_explorer()
    view = LiveView(explorer, threaded=True)
    arrived = threading.Event()
    view.image.observe(lambda change: arrived.set(), names="value")
    lrs = [lr for lr in explorer.controls["lr"].options() if lr != view.controls["lr"].value]
    steps = explorer.controls["steps"].options()
    times = []
    for i in range(repeats):
        # A new (learning rate, steps) pair every time: never served from the result cache.
        lr, n = lrs[i % len(lrs)], steps[(i // len(lrs)) % len(steps)]
        if i % len(lrs) == 0:
            view.controls["steps"].value = n
            view.wait_idle()
        arrived.clear()
        start = time.perf_counter()
        view.controls["lr"].value = lr
        if not arrived.wait(timeout=10):
            raise RuntimeError(f"no new image for lr={lr}")
        times.append(1000 * (time.perf_counter() - start))
        view.wait_idle()
    view.close()
    return times


def playground_fps(seconds: float) -> tuple[float, int]:
    """Images per second while the playground plays, and the epochs it trained."""
    from dlbook.explorers import playground_explorer
    from dlbook.live import LiveView

    view = LiveView(playground_explorer(max_epochs=100_000), threaded=True)
    draws = view.draws
    start = time.perf_counter()
    view.play()
    time.sleep(seconds)
    view.pause()
    elapsed = time.perf_counter() - start
    view.wait_idle()
    fps = (view.draws - draws) / elapsed
    epochs = view.state.epoch
    view.close()
    return fps, epochs


def static_sizes() -> None:
    from dlbook.explorers import optimizer_explorer, overfitting_explorer, playground_explorer
    from dlbook.static import explorer_html

    for make in (optimizer_explorer, playground_explorer, overfitting_explorer):
        start = time.perf_counter()
        html = explorer_html(make())
        seconds = time.perf_counter() - start
        print(f"static {make.__name__}: {len(html.encode()) / 1e6:.2f} MB, built in {seconds:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=40, help="slider moves to time (default 40)")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to play (default 5)")
    parser.add_argument("--static", action="store_true", help="also build each website explorer")
    args = parser.parse_args()

    times = slider_to_image_ms(args.repeats)
    median = statistics.median(times)
    p90 = statistics.quantiles(times, n=10)[-1]
    fps, epochs = playground_fps(args.seconds)
    ok_ms, ok_fps = median <= TARGET_MS, fps >= TARGET_FPS
    print(f"optimizer explorer, slider to new image: median {median:.0f} ms, 90th percentile {p90:.0f} ms "
          f"over {len(times)} moves (target <= {TARGET_MS:.0f} ms: {'met' if ok_ms else 'MISSED'})")
    print(f"playground while playing: {fps:.1f} redraws per second, {epochs} epochs in {args.seconds:g} s "
          f"(target >= {TARGET_FPS:.0f}: {'met' if ok_fps else 'MISSED'})")
    if args.static:
        static_sizes()
    return 0 if ok_ms and ok_fps else 1


if __name__ == "__main__":
    sys.exit(main())
