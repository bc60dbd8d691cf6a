"""Mutations of content and engagement: publish, edit, soft-delete, record, ingest in bulk."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.content.types import Content, Engagement
from api.enums import ContentKind, EngagementKind
from api.errors import UserError
from api.ids import encode_id
from api.inputs import flat_input
from api.payloads import InputIds, expected_version, perform
from domain.entities import Content as ContentRow
from domain.entities import Engagement as EngagementRow
from domain.services.content import ContentChanges, ContentDraft
from domain.services.engagement import MAX_BATCH, EngagementDraft


@strawberry.input(description="Content to publish now; replies name their parent.")
class ContentPublishInput:
    community_id: strawberry.ID
    kind: ContentKind
    body: str
    title: str = ""
    author_id: strawberry.ID | None = None
    parent_id: strawberry.ID | None = None
    topic_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    sentiment: float = 0.0
    quality: float = 0.5


@strawberry.input(description="Fields to change; those left out stay as they are.")
class ContentUpdateInput:
    id: strawberry.ID
    title: str | None = None
    body: str | None = None
    topic_ids: list[strawberry.ID] | None = None
    sentiment: float | None = None
    quality: float | None = None
    expected_version: int | None = expected_version()


@strawberry.input
class ContentDeleteInput:
    id: strawberry.ID


@flat_input
@strawberry.input(description="One member's action on one piece of content.")
class EngagementRecordInput:
    content_id: strawberry.ID
    member_id: strawberry.ID
    kind: EngagementKind
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened; now when left out."
    )


@flat_input
@strawberry.input(description=f"Up to {MAX_BATCH} engagements, written all together or not at all.")
class EngagementsIngestInput:
    items: list[EngagementRecordInput]


@strawberry.type
class ContentPublishPayload:
    content: Content | None
    user_errors: list[UserError]


@strawberry.type
class ContentUpdatePayload:
    content: Content | None
    user_errors: list[UserError]


@strawberry.type
class ContentDeletePayload:
    deleted_content_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.type
class EngagementRecordPayload:
    engagement: Engagement | None
    user_errors: list[UserError]


@strawberry.type
class EngagementsIngestPayload:
    ingested_count: int = strawberry.field(description="How many were written: all or none.")
    user_errors: list[UserError]


def _content(row: ContentRow | None) -> Content | None:
    return None if row is None else Content.from_row(row)


def _engagement(row: EngagementRow | None) -> Engagement | None:
    return None if row is None else Engagement.from_row(row)


def _engagement_draft(ids: InputIds, item: EngagementRecordInput) -> EngagementDraft:
    return EngagementDraft(
        content_id=ids.of(item.content_id, "Content"),
        member_id=ids.of(item.member_id, "Member"),
        kind=item.kind,
        occurred_at=item.occurred_at,
    )


@strawberry.type
class ContentMutation:
    @strawberry.mutation(description="Publish content in a community, or a reply in a thread.")
    async def content_publish(
        self, info: strawberry.Info, input: ContentPublishInput
    ) -> ContentPublishPayload:
        ids = InputIds()
        draft = ContentDraft(
            community_id=ids.of(input.community_id, "Community"),
            kind=input.kind,
            body=input.body,
            title=input.title,
            author_id=ids.maybe(input.author_id, "Member"),
            parent_id=ids.maybe(input.parent_id, "Content"),
            topic_ids=tuple(ids.of(t, "Topic") for t in input.topic_ids),
            sentiment=input.sentiment,
            quality=input.quality,
        )
        row, errors = await perform(info, lambda: info.context.services.content.publish(draft))
        return ContentPublishPayload(content=_content(row), user_errors=errors)

    @strawberry.mutation(description="Edit content's title, body, topics or scores.")
    async def content_update(
        self, info: strawberry.Info, input: ContentUpdateInput
    ) -> ContentUpdatePayload:
        ids = InputIds()
        content_id = ids.of(input.id, "Content")
        topic_ids = None
        if input.topic_ids is not None:
            topic_ids = tuple(ids.of(t, "Topic") for t in input.topic_ids)
        changes = ContentChanges(
            title=input.title,
            body=input.body,
            topic_ids=topic_ids,
            sentiment=input.sentiment,
            quality=input.quality,
            expected_version=input.expected_version,
        )
        service = info.context.services.content
        row, errors = await perform(info, lambda: service.update(content_id, changes))
        return ContentUpdatePayload(content=_content(row), user_errors=errors)

    @strawberry.mutation(description="Delete content softly: kept for metrics, never listed again.")
    async def content_delete(
        self, info: strawberry.Info, input: ContentDeleteInput
    ) -> ContentDeletePayload:
        content_id = InputIds().of(input.id, "Content")
        service = info.context.services.content
        row, errors = await perform(info, lambda: service.delete(content_id))
        deleted = None if row is None else strawberry.ID(encode_id("Content", content_id))
        return ContentDeletePayload(deleted_content_id=deleted, user_errors=errors)

    @strawberry.mutation(description="Record one member's action on content.")
    async def engagement_record(
        self, info: strawberry.Info, input: EngagementRecordInput
    ) -> EngagementRecordPayload:
        draft = _engagement_draft(InputIds(), input)
        service = info.context.services.engagement
        row, errors = await perform(info, lambda: service.record(draft))
        return EngagementRecordPayload(engagement=_engagement(row), user_errors=errors)

    @strawberry.mutation(
        description=f"Record up to {MAX_BATCH} actions at once: all are written, or none."
    )
    async def engagements_ingest(
        self, info: strawberry.Info, input: EngagementsIngestInput
    ) -> EngagementsIngestPayload:
        ids = InputIds()
        drafts = [_engagement_draft(ids, item) for item in input.items]
        service = info.context.services.engagement
        count, errors = await perform(info, lambda: service.ingest(drafts))
        return EngagementsIngestPayload(ingested_count=count or 0, user_errors=errors)
