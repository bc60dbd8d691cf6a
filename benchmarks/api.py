"""API benchmark: each operation side by side on Townsquare, the limit and the naive baseline.

    python benchmarks/api.py --database postgresql://postgres@127.0.0.1:5432/bench

One run seeds one database (dropping what it held), then for each operation starts each server
as a uvicorn subprocess with one worker (Townsquare also with persisted queries, and with
`--workers 2`), checks that all three answer the same JSON, and drives it with the same
closed-loop client for the same time. Prints requests/s, p50/p95/p99, the CPU time per answered
request (user + system, from psutil: less sensitive than throughput to what else runs on the
box) of the server's processes, of the database's PostgreSQL backends and of the client, and
the ratios.

Two clients: `apiclient.py` (Python, asyncio; the default, `--client`) and wrk
(`wrkclient.py`, `apt-get install wrk`), which costs about half the Python client's CPU per
request (0.12-0.17 ms against 0.24-0.34 at 25-60 requests a second). The 1-worker and
N-worker rows that give the scaling ratio use `--scaling-client` (wrk when installed): on two
cores, whatever the client spends is taken from the workers.

- townsquare: the application (`api.app:create_app`, through `apiservers/served.py`, which lifts
  the one benchmark key's rate limit so that the bucket, not the server, does not set the pace,
  and serves it as `townsquare serve` does: several workers listen on a socket each);
- limit: `apiservers/limit.py`, a hand-written Starlette endpoint issuing the minimal SQL;
- naive: `apiservers/naive.py`, the same schema with per-object resolvers and no caches.

Operations (all four by default, ingest last):
- dashboard: 20 communities, each with its KPI summary over a 30-day window (audience size,
  active members, engagement rate, net sentiment) and its top 5 influencers with their members;
  Townsquare and the limit read the rollups and the stored influence, the naive baseline counts
  raw membership, engagement and content rows per community and loads members one by one;
- inbox: the 50 newest mentions with their authors and latest escalations and assignees;
- thread: a post with its 50 replies and their authors;
- ingest: 250 engagements per request.

The seed is the demo organization (`domain.demo`, 20 communities, 1,000 members, rollups and
influence computed) with 60 mentions by its members (every other one escalated), a post with
50 replies, and an owner key. The client runs on the same machine as the server: both compete
for its cores.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import wrkclient  # noqa: E402
from apiclient import Run, closed_loop  # noqa: E402
from cputime import DatabaseCpu, settled_cpu, tree_cpu  # noqa: E402

THREAD = (
    "query Thread($id: ID!, $first: Int!) { node(id: $id) { ... on Content { id title body "
    "author { id handle } replies(first: $first) { nodes { id body author { id handle } } } } } }"
)
INGEST = (
    "mutation Ingest($input: EngagementsIngestInput!) { engagementsIngest(input: $input) "
    "{ ingestedCount userErrors { field message code } } }"
)
DASHBOARD = (
    "query Dashboard($first: Int!, $window: MetricsWindowInput!, $top: Int!) { "
    "communities(first: $first) { nodes { id name metrics(window: $window) { summary { "
    "audienceSize activeMembers engagementRate netSentiment } } "
    "influencers(first: $top) { rank score member { id handle } } } } }"
)
INBOX = (
    "query Inbox($first: Int!) { mentions(first: $first) { nodes { id text sentiment "
    "author { id handle } escalation { id status priority assignee { id handle } } } } }"
)
REPLIES = 50
BATCH = 250
COMMUNITIES = 20
DEMO_MEMBERS = 1000
TOP = 5
MENTIONS = 60
PAGE = 50
MENTION_TEXTS = (
    "Love the new trail shoes, best purchase this year ({i})",
    "My order {i} arrived broken and nobody answers, terrible",
    "How do I return a jacket I bought online? ({i})",
    "The tent is fine, nothing special ({i})",
)


@dataclass
class Seeded:
    key: str
    post: str
    replies: list[str]
    members: list[str]
    window: dict[str, str]


def gid(type_name: str, row_id: int | None) -> str:
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


async def seed(url: str) -> Seeded:
    """A fresh schema: the demo organization with 20 communities (rollups and influence
    computed), 60 mentions by its members (half escalated), a post with 50 replies by 50
    authors, and an owner key."""
    from sqlmodel import SQLModel

    import domain.tables  # noqa: F401  (registers every table)
    from domain.db import Database
    from domain.demo import DemoSpec, seed_demo
    from domain.enums import ApiKeyRole
    from domain.schema_version import upgrade
    from domain.services.organizations import OrganizationService

    database = Database(url, pool_size=2)
    async with database.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.drop_all)
        await connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    await upgrade(database)
    now = _at(time.time())
    spec = DemoSpec(members=DEMO_MEMBERS, communities=COMMUNITIES, organization_slug="bench")
    org = (await seed_demo(database, spec, now=now)).organization_id
    async with database.session() as session:
        key = (await OrganizationService(session).issue_key(org, ApiKeyRole.OWNER)).secret
    post, replies, members = await _thread(database, org, now)
    await _mentions(database, org, now)
    await database.dispose()
    return Seeded(
        key=key,
        post=gid("Content", post),
        replies=[gid("Content", r) for r in replies],
        members=[gid("Member", m) for m in members],
        window=_window(now),
    )


async def _thread(database: Any, org: int, now: datetime) -> tuple[int, list[int], list[int]]:
    """A post with 50 replies by 50 authors, in a community created after the demo's 20."""
    from domain.db import transaction
    from domain.entities import Community, Content, Member

    async with database.session() as session, transaction(session):
        community = Community(
            organization_id=org, name="Bench", platform="forum", visibility="public"
        )  # type: ignore[arg-type]
        session.add(community)
        members = [
            Member(organization_id=org, handle=f"bench-author{i}", display_name=f"Author {i}")  # type: ignore[arg-type]
            for i in range(REPLIES + 1)
        ]
        session.add_all(members)
        await session.flush()
        post = Content(
            organization_id=org,
            community_id=community.id,
            author_id=members[0].id,  # type: ignore[arg-type]
            kind="post",
            title="A thread",
            body="What do you think?",
            status="published",
            published_at=now - timedelta(hours=1),
            reply_count=REPLIES,
        )
        session.add(post)
        await session.flush()
        replies = [
            Content(
                organization_id=org,
                community_id=community.id,
                author_id=members[i + 1].id,  # type: ignore[arg-type]
                parent_id=post.id,
                kind="reply",
                body=f"Reply number {i} " * 8,
                status="published",
                published_at=now - timedelta(seconds=3000 - i),
                created_at=now - timedelta(seconds=3000 - i),
            )
            for i in range(REPLIES)
        ]
        session.add_all(replies)
        await session.flush()
    return post.id, [r.id for r in replies], [m.id for m in members]  # type: ignore[return-value]


async def _mentions(database: Any, org: int, now: datetime) -> None:
    """60 mentions by demo members, a minute apart; every other one escalated."""
    from sqlalchemy import select

    from domain.entities import Member
    from domain.listening.escalations import Actor, EscalationDraft, EscalationService
    from domain.listening.mentions import MentionDraft, MentionService

    async with database.session() as session:
        authors = list(
            await session.scalars(
                select(Member.id).where(Member.organization_id == org).order_by(Member.id).limit(20)  # type: ignore[arg-type]
            )
        )
        drafts = [
            MentionDraft(
                source=("twitter", "forum", "reviews")[i % 3],
                text=MENTION_TEXTS[i % len(MENTION_TEXTS)].format(i=i),
                author_id=authors[i % len(authors)],
                occurred_at=now - timedelta(minutes=MENTIONS - i),
            )
            for i in range(MENTIONS)
        ]
        mentions = await MentionService(session, org).ingest(drafts)
        escalations = EscalationService(session, org, Actor(None, "benchmark seed"))
        for mention in mentions[::2]:
            await escalations.create(EscalationDraft(mention_id=mention.id))


def _window(now: datetime) -> dict[str, str]:
    """The 30 whole UTC days before the seed's day: the dashboard's window."""
    end = datetime.combine(now.date(), datetime.min.time(), tzinfo=UTC)
    return {"from": (end - timedelta(days=30)).isoformat(), "to": end.isoformat()}


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(kind: str, url: str, workers: int = 1) -> Iterator[int]:
    """A uvicorn subprocess serving `kind` on a free port, until the block ends."""
    port = free_port()
    env = {**os.environ, "TOWNSQUARE_DATABASE_URL": url}
    plain = url.replace("postgresql+asyncpg://", "postgresql://")
    env["BENCH_LIMIT_DSN"] = plain
    env["BENCH_NAIVE_URL"] = plain.replace("postgresql://", "postgresql+asyncpg://", 1)
    if kind == "townsquare":
        # As `townsquare serve` runs it (api.serving: several workers listen apart).
        command = [str(HERE / "apiservers" / "served.py"), "--workers", str(workers)]
    else:
        command = ["-m", "uvicorn", f"{kind}:app", "--app-dir", str(HERE / "apiservers")]
        command += ["--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(
        [sys.executable, *command, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, process)
        if workers > 1:
            _wait_for_listeners(port, process, workers)
        SERVERS[port] = process.pid
        yield port
    finally:
        SERVERS.pop(port, None)
        process.terminate()
        process.wait(timeout=30)


# Port -> pid of the process serving it (its workers are its children).
SERVERS: dict[int, int] = {}


def _wait_for_listeners(port: int, process: subprocess.Popen[bytes], workers: int) -> None:
    """Until every worker listens on `port` (a socket each, api.serving): connections opened
    while one is still starting would all go to the others, for the whole run."""
    import psutil

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listening = 0
        for child in psutil.Process(process.pid).children(recursive=True):
            with suppress(psutil.NoSuchProcess):
                sockets = child.net_connections(kind="tcp")
                listening += any(s.status == "LISTEN" and s.laddr.port == port for s in sockets)
        if listening >= workers:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{workers} workers did not all listen within 60 s")


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start within 60 s")


def thread_body(seeded: Seeded, persisted: bool = False) -> Callable[[], bytes]:
    variables = {"id": seeded.post, "first": REPLIES}
    if persisted:
        sha = hashlib.sha256(THREAD.encode()).hexdigest()
        ext = {"persistedQuery": {"version": 1, "sha256Hash": sha}}
        body = orjson.dumps({"operationName": "Thread", "variables": variables, "extensions": ext})
    else:
        body = orjson.dumps({"query": THREAD, "operationName": "Thread", "variables": variables})
    return lambda: body


def read_body(query: str, name: str, variables: dict[str, Any]) -> Callable[[], bytes]:
    body = orjson.dumps({"query": query, "operationName": name, "variables": variables})
    return lambda: body


def dashboard_body(seeded: Seeded) -> Callable[[], bytes]:
    variables = {"first": COMMUNITIES, "window": seeded.window, "top": TOP}
    return read_body(DASHBOARD, "Dashboard", variables)


def inbox_body(seeded: Seeded) -> Callable[[], bytes]:
    return read_body(INBOX, "Inbox", {"first": PAGE})


def ingest_body(seeded: Seeded) -> Callable[[], bytes]:
    targets = seeded.replies
    items = [
        {
            "contentId": targets[i % len(targets)],
            "memberId": seeded.members[i % len(seeded.members)],
            "kind": ("VIEW", "LIKE", "SHARE", "CLICK")[i % 4],
        }
        for i in range(BATCH)
    ]
    body = orjson.dumps(
        {"query": INGEST, "operationName": "Ingest", "variables": {"input": {"items": items}}}
    )
    return lambda: body


def answered(status: int, body: bytes) -> bool:
    if status != 200:
        return False
    parsed = orjson.loads(body)
    if parsed.get("errors") or parsed.get("data") is None:
        return False
    payload = parsed["data"].get("engagementsIngest")
    return not (payload and payload["userErrors"])


async def one(port: int, body: bytes, key: str) -> dict[str, Any]:
    run_headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    from apiclient import HttpConnection

    connection = HttpConnection("127.0.0.1", port)
    try:
        status, answer = await connection.post("/graphql", body, run_headers)
    finally:
        connection.close()
    parsed: dict[str, Any] = orjson.loads(answer)
    assert status == 200, (status, parsed)
    return parsed


@dataclass
class Row:
    operation: str
    server: str
    run: Run | wrkclient.WrkRun
    unit: int = 1
    client: str = "python"
    # CPU seconds over the measured seconds: the server's processes, the database's backends,
    # the client.
    cpu: float = 0.0
    db_cpu: float = 0.0
    client_cpu: float = 0.0

    def per_request_ms(self, seconds: float) -> float:
        served = self.run.served
        return seconds * 1000 / served if served else float("nan")

    @property
    def cpu_ms(self) -> float:
        return self.per_request_ms(self.cpu)


def measure(
    operation: str,
    label: str,
    port: int,
    body: Callable[[], bytes],
    seeded: Seeded,
    args: argparse.Namespace,
    unit: int,
    client: str = "python",
) -> Row:
    drive(client, port, body, seeded, args.concurrency, args.warmup)
    database = DatabaseCpu(args.database)
    database.begin()
    before = tree_cpu(SERVERS[port])
    run, client_cpu = drive(client, port, body, seeded, args.concurrency, args.seconds)
    server = settled_cpu(SERVERS[port]) - before
    row = Row(operation, label, run, unit, client, server, database.seconds(), client_cpu)
    print(_line(row), flush=True)
    return row


def drive(
    client: str,
    port: int,
    body: Callable[[], bytes],
    seeded: Seeded,
    concurrency: int,
    seconds: float,
) -> tuple[Run | wrkclient.WrkRun, float]:
    """A closed-loop run with the chosen client, and the client's CPU seconds."""
    if client == "wrk":
        return wrkclient.closed_loop(port, body(), seeded.key, concurrency, seconds)
    headers = {"Authorization": f"Bearer {seeded.key}", "Content-Type": "application/json"}
    started = time.process_time()
    run = asyncio.run(closed_loop("127.0.0.1", port, body, headers, answered, concurrency, seconds))
    return run, time.process_time() - started


def bench_operation(name: str, seeded: Seeded, url: str, args: argparse.Namespace) -> list[Row]:
    body = BODIES[name](seeded)
    unit = BATCH if name == "ingest" else 1
    answers: dict[str, Any] = {}
    rows = []
    scaling = args.scaling_client
    # The scaling rows name their client when it is not the side-by-side rows' one.
    suffix = f" ({scaling})" if scaling != args.client else ""
    for kind in args.servers:
        with server(kind, url) as port:
            answers[kind] = asyncio.run(one(port, body(), seeded.key))
            rows.append(measure(name, kind, port, body, seeded, args, unit, args.client))
            if kind == "townsquare" and name == "thread":
                persisted = thread_body(seeded, persisted=True)
                asyncio.run(one(port, body_with_query(persisted()), seeded.key))
                label = "townsquare+APQ"
                rows.append(measure(name, label, port, persisted, seeded, args, unit, args.client))
            if kind == "townsquare" and args.workers > 1 and suffix:
                label = "townsquare" + suffix
                rows.append(measure(name, label, port, body, seeded, args, unit, scaling))
        if kind == "townsquare" and args.workers > 1:
            with server(kind, url, workers=args.workers) as port:
                asyncio.run(one(port, body(), seeded.key))
                label = f"townsquare x{args.workers} workers{suffix}"
                rows.append(measure(name, label, port, body, seeded, args, unit, scaling))
    _same_answers(name, answers)
    _check_answer(name, answers.get("townsquare"))
    return rows


def _check_answer(name: str, answer: dict[str, Any] | None) -> None:
    """The reads must answer full pages, else equal answers could be equally empty."""
    data = (answer or {}).get("data") or {}
    full = True
    if name == "dashboard":
        nodes = data["communities"]["nodes"]
        full = len(nodes) == COMMUNITIES and all(len(n["influencers"]) == TOP for n in nodes)
    if name == "inbox":
        nodes = data["mentions"]["nodes"]
        full = len(nodes) == PAGE and sum(n["escalation"] is not None for n in nodes) == PAGE // 2
    if not full:
        raise SystemExit(f"{name}: townsquare answered a partial page, the seed is wrong")


BODIES: dict[str, Callable[[Seeded], Callable[[], bytes]]] = {
    "dashboard": dashboard_body,
    "inbox": inbox_body,
    "thread": thread_body,
    "ingest": ingest_body,
}


def body_with_query(persisted: bytes) -> bytes:
    """The persisted request with its query, as an APQ client sends it after a miss."""
    parsed = orjson.loads(persisted)
    parsed["query"] = THREAD
    return orjson.dumps(parsed)


def _same_answers(name: str, answers: dict[str, Any]) -> None:
    data = {kind: answer.get("data") for kind, answer in answers.items()}
    reference = data.get("townsquare")
    for kind, value in data.items():
        if value != reference:
            raise SystemExit(f"{name}: {kind} answered differently from townsquare:\n{value}")


def _line(row: Row) -> str:
    run = row.run
    extra = f"  ({run.throughput * row.unit:,.0f} engagements/s)" if row.unit > 1 else ""
    return (
        f"{row.operation:<9} {row.server:<30} {run.throughput:>9,.1f} req/s  "
        f"p50 {run.percentile(50) * 1000:7.1f} ms  p95 {run.percentile(95) * 1000:7.1f} ms  "
        f"p99 {run.percentile(99) * 1000:7.1f} ms  server CPU {row.cpu_ms:6.1f} ms/req  "
        f"db {row.per_request_ms(row.db_cpu):5.2f}  "
        f"client {row.per_request_ms(row.client_cpu):5.2f}  failures {run.failures}{extra}"
    )


def summary(rows: list[Row]) -> None:
    print("\nratios (throughput):")
    for operation in dict.fromkeys(r.operation for r in rows):
        mine = {r.server: r.run.throughput for r in rows if r.operation == operation}
        base = mine.get("townsquare")
        if not base:
            continue
        parts = []
        if mine.get("limit"):
            parts.append(f"townsquare/limit {base / mine['limit']:.2f}")
        if mine.get("naive"):
            parts.append(f"townsquare/naive {base / mine['naive']:.2f}")
        if mine.get("townsquare+APQ") and mine.get("limit"):
            parts.append(f"townsquare+APQ/limit {mine['townsquare+APQ'] / mine['limit']:.2f}")
        for server_name, value in mine.items():
            if " workers" in server_name:
                # "townsquare x2 workers (wrk)" against "townsquare (wrk)": the same client.
                suffix = server_name.partition(" workers")[2]
                one_worker = mine.get("townsquare" + suffix)
                if one_worker:
                    parts.append(f"{server_name}/1 worker {value / one_worker:.2f}")
        cpu = {r.server: r.cpu_ms for r in rows if r.operation == operation}
        if cpu.get("limit") and cpu.get("townsquare"):
            ratio = cpu["townsquare"] / cpu["limit"]
            parts.append(f"server CPU per request townsquare/limit {ratio:.1f}")
        print(f"  {operation:<9} " + ", ".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        default=os.environ.get("TOWNSQUARE_BENCH_DATABASE_URL"),
        help="PostgreSQL URL of a database the benchmark may wipe",
    )
    # Ingest last: the limit's inserts skip the rollups the reads of the others would see.
    parser.add_argument("--operations", default=",".join(BODIES))
    parser.add_argument("--servers", default="townsquare,limit,naive")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2, help="also run Townsquare with N")
    parser.add_argument(
        "--client",
        choices=("python", "wrk"),
        default="python",
        help="load client of the side-by-side rows (apiclient.py, or wrk: apt-get install wrk)",
    )
    parser.add_argument(
        "--scaling-client",
        choices=("python", "wrk"),
        default="wrk" if wrkclient.available() else "python",
        help="load client of the 1-worker and N-worker rows (default: wrk when installed)",
    )
    args = parser.parse_args()
    if "wrk" in (args.client, args.scaling_client) and not wrkclient.available():
        parser.error("wrk is not installed (apt-get install wrk)")
    if not args.database or not args.database.startswith("postgresql"):
        parser.error("--database must name a PostgreSQL database (it is wiped)")
    args.servers = args.servers.split(",")
    seeded = asyncio.run(seed(args.database))
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores (shared with the client), "
        f"concurrency {args.concurrency}, {args.seconds:.0f} s per row after {args.warmup:.0f} s "
        f"warm-up, one worker unless said; client {args.client}, scaling rows "
        f"{args.scaling_client}; CPU ms per answered request: server (all its processes), db "
        "(the database's PostgreSQL backends), client"
    )
    rows: list[Row] = []
    for name in args.operations.split(","):
        rows += bench_operation(name, seeded, args.database, args)
    summary(rows)


if __name__ == "__main__":
    main()
