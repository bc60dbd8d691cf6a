"""Locust user classes for Townsquare's three personas, weighted as real traffic is.

- `DashboardReader` (weight 6, a viewer key): the community list with its counts, the KPI
  dashboard (20 communities' summaries over the last 30 days and top 5 influencers), the
  mentions inbox with escalations, threads, community feeds page by page;
- `CommunityManager` (weight 3, a manager key): reads a thread, then publishes posts and replies;
- `Integration` (weight 1, an ingestion key): bulk engagement ingestion, 250 per call.

Operations of issue 7 that have not landed yet (metrics series, conversion ingestion) join
these personas when their fields exist.

Every request is named by its GraphQL operation name; a response with `errors` or a non-empty
`userErrors` counts as a failure. Ids come from the seeded data (queried at start), never
guessed. Keys come from the JSON file named by TOWNSQUARE_LOADTEST_KEYS
(`{"viewer": [...], "manager": [...], "ingestion": [...]}`, as `townsquare loadtest` writes it),
one key per simulated user so no user drains another's rate-limit bucket.

    locust -f loadtests/locustfile.py --host http://127.0.0.1:8000

With TOWNSQUARE_LOADTEST_MINUTES naming a file, each minute's answers, failures and
percentiles are written there when the test stops (`minutes.py`; for soak tests).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from minutes import MinuteRecorder
from operations import (
    COMMUNITY_FEED,
    COMMUNITY_LIST,
    DASHBOARD,
    INBOX,
    INGEST,
    PUBLISH,
    SEED_IDS,
    THREAD,
)

KEYS_VARIABLE = "TOWNSQUARE_LOADTEST_KEYS"
MINUTES_VARIABLE = "TOWNSQUARE_LOADTEST_MINUTES"
INGEST_BATCH = 250
ENGAGEMENT_KINDS = ("VIEW", "LIKE", "SHARE", "COMMENT", "CLICK")


def _load_keys() -> dict[str, list[str]]:
    path = os.environ.get(KEYS_VARIABLE)
    if not path:
        single = os.environ.get("TOWNSQUARE_LOADTEST_KEY", "")
        return {"viewer": [single], "manager": [single], "ingestion": [single]}
    keys: dict[str, list[str]] = json.loads(Path(path).read_text(encoding="utf-8"))
    return keys


KEYS = _load_keys()
_NEXT = {role: itertools.cycle(keys) for role, keys in KEYS.items()}


def failure_of(body: Any) -> str | None:
    """Why a GraphQL answer counts as failed: `errors`, or a payload with `userErrors`."""
    if not isinstance(body, dict):
        return "the answer is not a JSON object"
    if body.get("errors"):
        return "errors: " + "; ".join(str(e.get("message")) for e in body["errors"])[:300]
    data = body.get("data")
    if data is None:
        return "no data"
    for field, payload in data.items():
        if isinstance(payload, dict) and payload.get("userErrors"):
            return f"{field}.userErrors: {payload['userErrors']}"[:300]
    return None


def last_30_days() -> dict[str, str]:
    """The 30 whole UTC days before today: a dashboard's default window."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return {"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()}


# Each user's start-up query for ids is not part of the load being measured.
MINUTES = MinuteRecorder(skipped=frozenset({"LoadtestSeedIds"}))


@events.test_start.add_listener
def _minutes_start(**_: Any) -> None:
    MINUTES.start(time.time())


@events.request.add_listener
def _minutes_record(
    name: str, response_time: float, exception: Any, start_time: float | None = None, **_: Any
) -> None:
    MINUTES.record(name, start_time or time.time(), response_time, exception is not None)


@events.test_stop.add_listener
def _minutes_write(**_: Any) -> None:
    path = os.environ.get(MINUTES_VARIABLE)
    if path:
        MINUTES.write(Path(path))


class GraphQLUser(FastHttpUser):
    """A FastHttpUser that speaks GraphQL with one API key of its persona's role."""

    abstract = True
    role = "viewer"
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        # Ids are read with a reader's key: an ingestion key may not list communities.
        self.key = next(_NEXT["viewer"])
        data = self.graphql("LoadtestSeedIds", SEED_IDS) or {}
        self.communities = [c["id"] for c in data.get("communities", {}).get("nodes", [])]
        self.posts = {
            c["id"]: [p["id"] for p in c["content"]["nodes"]]
            for c in data.get("communities", {}).get("nodes", [])
        }
        self.members = [m["id"] for m in data.get("members", {}).get("nodes", [])]
        self.all_posts = [p for posts in self.posts.values() for p in posts]
        self.key = next(_NEXT[self.role])

    def graphql(self, name: str, query: str, **variables: Any) -> dict[str, Any] | None:
        """Send one operation under its name; returns its data, or None when it failed."""
        headers = {
            "Authorization": f"Bearer {self.key}",
            "X-Request-Id": f"locust-{uuid.uuid4().hex[:16]}",
        }
        payload = {"query": query, "operationName": name, "variables": variables}
        with self.client.post(
            "/graphql", json=payload, headers=headers, name=name, catch_response=True
        ) as response:
            try:
                body = response.json()
            except ValueError:
                response.failure(f"HTTP {response.status_code}: not JSON")
                return None
            reason = failure_of(body)
            if reason is not None:
                request_id = response.headers.get("X-Request-Id", "")
                response.failure(f"{reason} (request {request_id})")
                return None
            response.success()
            data: dict[str, Any] = body["data"]
            return data


class DashboardReader(GraphQLUser):
    """A front end's dashboard: lists, threads and feeds; reads only."""

    weight = 6
    role = "viewer"

    @task(3)
    def community_list(self) -> None:
        self.graphql("CommunityList", COMMUNITY_LIST)

    @task(2)
    def dashboard(self) -> None:
        self.graphql("Dashboard", DASHBOARD, window=last_30_days())

    @task(2)
    def inbox(self) -> None:
        self.graphql("Inbox", INBOX)

    @task(4)
    def thread(self) -> None:
        if self.all_posts:
            self.graphql("Thread", THREAD, id=random.choice(self.all_posts))

    @task(2)
    def community_feed(self) -> None:
        if not self.communities:
            return
        data = self.graphql("CommunityFeed", COMMUNITY_FEED, id=random.choice(self.communities))
        page = ((data or {}).get("node") or {}).get("content", {}).get("pageInfo", {})
        if page.get("hasNextPage"):
            self.graphql(
                "CommunityFeed",
                COMMUNITY_FEED,
                id=data["node"]["id"],  # type: ignore[index]
                after=page["endCursor"],
            )


class CommunityManager(GraphQLUser):
    """A community manager: reads a thread, publishes posts and replies in it."""

    weight = 3
    role = "manager"

    @task(2)
    def read_thread(self) -> None:
        if self.all_posts:
            self.graphql("Thread", THREAD, id=random.choice(self.all_posts))

    @task(1)
    def publish(self) -> None:
        if not self.communities:
            return
        community = random.choice(self.communities)
        text = f"Load test post {uuid.uuid4().hex[:8]}"
        self.graphql(
            "ContentPublish",
            PUBLISH,
            input={"communityId": community, "kind": "POST", "title": text, "body": text},
        )

    @task(2)
    def reply(self) -> None:
        threads = [(c, p) for c, posts in self.posts.items() for p in posts]
        if not threads:
            return
        community, post = random.choice(threads)
        body = f"Thanks for asking! ({uuid.uuid4().hex[:8]})"
        self.graphql(
            "ContentPublish",
            PUBLISH,
            input={"communityId": community, "kind": "REPLY", "parentId": post, "body": body},
        )


class Integration(GraphQLUser):
    """An integration pushing engagement from the platforms in batches of 250."""

    weight = 1
    role = "ingestion"
    wait_time = between(0.2, 1.0)

    @task
    def ingest(self) -> None:
        if not self.all_posts or not self.members:
            return
        items = [
            {
                "contentId": random.choice(self.all_posts),
                "memberId": random.choice(self.members),
                "kind": random.choice(ENGAGEMENT_KINDS),
            }
            for _ in range(INGEST_BATCH)
        ]
        self.graphql("EngagementsIngest", INGEST, input={"items": items})
