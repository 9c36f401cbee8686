// Arrays painted on canvases: feature maps (one colour scale per layer), gradients and kernels
// (red positive, blue negative, white 0), and a box for the receptive field.
"use strict";

// size on screen of one map pixel: maps of any size come out between about 48 and 112 pixels wide
S.scaleFor = function (h, w, target = 84) {
  return Math.max(1, Math.min(8, Math.floor(target / Math.max(h, w))));
};

// colour of t in [0, 1] on a dark-to-bright scale (black, purple, orange, yellow)
S.heat = function (t) {
  t = Math.max(0, Math.min(1, t));
  return [Math.round(255 * Math.min(1, 1.6 * t)), Math.round(255 * Math.max(0, 1.4 * t - 0.4)),
          Math.round(255 * (t < 0.5 ? 0.8 * t : Math.max(0, 1.2 - 1.4 * t) + 0.5 * Math.max(0, t - 0.85)))];
};

// colour of v on a diverging scale: -top blue, 0 white, +top red
S.diverging = function (v, top) {
  const t = top > 0 ? Math.max(-1, Math.min(1, v / top)) : 0;
  return t >= 0 ? [255, Math.round(255 * (1 - t)), Math.round(255 * (1 - t))]
                : [Math.round(255 * (1 + t)), Math.round(255 * (1 + t)), 255];
};

// Paint channel c of an (H, W, C) array; colour(v) -> [r, g, b]. Returns the scale used.
S.paint = function (canvas, array, c, colour, scale) {
  const [h, w, channels] = array.shape.length === 3 ? array.shape : [array.shape[0], array.shape[1], 1];
  scale = scale || S.scaleFor(h, w);
  canvas.width = w * scale; canvas.height = h * scale;
  const image = new ImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    const [r, g, b] = colour(array.data[i * channels + c]);
    image.data.set([r, g, b, 255], 4 * i);
  }
  return S.blit(canvas, image, scale);
};

// an ImageData of w×h pixels onto the canvas, each pixel a scale×scale square (no smoothing)
S.blit = function (canvas, image, scale) {
  const small = document.createElement("canvas");
  small.width = image.width; small.height = image.height;
  small.getContext("2d").putImageData(image, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, image.width * scale, image.height * scale);
  canvas.dataset.scale = scale;
  return scale;
};

// an activation map: its layer's [min, max] as dark to bright
S.paintActivation = function (canvas, array, c, scale) {
  const lo = array.min, span = array.max - array.min || 1;
  return S.paint(canvas, array, c, (v) => S.heat((v - lo) / span), scale);
};

S.paintSigned = function (canvas, array, c, scale) {
  const top = Math.max(Math.abs(array.min), Math.abs(array.max));
  return S.paint(canvas, array, c, (v) => S.diverging(v, top), scale);
};

// an image (H, W, 1 or 3) of values in [0, 1]
S.paintImage = function (canvas, array, scale) {
  const channels = array.shape[2];
  const [h, w] = array.shape;
  scale = scale || Math.max(1, Math.floor(280 / Math.max(h, w)));
  canvas.width = w * scale; canvas.height = h * scale;
  const image = new ImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    const px = channels === 3 ? [0, 1, 2].map((k) => array.data[3 * i + k]) : [0, 0, 0].map(() => array.data[i]);
    image.data.set([...px.map((v) => Math.round(255 * Math.max(0, Math.min(1, v)))), 255], 4 * i);
  }
  return S.blit(canvas, image, scale);
};

// outline [top, left, bottom, right] (inclusive, in map pixels) on a painted canvas
S.box = function (canvas, box, colour = "#00e0ff") {
  const s = Number(canvas.dataset.scale || 1), [t, l, b, r] = box;
  const ctx = canvas.getContext("2d");
  ctx.strokeStyle = colour; ctx.lineWidth = 2;
  ctx.strokeRect(l * s + 1, t * s + 1, (r - l + 1) * s - 2, (b - t + 1) * s - 2);
};

// a vector as vertical bars around a zero line
S.paintBars = function (canvas, array, signed) {
  const n = array.data.length, width = Math.max(2, Math.min(8, Math.floor(600 / n)));
  canvas.width = n * width; canvas.height = 60;
  const ctx = canvas.getContext("2d");
  const top = Math.max(Math.abs(array.min), Math.abs(array.max)) || 1;
  const zero = array.min < 0 ? 30 : 58, room = array.min < 0 ? 28 : 56;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < n; i++) {
    const v = array.data[i], hgt = Math.round(room * Math.abs(v) / top);
    ctx.fillStyle = signed ? (v >= 0 ? "#c33" : "#36c") : "#3b6fb6";
    ctx.fillRect(i * width, v >= 0 ? zero - hgt : zero, width - (width > 3 ? 1 : 0), hgt);
  }
  canvas.dataset.barWidth = width;
};
