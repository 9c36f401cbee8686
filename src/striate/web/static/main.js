// The page's start and its one flow: an image arrives -> prediction, maps, gradients are redrawn.
"use strict";

S.renderProbabilities = function (classes, probabilities) {
  const bars = document.getElementById("probability-bars");
  const best = probabilities.indexOf(Math.max(...probabilities));
  bars.replaceChildren(...classes.map((name, k) => {
    const row = S.element("div", { class: "bar-row" + (k === best ? " top" : ""), "data-testid": `prob-row-${k}` });
    const bar = S.element("div", { class: "bar", id: `prob-bar-${k}`, "data-testid": `prob-bar-${k}`,
                                   "data-probability": String(probabilities[k]) });
    const fill = S.element("div");
    fill.style.width = `${(100 * probabilities[k]).toFixed(1)}%`;
    bar.append(fill);
    row.append(S.element("span", {}, name), bar,
               S.element("span", { "data-testid": `prob-value-${k}` }, `${(100 * probabilities[k]).toFixed(1)}%`));
    return row;
  }));
};

// the probabilities only (while drawing)
S.predict = async function (blob) {
  const answer = await S.postImage("/api/predict", blob);
  S.status("");
  S.renderProbabilities(answer.classes, answer.probabilities);
};

// a new image: everything about it
S.show = async function (blob, label) {
  const answer = await S.postImage("/api/forward", blob);
  S.status("");
  S.current = { blob, base64: await S.blobToBase64(blob), label };
  S.forward = answer;
  document.getElementById("input-notes").textContent = answer.notes.length
    ? `What was done to the image: ${answer.notes.join("; ")}.` : "";
  S.renderProbabilities(answer.classes, answer.probabilities);
  S.renderSoftmax(answer.softmax);
  S.paintImage(document.getElementById("input-view"), S.decode(answer.input));
  S.renderForward(answer);
  S.backward.pickerFor(label);
  await Promise.all([S.backward.refresh(), S.arithmetic.refresh()]);
};

S.renderSoftmax = function (softmax) {
  const box = document.getElementById("softmax-text");
  const k = softmax.index;
  box.textContent = `softmax: p[${k}] = e^(z[${k}] − max z) / Σ e^(z − max z) = ${S.fmt(softmax.exps[k])} / ` +
    `${S.fmt(softmax.total)} = ${S.fmt(softmax.computed)}; the exponentials: ` +
    softmax.exps.map((e) => S.fmt(e, 3)).join(", ");
};

S.start = async function () {
  S.model = await S.api("/api/model");
  const [h, w, c] = S.model.input_shape;
  document.getElementById("model-title").textContent = `— ${S.model.layers.length} layers, ${h}×${w}×${c} images`;
  document.getElementById("model-summary").textContent = S.model.layers.map((l) => l.repr).join(" → ");
  S.input.setup();
  S.backward.setup();
  S.renderFilters(document.getElementById("filters"), (await S.api("/api/filters")).layers);
  if (S.model.watch) S.training.start();
  const blank = document.createElement("canvas");
  blank.width = w; blank.height = h;
  const ctx = blank.getContext("2d");
  ctx.fillStyle = "#000"; ctx.fillRect(0, 0, w, h);
  await S.show(await S.input.toBlob(blank), null);
};

window.addEventListener("DOMContentLoaded", () => S.start().catch((e) => S.status(e.message)));
