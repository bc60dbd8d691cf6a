"""Who spent the CPU during a benchmark row: the server's processes, the PostgreSQL backends
of the benchmark's database, the client.

Requests per second on this box depend on what else runs on it; CPU seconds per answered
request much less. Splitting them by process says what caps a row: on two cores, two server
workers can only go twice as fast as one when the database and the client cost little next to
them.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import suppress

import psutil


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) spent so far by process `pid` and its descendants."""
    root = psutil.Process(pid)
    return sum(process_cpu(p.pid) for p in [root, *root.children(recursive=True)])


def settled_cpu(pid: int, seconds: float = 10.0) -> float:
    """`tree_cpu` once the server has finished what it was doing (a client that hangs up
    leaves requests in flight): when 0.1 s passes with under 2 ms of CPU spent."""
    deadline = time.monotonic() + seconds
    spent = tree_cpu(pid)
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = tree_cpu(pid)
        if now - spent < 0.002:
            return now
        spent = now
    return spent


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one process; 0 once it is gone."""
    with suppress(psutil.NoSuchProcess):
        times = psutil.Process(pid).cpu_times()
        return float(times.user + times.system)
    return 0.0


class DatabaseCpu:
    """CPU seconds of the PostgreSQL backends serving clients of one database, between two
    samples.

    Backends are found in `pg_stat_activity` at each sample: one born between the samples
    counts whole, one that ended between them is missed (the servers' pools keep theirs open).
    Autovacuum workers are left out: they clean up after the seed or the writes, whatever the
    requests of the row cost.
    """

    def __init__(self, url: str) -> None:
        self.url = url.replace("postgresql+asyncpg://", "postgresql://", 1)
        self.start: dict[int, float] = {}

    def begin(self) -> None:
        self.start = {pid: process_cpu(pid) for pid in self._backends()}

    def seconds(self) -> float:
        return sum(process_cpu(pid) - self.start.get(pid, 0.0) for pid in self._backends())

    def _backends(self) -> list[int]:
        return asyncio.run(self._query())

    async def _query(self) -> list[int]:
        import asyncpg

        connection = await asyncpg.connect(self.url)
        try:
            rows = await connection.fetch(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND backend_type = 'client backend' "
                "AND pid <> pg_backend_pid()"
            )
        finally:
            await connection.close()
        return [row["pid"] for row in rows]
