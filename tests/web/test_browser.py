"""The page in headless Chromium against the real server: drawing, hovering, gradients, uploads.

Each number the page shows is checked against the model run here (the server runs a twin
of it): the probabilities after a stroke, one activation's arithmetic, the saliency map.
Skips without Playwright or Chromium (fails instead with STRIATE_REQUIRE_BROWSER=1).
"""

import base64
import re

import numpy as np
import pytest

from striate.web import decode, encode

from .conftest import png
from .browser import SEVEN, Visit, digits


def outputs(model, x) -> list[np.ndarray]:
    """Every layer's output for one image x (H, W, C), computed layer by layer: [x, layer 1, ...]."""
    out = [x]
    a = x[None]
    for layer in model.layers:
        a = layer.forward(a, training=False)
        out.append(a[0])
    return out


def image(model, sent: bytes) -> np.ndarray:
    """The image the model sees for the bytes the page sent."""
    x, _ = decode.decode(sent, model.input_shape)
    return x


def hover_map(page, layer: int, row: int, col: int, channel: int, at: float = 0.5):
    """Move the mouse onto map pixel (row, col) of channel `channel` of layer `layer` (1-based),
    `at` of the way across its square on screen (0.5: its centre)."""
    canvas = page.locator(f"[data-testid=map-{layer}-{channel}]")
    canvas.scroll_into_view_if_needed()
    x, y = page.evaluate("""([c, row, col, at]) => {
        const r = c.getBoundingClientRect(), s = Number(c.dataset.scale), k = c.clientWidth / c.width;
        return [r.left + c.clientLeft + (col + at) * s * k, r.top + c.clientTop + (row + at) * s * k];
      }""", [canvas.element_handle(), row, col, at])
    page.mouse.move(x - 3, y - 3)
    page.mouse.move(x, y)


def numbers_after(text: str, label: str) -> float:
    """The number written after `label` in the panel's text (− as minus)."""
    match = re.search(re.escape(label) + r"\s*([−\-]?[0-9.]+(?:e[−\-+]?[0-9]+)?)", text)
    assert match, f"{label!r} not in the panel: {text!r}"
    return float(match.group(1).replace("−", "-"))


def test_a_stroke_changes_the_probabilities_to_the_models(visit, trained):
    before = visit.probabilities()
    sent = visit.draw(SEVEN)
    x = image(trained, sent)
    assert x.max() > 0.5, "the drawn stroke did not reach the image sent"
    expected = trained.predict_proba(x[None])[0]
    visit.wait_for_probabilities(expected)
    shown = visit.probabilities()
    np.testing.assert_allclose(shown, expected, rtol=1e-5, atol=1e-6)
    assert np.abs(shown - before).max() > 0.05, "the probabilities did not move with the stroke"
    top = int(np.argmax(expected))
    assert "top" in visit.page.get_attribute(f"[data-testid=prob-row-{top}]", "class")
    assert visit.page.text_content(f"[data-testid=prob-value-{top}]") == f"{100 * expected[top]:.1f}%"
    # the page shows what the API answers for the same bytes
    answer = visit.page.request.post(visit.url + "api/predict", data=sent, headers={"Content-Type": "image/png"})
    assert answer.ok
    np.testing.assert_allclose(answer.json()["probabilities"], shown, rtol=1e-6, atol=1e-7)
    assert visit.outside() == [] and visit.console_errors == []


@pytest.mark.parametrize("layer", [1, 3, 4])  # LeNet-5: Conv2D 28×28×6, MaxPool2D 14×14×6, Conv2D 10×10×16
def test_hovering_a_map_pixel_shows_its_arithmetic(visit, trained, layer):
    x = image(trained, visit.draw(SEVEN))
    acts = outputs(trained, x)
    visit.wait_for_probabilities(trained.predict_proba(x[None])[0])
    a = acts[layer]
    channel = int(np.argmax(np.abs(a[:, :, :6]).max(axis=(0, 1))))  # among the first maps: the liveliest
    row, col = np.unravel_index(np.argmax(np.abs(a[:, :, channel])), a.shape[:2])
    hover_map(visit.page, layer, int(row), int(col), channel)
    place = f"at row {row}, column {col}, channel {channel}"
    visit.page.wait_for_function("(place) => document.querySelector('[data-testid=arithmetic-panel] h3')"
                                 "?.textContent.includes(place)", arg=place)
    panel = visit.page.text_content("[data-testid=arithmetic-panel]")
    value = float(visit.page.get_attribute("[data-testid=arithmetic-value]", "data-value"))
    computed = float(visit.page.get_attribute("[data-testid=arithmetic-computed]", "data-value"))
    np.testing.assert_allclose([value, computed], a[row, col, channel], rtol=1e-4, atol=1e-5)
    assert abs(a[row, col, channel]) > 1e-3, "hovered a value of zero: the check would be weak"
    if layer in (1, 4):  # a convolution: Σ products + bias = the value
        conv = trained.layers[layer - 1]
        total, bias = numbers_after(panel, "Σ products ="), numbers_after(panel, "+ bias")
        assert bias == pytest.approx(conv.params["bias"][channel], rel=1e-5, abs=1e-6)
        assert total + bias == pytest.approx(a[row, col, channel], rel=1e-4, abs=1e-5)
        kernel = visit.page.locator("[data-testid=arithmetic-panel] table.numbers").nth(1)
        shown = [float(t.replace("−", "-")) for t in kernel.locator("td").all_text_contents()]
        np.testing.assert_allclose(shown, conv.params["kernel"][:, :, 0, channel].ravel(), rtol=6e-3, atol=1e-6)
    else:  # max pooling: the window's largest value, from the convolution's ReLU before it
        window = acts[layer - 1][2 * row:2 * row + 2, 2 * col:2 * col + 2, channel]
        assert a[row, col, channel] == pytest.approx(window.max(), rel=1e-6)
        assert "the winner at row" in panel
    assert visit.outside() == [] and visit.console_errors == []


@pytest.mark.parametrize("row, col, at", [(0, 0, 0.9), (27, 27, 0.1), (27, 0, 0.1), (13, 20, 0.5)])
def test_the_pixel_under_the_pointer_is_the_one_explained(visit, row, col, at):
    """Near the edges of a map's squares too (the canvas has a border: positions are measured inside it)."""
    hover_map(visit.page, 1, row, col, 2, at=at)
    place = f"at row {row}, column {col}, channel 2"
    visit.page.wait_for_function("(place) => document.querySelector('[data-testid=arithmetic-panel] h3')"
                                 "?.textContent.includes(place)", arg=place)


def test_picking_a_class_draws_its_saliency_map(visit, trained):
    sent = visit.draw(SEVEN)
    for k in (3, 7):
        with visit.page.expect_response(lambda r: r.url.endswith("/api/backward")):
            visit.page.select_option("[data-testid=class-picker]", str(k))
        visit.page.wait_for_selector(f"[data-testid=saliency-map][data-class='{k}']")
        brightness = np.array(visit.page.evaluate("""() => {  // r + g + b at each input pixel's cell centre
            const c = document.querySelector('[data-testid=saliency-map]'), s = c.width / 28;
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, out = [];
            for (let i = 0; i < 28; i++) for (let j = 0; j < 28; j++) {
              const at = 4 * ((i * s + s / 2 | 0) * c.width + (j * s + s / 2 | 0));
              out.push(d[at] + d[at + 1] + d[at + 2]);
            }
            return out;
          }""")).reshape(28, 28)
        assert (brightness > 0).mean() > 0.05, "the saliency map is (nearly) black"
        answer = visit.page.request.post(visit.url + "api/backward",
                                         data={"image": base64.b64encode(sent).decode(), "class": k})
        saliency = encode.decode(answer.json()["saliency"])
        assert np.unravel_index(np.argmax(brightness), brightness.shape) == np.unravel_index(
            np.argmax(saliency), saliency.shape)
        assert (brightness[saliency == 0] == 0).all()
        assert "loss = −ln p[" + str(k) + "]" in visit.page.text_content("[data-testid=loss-text]")
    assert visit.outside() == [] and visit.console_errors == []


def test_an_uploaded_png_is_predicted(visit, trained):
    x, y = digits(1, seed=11, size=56)  # twice the model's size: the page says it was resized
    data = png(x[0])
    with visit.page.expect_response(lambda r: r.url.endswith("/api/forward")):
        visit.page.set_input_files("[data-testid=upload-input]",
                                   files=[{"name": "digit.png", "mimeType": "image/png", "buffer": data}])
    expected = trained.predict_proba(image(trained, data)[None])[0]
    visit.wait_for_probabilities(expected)
    assert "resized from 56×56 to 28×28" in visit.page.text_content("[data-testid=input-notes]")
    assert visit.page.text_content("[data-testid=status]") == ""
    assert visit.outside() == [] and visit.console_errors == []


def test_an_upload_that_is_not_an_image_says_so(visit):
    before = visit.probabilities()
    with visit.page.expect_response(lambda r: r.url.endswith("/api/forward")) as answer:
        visit.page.set_input_files("[data-testid=upload-input]",
                                   files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hello, world"}])
    assert answer.value.status == 400
    status = visit.page.locator("[data-testid=status]")
    status.wait_for(state="visible")
    visit.page.wait_for_function("() => document.querySelector('[data-testid=status]').textContent !== ''")
    assert re.search(r"notes\.txt.*not a PNG or JPEG image", status.text_content())
    np.testing.assert_array_equal(visit.probabilities(), before)  # the image shown stays
    # the browser reports the refused request itself; nothing else is logged
    assert [e for e in visit.console_errors if "status of 400" not in e] == []
    assert visit.outside() == []


def test_the_page_reaches_nothing_but_this_server(chromium, served, trained):
    """A whole session (load, draw, hover, pick a class) requests only 127.0.0.1 and logs no error."""
    visit = Visit(chromium, served.url)
    try:
        visit.open()
        x = image(trained, visit.draw(SEVEN))
        visit.wait_for_probabilities(trained.predict_proba(x[None])[0])
        hover_map(visit.page, 1, 14, 14, 0)
        visit.page.wait_for_selector("[data-testid=arithmetic-computed]")
        visit.page.select_option("[data-testid=class-picker]", "1")
        visit.page.wait_for_selector("[data-testid=saliency-map][data-class='1']")
        visit.page.click("[data-testid=clear-button]")
        visit.wait_for_probabilities(trained.predict_proba(np.zeros((1, 28, 28, 1), np.float32))[0])
        assert len(visit.requests) > 5
        assert visit.outside() == []
        assert visit.console_errors == []
    finally:
        visit.close()


def test_the_training_panel_follows_a_run(chromium):
    """`train --watch` in one process: the curves are drawn, the run ends 'Finished', and the
    predictions shown (fixed test images, and the image on the page) are the trained model's."""
    from .browser import Training

    with Training(images=640, epochs=2, every=0.2) as run:
        visit = Visit(chromium, run.served.url)
        try:
            visit.open()
            assert visit.page.is_visible("[data-testid=training-panel]")
            run.start()
            visit.page.wait_for_function("() => document.querySelector('[data-testid=training-status]')"
                                         ".textContent.startsWith('Finished')", timeout=60000)
            run.join()
            ink = visit.page.evaluate("""() => {  // pixels of the loss curve's colour
                const c = document.querySelector('[data-testid=loss-chart]');
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let n = 0;
                for (let i = 0; i < d.length; i += 4) n += d[i] > 150 && d[i + 1] < 120 && d[i + 2] < 120;
                return n;
              }""")
            assert ink > 50, "no loss curve was drawn"
            p = run.model.predict_proba(run.x_test)
            cards = visit.page.locator("[data-testid^=training-prediction-]")
            assert cards.count() == len(run.x_test)
            for i in range(cards.count()):  # "7 95%" above "true: 7"
                best = int(np.argmax(p[i]))
                name, percent = re.match(r"(\S+) (\d+)%", cards.nth(i).text_content()).groups()
                assert name == str(best) and abs(int(percent) - 100 * p[i, best]) <= 0.5 + 1e-9
            blank = run.model.predict_proba(np.zeros((1, 28, 28, 1), np.float32))[0]
            visit.wait_for_probabilities(blank)  # the page's own image, on the final weights
            assert visit.outside() == [] and visit.console_errors == []
        finally:
            visit.close()
