"""The limit: a hand-written Starlette endpoint that answers the benchmark's operations with the
fewest SQL statements and returns the same JSON as Townsquare.

It does what any correct server must (check the key, scope to the organization, check that the
ingested rows' content and members exist) and nothing else: asyncpg directly, prepared
statements, one `INSERT ... SELECT unnest(...)` per ingest batch, orjson. The dashboard reads
the same rollups and stored influence as Townsquare, in two statements (the communities page
with their window's sums, then every community's top influencers), by the same KPI formulas
(`domain.metrics`); the inbox is one statement (mentions, authors, latest escalations and
their assignees joined). Run by
`benchmarks/api.py` as `uvicorn limit:app --app-dir benchmarks/apiservers`.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.metrics.engagement import engagement_rate
from domain.metrics.sentiment import net_sentiment

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

# The page of communities with their window's rollup sums and distinct active members.
COMMUNITY_KPIS = (
    "SELECT c.id, c.name, r.audience, r.reactions, r.positive, r.negative, r.voices, a.active "
    "FROM (SELECT id, name, created_at FROM community WHERE organization_id = $1 "
    "AND archived_at IS NULL ORDER BY created_at, id LIMIT $2) c "
    "LEFT JOIN LATERAL (SELECT sum(audience_delta) AS audience, "
    "sum(likes + comments + shares) FILTER (WHERE day >= $3) AS reactions, "
    "sum(positive_voices) FILTER (WHERE day >= $3) AS positive, "
    "sum(negative_voices) FILTER (WHERE day >= $3) AS negative, "
    "sum(voices) FILTER (WHERE day >= $3) AS voices FROM community_daily "
    "WHERE organization_id = $1 AND community_id = c.id AND day <= $4) r ON true "
    "LEFT JOIN LATERAL (SELECT count(DISTINCT member_id) AS active FROM member_activity_day "
    "WHERE organization_id = $1 AND community_id = c.id AND day BETWEEN $3 AND $4) a ON true "
    "ORDER BY c.created_at, c.id"
)
INFLUENCERS = (
    "SELECT i.community_id, i.score, m.id AS mid, m.handle FROM (SELECT community_id, member_id, "
    "score, row_number() OVER (PARTITION BY community_id ORDER BY score DESC, membership_id) "
    "AS rank FROM membership_influence WHERE organization_id = $1 "
    "AND community_id = ANY($2::bigint[])) i LEFT JOIN member m ON m.id = i.member_id "
    "WHERE i.rank <= $3 ORDER BY i.community_id, i.rank"
)
# The newest mentions, each with its author and its latest escalation's assignee.
INBOX = (
    "SELECT n.id, n.text, n.sentiment, m.id AS mid, m.handle, e.id AS eid, e.status, "
    "e.priority, a.id AS aid, a.handle AS ahandle FROM mention n "
    "LEFT JOIN member m ON m.id = n.author_member_id "
    "LEFT JOIN LATERAL (SELECT id, status, priority, assignee_member_id FROM escalation "
    "WHERE organization_id = $1 AND mention_id = n.id ORDER BY created_at DESC, id DESC LIMIT 1) "
    "e ON true LEFT JOIN member a ON a.id = e.assignee_member_id "
    "WHERE n.organization_id = $1 ORDER BY n.occurred_at DESC, n.id DESC LIMIT $2"
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


def days_of(window: dict[str, str]) -> tuple[date, date]:
    """The first and last UTC day of a [from, to) window (a midnight `to` excludes its day)."""
    start = datetime.fromisoformat(window["from"]).astimezone(UTC)
    end = datetime.fromisoformat(window["to"]).astimezone(UTC)
    return start.date(), (end - timedelta(microseconds=1)).date()


def summary(row: Any) -> dict[str, Any]:
    audience = int(row["audience"] or 0)
    voices = [int(row[k] or 0) for k in ("positive", "negative", "voices")]
    return {
        "audienceSize": audience,
        "activeMembers": int(row["active"] or 0),
        "engagementRate": engagement_rate(int(row["reactions"] or 0), 0, 0, audience),
        "netSentiment": net_sentiment(*voices),
    }


async def dashboard(conn: Any, org: int, variables: dict[str, Any]) -> dict[str, Any]:
    first, last = days_of(variables["window"])
    rows = await conn.fetch(COMMUNITY_KPIS, org, variables["first"], first, last)
    top: dict[int, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
    for r in await conn.fetch(INFLUENCERS, org, list(top), variables["top"]):
        ranked = top[r["community_id"]]
        ranked.append({"rank": len(ranked) + 1, "score": r["score"], "member": author(r)})
    nodes = [
        {
            "id": gid("Community", row["id"]),
            "name": row["name"],
            "metrics": {"summary": summary(row)},
            "influencers": top[row["id"]],
        }
        for row in rows
    ]
    return {"communities": {"nodes": nodes}}


def escalation(row: Any) -> dict[str, Any] | None:
    if row["eid"] is None:
        return None
    assignee = (
        None if row["aid"] is None else {"id": gid("Member", row["aid"]), "handle": row["ahandle"]}
    )
    return {
        "id": gid("Escalation", row["eid"]),
        "status": row["status"].upper(),
        "priority": row["priority"].upper(),
        "assignee": assignee,
    }


async def inbox(conn: Any, org: int, variables: dict[str, Any]) -> dict[str, Any]:
    rows = await conn.fetch(INBOX, org, variables["first"])
    nodes = [
        {
            "id": gid("Mention", r["id"]),
            "text": r["text"],
            "sentiment": r["sentiment"],
            "author": author(r),
            "escalation": escalation(r),
        }
        for r in rows
    ]
    return {"mentions": {"nodes": nodes}}


OPERATIONS = {"Thread": thread, "Ingest": ingest, "Dashboard": dashboard, "Inbox": inbox}


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
