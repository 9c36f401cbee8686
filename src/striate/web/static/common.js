// Shared by every part of the page: the API, arrays from the server, numbers as text.
"use strict";
const S = {
  model: null,      // GET /api/model
  current: null,    // the image shown: {blob, base64, label}
  forward: null,    // POST /api/forward for it
};

S.status = function (text) {
  document.getElementById("status").textContent = text || "";
};

// fetch a JSON endpoint; an error answer ({"error": ...}, or a plain-text one from the
// HTTP server itself, such as "Service Unavailable" when too many requests are open) is shown and thrown
S.api = async function (path, options) {
  const response = await fetch(path, options);
  const text = await response.text();
  let body = null;
  try { body = JSON.parse(text); } catch (e) { /* not JSON: said below */ }
  if (!response.ok || body === null) {
    const message = (body && body.error) || `${response.status} ${response.statusText}: ${text.slice(0, 200)}`;
    S.status(message);
    throw new Error(message);
  }
  return body;
};

S.postImage = function (path, blob) {
  return S.api(path, { method: "POST", headers: { "Content-Type": blob.type || "image/png" }, body: blob });
};

S.postJSON = function (path, value) {
  return S.api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(value) });
};

// {"shape", "data": base64 float32 little-endian, "min", "max"} -> {shape, data: Float32Array, min, max}
S.decode = function (item) {
  const bytes = Uint8Array.from(atob(item.data), (c) => c.charCodeAt(0));
  return { shape: item.shape, data: new Float32Array(bytes.buffer), min: item.min, max: item.max };
};

S.blobToBase64 = function (blob) {
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result.split(",", 2)[1]);
    reader.readAsDataURL(blob);
  });
};

// 3.0 -> "3", 0.659001 -> "0.659", -2 -> "−2"
S.fmt = function (v, digits = 4) {
  if (v === null || v === undefined) return "−∞";
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v).replace("-", "−");
  return Number(v).toPrecision(digits).replace(/\.?0+(e|$)/, "$1").replace("-", "−");
};

// the pointer's place in a canvas's own pixels, measured inside its border
S.canvasPoint = function (canvas, event) {
  const r = canvas.getBoundingClientRect();
  return [(event.clientX - r.left - canvas.clientLeft) * canvas.width / canvas.clientWidth,
          (event.clientY - r.top - canvas.clientTop) * canvas.height / canvas.clientHeight];
};

S.element = function (tag, attributes = {}, text = "") {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
};
