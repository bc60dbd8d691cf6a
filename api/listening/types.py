"""GraphQL types of listening: Mention, Escalation and its history, Alert, and the inbox filter."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from api.batching import cached
from api.connections import Connection, page_request
from api.ids import decode_id_of
from api.listening.enums import (
    AlertStatus,
    EscalationAction,
    EscalationStatus,
    MentionKind,
    MentionStatus,
    Priority,
    SentimentLabel,
)
from api.nodes import load_nodes
from api.organizations.types import Topic
from domain.listening import tables
from domain.listening.repositories import MentionFilter as DomainMentionFilter
from domain.listening.scoring import sentiment_label

if TYPE_CHECKING:
    from api.content.types import Content
    from api.members.types import Member

MEMBERS_TYPES = "api.members.types"
CONTENT_TYPES = "api.content.types"
# No row has this id: a filter naming a topic the caller cannot see matches nothing.
NO_TOPIC = -1


async def _member(info: strawberry.Info, member_id: int | None) -> Any:
    if member_id is None:
        return None
    return _as_member(await info.context.loaders.members.members.load(member_id))


def _member_now(info: strawberry.Info, member_id: int | None) -> Any:
    """The member at once when the request's loader holds it already (a page batched its
    members), else an awaitable of it, which graphql-core awaits like an async field's."""
    if member_id is None:
        return None
    hit, row = cached(info.context.loaders.members.members, member_id)
    return _as_member(row) if hit else _member(info, member_id)


def _as_member(row: Any) -> Any:
    from api.members.types import Member

    return None if row is None else Member.from_row(row)


@strawberry.type(description="A conversation about the brand found by listening.")
class Mention(relay.Node):
    id: relay.NodeID[int]
    source: str = strawberry.field(description="Where it was said, e.g. twitter, forum, reviews.")
    author_handle: str = strawberry.field(description="The author's handle on the source.")
    text: str
    url: str | None
    sentiment: float = strawberry.field(description="VADER compound score, -1 to 1.")
    sentiment_label: SentimentLabel
    reach: int = strawberry.field(description="How many may see it: its author's followers.")
    kind: MentionKind
    priority: Priority
    status: MentionStatus
    response_text: str | None
    responded_at: datetime | None
    first_response_seconds: float | None = strawberry.field(
        description="Seconds from when it was said to its first answer."
    )
    occurred_at: datetime
    created_at: datetime
    updated_at: datetime
    author_member_id: strawberry.Private[int | None]
    assignee_member_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: tables.Mention) -> Mention:
        assert row.id is not None
        return cls(
            id=row.id,
            source=row.source,
            author_handle=row.author_handle,
            text=row.text,
            url=row.url,
            sentiment=row.sentiment,
            sentiment_label=sentiment_label(row.sentiment),
            reach=row.reach,
            kind=MentionKind(row.kind),
            priority=Priority(row.priority),
            status=MentionStatus(row.status),
            response_text=row.response_text,
            responded_at=row.responded_at,
            first_response_seconds=row.first_response_seconds,
            occurred_at=row.occurred_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            author_member_id=row.author_member_id,
            assignee_member_id=row.assignee_member_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(info.context.loaders.listening.mentions, cls.from_row, node_ids)

    @strawberry.field(description="The author when it is a known member; null for a bare handle.")
    def author(
        self, info: strawberry.Info
    ) -> Annotated[Member, strawberry.lazy(MEMBERS_TYPES)] | None:
        # Synchronous when `mentions` batched the page's authors with the page.
        return _member_now(info, self.author_member_id)

    @strawberry.field(description="Who in the team was asked to handle it.")
    async def assignee(
        self, info: strawberry.Info
    ) -> Annotated[Member, strawberry.lazy(MEMBERS_TYPES)] | None:
        return await _member(info, self.assignee_member_id)

    @strawberry.field(description="The topics its text mentions, from the topics' keywords.")
    async def topics(self, info: strawberry.Info) -> list[Topic]:
        topic_ids = await info.context.loaders.listening.mention_topic_ids.load(self.id)
        rows = await info.context.loaders.organizations.topics.load_many(topic_ids)
        return [Topic.from_row(row) for row in rows if row is not None]

    @strawberry.field(description="Its latest escalation; null when it was never escalated.")
    async def escalation(self, info: strawberry.Info) -> Escalation | None:
        row = await info.context.loaders.listening.latest_escalations.load(self.id)
        return None if row is None else Escalation.from_row(row)


@strawberry.type(description="One state change of an escalation: what, who and when.")
class EscalationChange(relay.Node):
    id: relay.NodeID[int]
    action: EscalationAction
    from_status: EscalationStatus | None
    to_status: EscalationStatus
    actor: str = strawberry.field(description="Who made it, e.g. api_key:12.")
    note: str
    occurred_at: datetime
    assignee_member_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: tables.EscalationChange) -> EscalationChange:
        assert row.id is not None
        return cls(
            id=row.id,
            action=EscalationAction(row.action),
            from_status=None if row.from_status is None else EscalationStatus(row.from_status),
            to_status=EscalationStatus(row.to_status),
            actor=row.actor,
            note=row.note,
            occurred_at=row.occurred_at,
            assignee_member_id=row.assignee_member_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        loader = info.context.loaders.listening.escalation_changes
        return await load_nodes(loader, cls.from_row, node_ids)

    @strawberry.field(description="Who the escalation was assigned to after this change.")
    async def assignee(
        self, info: strawberry.Info
    ) -> Annotated[Member, strawberry.lazy(MEMBERS_TYPES)] | None:
        return await _member(info, self.assignee_member_id)


@strawberry.type(description="A page of an escalation's history, oldest first.")
class EscalationChangeConnection(Connection[EscalationChange]):
    pass


@strawberry.type(description="A mention or content routed to an expert, with a response target.")
class Escalation(relay.Node):
    id: relay.NodeID[int]
    priority: Priority
    status: EscalationStatus
    reason: str
    target_seconds: int = strawberry.field(description="The response-time target of its priority.")
    due_at: datetime
    first_response_at: datetime | None
    first_response_seconds: float | None
    resolved_at: datetime | None
    created_at: datetime
    updated_at: datetime
    mention_id: strawberry.Private[int | None]
    content_id: strawberry.Private[int | None]
    assignee_member_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: tables.Escalation) -> Escalation:
        assert row.id is not None
        return cls(
            id=row.id,
            priority=Priority(row.priority),
            status=EscalationStatus(row.status),
            reason=row.reason,
            target_seconds=row.target_seconds,
            due_at=row.due_at,
            first_response_at=row.first_response_at,
            first_response_seconds=row.first_response_seconds,
            resolved_at=row.resolved_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            mention_id=row.mention_id,
            content_id=row.content_id,
            assignee_member_id=row.assignee_member_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(info.context.loaders.listening.escalations, cls.from_row, node_ids)

    @strawberry.field(description="Whether the first response came within the target.")
    def within_target(self) -> bool | None:
        if self.first_response_seconds is None:
            return None
        return self.first_response_seconds <= self.target_seconds

    @strawberry.field(description="The expert it is routed to; null when nobody knows its topics.")
    async def assignee(
        self, info: strawberry.Info
    ) -> Annotated[Member, strawberry.lazy(MEMBERS_TYPES)] | None:
        return await _member(info, self.assignee_member_id)

    @strawberry.field(description="The escalated mention, if a mention was escalated.")
    async def mention(self, info: strawberry.Info) -> Mention | None:
        if self.mention_id is None:
            return None
        row = await info.context.loaders.listening.mentions.load(self.mention_id)
        return None if row is None else Mention.from_row(row)

    @strawberry.field(description="The escalated content, if content was escalated.")
    async def content(
        self, info: strawberry.Info
    ) -> Annotated[Content, strawberry.lazy(CONTENT_TYPES)] | None:
        from api.content.types import Content

        if self.content_id is None:
            return None
        row = await info.context.loaders.content.content.load(self.content_id)
        return None if row is None else Content.from_row(row)

    @strawberry.field(description="Every state change, who made it and when, oldest first.")
    async def history(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> EscalationChangeConnection:
        from api.listening.queries import history_of

        return await history_of(info, self.id, page_request(first, after, last, before))


@strawberry.type(description="A negative snowball: a topic's negative mentions rising fast.")
class Alert(relay.Node):
    id: relay.NodeID[int]
    status: AlertStatus
    window_count: int = strawberry.field(description="Negative mentions in the last window.")
    baseline_per_window: float = strawberry.field(
        description="The trailing mean of negative mentions per window."
    )
    ratio: float = strawberry.field(description="Window count over the (floored) baseline.")
    threshold: float = strawberry.field(description="The count the window had to exceed.")
    raised_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None
    topic_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: tables.Alert) -> Alert:
        assert row.id is not None
        return cls(
            id=row.id,
            status=AlertStatus(row.status),
            window_count=row.window_count,
            baseline_per_window=row.baseline_per_window,
            ratio=row.ratio,
            threshold=row.threshold,
            raised_at=row.raised_at,
            last_seen_at=row.last_seen_at,
            ended_at=row.ended_at,
            topic_id=row.topic_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(info.context.loaders.listening.alerts, cls.from_row, node_ids)

    @strawberry.field
    async def topic(self, info: strawberry.Info) -> Topic | None:
        row = await info.context.loaders.organizations.topics.load(self.topic_id)
        return None if row is None else Topic.from_row(row)


@strawberry.type(description="A page of the inbox, newest first.")
class MentionConnection(Connection[Mention]):
    pass


@strawberry.type(description="A page of escalations, newest first.")
class EscalationConnection(Connection[Escalation]):
    pass


@strawberry.type(description="A page of alerts, newest first.")
class AlertConnection(Connection[Alert]):
    pass


@strawberry.input(description="What the inbox may be narrowed by; parts left out match all.")
class MentionFilter:
    status: MentionStatus | None = None
    sentiment: SentimentLabel | None = None
    topic_id: strawberry.ID | None = None
    priority: Priority | None = None
    kind: MentionKind | None = None
    since: datetime | None = strawberry.field(default=None, description="Said at or after.")

    def to_domain(self) -> DomainMentionFilter:
        topic_id = None
        if self.topic_id is not None:
            topic_id = decode_id_of(self.topic_id, {"Topic"})
            topic_id = NO_TOPIC if topic_id is None else topic_id
        return DomainMentionFilter(
            status=self.status,
            sentiment=self.sentiment,
            topic_id=topic_id,
            priority=self.priority,
            kind=self.kind,
            since=self.since,
        )
