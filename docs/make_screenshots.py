"""Screenshots of `striate serve` and `train --watch` for the README (docs/tour/serve-*.png).

    python docs/make_screenshots.py --data-dir path/to/mnist     # or `make screenshots`

The same pieces as the page's browser tests (tests/web/browser.py): the real server on
127.0.0.1, headless Chromium driven by Playwright (pip install playwright; Debian's
chromium), a 7 drawn with the mouse. The model: LeNet-5 trained for one epoch on 12,000
MNIST digits with --data-dir, else on drawn seven-segment digits. The pictures are cut to
the panel they show and stored with a palette (small files).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests.web.browser

from tests.web.browser import SEVEN, Served, Training, Visit, browser, missing, trained_lenet  # noqa: E402

WIDTH = 1100  # the browser window, in CSS pixels (one screen pixel each)


def save(png: bytes, path: Path) -> None:
    """The screenshot with at most 256 colours (the page is flat colours and text), optimised."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    print(f"{path} ({image.width}×{image.height}, {path.stat().st_size // 1024} KiB)")


def clip(page, selector: str, height: int | None = None, pad: int = 8) -> dict:
    """The region of the page the element covers (its first `height` pixels), with a margin."""
    box = page.locator(selector).bounding_box()
    h = box["height"] if height is None else min(height, box["height"])
    return {"x": max(0, box["x"] - pad), "y": max(0, box["y"] - pad),
            "width": min(WIDTH, box["width"] + 2 * pad), "height": h + 2 * pad}


def mnist_model(folder: str):
    import numpy as np

    from striate import models
    from striate.datasets import mnist

    x, y = mnist.load_split(folder, "train")
    x = x[:12000].astype(np.float32) / 255
    model = models.get("lenet5", seed=0)
    model.compile("adam", metrics=["accuracy"])
    model.fit(x, y[:12000], epochs=1, batch_size=32, verbose=0)
    model.class_names = [str(k) for k in range(10)]
    return model


def page_shots(chromium, model, out: Path) -> None:
    with Served(model) as served:
        visit = Visit(chromium, served.url, width=WIDTH, height=1000)
        page = visit.open()
        visit.draw(SEVEN)
        page.wait_for_timeout(300)
        save(page.screenshot(clip=clip(page, "#input-section")), out / "serve-draw.png")

        # the arithmetic of one pixel of the first convolution, in the middle of the stroke
        page.locator("[data-testid=map-1-0]").scroll_into_view_if_needed()
        box = page.locator("[data-testid=map-1-0]").bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.3)
        page.wait_for_selector("[data-testid=arithmetic-computed]")
        page.wait_for_timeout(300)
        page.evaluate("() => document.getElementById('forward-section').scrollIntoView()")
        save(page.screenshot(clip=clip(page, "#forward-section", height=760)), out / "serve-arithmetic.png")

        with page.expect_response(lambda r: r.url.endswith("/api/backward")):
            page.select_option("[data-testid=class-picker]", "7")
        page.wait_for_selector("[data-testid=saliency-map][data-class='7']")
        page.evaluate("() => document.getElementById('backward-section').scrollIntoView()")
        save(page.screenshot(clip=clip(page, "#backward-section", height=640)), out / "serve-saliency.png")
        visit.close()


def watch_shot(chromium, out: Path, data=None) -> None:
    with Training(epochs=2, every=0.3, data=data) as run:
        visit = Visit(chromium, run.served.url, width=WIDTH, height=1000)
        page = visit.open()
        run.start()
        page.wait_for_function("() => document.querySelector('[data-testid=training-status]')"
                               ".textContent.startsWith('Finished')", timeout=300000)
        page.wait_for_timeout(500)
        save(page.screenshot(clip=clip(page, "[data-testid=training-panel]")), out / "serve-watch.png")
        visit.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="folder with the four MNIST IDX files (else drawn digits)")
    parser.add_argument("--out", default=str(HERE / "tour"), help="where the pictures go (default docs/tour)")
    args = parser.parse_args(argv)
    if reason := missing():
        sys.exit(f"make_screenshots: {reason}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    data = None
    if args.data_dir:
        import numpy as np

        from striate.datasets import mnist

        model = mnist_model(args.data_dir)
        (x, y), (xt, yt) = mnist.load_split(args.data_dir, "train"), mnist.load_split(args.data_dir, "test")
        data = (x[:3000].astype(np.float32) / 255, y[:3000], xt[:8].astype(np.float32) / 255, yt[:8])
    else:
        model = trained_lenet()
    with browser() as chromium:
        page_shots(chromium, model, out)
        watch_shot(chromium, out, data)


if __name__ == "__main__":
    main()
