// One value written out with the image's real numbers (POST /api/pixel): the window, the kernel,
// the products, the sum, the bias, then the ReLU; the model's own value next to the recomputed one.
"use strict";

S.arithmetic = {};
const SHOWN_CHANNELS = 6;  // input channels of a convolution written out in full

S.arithmetic.refresh = async function () {
  if (!S.hover || !S.current) return;
  const { layer, where, key } = S.hover;
  const request = { image: S.current.base64, layer };
  if (where.length === 3) Object.assign(request, { row: where[0], col: where[1], channel: where[2] });
  else request.unit = where[0];
  const answer = await S.postJSON("/api/pixel", request);
  if (!S.hover || S.hover.key !== key) return;  // the pointer has moved on
  S.arithmetic.render(answer);
  S.arithmetic.showField(answer);
};

S.arithmetic.table = function (grid, rows, cols, mark) {
  const table = S.element("table", { class: "numbers" });
  grid.forEach((line, i) => {
    const tr = S.element("tr");
    line.forEach((v, j) => {
      const outside = rows && (rows[i] < 0 || cols[j] < 0 || rows[i] >= S.arithmetic.height || cols[j] >= S.arithmetic.width);
      const td = S.element("td", { class: mark && mark(i, j) ? "win" : outside ? "pad" : "" }, S.fmt(v, 3));
      tr.append(td);
    });
    table.append(tr);
  });
  return table;
};

S.arithmetic.titled = function (title, element) {
  const div = S.element("div");
  div.append(S.element("div", { class: "scale" }, title), element);
  return div;
};

// grid[r][c][ch] -> the 2-D slice of channel ch
const slice = (grid, ch) => grid.map((row) => row.map((v) => v[ch]));

S.arithmetic.render = function (a) {
  const panel = document.getElementById("arithmetic");
  const previous = a.layer > 1 ? S.model.layers[a.layer - 2].shape : S.model.input_shape;
  S.arithmetic.height = previous[0]; S.arithmetic.width = previous[1];
  const place = a.where.length === 3 ? `row ${a.where[0]}, column ${a.where[1]}, channel ${a.where[2]}`
                                     : `unit ${a.where[0]}`;
  const parts = [S.element("h3", {}, `${a.name} at ${place}`)];
  const line = (text) => parts.push(S.element("div", { class: "sum" }, text));
  if (a.kind === "conv") {
    line(`window: rows ${a.rows[0]}–${a.rows.at(-1)}, columns ${a.cols[0]}–${a.cols.at(-1)} of the layer before` +
         (a.rows[0] < 0 || a.cols[0] < 0 || a.rows.at(-1) >= previous[0] || a.cols.at(-1) >= previous[1]
           ? ` (grey: padding, ${a.padding_mode})` : ""));
    a.channels.slice(0, SHOWN_CHANNELS).forEach((channel, k) => {
      const tables = S.element("div", { class: "tables" });
      tables.append(S.arithmetic.titled(`input channel ${channel}`, S.arithmetic.table(slice(a.window, k), a.rows, a.cols)),
                    S.arithmetic.titled("× kernel", S.arithmetic.table(slice(a.kernel, k))),
                    S.arithmetic.titled(`= products, sum ${S.fmt(a.channel_sums[k])}`, S.arithmetic.table(slice(a.products, k))));
      parts.push(tables);
    });
    if (a.channels.length > SHOWN_CHANNELS) {
      line(`channels ${a.channels[SHOWN_CHANNELS]}–${a.channels.at(-1)}: sums ` +
           a.channel_sums.slice(SHOWN_CHANNELS).map((v) => S.fmt(v, 3)).join(", "));
    }
    line(`Σ products = ${S.fmt(a.sum, 6)}`);
    line(`+ bias ${S.fmt(a.bias, 6)} = ${S.fmt(a.computed, 6)}`);
  } else if (a.kind === "max" || a.kind === "avg") {
    const [wr, wc] = a.winner || [null, null];
    parts.push(S.arithmetic.table(a.window, a.rows, a.cols,
                                  (i, j) => a.kind === "max" && a.rows[i] === wr && a.cols[j] === wc));
    line(a.kind === "max" ? `max of the window: ${S.fmt(a.computed, 6)}, the winner at row ${wr}, column ${wc} ` +
                            "(only it receives the gradient on the way back)"
                          : `(${S.fmt(a.sum, 6)}) / ${a.count} = ${S.fmt(a.computed, 6)}`);
  } else if (a.kind === "dense") {
    const table = S.element("table", { class: "numbers" });
    table.append(...a.terms.map((t) => {
      const tr = S.element("tr");
      tr.append(S.element("td", {}, `x[${t.i}] = ${S.fmt(t.x, 3)}`), S.element("td", {}, `× w = ${S.fmt(t.w, 3)}`),
                S.element("td", {}, `= ${S.fmt(t.product, 3)}`));
      return tr;
    }));
    parts.push(S.element("div", { class: "scale" }, `the ${a.terms.length} largest of ${a.inputs} products`), table);
    line(`+ the other ${a.inputs - a.terms.length}: ${S.fmt(a.rest, 6)}`);
    line(`Σ x·w = ${S.fmt(a.sum, 6)}; + bias ${S.fmt(a.bias, 6)} = ${S.fmt(a.computed, 6)}`);
  } else if (a.kind === "activation") {
    line(`y = ${a.formula} with x = ${S.fmt(a.x, 6)}: y = ${S.fmt(a.computed, 6)}`);
  } else if (a.kind === "batchnorm") {
    line(`y = γ·(x − mean)/√(var + ε) + β = ${S.fmt(a.gamma)}·(${S.fmt(a.x)} − ${S.fmt(a.mean)})/` +
         `√(${S.fmt(a.var)} + ${S.fmt(a.eps)}) + ${S.fmt(a.beta)} = ${S.fmt(a.computed, 6)}`);
    line("(the running mean and variance of training: the model as it predicts)");
  } else if (a.kind === "global") {
    line(a.mode === "max" ? `max of the ${a.count} values of map ${a.channel} = ${S.fmt(a.computed, 6)}`
                          : `(${S.fmt(a.sum, 6)}) / ${a.count} values of map ${a.channel} = ${S.fmt(a.computed, 6)}`);
  } else if (a.kind === "flatten") {
    line(`value ${a.where[0]} is (row ${a.source[0]}, column ${a.source[1]}, channel ${a.source[2]}) of the maps before`);
  } else if (a.kind === "softmax") {
    line(`e^(z − max z): ${a.exps.map((v) => S.fmt(v, 3)).join(", ")}; sum ${S.fmt(a.total, 6)}`);
    line(`p[${a.index}] = ${S.fmt(a.exps[a.index], 6)} / ${S.fmt(a.total, 6)} = ${S.fmt(a.computed, 6)}`);
  } else {
    line(a.note);
  }
  const agree = a.computed === undefined || Math.abs(a.computed - a.value) <= 1e-4 * Math.max(1, Math.abs(a.value));
  const check = S.element("div", { class: "sum " + (agree ? "ok" : "bad") });
  check.append("the model's own value: ",
               S.element("span", { "data-testid": "arithmetic-value", "data-value": String(a.value) }, S.fmt(a.value, 7)));
  if (a.computed !== undefined) {
    check.append("; recomputed here: ", S.element("span", { "data-testid": "arithmetic-computed",
                                                            "data-value": String(a.computed) }, S.fmt(a.computed, 7)));
  }
  parts.push(check);
  const next = S.model.layers[a.layer];  // the layer after (0-based index = a.layer)
  if (next && next.type === "ReLU" && S.forward) {
    const out = S.decode(S.forward.layers[a.layer].output);
    const flat = a.where.length === 3 ? (a.where[0] * next.shape[1] + a.where[1]) * S.forward.layers[a.layer].channels_shown + a.where[2] : a.where[0];
    if (a.where.length !== 3 || a.where[2] < S.forward.layers[a.layer].channels_shown) {
      line(`then ${next.name}: max(${S.fmt(a.value, 6)}, 0) = ${S.fmt(out.data[flat], 6)}`);
    }
  }
  panel.replaceChildren(...parts);
};

// the receptive field: a box on the input, and the window on the maps of the layer before
S.arithmetic.showField = function (a) {
  if (!S.forward) return;
  const view = document.getElementById("input-view");
  S.paintImage(view, S.decode(S.forward.input));
  document.querySelectorAll(".maps canvas.chosen").forEach((c) => c.classList.remove("chosen"));
  if (!a.field) return;
  S.box(view, a.field.input);
  if (a.layer > 1) {
    const before = S.forward.layers[a.layer - 2];
    if (before.kind !== "maps") return;
    const out = S.decode(before.output);
    for (let c = 0; c < before.channels_shown; c++) {
      const canvas = document.getElementById(`map-${before.index}-${c}`);
      if (!canvas) continue;
      S.paintActivation(canvas, out, c);
      if (a.kind !== "conv" || a.channels.includes(c)) {
        if (a.kind !== "max" && a.kind !== "avg" || a.channel === c) { S.box(canvas, a.field.previous); canvas.classList.add("chosen"); }
      }
    }
  }
};
