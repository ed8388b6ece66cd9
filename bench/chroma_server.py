"""A private `chroma run` on loopback for the server-mode benchmark, stopped when done."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_SECONDS = 60.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _alive(port: int) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1.0) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def chroma_server(path: Path) -> Iterator[int]:
    """Run `chroma run` on 127.0.0.1 with data in `path`; yields its port."""
    port = _free_port()
    log = (path.parent / "chroma-server.log").open("ab")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "chroma"),
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--path",
            str(path),
        ],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _alive(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"chroma run did not start; see {log.name}")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()
