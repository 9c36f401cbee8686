// `striate train … --watch`: the run's curves, first filters and predictions, as they come
// (Server-Sent Events from /api/training/events). The other panels follow the latest weights.
"use strict";

S.training = {};

S.training.curve = function (canvas, points, index, colour) {
  const ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height, pad = 30;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, w, h);
  const xy = points.filter((p) => p[index] !== null).map((p) => [p[0], p[index]]);
  if (!xy.length) return;
  const x0 = xy[0][0], x1 = Math.max(xy.at(-1)[0], x0 + 1e-9);
  const ys = xy.map((p) => p[1]), y0 = Math.min(0, ...ys), y1 = Math.max(...ys) || 1;
  ctx.strokeStyle = "#999"; ctx.strokeRect(pad, 5, w - pad - 5, h - pad - 5);
  ctx.fillStyle = "#555"; ctx.font = "10px sans-serif";
  ctx.fillText(S.fmt(y1, 3), 2, 12); ctx.fillText(S.fmt(y0, 3), 2, h - pad);
  ctx.fillText(S.fmt(x0, 3), pad, h - 12); ctx.fillText(`${S.fmt(x1, 3)} epochs`, w - 70, h - 12);
  ctx.strokeStyle = colour; ctx.beginPath();
  xy.forEach(([x, y], i) => {
    const px = pad + (x - x0) / (x1 - x0) * (w - pad - 5), py = h - pad - (y - y0) / (y1 - y0) * (h - pad - 5);
    if (i) ctx.lineTo(px, py); else ctx.moveTo(px, py);
  });
  ctx.stroke();
};

S.training.render = function (feed) {
  const last = feed.points.at(-1);
  const epochs = feed.epochs.at(-1);
  document.getElementById("training-status").textContent = (feed.finished ? "Finished. " : "Training… ") +
    (last ? `loss ${S.fmt(last[1], 4)}, accuracy ${last[2] === null ? "–" : S.fmt(last[2], 4)} (running means of the epoch)` : "") +
    (epochs ? `; epoch ${epochs.epoch}: ${Object.entries(epochs).filter(([k]) => k !== "epoch").map(([k, v]) => `${k} ${S.fmt(v, 4)}`).join(", ")}` : "") +
    (feed.snapshot_ms !== null ? `; a snapshot takes ${S.fmt(feed.snapshot_ms, 2)} ms` : "");
  S.training.curve(document.getElementById("loss-chart"), feed.points, 1, "#c33");
  S.training.curve(document.getElementById("accuracy-chart"), feed.points, 2, "#36c");
  const filters = document.getElementById("training-filters");
  filters.replaceChildren();
  if (feed.filters) S.kernelCanvases(S.decode(feed.filters), filters, "training-filter");
  const box = document.getElementById("training-predictions");
  if (feed.images && feed.probabilities) {
    const images = S.decode(feed.images);
    const [n, h, w, c] = images.shape;
    box.replaceChildren(...feed.probabilities.map((p, i) => {
      const card = S.element("div", { class: "prediction-card", "data-testid": `training-prediction-${i}` });
      const canvas = S.element("canvas");
      const one = { shape: [h, w, c], data: images.data.subarray(i * h * w * c, (i + 1) * h * w * c) };
      S.paintImage(canvas, one, Math.max(1, Math.floor(84 / Math.max(h, w))));
      const best = p.indexOf(Math.max(...p));
      const right = best === feed.labels[i];
      card.append(canvas, S.element("div", { class: right ? "ok" : "bad" },
                                    `${S.model.classes[best]} ${(100 * p[best]).toFixed(0)}%`),
                  S.element("div", { class: "scale" }, `true: ${S.model.classes[feed.labels[i]]}`));
      return card;
    }));
  }
};

S.training.start = function () {
  document.getElementById("training").hidden = false;
  const events = new EventSource("/api/training/events");
  events.onmessage = (message) => {
    const feed = JSON.parse(message.data);
    S.training.render(feed);
    if (S.current) S.predict(S.current.blob).catch(() => {});  // the prediction with the newest weights
    if (feed.finished) events.close();
  };
};
