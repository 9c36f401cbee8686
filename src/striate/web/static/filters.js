// Convolution kernels (kh, kw, C, F) as small images: colour pictures over RGB input, else one
// red/blue map per filter and input channel (at most 8 channels), on one scale per layer.
"use strict";

S.kernelCanvases = function (kernel, into, prefix) {
  const [kh, kw, channels, filters] = kernel.shape;
  const top = Math.max(Math.abs(kernel.min), Math.abs(kernel.max)) || 1;
  const scale = Math.max(2, Math.floor(36 / Math.max(kh, kw)));
  const at = (r, c, ch, f) => kernel.data[((r * kw + c) * channels + ch) * filters + f];
  for (let f = 0; f < filters; f++) {
    const shown = channels === 3 ? [null] : [...Array(Math.min(channels, 8)).keys()];
    for (const ch of shown) {
      const canvas = S.element("canvas", { "data-testid": `${prefix}-${f}` + (ch === null ? "" : `-${ch}`),
                                           title: `filter ${f}` + (ch === null ? "" : `, input channel ${ch}`) });
      const plane = { shape: [kh, kw, 3], data: new Float32Array(kh * kw * 3) };
      for (let r = 0; r < kh; r++) {
        for (let c = 0; c < kw; c++) {
          for (let k = 0; k < 3; k++) plane.data[(r * kw + c) * 3 + k] = at(r, c, ch === null ? k : ch, f);
        }
      }
      if (ch === null) {  // RGB: 0 as mid-grey
        const picture = { shape: plane.shape, data: plane.data.map((v) => 0.5 + v / (2 * top)) };
        S.paintImage(canvas, picture, scale);
      } else {
        S.paint(canvas, plane, 0, (v) => S.diverging(v, top), scale);
      }
      into.append(canvas);
    }
  }
};

S.renderFilters = function (box, layers) {
  box.replaceChildren(...layers.map((layer) => {
    const section = S.element("div", { class: "layer", "data-testid": `filters-${layer.index}` });
    const kernel = S.decode(layer.kernel);
    section.append(S.element("h3", {}, `${layer.name}: ${layer.repr}, kernel ${kernel.shape.join("×")}`));
    const maps = S.element("div", { class: "maps" });
    S.kernelCanvases(kernel, maps, `filter-${layer.index}`);
    section.append(maps);
    return section;
  }));
};
