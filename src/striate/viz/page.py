"""An HTML page that puts a network's feature maps side by side, from the input to the output."""

from __future__ import annotations

import html
from pathlib import Path

STYLE = """body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
.row{display:flex;gap:1.2em;overflow-x:auto;align-items:flex-start;padding-bottom:1em}
.card{flex:0 0 auto;border:1px solid #ddd;border-radius:6px;padding:.6em;background:#fafafa}
.card img{display:block;max-height:420px;image-rendering:pixelated}
.card h2{font-size:.95em;margin:0 0 .2em}.card p{font-size:.8em;margin:0 0 .5em;color:#555}"""


def features_page(path, title: str, cards, note: str = "") -> Path:
    """Write an HTML page: one card per (heading, caption, image file name or None), in a row.

    Image names are relative to the page, so the folder can be moved or zipped as a whole.
    """
    parts = [f"<!doctype html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             f"<style>{STYLE}</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    if note:
        parts.append(f"<p>{html.escape(note)}</p>")
    parts.append("<div class='row'>")
    for heading, caption, image in cards:
        img = f"<img src='{html.escape(str(image))}' alt='{html.escape(heading)}'>" if image else ""
        parts.append(f"<div class='card'><h2>{html.escape(heading)}</h2><p>{html.escape(caption)}</p>{img}</div>")
    parts.append("</div></body></html>\n")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
