// Where the image comes from: drawn on the canvas (pointer events: mouse, pen and touch), an
// uploaded PNG/JPEG, or a test image of the model's data set. Each ends in S.show(blob, label).
"use strict";

S.input = {};

// The drawing at the model's size. For a grey model with "centre" ticked, as MNIST was made:
// the drawing's bounding box scaled to fit 20×20 (for 28×28; the same share of any size), then
// placed so that its centre of mass lies at the centre of the image.
S.input.prepare = function (source, h, w, centre) {
  const out = document.createElement("canvas");
  out.width = w; out.height = h;
  const ctx = out.getContext("2d");
  ctx.fillStyle = "#000"; ctx.fillRect(0, 0, w, h);
  if (!centre) {
    ctx.drawImage(source, 0, 0, w, h);
    return out;
  }
  const pixels = source.getContext("2d").getImageData(0, 0, source.width, source.height).data;
  let top = source.height, left = source.width, bottom = -1, right = -1;
  for (let y = 0; y < source.height; y++) {
    for (let x = 0; x < source.width; x++) {
      if (pixels[4 * (y * source.width + x)] > 0) {
        top = Math.min(top, y); bottom = Math.max(bottom, y); left = Math.min(left, x); right = Math.max(right, x);
      }
    }
  }
  if (bottom < 0) return out;  // nothing drawn
  const bw = right - left + 1, bh = bottom - top + 1;
  const fit = Math.min(h, w) * 20 / 28 / Math.max(bw, bh);
  const sw = Math.max(1, Math.round(bw * fit)), sh = Math.max(1, Math.round(bh * fit));
  const small = document.createElement("canvas");
  small.width = sw; small.height = sh;
  const sctx = small.getContext("2d");
  sctx.imageSmoothingQuality = "high";
  sctx.drawImage(source, left, top, bw, bh, 0, 0, sw, sh);
  const ink = sctx.getImageData(0, 0, sw, sh).data;
  let mass = 0, my = 0, mx = 0;
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const v = ink[4 * (y * sw + x)];
      mass += v; my += v * (y + 0.5); mx += v * (x + 0.5);
    }
  }
  const cy = mass ? my / mass : sh / 2, cx = mass ? mx / mass : sw / 2;
  ctx.drawImage(small, Math.round(w / 2 - cx), Math.round(h / 2 - cy));
  return out;
};

S.input.toBlob = function (canvas) {
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
};

S.input.setup = function () {
  const canvas = document.getElementById("draw-canvas");
  const ctx = canvas.getContext("2d");
  const [h, w, c] = S.model.input_shape;
  const centre = document.getElementById("centre-checkbox");
  centre.checked = c === 1 && S.model.classes.join() === "0,1,2,3,4,5,6,7,8,9";  // a digit model
  function clear() { ctx.fillStyle = "#000"; ctx.fillRect(0, 0, canvas.width, canvas.height); }
  clear();
  let drawing = false, last = null, busy = false, queued = null;  // queued: null, or whether it is final

  // while drawing: the probabilities only (small answers), at most one request at a time
  async function update(final) {
    if (busy) { queued = queued || final; return; }
    busy = true;
    try {
      const blob = await S.input.toBlob(S.input.prepare(canvas, h, w, centre.checked));
      await (final ? S.show(blob, null) : S.predict(blob));
    } catch (e) { /* shown in the status line */ }
    busy = false;
    if (queued !== null) { const next = queued; queued = null; update(next); }
  }
  const point = (event) => S.canvasPoint(canvas, event);
  canvas.addEventListener("pointerdown", (event) => {
    drawing = true; last = point(event);
    canvas.setPointerCapture(event.pointerId);
    ctx.fillStyle = "#fff";
    ctx.beginPath(); ctx.arc(last[0], last[1], 9, 0, 2 * Math.PI); ctx.fill();
    update(false);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    const p = point(event);
    ctx.strokeStyle = "#fff"; ctx.lineWidth = 18; ctx.lineCap = "round";
    ctx.beginPath(); ctx.moveTo(last[0], last[1]); ctx.lineTo(p[0], p[1]); ctx.stroke();
    last = p;
    update(false);
  });
  const end = () => { if (drawing) { drawing = false; update(true); } };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  document.getElementById("clear-button").addEventListener("click", () => { clear(); update(true); });
  centre.addEventListener("change", () => update(true));

  document.getElementById("upload-input").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    // the server tells PNG from JPEG by the bytes, and names what else a file is
    const type = ["image/png", "image/jpeg"].includes(file.type) ? file.type : "image/png";
    try {
      await S.show(new Blob([await file.arrayBuffer()], { type }), null);
    } catch (e) {
      S.status(`${file.name}: ${e.message}`);
    }
  });
  S.input.setupSamples();
};

S.input.setupSamples = async function () {
  const status = document.getElementById("sample-status");
  const button = document.getElementById("sample-button"), number = document.getElementById("sample-number");
  const info = await S.api("/api/samples");
  if (!info.available) {
    status.textContent = `No test images: ${info.reason}`;
    button.disabled = number.disabled = true;
    return;
  }
  number.max = info.count - 1;
  status.textContent = `${info.count} test images of ${info.dataset}`;
  button.addEventListener("click", async () => {
    const response = await fetch(`/api/samples/${number.value}`);
    if (!response.ok) { S.status((await response.json()).error); return; }
    const label = Number(response.headers.get("X-Label"));
    await S.show(await response.blob(), label);
  });
};
