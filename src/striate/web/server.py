"""Run the app with uvicorn: in the foreground (`striate serve`) or on a thread (`striate train --watch`).

On the loopback address (127.0.0.1, the default) only this machine reaches the page, and
the app answers only requests addressed to it by name (striate.web.guard). On any other
address (--host 0.0.0.0: every network of the machine) anyone who can reach the port can
use the page, read the model's weights and make it compute: there is no login. `exposed`
says so, for the command to warn.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import threading
import time
import webbrowser

from . import guard


def check_port(host: str, port: int, options: tuple[str, str] = ("--host", "--port")) -> None:
    """OSError naming host and port when nothing can listen there, and the option to change:
    the port (options[1]) when it is in use or reserved, the host (options[0]) when it is not
    an address of this machine (or no address at all)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            if e.errno in (errno.EADDRINUSE, errno.EACCES, errno.EPERM):  # in use, or below 1024 without root
                hint = f"choose another {options[1]}"
            else:  # not this machine's address, or a name that resolves to none
                hint = f"{options[0]} must be an address of this machine"
            raise OSError(f"cannot listen on {host}:{port}: {e.strerror or e}; {hint}") from None


def loopback(host: str) -> bool:
    """Whether `host` is this machine only: localhost, 127.x.x.x or ::1."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def hosts(host: str):
    """The Host names the app answers when listening on `host`: on loopback guard.LOCAL and `host`
    itself (127.0.0.2, say), else any (None)."""
    if not loopback(host):
        return None
    return guard.LOCAL if host.lower() in guard.LOCAL else (*guard.LOCAL, host.lower().strip("[]"))


def exposed(host: str, port: int) -> str | None:
    """A warning when `host` is reachable from other machines, else None."""
    if loopback(host):
        return None
    return (f"warning: listening on {host}:{port}: anyone who can reach this machine on port {port} can use the page, "
            "read the model's weights and make it compute (there is no login); use --host 127.0.0.1 (the default) "
            "unless that is what you want")


def url(host: str, port: int) -> str:
    """The page's address in a browser on this machine when the server listens on host:port."""
    shown = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "[::1]"}.get(host, f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{port}/"


def _server(app, host: str, port: int):
    import uvicorn

    # timeout_graceful_shutdown: Ctrl-C (or the end of a watched run) waits at most 2 s for open
    # connections (an event stream, a long request) before closing them
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_keep_alive=5,
                            limit_concurrency=64, timeout_graceful_shutdown=2)
    return uvicorn.Server(config)


def serve(app, host: str, port: int, open_browser: bool = True) -> None:
    """Serve until Ctrl-C, opening the page in a browser unless open_browser is False."""
    check_port(host, port)
    server = _server(app, host, port)
    if open_browser:
        opener = threading.Timer(1.0, webbrowser.open, args=(url(host, port),))
        opener.daemon = True  # Ctrl-C within the second: nothing is left to wait for
        opener.start()
    server.run()


class Running:
    """A server on a daemon thread; stop() ends it (open connections are closed within a few seconds)."""

    def __init__(self, server, thread):
        self.server, self.thread = server, thread

    def stop(self, wait: float = 5.0) -> None:
        self.server.should_exit = True
        self.thread.join(wait)


def start(app, host: str, port: int, open_browser: bool = False, options: tuple[str, str] = ("--host", "--port")
          ) -> Running:
    """Serve on a daemon thread, once the socket listens; returns it running. options: as in check_port."""
    check_port(host, port, options)
    server = _server(app, host, port)
    thread = threading.Thread(target=server.run, name="striate-web", daemon=True)
    thread.start()
    for _ in range(100):  # up to 5 s for the socket to open
        if server.started or not thread.is_alive():
            break
        time.sleep(0.05)
    if not server.started:
        raise OSError(f"the page could not be served on {host}:{port}")
    if open_browser:
        webbrowser.open(url(host, port))
    return Running(server, thread)
