"""Whose requests the page answers, how much of a request it reads, and what a failure shows.

Some tests speak ASGI to the app directly (no test client): they send a body chunk by chunk,
as a chunked upload without Content-Length arrives, and count how much of it was read.
"""

import asyncio
import base64
import json
import re
import struct
import zlib

import numpy as np
import pytest

from striate.web import create_app, guard, server

from .conftest import TestClient, png

PNG = {"content-type": "image/png"}


def call(app, path, chunks, headers=(("content-type", "image/png"),), host="127.0.0.1:8000", pause=0.0):
    """POST `chunks` (an iterable of bytes) to the ASGI app, one http.request message each, no Content-Length.

    Returns (status, JSON body, how many chunks the app asked for)."""
    chunks = iter(chunks)
    asked = 0
    sent = []

    async def receive():
        nonlocal asked
        if pause:
            await asyncio.sleep(pause)
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        asked += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", host.encode())] + [(k.encode(), v.encode()) for k, v in headers],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}
    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body), asked


def test_a_chunked_upload_without_a_length_is_read_only_up_to_the_limit(lenet):
    app = create_app(lenet, max_body=10_000)
    endless = (b"\x89PNG\r\n\x1a\n" + bytes(992) for _ in range(100_000))  # 100 MB if read whole
    status, body, asked = call(app, "/api/predict", endless)
    assert status == 413 and "over the limit of 10,000 bytes" in body["error"]
    assert asked == 11  # 11 × 1,000 bytes: the first chunk past the limit, and no further
    status, body, asked = call(app, "/api/pixel", endless, headers=[("content-type", "application/json")])
    assert status == 413 and asked < 20


def test_a_body_that_arrives_too_slowly_is_refused(lenet, digit):
    app = create_app(lenet, timeout=0.2)
    status, body, _ = call(app, "/api/predict", [png(digit)[:10]] * 100, pause=0.05)
    assert status == 408 and "took over 0.2 s to arrive" in body["error"]


def forged_png(width: int, height: int) -> bytes:
    """A PNG stating width × height grey pixels, with a few bytes of data (a decompression bomb's header)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(100))) + chunk(b"IEND", b"")


def test_an_image_stating_more_pixels_than_the_page_takes_is_refused_before_decoding(lenet, client):
    # 5000×5000 is within striate's limit for files (67 M pixels) but not the page's (16 M): refused from the header
    error = client.post("/api/predict", content=forged_png(5000, 5000), headers=PNG).json()["error"]
    assert "5000×5000 = 25,000,000 pixels, over the page's limit of 16,777,216" in error
    small = TestClient(create_app(lenet, max_pixels=600))
    r = small.post("/api/predict", content=png(np.zeros((28, 28))), headers=PNG)
    assert r.status_code == 400 and "784 pixels, over the page's limit of 600" in r.json()["error"]
    image = base64.b64encode(forged_png(5000, 5000)).decode()
    r = client.post("/api/backward", json={"image": image, "class": 0})
    assert r.status_code == 400 and "over the page's limit" in r.json()["error"]


@pytest.mark.parametrize("host", ["evil.example:8000", "evil.example", "127.0.0.1.evil.example", "", "[::2]:8000"])
def test_requests_addressed_to_another_name_are_refused(lenet, host):
    client = TestClient(create_app(lenet), base_url="http://127.0.0.1:8000")
    for path in ("/", "/api/model", "/api/filters", "/static/main.js"):
        r = client.get(path, headers={"host": host})
        assert r.status_code == 403 and r.headers["content-type"] == "application/json", (path, r.text)
        assert "answers requests addressed to 127.0.0.1, ::1, localhost only" in r.json()["error"]


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:1234", "LOCALHOST", "[::1]:8000", "127.0.0.1"])
def test_requests_addressed_to_this_machine_are_answered(lenet, host):
    client = TestClient(create_app(lenet))
    assert client.get("/api/model", headers={"host": host}).status_code == 200


def test_requests_from_pages_of_other_sites_are_refused(client, digit):
    r = client.post("/api/predict", content=png(digit), headers={**PNG, "origin": "http://evil.example"})
    assert r.status_code == 403 and "http://evil.example" in r.json()["error"]
    assert client.post("/api/predict", content=png(digit), headers={**PNG, "origin": "null"}).status_code == 403
    r = client.post("/api/predict", content=png(digit), headers={**PNG, "origin": "http://localhost:3000"})
    assert r.status_code == 403  # another server on this machine: not the page's own origin either
    r = client.post("/api/predict", content=png(digit), headers={**PNG, "origin": "http://127.0.0.1:8000"})
    assert r.status_code == 200


def test_any_host_is_answered_when_asked_for(lenet):
    client = TestClient(create_app(lenet, hosts=None), base_url="http://192.168.1.20:8000")
    assert client.get("/api/model").status_code == 200
    assert client.get("/api/model", headers={"origin": "http://192.168.1.20:8000"}).status_code == 200
    assert client.get("/api/model", headers={"origin": "http://evil.example"}).status_code == 403


def test_where_the_server_listens_decides_whose_requests_it_answers(lenet):
    assert server.hosts("127.0.0.1") == server.hosts("localhost") == server.hosts("::1") == guard.LOCAL
    assert server.hosts("127.0.0.2") == (*guard.LOCAL, "127.0.0.2")  # the address the page is opened at
    client = TestClient(create_app(lenet, hosts=server.hosts("127.0.0.2")), base_url="http://127.0.0.2:8000")
    assert client.get("/api/model").status_code == 200
    assert server.url("::", 8000) == "http://[::1]:8000/" and server.url("0.0.0.0", 80) == "http://127.0.0.1:80/"
    assert server.hosts("0.0.0.0") is None and server.hosts("192.168.1.20") is None
    assert server.exposed("127.0.0.1", 8000) is None
    assert "anyone who can reach this machine on port 8000" in server.exposed("0.0.0.0", 8000)


def test_every_answer_carries_a_policy_that_runs_only_the_pages_own_scripts(client, digit):
    for r in (client.get("/"), client.get("/static/main.js"), client.get("/api/model"), client.get("/api/nothing"),
              client.post("/api/predict", content=b"x", headers=PNG), client.get("/", headers={"host": "evil"})):
        policy = r.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "access-control-allow-origin" not in r.headers
    r = client.options("/api/predict", headers={"origin": "http://127.0.0.1:8000",
                                                "access-control-request-method": "POST"})
    assert "access-control-allow-origin" not in r.headers


class Broken:
    """Test images whose reading fails in a way no request could have caused (a bug)."""

    def describe(self):
        raise RuntimeError("secret detail at /home/someone/data")


def test_a_failure_of_the_server_is_a_json_500_without_its_details(lenet):
    client = TestClient(create_app(lenet, samples=Broken()), raise_server_exceptions=False)
    r = client.get("/api/samples")
    assert r.status_code == 500 and r.headers["content-type"] == "application/json"
    message = r.json()["error"]
    assert "RuntimeError" in message and "secret" not in message and "Traceback" not in r.text


def test_the_page_inserts_text_from_the_model_file_as_text():
    # class names, layer names and notes come from the model file or the request: never parsed as HTML
    from importlib import resources

    folder = resources.files("striate.web") / "static"
    for f in folder.iterdir():
        if f.name.endswith((".js", ".html")):
            text = f.read_text()
            for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
                assert sink not in text, (f.name, sink)
            if f.name.endswith(".html"):  # no inline script: the policy would block it
                assert not re.search(r"<script(?![^>]*\bsrc=)|\son[a-z]+=", text), f.name


def test_the_cache_of_activations_is_bounded_in_bytes(lenet, digit):
    from striate.web import trace
    from striate.web.explorer import Explorer

    one = sum(a.nbytes for a in trace.activations(lenet, digit[:, :, None]))
    explorer = Explorer(lenet, cache=8, cache_bytes=int(2.5 * one))
    rng = np.random.default_rng(0)
    for _ in range(5):
        explorer.predict(rng.uniform(0, 1, (28, 28, 1)).astype(np.float32))
        assert explorer.cached_bytes() <= 2.5 * one
    assert len(explorer._cache) == 2
    tiny = Explorer(lenet, cache_bytes=one // 2)  # an image whose activations alone are over: not kept
    p = tiny.predict(digit[:, :, None].astype(np.float32))["probabilities"]
    assert tiny.cached_bytes() == 0
    np.testing.assert_allclose(p, lenet.predict_proba(digit[None, :, :, None].astype(np.float32))[0], rtol=1e-5)
