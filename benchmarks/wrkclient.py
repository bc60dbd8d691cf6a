"""The API benchmark's load driven by wrk (C, epoll) instead of the Python client.

The client shares the machine's two cores with the servers it measures; when two workers are
meant to use both cores, every millisecond the client spends is taken from them. wrk keeps
`concurrency` connections sending one POST after another (closed loop, like
`apiclient.closed_loop`), checks each answer in `graphql_post.lua` and reports the percentiles
itself. Install it with `apt-get install wrk`.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import orjson

SCRIPT = Path(__file__).resolve().parent / "graphql_post.lua"


def available() -> bool:
    return shutil.which("wrk") is not None


@dataclass
class WrkRun:
    """What wrk measured: answered requests, failures and latency percentiles (seconds).

    wrk stops at its deadline with a request in flight on every connection, which the server
    still works through; `served` counts them with the answers, so that the server's CPU,
    sampled once it is idle again, is divided by the requests it was spent on.
    """

    seconds: float
    answered: int
    failures: int
    percentiles: dict[int, float]
    abandoned: int = 0

    @property
    def served(self) -> int:
        return self.answered + self.abandoned

    @property
    def throughput(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        return self.percentiles[int(p)]


def closed_loop(
    port: int, body: bytes, key: str, concurrency: int, seconds: float, threads: int = 1
) -> tuple[WrkRun, float]:
    """`concurrency` connections POSTing `body` to /graphql for `seconds`: the run, and the
    CPU seconds wrk spent (user + system)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as file:
        file.write(body)
        file.flush()
        env = {**os.environ, "WRK_BODY_FILE": file.name, "WRK_AUTHORIZATION": f"Bearer {key}"}
        command = [
            "wrk", f"-t{threads}", f"-c{concurrency}", f"-d{max(1, round(seconds))}s",
            "--timeout", "60s", "-s", str(SCRIPT), f"http://127.0.0.1:{port}/graphql",
        ]  # fmt: skip
        before = _children_cpu()
        done = subprocess.run(command, env=env, capture_output=True, check=True)
        cpu = _children_cpu() - before
    run = _parse(done.stdout)
    run.abandoned = concurrency
    return run, cpu


def _children_cpu() -> float:
    """CPU seconds of this process's finished children: wrk's, once it has been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _parse(output: bytes) -> WrkRun:
    """The JSON line `graphql_post.lua` prints last (after wrk's own summary)."""
    line = next(x for x in reversed(output.splitlines()) if x.startswith(b"{"))
    figures = orjson.loads(line)
    failures = figures["failures"] + figures["socket_errors"]
    return WrkRun(
        seconds=figures["seconds"],
        answered=figures["requests"] - figures["failures"],
        failures=failures,
        percentiles={p: figures[f"p{p}"] / 1e6 for p in (50, 95, 99)},
    )
