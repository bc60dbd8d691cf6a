"""A warm parent that forks `townsquare serve` on demand, for the crash-safety cycles.

Importing the application costs about 4 s of CPU, tens of seconds on a loaded CI machine; a
test that kills and restarts the server twenty times per backend cannot pay it every time. This
process imports it once, then for each line `serve <port> <database url> <log path>` on stdin
forks a child that runs exactly what `townsquare serve --port <port>` runs (the CLI's own
`serve` function: uvicorn with the app factory, one worker) and answers the child's pid on
stdout. The child opens every connection itself, after the fork, and is the process the test
SIGKILLs. Children are reaped automatically (SIGCHLD ignored), so a killed pid disappears.

Run as `python tests/e2e/crash_harness.py`; `ServerFactory` does that and speaks the protocol.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

READY_SECONDS = 120


def _child(port: int, url: str, log_path: str) -> None:
    # The server may reap processes of its own; only the warm parent ignores its children.
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.environ["TOWNSQUARE_DATABASE_URL"] = url
    from api.cli import serve

    serve(host="127.0.0.1", port=port, workers=1, reload=False, pool_size=None)


def main() -> None:
    # The imports the children inherit warm.
    import api.app
    import api.cli  # noqa: F401

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    print("warm", flush=True)
    for line in sys.stdin:
        _, port, url, log_path = line.split()
        pid = os.fork()
        if pid == 0:
            try:
                _child(int(port), url, log_path)
            finally:
                os._exit(0)
        print(pid, flush=True)


class ServerFactory:
    """Starts servers through the warm parent, waits until they answer, kills them hard."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.parent = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "TOWNSQUARE_WEBHOOK_WORKER": "0"},
        )
        assert self.parent.stdout is not None
        assert self.parent.stdout.readline().strip() == "warm"

    def start(self, url: str, port: int, cycle: int) -> int:
        """The pid of a new server on `port` over `url`, once its /readyz answers 200."""
        assert self.parent.stdin is not None
        assert self.parent.stdout is not None
        log = self.log_dir / f"server-{cycle}.log"
        self.parent.stdin.write(f"serve {port} {url} {log}\n")
        self.parent.stdin.flush()
        pid = int(self.parent.stdout.readline())
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if not alive(pid):
                raise RuntimeError(f"the server died while starting; see {log}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    if r.status == 200:
                        return pid
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"the server was not ready within {READY_SECONDS} s; see {log}")

    def close(self) -> None:
        assert self.parent.stdin is not None
        assert self.parent.stdout is not None
        self.parent.stdin.close()  # the parent's loop ends with its input
        self.parent.wait(timeout=30)
        self.parent.stdout.close()


def kill(pid: int) -> None:
    """SIGKILL, then wait until the process is gone (its port and connections with it)."""
    os.kill(pid, signal.SIGKILL)
    while alive(pid):
        time.sleep(0.01)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


if __name__ == "__main__":
    main()
