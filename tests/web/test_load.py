"""benchmarks/web_load.py for 2 s: under 4 clients the server refuses every malformed request
with a 4xx, answers no 5xx, and still predicts afterwards (behaviour, not speed)."""

from benchmarks import web_load
from striate import models

from .browser import Served


def test_the_server_survives_load_and_malformed_requests():
    with Served(models.get("lenet5", seed=0)) as served:
        good = web_load.images(8)
        result = web_load.load("127.0.0.1", served.port, clients=4, seconds=2.0, every=3, good=good)
        assert web_load.alive("127.0.0.1", served.port, good[0])
    assert web_load.problems(result) == []
    statuses = result["statuses"]
    assert statuses["good", 200] > 0
    kinds = {name for name, _, _ in web_load.malformed(good[0])}
    answered = {kind: status for (kind, status) in statuses if kind != "good"}
    assert set(answered) == kinds, f"not every malformed request was sent: {sorted(answered)}"
    assert answered["9 MiB body"] == 413 and answered["text/plain"] == 415
    assert all(status == 400 for kind, status in answered.items() if kind not in ("9 MiB body", "text/plain"))
