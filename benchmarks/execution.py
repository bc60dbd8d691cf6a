"""CPU time of GraphQL execution alone: graphql-core's stock executor against the planned one.

    python benchmarks/execution.py [--items 50] [--requests 200] [--rounds 5]

A thread-shaped read (a page of `--items` posts, each with its relay id, body and author's id
and handle, the author from a synchronous resolver taking `info`) runs on a small Strawberry
schema of its own, parsed once and executed by `graphql.execute` with each executor in turn,
alternately, one round after the other: no database, no HTTP, no parse or validation, so the
figure is the executor's own work per request (what `benchmarks/api_profile.py` measures
includes everything else a request does).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import strawberry
from graphql import parse
from graphql.execution import ExecutionResult, execute
from strawberry import relay
from strawberry.execution import optimized_is_awaitable

# Run as a script, benchmarks/ comes first on sys.path, where benchmarks/api.py would shadow the
# application's `api` package.
HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]

from api.execution import bind, planned_executor  # noqa: E402


@strawberry.type
class Member(relay.Node):
    id: relay.NodeID[int]
    handle: str


@strawberry.type
class Post(relay.Node):
    id: relay.NodeID[int]
    body: str
    author_id: strawberry.Private[int]

    @strawberry.field
    def author(self, info: strawberry.Info) -> Member | None:
        return Member(id=self.author_id, handle=f"member{self.author_id}")


@strawberry.type
class Page:
    nodes: list[Post]


@strawberry.type
class Query:
    @strawberry.field
    async def replies(self, first: int) -> Page:
        return Page(nodes=[Post(id=i, body="b" * 80, author_id=i) for i in range(first)])


DOCUMENT = parse(
    "query Thread($first: Int!) { replies(first: $first) { nodes { id body "
    "author { id handle } } } }"
)


def schemas() -> dict[str, strawberry.Schema]:
    executor = planned_executor()
    planned = strawberry.Schema(query=Query, execution_context_class=executor)
    bind(executor, planned)
    return {"stock": strawberry.Schema(query=Query), "planned": planned}


async def cpu_ms(schema: strawberry.Schema, requests: int, items: int) -> float:
    """CPU milliseconds per execution of the document by `schema`'s executor."""
    started = time.process_time()
    for _ in range(requests):
        result = execute(
            schema._schema,
            DOCUMENT,
            variable_values={"first": items},
            executor_class=schema.execution_context_class,
            is_awaitable=optimized_is_awaitable,
        )
        answered: Any = await result if not isinstance(result, ExecutionResult) else result
        if answered.errors:
            raise SystemExit(answered.errors)
    return (time.process_time() - started) * 1000 / requests


async def main(args: argparse.Namespace) -> None:
    built = schemas()
    samples: dict[str, list[float]] = {name: [] for name in built}
    for schema in built.values():
        await cpu_ms(schema, args.requests // 10 or 1, args.items)  # warm-up
    for _ in range(args.rounds):
        for name, schema in built.items():
            samples[name].append(await cpu_ms(schema, args.requests, args.items))
    stock, planned = (statistics.median(samples[name]) for name in ("stock", "planned"))
    print(
        f"execution only, {args.items} items, median of {args.rounds} rounds of "
        f"{args.requests}: stock {stock:.3f} ms, planned {planned:.3f} ms, "
        f"ratio {stock / planned:.2f}x"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(main(parser.parse_args()))
