"""A lean HTTP/1.1 keep-alive load client on asyncio, for the API benchmark.

General clients (httpx, requests) spend more CPU per request than the servers measured here,
and the load generator shares the machine's two cores with the server: a client that costs
little keeps the comparison about the servers. Each worker holds one connection and sends its
next request when the previous answer is in (closed loop); latencies are taken per request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field


class HttpConnection:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        lines = [f"POST {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines += [f"Content-Length: {len(body)}", "", ""]
        self.writer.write("\r\n".join(lines).encode() + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, chunked = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if not chunked:
            return status, await self.reader.readexactly(length)
        parts = []
        while size := int((await self.reader.readline()).strip(), 16):
            parts.append(await self.reader.readexactly(size))
            await self.reader.readline()
        await self.reader.readline()
        return status, b"".join(parts)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@dataclass
class Run:
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failures: int = 0

    @property
    def answered(self) -> int:
        return len(self.latencies)

    @property
    def served(self) -> int:
        """Requests the server worked on: every one was waited for (nothing in flight)."""
        return self.answered

    @property
    def throughput(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


Check = Callable[[int, bytes], bool]


async def closed_loop(
    host: str,
    port: int,
    body: Callable[[], bytes],
    headers: dict[str, str],
    check: Check,
    concurrency: int,
    seconds: float,
) -> Run:
    """`concurrency` connections sending requests back to back for `seconds`."""
    run = Run()
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        connection = HttpConnection(host, port)
        try:
            while time.perf_counter() < deadline:
                payload = body()
                started = time.perf_counter()
                status, answer = await connection.post("/graphql", payload, headers)
                elapsed = time.perf_counter() - started
                if check(status, answer):
                    run.latencies.append(elapsed)
                else:
                    run.failures += 1
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    run.seconds = time.perf_counter() - started
    return run
