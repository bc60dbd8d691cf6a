"""`townsquare loadtest`: seed a database, serve it, run Locust headless, judge the result.

The pieces are plain functions so the command stays a list of steps: `Profile` says how big a
named size is, `seed_for_load` writes the demo organization and one key per simulated user and
role, `serving` runs `townsquare serve` as a subprocess until its readiness probe answers,
`MemorySampler` notes each worker's resident memory meanwhile, `run_locust` runs the personas
of `loadtests/locustfile.py`, `read_stats`/`verdict` read Locust's CSV and decide the exit
code, and `read_minutes` puts each minute's latency and memory side by side (for soak tests:
is p95 steady, is memory flat).
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from domain.db import Database
from domain.enums import ApiKeyRole
from domain.services.organizations import OrganizationService
from simulator.sizes import SIZES

LOCUSTFILE = Path(__file__).resolve().parent.parent / "loadtests" / "locustfile.py"
ORGANIZATION = "loadtest"
# Each user's start-up query for ids: counted as a request, not held to the latency threshold.
SETUP_OPERATIONS = frozenset({"Aggregated", "LoadtestSeedIds"})
# The user classes of loadtests/locustfile.py, by the name Locust picks them by.
PERSONAS = ("DashboardReader", "CommunityManager", "Integration")
ROLES = {
    "viewer": ApiKeyRole.VIEWER,
    "manager": ApiKeyRole.MANAGER,
    "ingestion": ApiKeyRole.INGESTION,
}


@dataclass(frozen=True)
class Profile:
    """A named load: how much data to seed, how many users, how fast they arrive."""

    name: str
    members: int
    communities: int
    users: int
    spawn_rate: float


def profile(name: str) -> Profile:
    """The load of a named size from `simulator/sizes.py` (`small`, `large`)."""
    size = SIZES[name]
    if name == "large":
        return Profile(name, size.members, 40, users=200, spawn_rate=20)
    return Profile(name, size.members, 8, users=20, spawn_rate=10)


async def seed_for_load(
    database: Database, spec_members: int, communities: int, users: int, on_progress: object
) -> dict[str, list[str]]:
    """The demo organization `loadtest` (replaced), and `users` keys of each persona's role."""
    from domain import schema_version
    from domain.demo import DemoSpec, seed_demo

    await schema_version.upgrade(database)
    spec = DemoSpec(members=spec_members, communities=communities, organization_slug=ORGANIZATION)
    report = await seed_demo(database, spec, reset=True, on_progress=on_progress)  # type: ignore[arg-type]
    keys: dict[str, list[str]] = {role: [] for role in ROLES}
    async with database.session() as session:
        service = OrganizationService(session)
        for role, api_role in ROLES.items():
            for index in range(max(users, 1)):
                issued = await service.issue_key(report.organization_id, api_role, f"load {index}")
                keys[role].append(issued.secret)
    return keys


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Served:
    """A running `townsquare serve`: where it answers, and its process (workers are children)."""

    host: str
    pid: int


@contextmanager
def serving(database_url: str, workers: int, log_path: Path) -> Iterator[Served]:
    """`townsquare serve` on a free port until the block ends; its JSON log goes to `log_path`."""
    port = free_port()
    env = {**os.environ, "TOWNSQUARE_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            host = f"http://127.0.0.1:{port}"
            wait_until_ready(host, process)
            yield Served(host, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until_ready(host: str, process: subprocess.Popen[bytes], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{host}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the server was not ready within {seconds:.0f} s")


def personas_named(text: str | None) -> tuple[str, ...]:
    """The personas a comma-separated list names (all of them for None); refuses unknown ones."""
    if text is None:
        return PERSONAS
    named = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    unknown = [name for name in named if name not in PERSONAS]
    if unknown or not named:
        raise ValueError(f"unknown persona {', '.join(unknown) or '(none named)'}; "
                         f"choose from {', '.join(PERSONAS)}")  # fmt: skip
    return named


def run_locust(
    host: str,
    keys_file: Path,
    users: int,
    spawn_rate: float,
    seconds: int,
    prefix: Path,
    personas: tuple[str, ...] = PERSONAS,
) -> subprocess.Popen[bytes]:
    """Locust headless against `host` with the users of `personas` (by their weights), writing
    `<prefix>_stats.csv`, `<prefix>.html` and each minute's figures to `<prefix>_minutes.csv`."""
    env = {
        **os.environ,
        "TOWNSQUARE_LOADTEST_KEYS": str(keys_file),
        "TOWNSQUARE_LOADTEST_MINUTES": str(minutes_file(prefix)),
    }
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "--host", host, "--users", str(users), "--spawn-rate", str(spawn_rate),
        "--run-time", f"{seconds}s", "--stop-timeout", "30",
        "--csv", str(prefix), "--html", f"{prefix}.html", "--only-summary",
        "--loglevel", "WARNING", *personas,
    ]  # fmt: skip
    log = prefix.with_name(prefix.name + "_locust.log").open("wb")
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


def minutes_file(prefix: Path) -> Path:
    return prefix.with_name(prefix.name + "_minutes.csv")


@dataclass(frozen=True)
class OperationStats:
    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float


def read_stats(path: Path) -> list[OperationStats]:
    """Locust's `_stats.csv`: one row per operation name, then `Aggregated`."""
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows.append(
                OperationStats(
                    name=row["Name"],
                    requests=int(row["Request Count"]),
                    failures=int(row["Failure Count"]),
                    rps=float(row["Requests/s"]),
                    p50=_number(row["50%"]),
                    p95=_number(row["95%"]),
                    p99=_number(row["99%"]),
                )
            )
    return rows


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:  # Locust writes N/A for an operation without answers
        return 0.0


def verdict(stats: list[OperationStats], max_failure_ratio: float, max_p95_ms: float) -> list[str]:
    """What failed the run: too many failures overall, or an operation's p95 over the limit."""
    reasons = []
    total = next((s for s in stats if s.name == "Aggregated"), None)
    if total is None or total.requests == 0:
        return ["no request was answered"]
    ratio = total.failures / total.requests
    if ratio > max_failure_ratio:
        reasons.append(f"failure ratio {ratio:.2%} is over {max_failure_ratio:.2%}")
    for operation in stats:
        if operation.name not in SETUP_OPERATIONS and operation.p95 > max_p95_ms:
            reasons.append(
                f"{operation.name}: p95 {operation.p95:.0f} ms is over {max_p95_ms:.0f} ms"
            )
    return reasons


def write_keys(keys: dict[str, list[str]], path: Path) -> Path:
    path.write_text(json.dumps(keys), encoding="utf-8")
    # The keys open the seeded organization: readable by this user only.
    path.chmod(0o600)
    return path
