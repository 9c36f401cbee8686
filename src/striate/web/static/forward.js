// Every layer's output: maps (one small canvas per channel, one colour scale per layer) or bars;
// pointing at a value asks the server for its arithmetic; clicking a map enlarges it.
"use strict";

S.hover = null;  // {layer, where}: the value whose arithmetic is shown

S.renderForward = function (answer) {
  const box = document.getElementById("forward-layers");
  box.replaceChildren();
  answer.layers.forEach((layer) => {
    const out = S.decode(layer.output);
    const section = S.element("div", { class: "layer", "data-testid": `layer-${layer.index}` });
    const range = `values ${S.fmt(out.min, 3)} … ${S.fmt(out.max, 3)}`;
    const more = layer.kind === "maps" && layer.channels_shown < layer.shape[2]
      ? ` (the first ${layer.channels_shown} of ${layer.shape[2]} maps)` : "";
    section.append(S.element("h3", {}, `${layer.name}: ${layer.repr} → ${layer.shape.join("×")}${more}`),
                   S.element("div", { class: "scale" }, range));
    const maps = S.element("div", { class: "maps" });
    if (layer.kind === "maps") {
      for (let c = 0; c < layer.channels_shown; c++) {
        const canvas = S.element("canvas", { "data-testid": `map-${layer.index}-${c}`, id: `map-${layer.index}-${c}`,
                                              title: `${layer.name}, channel ${c}` });
        S.paintActivation(canvas, out, c);
        S.watchPointer(canvas, layer, c);
        canvas.addEventListener("click", () => S.enlarge(layer, out, c));
        maps.append(canvas);
      }
    } else {
      const canvas = S.element("canvas", { "data-testid": `vector-${layer.index}`, id: `vector-${layer.index}` });
      S.paintBars(canvas, out, out.min < 0);
      canvas.addEventListener("pointermove", (event) => {
        const unit = Math.floor(S.canvasPoint(canvas, event)[0] / Number(canvas.dataset.barWidth));
        if (unit >= 0 && unit < out.data.length) S.point(layer.index, [unit]);
      });
      maps.append(canvas);
    }
    section.append(maps);
    box.append(section);
  });
};

// the map pixel under the pointer -> S.point(layer, [row, col, channel])
S.watchPointer = function (canvas, layer, c) {
  canvas.addEventListener("pointermove", (event) => {
    const s = Number(canvas.dataset.scale), [x, y] = S.canvasPoint(canvas, event);
    const col = Math.floor(x / s), row = Math.floor(y / s);
    if (row >= 0 && col >= 0 && row < layer.shape[0] && col < layer.shape[1]) S.point(layer.index, [row, col, c]);
  });
};

S.enlarge = function (layer, out, c) {
  const panel = document.getElementById("enlarged");
  panel.hidden = false;
  document.getElementById("enlarged-title").textContent = `${layer.name}, channel ${c}`;
  const old = document.getElementById("enlarged-canvas");
  const canvas = old.cloneNode(false);  // without the old listeners
  old.replaceWith(canvas);
  S.paintActivation(canvas, out, c, Math.max(1, Math.floor(280 / Math.max(layer.shape[0], layer.shape[1]))));
  S.watchPointer(canvas, layer, c);
};

// ask for one value's arithmetic, the latest pointer position only
S.point = function (layer, where) {
  const key = `${layer}:${where.join(",")}`;
  if (S.hover && S.hover.key === key) return;
  S.hover = { layer, where, key };
  clearTimeout(S.point.timer);
  S.point.timer = setTimeout(() => S.arithmetic.refresh(), 40);
};
