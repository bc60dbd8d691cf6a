"""The limit: a hand-written Starlette endpoint that answers the benchmark's operations with the
fewest SQL statements and returns the same JSON as Townsquare.

It does what any correct server must (check the key, scope to the organization, check that the
ingested rows' content and members exist) and nothing else: asyncpg directly, prepared
statements, one `INSERT ... SELECT unnest(...)` per ingest batch, orjson. Run by
`benchmarks/api.py` as `uvicorn limit:app --app-dir benchmarks/apiservers`.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

DATABASE = os.environ["BENCH_LIMIT_DSN"]

AUTH = "SELECT organization_id FROM api_key WHERE key_hash = $1 AND revoked_at IS NULL"
POST = (
    "SELECT c.id, c.title, c.body, m.id AS mid, m.handle FROM content c "
    "LEFT JOIN member m ON m.id = c.author_id "
    "WHERE c.id = $1 AND c.organization_id = $2 AND c.deleted_at IS NULL"
)
REPLIES = (
    "SELECT c.id, c.body, m.id AS mid, m.handle FROM content c "
    "LEFT JOIN member m ON m.id = c.author_id "
    "WHERE c.parent_id = $1 AND c.organization_id = $2 AND c.deleted_at IS NULL "
    "ORDER BY c.created_at, c.id LIMIT $3"
)
LIVE_CONTENT = (
    "SELECT id, community_id FROM content WHERE id = ANY($1::bigint[]) "
    "AND organization_id = $2 AND deleted_at IS NULL AND published_at IS NOT NULL"
)
MEMBERS = "SELECT id FROM member WHERE id = ANY($1::bigint[]) AND organization_id = $2"
INSERT = (
    "INSERT INTO engagement (organization_id, community_id, content_id, member_id, kind, "
    "occurred_at, created_at) SELECT $1, c, ct, m, k, $2, $2 FROM "
    "unnest($3::bigint[], $4::bigint[], $5::bigint[], $6::text[]) AS t(c, ct, m, k)"
)


def gid(type_name: str, row_id: int) -> str:
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def row_id(value: str) -> int:
    return int(base64.b64decode(value).decode().partition(":")[2])


def author(row: Any) -> dict[str, Any] | None:
    return (
        None if row["mid"] is None else {"id": gid("Member", row["mid"]), "handle": row["handle"]}
    )


async def thread(conn: Any, org: int, variables: dict[str, Any]) -> dict[str, Any]:
    post_id = row_id(variables["id"])
    post = await conn.fetchrow(POST, post_id, org)
    if post is None:
        return {"node": None}
    replies = await conn.fetch(REPLIES, post_id, org, variables.get("first", 50))
    return {
        "node": {
            "id": gid("Content", post["id"]),
            "title": post["title"],
            "body": post["body"],
            "author": author(post),
            "replies": {
                "nodes": [
                    {"id": gid("Content", r["id"]), "body": r["body"], "author": author(r)}
                    for r in replies
                ]
            },
        }
    }


async def ingest(conn: Any, org: int, variables: dict[str, Any]) -> dict[str, Any]:
    items = variables["input"]["items"]
    content_ids = [row_id(i["contentId"]) for i in items]
    member_ids = [row_id(i["memberId"]) for i in items]
    communities = dict(await conn.fetch(LIVE_CONTENT, list(set(content_ids)), org))
    members = {r["id"] for r in await conn.fetch(MEMBERS, list(set(member_ids)), org)}
    if any(c not in communities for c in content_ids) or any(m not in members for m in member_ids):
        problem = {"field": ["items"], "message": "not found", "code": "NOT_FOUND"}
        return {"engagementsIngest": {"ingestedCount": 0, "userErrors": [problem]}}
    now = datetime.now(UTC)
    kinds = [i["kind"].lower() for i in items]
    async with conn.transaction():
        await conn.execute(
            INSERT, org, now, [communities[c] for c in content_ids], content_ids, member_ids, kinds
        )
    return {"engagementsIngest": {"ingestedCount": len(items), "userErrors": []}}


OPERATIONS = {"Thread": thread, "Ingest": ingest}


async def graphql(request: Request) -> Response:
    body = orjson.loads(await request.body())
    key = request.headers["authorization"].partition(" ")[2]
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        org = await conn.fetchval(AUTH, hashlib.sha256(key.encode()).hexdigest())
        if org is None:
            return Response(b'{"errors":[{"message":"Unauthenticated"}]}', status_code=401)
        data = await OPERATIONS[body["operationName"]](conn, org, body.get("variables") or {})
    return Response(orjson.dumps({"data": data}), media_type="application/json")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(DATABASE, min_size=10, max_size=10)
    yield
    await app.state.pool.close()


app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"])], lifespan=lifespan)
