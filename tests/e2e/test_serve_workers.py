"""`townsquare serve --workers 2`: keep-alive connections opened together reach both workers.

With one socket shared by the workers, the first worker to wake accepted every waiting
connection, and a client opening its pool at once was served by that worker alone.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from api.loadtest import free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="no SO_REUSEPORT here"),
]
CONNECTIONS = 16


def test_connections_opened_together_are_served_by_both_workers(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "TOWNSQUARE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "TOWNSQUARE_WEBHOOK_WORKER": "0",
        "TOWNSQUARE_SCHEDULER_INTERVAL": "0",
    }
    migrate = [sys.executable, "-m", "api.cli", "migrate"]
    subprocess.run(migrate, env=env, check=True, capture_output=True, timeout=120)
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "2"]
    with (tmp_path / "server.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            workers = _listening_workers(process, port, expected=2)
            # A pool opened at once, as a load balancer or a benchmark opens it, then used.
            clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(CONNECTIONS)]
            for client in clients:
                client.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            for client in clients:
                answer = client.recv(4096)
                assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
            held = {w.pid: _established(w, port) for w in workers}
            assert sum(held.values()) == CONNECTIONS
            # Each connection goes to a worker by a hash of its addresses: all 16 on one
            # worker would be a 1 in 2**15 chance.
            assert all(held.values()), held
            for client in clients:
                client.close()
        finally:
            process.terminate()
            process.wait(timeout=30)


def _listening_workers(
    process: subprocess.Popen[bytes], port: int, expected: int
) -> list[psutil.Process]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        children = psutil.Process(process.pid).children(recursive=True)
        listening = [child for child in children if _listens(child, port)]
        if len(listening) == expected:
            return listening
        time.sleep(0.2)
    raise AssertionError(f"{expected} workers did not listen on {port} within 120 s")


def _listens(worker: psutil.Process, port: int) -> bool:
    try:
        sockets = worker.net_connections(kind="tcp")
    except psutil.NoSuchProcess:
        return False
    return any(s.status == psutil.CONN_LISTEN and s.laddr.port == port for s in sockets)


def _established(worker: psutil.Process, port: int) -> int:
    sockets = worker.net_connections(kind="tcp")
    return sum(s.status == psutil.CONN_ESTABLISHED and s.laddr.port == port for s in sockets)
