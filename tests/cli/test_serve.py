"""`striate serve` and `striate train --watch`: argument errors, the missing extra, a real server."""

import http.client
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

from striate.cli.main import main

pytest.importorskip("starlette", reason="the web extra (pip install -e '.[web]') is not installed")
pytest.importorskip("uvicorn", reason="the web extra (pip install -e '.[web]') is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("value", ["70000", "0", "http", "-1"])
def test_a_bad_port_is_one_line(capsys, value):
    with pytest.raises(SystemExit) as info:
        main(["serve", "lenet5", "--port", value])
    assert info.value.code == 2
    assert f"argument --port: expected a port number from 1 to 65535, got '{value}'" in capsys.readouterr().err


def test_a_missing_model_file(capsys, tmp_path):
    assert main(["serve", str(tmp_path / "missing.striate"), "--no-browser"]) == 1
    assert "missing.striate: no such model file" in capsys.readouterr().err


def test_a_data_dir_that_is_not_a_folder_is_refused_at_once(capsys, tmp_path):
    assert main(["serve", "lenet5", "--dataset", "mnist", "--data-dir", str(tmp_path / "nowhere"), "--no-browser",
                 "--port", str(free_port())]) == 1
    assert f"--data-dir {tmp_path / 'nowhere'}: no such folder" in capsys.readouterr().err


def test_a_model_the_page_cannot_show(capsys):
    assert main(["serve", "autoencoder", "--no-browser", "--port", str(free_port())]) == 1
    assert "the page shows classifiers" in capsys.readouterr().err


def test_a_port_in_use(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "lenet5", "--no-browser", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and err.rstrip().endswith("choose another --port"), err


NOT_HERE = "192.0.2.1"  # TEST-NET-1 (RFC 5737): an address no machine of ours has


def test_a_host_that_is_not_this_machine_names_the_host_not_the_port(capsys):
    assert main(["serve", "lenet5", "--no-browser", "--host", NOT_HERE, "--port", str(free_port())]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on {NOT_HERE}:" in err and "--host must be an address of this machine" in err, err
    assert "--port" not in err


@pytest.mark.parametrize("argv", [["serve", "lenet5", "--no-browser"],
                                  ["train", "--dataset", "mnist", "--epochs", "1", "--watch", "--no-browser"]])
def test_without_the_web_extra_the_message_says_how_to_install_it(monkeypatch, capsys, argv):
    monkeypatch.setitem(sys.modules, "starlette", None)  # as if it were not installed: importing it fails
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert ("needs starlette, not installed: pip install starlette uvicorn Pillow (in a clone of striate: "
            "pip install -e '.[web]')") in err, err


def test_serve_serves_the_page_and_the_api(tmp_path):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "striate", "serve", "lenet5", "--no-browser", "--port", str(port)],
                              cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/model", timeout=2) as r:
                    described = json.load(r)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not answer")
        assert described["input_shape"] == [28, 28, 1] and len(described["layers"]) == 12
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert b'data-testid="draw-canvas"' in r.read()
        # a page of another site whose name points at 127.0.0.1 (DNS rebinding) is not answered
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/api/model", headers={"Host": f"rebound.example:{port}"})
        refused = conn.getresponse()
        assert refused.status == 403 and "rebound.example" in json.load(refused)["error"]
        conn.close()
        server.send_signal(signal.SIGINT)  # Ctrl-C
        out, err = server.communicate(timeout=10)  # it stops at once
        assert server.returncode in (0, 130) and b"Traceback" not in err, err
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert f"http://127.0.0.1:{port}/" in out.decode()
    assert b"untrained, random weights" in err and b"warning" not in err


def test_serving_on_every_network_says_what_that_exposes():
    import argparse

    from striate.cli.serve import add_server_arguments

    parser = argparse.ArgumentParser()
    add_server_arguments(parser, 8000)
    assert "0.0.0.0 listens on every network" in " ".join(parser.format_help().split())


def watch_args(port: int):
    from argparse import Namespace

    return Namespace(watch=True, watch_host="127.0.0.1", watch_port=port, watch_every=1.0, browser=False, json=True)


def test_stopping_the_watch_ends_an_open_event_stream_at_once():
    from striate import models
    from striate.cli import train_watch

    port = free_port()
    x, y = np.zeros((4, 28, 28, 1), np.float32), np.arange(4)
    callbacks, stop = train_watch.start(watch_args(port), models.get("lenet5", seed=0), x, y, batches=2)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/api/training/events")
    events = conn.getresponse()
    assert events.status == 200 and events.readline().startswith(b"data: ")  # the run has not begun: no end in sight
    start = time.perf_counter()
    stop()  # the run ended, or was interrupted
    rest = events.read()  # to the end of the stream
    assert time.perf_counter() - start < 4
    assert b'"finished": true' in rest
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/model", timeout=2)


def test_train_watch_serves_while_training_and_stops_with_the_run(fake_mnist, capsys):
    port = free_port()
    assert main(["train", "--dataset", "mnist", "--data-dir", str(fake_mnist), "--epochs", "1", "--batch-size", "16",
                 "--watch", "--watch-port", str(port), "--no-browser", "--watch-every", "0.5"]) == 0
    assert f"watching the run at http://127.0.0.1:{port}/" in capsys.readouterr().out
    from striate.web import server

    server.check_port("127.0.0.1", port)  # free again


def test_watch_every_must_be_positive(fake_mnist, capsys):
    assert main(["train", "--dataset", "mnist", "--data-dir", str(fake_mnist), "--epochs", "1", "--watch",
                 "--watch-every", "0", "--no-browser", "--watch-port", str(free_port())]) == 1
    assert "--watch-every must be a positive number of seconds, got 0.0" in capsys.readouterr().err


def test_train_watch_on_a_port_in_use_fails_before_reading_the_data(capsys, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["train", "--dataset", "mnist", "--data-dir", str(tmp_path / "no-data-here"), "--epochs", "1",
                     "--watch", "--watch-port", str(port), "--no-browser"]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "no-data-here" not in err, err
    assert "choose another --watch-port" in err, err  # the option of this command


def test_train_watch_on_a_host_that_is_not_this_machine_names_watch_host(capsys, tmp_path):
    assert main(["train", "--dataset", "mnist", "--data-dir", str(tmp_path / "no-data-here"), "--epochs", "1",
                 "--watch", "--watch-host", NOT_HERE, "--watch-port", str(free_port()), "--no-browser"]) == 1
    err = capsys.readouterr().err
    assert "--watch-host must be an address of this machine" in err and "no-data-here" not in err, err


def test_a_model_for_any_image_size_is_watched_at_the_data_sets_size():
    from striate import models
    from striate.cli import train_watch

    port = free_port()
    model = models.get("fcn", seed=0)
    assert tuple(model.input_shape) == (None, None, 1)
    x, y = np.zeros((4, 20, 24, 1), np.float32), np.arange(4)
    callbacks, stop = train_watch.start(watch_args(port), model, x, y, batches=2)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/model", timeout=5) as r:
            assert json.load(r)["input_shape"] == [20, 24, 1]
    finally:
        stop()


@pytest.mark.parametrize("extra,named", [(["--watch-port", "8123"], "--watch-port is an option of --watch"),
                                         (["--no-browser", "--watch-every", "1"],
                                          "--watch-every, --no-browser are options of --watch")])
def test_watch_options_without_watch_are_refused_before_the_data_is_read(extra, named, capsys, tmp_path):
    """Forgetting --watch itself would otherwise train with no page and no word about it."""
    assert main(["train", "--dataset", "mnist", "--data-dir", str(tmp_path / "no-data-here"), "--epochs", "1",
                 *extra]) == 1
    err = capsys.readouterr().err
    assert f"{named}, which is not given" in err and "no-data-here" not in err, err
