// The gradient of the loss for the class picked, layer by layer back to the image (POST /api/backward).
"use strict";

S.backward = {};

S.backward.setup = function () {
  const picker = document.getElementById("class-picker");
  picker.replaceChildren(...S.model.classes.map((name, k) => S.element("option", { value: String(k) }, `${k}: ${name}`)));
  picker.addEventListener("change", () => S.backward.refresh());
};

// with a test image, a "true label" entry first (chosen), else the classes only
S.backward.pickerFor = function (label) {
  const picker = document.getElementById("class-picker");
  const old = picker.querySelector("option[data-true]");
  if (old) old.remove();
  if (label !== null && label !== undefined) {
    const option = S.element("option", { value: String(label), "data-true": "1", "data-testid": "true-label-option" },
                             `true label: ${label} (${S.model.classes[label]})`);
    picker.prepend(option);
    picker.value = String(label);
    option.selected = true;
  }
};

S.backward.refresh = async function () {
  if (!S.current) return;
  const picked = Number(document.getElementById("class-picker").value || 0);
  const answer = await S.postJSON("/api/backward", { image: S.current.base64, class: picked });
  document.getElementById("loss-text").textContent =
    ` loss = −ln p[${picked}] = ${S.fmt(answer.loss, 5)}`;
  const saliency = S.decode(answer.saliency);
  saliency.shape = [...saliency.shape, 1];
  const canvas = document.getElementById("saliency-map");
  const top = saliency.max || 1;
  S.paint(canvas, saliency, 0, (v) => S.heat(v / top),
          Math.max(1, Math.floor(280 / Math.max(saliency.shape[0], saliency.shape[1]))));
  canvas.dataset.class = String(picked);
  const box = document.getElementById("backward-layers");
  box.replaceChildren();
  [...answer.layers].reverse().forEach((layer) => {
    const grad = S.decode(layer.grad);
    const section = S.element("div", { class: "layer", "data-testid": `grad-layer-${layer.index}` });
    const top = Math.max(Math.abs(grad.min), Math.abs(grad.max));
    section.append(S.element("h3", {}, `d loss / d output of ${layer.name} (${layer.repr}), |largest| ${S.fmt(top, 3)}`));
    const maps = S.element("div", { class: "maps" });
    if (grad.shape.length === 3) {
      for (let c = 0; c < grad.shape[2]; c++) {
        const map = S.element("canvas", { "data-testid": `grad-map-${layer.index}-${c}`, title: `channel ${c}` });
        S.paintSigned(map, grad, c);
        maps.append(map);
      }
    } else {
      const bars = S.element("canvas", { "data-testid": `grad-vector-${layer.index}` });
      S.paintBars(bars, grad, true);
      maps.append(bars);
    }
    section.append(maps);
    if (layer.kernel_grad) {
      section.append(S.element("div", { class: "scale" }, "its kernel's gradient, d loss / d kernel (one per filter, input channel 0 … ):"));
      const kernels = S.element("div", { class: "maps" });
      S.kernelCanvases(S.decode(layer.kernel_grad), kernels, `kernel-grad-${layer.index}`);
      section.append(kernels);
    }
    box.append(section);
  });
  const input = S.decode(answer.input_grad);
  const section = S.element("div", { class: "layer", "data-testid": "grad-input" });
  section.append(S.element("h3", {}, "d loss / d image (the saliency map above is its largest |value| over channels)"));
  const maps = S.element("div", { class: "maps" });
  for (let c = 0; c < input.shape[2]; c++) {
    const map = S.element("canvas", { "data-testid": `grad-input-${c}` });
    S.paintSigned(map, input, c);
    maps.append(map);
  }
  section.append(maps);
  box.append(section);
};
